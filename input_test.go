package hashlab

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"testing"
)

func TestInputError(t *testing.T) {
	err := fmt.Errorf("hashprice: %w", Invalid("--price", -1.5, ">= 0 and finite"))
	if !errors.Is(err, ErrInput) {
		t.Fatal("errors.Is(ErrInput) false")
	}
	ie, ok := AsInput(err)
	if !ok || ie.Field != "--price" || ie.Value != "-1.5" || ie.Allowed != ">= 0 and finite" {
		t.Fatalf("AsInput: %+v %v", ie, ok)
	}
	if got, want := err.Error(), "hashprice: --price = -1.5 (allowed: >= 0 and finite)"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	cause := errors.New("bad digit")
	e2 := Invalidf("bits", "0xZZ", "8 hex digits", cause)
	if !errors.Is(e2, cause) || !errors.Is(e2, ErrInput) {
		t.Fatal("cause not wrapped")
	}
	if errors.Is(errors.New("other"), ErrInput) {
		t.Fatal("plain error matched ErrInput")
	}
	for v, want := range map[any]string{math.NaN(): "NaN", math.Inf(1): "+Inf", "": `""`, "a b": `"a b"`, int64(7): "7"} {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestNumJSON(t *testing.T) {
	for _, c := range []struct {
		n    Num
		want string
	}{{1.5, "1.5"}, {Num(math.NaN()), "null"}, {Num(math.Inf(1)), "null"}, {Num(math.Inf(-1)), "null"}} {
		b, err := json.Marshal(c.n)
		if err != nil || string(b) != c.want {
			t.Errorf("%v: %s %v", c.n, b, err)
		}
	}
	var back []Num
	if err := json.Unmarshal([]byte("[2, null]"), &back); err != nil || back[0] != 2 || back[1].Defined() || !math.IsNaN(float64(back[1])) {
		t.Fatalf("%v %v", back, err)
	}
}
