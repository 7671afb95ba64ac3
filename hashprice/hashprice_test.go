package hashprice

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
)

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Abs(b) }

// Issue #3's reference: D = 152.27T, height 925,000 (subsidy 3.125 BTC),
// fees 0.02 BTC per block, price $86,000 → hashprice =
// 1e15·86400/(D·2^32)·(subsidy+fees)·price ≈ $35.7/PH/day.
func TestComputeReference(t *testing.T) {
	r, err := Compute(Inputs{Difficulty: 152270000000000, Height: 925000, FeesPerBlock: 2_000_000, PriceUSD: 86000})
	if err != nil {
		t.Fatal(err)
	}
	want := 1e15 * 86400 / (152270000000000 * 4294967296.0) * 3.145 * 86000
	if !near(r.USDPerPHDay, want, 1e-12) || math.Round(r.USDPerPHDay*10)/10 != 35.7 {
		t.Fatalf("hashprice %.6f, want %.6f (≈35.7)", r.USDPerPHDay, want)
	}
	if !near(r.BTCPerPHDay*86000, r.USDPerPHDay, 1e-12) || !near(r.SatsPerPHDay, r.BTCPerPHDay*1e8, 1e-12) {
		t.Fatal("btc/usd/sats inconsistent")
	}
	// Implied hashrate: D·2^32/600 ≈ 1.09 ZH/s.
	if !near(r.NetworkHashrateHs, 152270000000000*4294967296.0/600, 1e-12) {
		t.Fatalf("hashrate %g", r.NetworkHashrateHs)
	}
	if r.SubsidySats != 312_500_000 || !near(r.FeeShare, 0.02/3.145, 1e-12) {
		t.Fatalf("subsidy %d fee share %g", r.SubsidySats, r.FeeShare)
	}
	// 144 blocks/day × 3.145 BTC × $86,000.
	if !near(r.SecurityBudgetUSDPerDay, 144*3.145*86000, 1e-12) {
		t.Fatalf("budget %g", r.SecurityBudgetUSDPerDay)
	}
	// Breakeven at 17.5 J/TH ≈ $0.085/kWh (issue #3).
	be := BreakevenUSDPerKWh(r.USDPerPHDay, 17.5)
	if math.Round(be*1000)/1000 != 0.085 {
		t.Fatalf("breakeven %.5f", be)
	}
	if !near(BreakevenUSDPerPHDay(be, 17.5), r.USDPerPHDay, 1e-12) {
		t.Fatal("breakeven inverse")
	}
}

func TestComputeValidation(t *testing.T) {
	bad := []Inputs{
		{Difficulty: 0, Height: 1},
		{Difficulty: math.Inf(1)},
		{Difficulty: 1, Height: -1},
		{Difficulty: 1, FeesPerBlock: -1},
		{Difficulty: 1, PriceUSD: -5},
		{Difficulty: 1, PriceUSD: math.NaN()},
	}
	for _, in := range bad {
		if _, err := Compute(in); !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("%+v: err %v", in, err)
		}
	}
}

func TestHalvingHalvesSubsidyPart(t *testing.T) {
	before, _ := Compute(Inputs{Difficulty: 1e14, Height: 1_049_999, PriceUSD: 1})
	after, _ := Compute(Inputs{Difficulty: 1e14, Height: 1_050_000, PriceUSD: 1})
	if !near(after.USDPerPHDay, before.USDPerPHDay/2, 1e-12) {
		t.Fatalf("%g vs %g", after.USDPerPHDay, before.USDPerPHDay)
	}
}

func TestEstimateHashrate(t *testing.T) {
	// 144 blocks at difficulty D in exactly one day: the estimate equals
	// the implied hashrate, and the 95% interval is the Gamma one.
	d := 1e14
	work := 144 * d * 4294967296.0
	e, err := EstimateHashrate(work, 144, 86400, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if !near(e.HashrateHs, ImpliedHashrateHs(d, 600), 1e-12) {
		t.Fatalf("point %g", e.HashrateHs)
	}
	// Gamma(144,1) 2.5% and 97.5% quantiles / 144, computed independently
	// with the Wilson-Hilferty approximation (accurate to ~1e-3 here).
	wh := func(z float64) float64 {
		k := 144.0
		return math.Pow(1-1/(9*k)+z/(3*math.Sqrt(k)), 3)
	}
	if !near(e.LowerHs/e.HashrateHs, wh(-1.959964), 2e-3) || !near(e.UpperHs/e.HashrateHs, wh(1.959964), 2e-3) {
		t.Fatalf("interval %g %g", e.LowerHs/e.HashrateHs, e.UpperHs/e.HashrateHs)
	}
	if _, err := EstimateHashrate(work, 0, 86400, 0.95); err == nil {
		t.Fatal("zero blocks accepted")
	}
}

func TestProjectRetarget(t *testing.T) {
	// Half an epoch in, blocks 10% faster than target: the expected
	// timespan is 2015 intervals × 540 s (Core measures 2015 intervals), so
	// the change is 1209600/(2015·540) - 1 = +11.17%; the interval
	// straddles it, and the date is about 1008 blocks × 540 s away.
	p, err := ProjectRetarget(RetargetInputs{EpochStartHeight: 2016 * 100, EpochFirstTimeUnix: 1_000_000, TipHeight: 2016*100 + 1008, TipTimeUnix: 1_000_000 + 1008*540, Confidence: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if !near(p.ExpectedChange, 1209600.0/(2015*540)-1, 1e-12) {
		t.Fatalf("expected %g", p.ExpectedChange)
	}
	if !(p.LowChange < p.ExpectedChange && p.ExpectedChange < p.HighChange) {
		t.Fatalf("interval %g %g %g", p.LowChange, p.ExpectedChange, p.HighChange)
	}
	if p.BlocksRemaining != 1008 || p.RetargetHeight != 2016*101 {
		t.Fatalf("%+v", p)
	}
	wantDate := int64(1_000_000 + 2016*540)
	if d := p.ExpectedRetargetUnix - wantDate; d < -600 || d > 600 {
		t.Fatalf("date off by %d s", d)
	}
	if !(p.EarliestUnix < p.ExpectedRetargetUnix && p.ExpectedRetargetUnix < p.LatestUnix) {
		t.Fatalf("date interval %+v", p)
	}
	// Real epoch 341 (July 2021), projected from its last block: the whole
	// timespan is known and the projection equals the consensus result.
	p, _ = ProjectRetarget(RetargetInputs{EpochStartHeight: 687456, EpochFirstTimeUnix: 1623614836, TipHeight: 689471, TipTimeUnix: 1625293501, Confidence: 0.95})
	exact := consensus.Difficulty(0x171398ce)/consensus.Difficulty(0x170e1ef9) - 1
	if !near(p.ExpectedChange, exact, 1e-5) || p.LowChange != p.HighChange {
		t.Fatalf("epoch 341 projection %g vs %g (%+v)", p.ExpectedChange, exact, p)
	}
	if _, err := ProjectRetarget(RetargetInputs{TipHeight: 5000, Confidence: 0.9}); err == nil {
		t.Fatal("tip outside epoch accepted")
	}
}

// The projection's interval covers the realised change at its nominal rate
// when blocks really are Poisson (a deterministic pseudo-random check).
func TestProjectRetargetCoverage(t *testing.T) {
	seed := uint64(42)
	expo := func() float64 {
		seed = seed*6364136223846793005 + 1442695040888963407
		u := (float64(seed>>11) + 0.5) / (1 << 53)
		return -600 * math.Log(u)
	}
	const trials = 300
	inside := 0
	for range trials {
		times := make([]float64, 2016)
		for i := 1; i < 2016; i++ {
			times[i] = times[i-1] + expo()
		}
		tip := int64(500)
		p, err := ProjectRetarget(RetargetInputs{TipHeight: tip, TipTimeUnix: int64(times[tip]), Confidence: 0.9, Params: consensus.MainNet})
		if err != nil {
			t.Fatal(err)
		}
		real := 1209600/min(max(times[2015], 302400), 4838400) - 1
		if real >= p.LowChange-1e-9 && real <= p.HighChange+1e-9 {
			inside++
		}
	}
	// 90% nominal: with 300 trials, a binomial 99.9% band is about ±0.055.
	if frac := float64(inside) / trials; frac < 0.845 || frac > 0.955 {
		t.Fatalf("coverage %.3f, want ≈0.90", frac)
	}
}

func ExampleCompute() {
	r, _ := Compute(Inputs{Difficulty: 152270000000000, Height: 925000, FeesPerBlock: 2_000_000, PriceUSD: 86000})
	fmt.Printf("%.2f USD/PH/day, %.8f BTC/PH/day, breakeven at 17.5 J/TH: $%.4f/kWh\n",
		r.USDPerPHDay, r.BTCPerPHDay, BreakevenUSDPerKWh(r.USDPerPHDay, 17.5))
	// Output: 35.73 USD/PH/day, 0.00041549 BTC/PH/day, breakeven at 17.5 J/TH: $0.0851/kWh
}

func BenchmarkCompute(b *testing.B) {
	in := Inputs{Difficulty: 152270000000000, Height: 925000, FeesPerBlock: 2_000_000, PriceUSD: 86000}
	for b.Loop() {
		if _, err := Compute(in); err != nil {
			b.Fatal(err)
		}
	}
}

// The formulas other packages call instead of retyping them: hashprice
// itself, the work of a block, the implied hashrate, the target blocks per
// day and the halving timing, all from the network's params.
func TestSharedFormulas(t *testing.T) {
	d := 152_270_000_000_000.0
	if HashesPerBlock(d) != d*4294967296 || !near(ImpliedHashrateHs(d, 600), d*4294967296/600, 1e-15) {
		t.Fatal("work per block / implied hashrate")
	}
	r, _ := Compute(Inputs{Difficulty: d, Height: 925_000, FeesPerBlock: 2_000_000, PriceUSD: 86_000})
	if !near(USDPerPHDay(d, 3.145, 86_000), r.USDPerPHDay, 1e-15) {
		t.Fatalf("USDPerPHDay %v vs Compute %v", USDPerPHDay(d, 3.145, 86_000), r.USDPerPHDay)
	}
	if TargetBlocksPerDay(nil) != 144 || TargetBlocksPerDay(consensus.MainNet) != 144 {
		t.Fatal("blocks per day")
	}
	// 210,000 blocks of 600 s = 3.993 years of 365.25 days; from 925,000
	// the 125,000 blocks to 1,050,000 take 2.377 years.
	if !near(HalvingIntervalYears(consensus.MainNet), 210_000*600/(365.25*86400), 1e-15) || !near(YearsToNextHalving(925_000, nil), 125_000*600/(365.25*86400), 1e-15) {
		t.Fatalf("halving years %v %v", HalvingIntervalYears(nil), YearsToNextHalving(925_000, nil))
	}
}
