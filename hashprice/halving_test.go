package hashprice

import (
	"math"
	"testing"

	"github.com/hashlab/hashlab/consensus"
)

// TestNextHalving: at height 925,000 the next halving is 1,050,000 and the
// subsidy goes 3.125 -> 1.5625 BTC; with fees, difficulty and price held,
// revenue per PH scales by (1.5625 + fees) / (3.125 + fees), and the BTC
// price that keeps hashprice scales by the inverse.
func TestNextHalving(t *testing.T) {
	in := Inputs{Difficulty: 152_270_000_000_000, Height: 925_000, FeesPerBlock: 2_000_000, PriceUSD: 86_000}
	h, err := NextHalving(in)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := Compute(in)
	ratio := (1.5625 + 0.02) / (3.125 + 0.02)
	if h.Height != 1_050_000 || h.BlocksToGo != 125_000 || h.SubsidyBeforeSats != 312_500_000 || h.SubsidyAfterSats != 156_250_000 {
		t.Errorf("%+v", h)
	}
	if math.Abs(h.HashpriceNow-now.USDPerPHDay) > 1e-12 || math.Abs(h.HashpriceAfter/h.HashpriceNow-ratio) > 1e-12 {
		t.Errorf("hashprice %v -> %v, want ratio %v", h.HashpriceNow, h.HashpriceAfter, ratio)
	}
	if math.Abs(h.PriceToKeepHashUSD-86_000/ratio) > 1e-6 || math.Abs(h.Breakeven175After/h.Breakeven175Now-ratio) > 1e-12 {
		t.Errorf("price to keep %v (want %v), breakevens %v -> %v", h.PriceToKeepHashUSD, 86_000/ratio, h.Breakeven175Now, h.Breakeven175After)
	}
	// At a halving height the next one is 210,000 blocks on.
	in.Height = 1_050_000
	if h, err := NextHalving(in); err != nil || h.Height != 1_260_000 {
		t.Errorf("from 1,050,000: %+v %v", h, err)
	}
	// Regtest halves every 150 blocks.
	in.Height, in.Params = 10, consensus.RegTest
	if h, err := NextHalving(in); err != nil || h.Height != 150 {
		t.Errorf("regtest: %+v %v", h, err)
	}
}
