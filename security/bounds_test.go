package security

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
)

// Each bound is one Range, and the library refuses exactly what it says:
// a share just below 0.5 is a minority (the API once refused (0.4999,
// 0.5) while saying "< 0.5"), 0.5 is not, NaN and ±Inf never are.
func TestRanges(t *testing.T) {
	for _, c := range []struct {
		r    Range
		in   []float64
		out  []float64
		name string
	}{
		{MinorityShare, []float64{0, 0.1, 0.49995, math.Nextafter(0.5, 0)}, []float64{0.5, -1e-9, math.NaN(), math.Inf(1)}, "minority"},
		{AnyShare, []float64{0, 0.5, 0.999}, []float64{1, -0.1, math.NaN()}, "any"},
		{ReportShare, []float64{1e-9, 0.49995}, []float64{0, 0.5, math.Inf(-1)}, "report"},
		{Risk, []float64{1e-12, 0.5}, []float64{0, 1, math.NaN()}, "risk"},
		{Gamma, []float64{0, 0.5, 1}, []float64{-0.1, 1.01, math.NaN()}, "gamma"},
		{Accuracy, []float64{MinSelfishAccuracy, 1e-4, MaxSelfishAccuracy}, []float64{0, MaxSelfishAccuracy * 1.01, math.NaN()}, "accuracy"},
	} {
		for _, v := range c.in {
			if err := c.r.Check("x", v); err != nil {
				t.Errorf("%s: %v refused: %v", c.name, v, err)
			}
		}
		for _, v := range c.out {
			ie, ok := hashlab.AsInput(c.r.Check("x", v))
			if !ok || ie.Field != "x" || ie.Allowed != c.r.Allowed {
				t.Errorf("%s: %v accepted or badly reported: %v", c.name, v, ie)
			}
		}
	}
	// The library functions use the same bounds.
	// q = 0.49995 is a valid share (the depth it needs may exceed the
	// search's reach, which is an error about risk, not q).
	if _, err := ConfirmationsFor(0.49995, 0.001, Exact); err != nil {
		if ie, ok := hashlab.AsInput(err); !ok || ie.Field == "q" {
			t.Errorf("q = 0.49995 refused: %v", err)
		}
	}
	if z, err := ConfirmationsFor(0.45, 0.01, Exact); err != nil || z < 100 {
		t.Errorf("q = 0.45: %d %v", z, err)
	}
	if ie, ok := hashlab.AsInput(func() error { _, err := ConfirmationsFor(0.5, 0.001, Exact); return err }()); !ok || ie.Field != "q" || ie.Allowed != MinorityShare.Allowed {
		t.Errorf("q = 0.5: %v", ie)
	}
	if err := CheckConfirmations("z", MaxConfirmations+1); err == nil {
		t.Error("z above the maximum accepted")
	}
}

// A depth at which the double spend's success probability underflows to
// 0 has no finite safe value: null in JSON, never +Inf (which JSON cannot
// carry) or 0.
func TestMaxSafeValueUndefinedIsNull(t *testing.T) {
	in := DefaultAttackInputs(1e21, 40)
	in.TargetShare = 0.01
	c, err := AttackCostFor(in, MaxConfirmations)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxSafeValueUSD != nil {
		t.Fatalf("max safe value %v at z = %d with q = 0.01", *c.MaxSafeValueUSD, MaxConfirmations)
	}
	b, err := json.Marshal(c)
	if err != nil || !strings.Contains(string(b), `"max_safe_value_usd":null`) {
		t.Fatalf("%s %v", b, err)
	}
	// A majority attack has a finite bound: the attack's cost itself.
	c, _ = AttackCostFor(DefaultAttackInputs(1e21, 40), 6)
	if c.MaxSafeValueUSD == nil || *c.MaxSafeValueUSD != c.CheapestUSD {
		t.Fatalf("majority: %v vs %v", c.MaxSafeValueUSD, c.CheapestUSD)
	}
}
