package hashprice

import (
	"errors"
	"math"
	"testing"

	"github.com/hashlab/hashlab"
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
	be, ok := h.BreakevenAt(DefaultEfficiencyJPerTH)
	if h.PriceToKeepHashUSD == nil || math.Abs(*h.PriceToKeepHashUSD-86_000/ratio) > 1e-6 || !ok || math.Abs(be.AfterUSDPerKWh/be.NowUSDPerKWh-ratio) > 1e-12 {
		t.Errorf("price to keep %v (want %v), breakevens %+v", h.PriceToKeepHashUSD, 86_000/ratio, h.Breakeven)
	}
	// Breakevens keyed by efficiency: 12 J/TH breaks even at 17.5/12 times
	// the 17.5 J/TH price.
	h2, err := NextHalving(in, 12, 17.5)
	if err != nil || len(h2.Breakeven) != 2 || math.Abs(h2.Breakeven[0].NowUSDPerKWh/h2.Breakeven[1].NowUSDPerKWh-17.5/12) > 1e-12 {
		t.Errorf("by efficiency: %+v %v", h2.Breakeven, err)
	}
	if _, err := NextHalving(in, 0); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("efficiency 0 accepted: %v", err)
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
