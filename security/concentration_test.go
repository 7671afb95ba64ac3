package security

import (
	"math"
	"testing"
)

// Unattributed blocks ("unknown", "other") are reported apart and left out
// of the entity figures unless asked. Shares of all blocks: Foundry 28%,
// AntPool 17%, ViaBTC 9%, F2Pool 6%, unknown 25%, other 15%.
//
//	default:          Nakamoto(50%) = 3 (28+17+9 = 54 > 50), HHI = .28²+.17²+.09²+.06² = 0.119
//	IncludeUnknown:   Nakamoto(50%) = 2 (28+25 = 53 > 50), HHI = 0.119 + .25² + .15² = 0.204
//
// (issue 13: `security concentration` counted "other" as one pool.)
func TestConcentrationLeavesOutUnattributed(t *testing.T) {
	shares := []Share{{"Foundry USA", 280}, {"unknown", 250}, {"AntPool", 170}, {"Other", 150}, {"ViaBTC", 90}, {"F2Pool", 60}}
	r, err := Concentration(shares)
	if err != nil {
		t.Fatal(err)
	}
	if r.Entities != 4 || r.Nakamoto50 != 3 || r.Nakamoto33 != 2 || math.Abs(r.HHI-0.119) > 1e-12 || r.IncludeUnknown {
		t.Errorf("default: entities %d, Nakamoto %d/%d, HHI %.6f", r.Entities, r.Nakamoto50, r.Nakamoto33, r.HHI)
	}
	if len(r.Unattributed) != 2 || r.Unattributed[0].Name != "unknown" || math.Abs(r.Unattributed[0].Share-0.25) > 1e-12 || math.Abs(r.UnattributedShare-0.40) > 1e-12 {
		t.Errorf("unattributed %+v (%.3f)", r.Unattributed, r.UnattributedShare)
	}
	for _, s := range r.Shares {
		if IsUnattributed(s.Name) {
			t.Errorf("%s counted as an entity", s.Name)
		}
	}
	// Shares stay shares of all blocks: the top two are 28% and 17%.
	if math.Abs(r.Top1Share-0.28) > 1e-12 || math.Abs(r.Top2Share-0.45) > 1e-12 || math.Abs(r.Top3Share-0.54) > 1e-12 {
		t.Errorf("top shares %v %v %v", r.Top1Share, r.Top2Share, r.Top3Share)
	}
	want, _ := CensoredDelay(0.28, 600)
	if r.CensorTop1 != want {
		t.Errorf("censorship by the largest entity %+v, want %+v", r.CensorTop1, want)
	}

	in, err := ConcentrationWith(shares, ConcentrationOptions{IncludeUnknown: true})
	if err != nil {
		t.Fatal(err)
	}
	if in.Entities != 6 || in.Nakamoto50 != 2 || math.Abs(in.HHI-0.204) > 1e-12 || !in.IncludeUnknown || math.Abs(in.Top2Share-0.53) > 1e-12 {
		t.Errorf("include unknown: entities %d, Nakamoto %d, HHI %.6f, top2 %.3f", in.Entities, in.Nakamoto50, in.HHI, in.Top2Share)
	}
	// Without unattributed buckets both options agree.
	named := []Share{{"a", 30}, {"b", 20}, {"c", 20}, {"d", 15}, {"e", 15}}
	a, _ := Concentration(named)
	b, _ := ConcentrationWith(named, ConcentrationOptions{IncludeUnknown: true})
	if a.HHI != b.HHI || a.Nakamoto50 != b.Nakamoto50 || a.Entities != 5 || len(a.Unattributed) != 0 {
		t.Errorf("named only: %+v vs %+v", a, b)
	}
	// When the named entities together stay below a half, the coefficient
	// says "more than all of them".
	few, _ := Concentration([]Share{{"a", 20}, {"b", 10}, {"unknown", 70}})
	if few.Nakamoto50 != few.Entities+1 {
		t.Errorf("unreachable majority: Nakamoto %d with %d entities", few.Nakamoto50, few.Entities)
	}
}

func TestIsUnattributed(t *testing.T) {
	for _, n := range []string{"unknown", "Unknown", " other ", "Others", "", "unattributed"} {
		if !IsUnattributed(n) {
			t.Errorf("%q", n)
		}
	}
	for _, n := range []string{"Foundry USA", "OCEAN", "unknown pool x"} {
		if IsUnattributed(n) {
			t.Errorf("%q", n)
		}
	}
}
