package consensus

import (
	"errors"
	"testing"

	"github.com/hashlab/hashlab"
)

func TestBitsSpelling(t *testing.T) {
	b := Bits(0x1701d936)
	if b.String() != "0x1701d936" || b.Hex() != "1701d936" {
		t.Fatalf("String %q Hex %q", b.String(), b.Hex())
	}
	for _, s := range []string{"0x1701d936", "1701d936", "0X1701D936", " 1701d936 "} {
		got, err := ParseBits(s)
		if err != nil || got != b {
			t.Errorf("ParseBits(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "0x", "0x1701d9361", "xyz", "-1"} {
		_, err := ParseBits(s)
		ie, ok := hashlab.AsInput(err)
		if !ok || ie.Field != "bits" || !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("ParseBits(%q): %v", s, err)
		}
	}
	txt, _ := b.MarshalText()
	var back Bits
	if err := back.UnmarshalText(txt); err != nil || back != b {
		t.Fatalf("text round trip %v %v", back, err)
	}
	if err := CheckBits("--bits", 0x1d00ffff, MainNet); err != nil {
		t.Fatal(err)
	}
	// 0x1d01ffff is above mainnet's powLimit; 0x01fedcba is negative (Core's vectors).
	for _, bad := range []Bits{0x1d01ffff, 0x01fedcba, 0} {
		if err := CheckBits("--bits", bad, MainNet); !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("CheckBits(%v) = %v", bad, err)
		}
	}
}

func TestSatsString(t *testing.T) {
	for s, want := range map[Sats]string{312500000: "3.12500000 BTC", 1: "0.00000001 BTC", -2000000: "-0.02000000 BTC", 0: "0.00000000 BTC"} {
		if got := s.String(); got != want {
			t.Errorf("%d: %q want %q", int64(s), got, want)
		}
	}
}
