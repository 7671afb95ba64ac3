package pool_test

import (
	"math"
	"testing"
	"testing/quick"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/pool"
	"github.com/hashlab/hashlab/security"
)

// Garwood's exact 95% limits for a Poisson mean given k events, as
// tabulated in F. Garwood, "Fiducial limits for the Poisson
// distribution", Biometrika 28 (1936) 437-442, and reproduced in
// Ulm, "A simple method to calculate the confidence interval of a
// standardized mortality ratio", Am. J. Epidemiol. 131 (1990) 373-375,
// Table 1 (four significant digits).
func TestGarwoodTable(t *testing.T) {
	for _, c := range []struct {
		k      int64
		lo, hi float64
	}{
		{0, 0, 3.689}, {1, 0.0253, 5.572}, {2, 0.2422, 7.225}, {5, 1.624, 11.67}, {10, 4.795, 18.39}, {20, 12.22, 30.89},
	} {
		lo, hi := pool.GarwoodInterval(c.k, 0.95)
		if math.Abs(lo-c.lo) > 5e-4*math.Max(1, c.lo) || math.Abs(hi-c.hi) > 5e-4*c.hi {
			t.Errorf("k=%d: [%.4f, %.4f], want [%.4f, %.4f]", c.k, lo, hi, c.lo, c.hi)
		}
	}
}

// The Poisson CDF by incomplete gamma equals the direct sum, and the
// quantile is the smallest k reaching p.
func TestPoissonCDFAndQuantile(t *testing.T) {
	for _, lambda := range []float64{0.3, 4, 37.5, 250} {
		sum, term := 0.0, math.Exp(-lambda)
		for k := int64(0); k < int64(lambda*3+20); k++ {
			if k > 0 {
				term *= lambda / float64(k)
			}
			sum += term
			if got := pool.PoissonCDF(k, lambda); math.Abs(got-sum) > 1e-12 {
				t.Fatalf("λ=%g k=%d: CDF %.15g, sum %.15g", lambda, k, got, sum)
			}
			if s := pool.PoissonSurvival(k+1, lambda); math.Abs(s-(1-sum)) > 1e-12 {
				t.Fatalf("λ=%g k=%d: survival %.15g, want %.15g", lambda, k+1, s, 1-sum)
			}
		}
		for _, p := range []float64{0.025, 0.5, 0.975} {
			q := pool.PoissonQuantile(p, lambda)
			if pool.PoissonCDF(q, lambda) < p || (q > 0 && pool.PoissonCDF(q-1, lambda) >= p) {
				t.Errorf("λ=%g p=%g: quantile %d is not the smallest k with CDF ≥ p", lambda, p, q)
			}
		}
	}
}

func TestPoissonLuck(t *testing.T) {
	l, err := pool.PoissonLuck(100, 100, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if l.Ratio != 1 || !(l.PValue > 0.9) || !(l.Lower < 1 && l.Upper > 1) || !(l.BandLower < 1 && l.BandUpper > 1) {
		t.Errorf("k = λ: %+v", l)
	}
	// 130 blocks where 100 were expected: p ≈ 0.0040 (exact two-sided).
	l, _ = pool.PoissonLuck(130, 100, 0.95)
	if !(l.PValue > 0.003 && l.PValue < 0.006) || !(l.Lower > 1) {
		t.Errorf("k = 130, λ = 100: %+v", l)
	}
	l, _ = pool.PoissonLuck(3, 0, 0.95)
	if !math.IsNaN(float64(l.Ratio)) {
		t.Errorf("λ = 0: luck %v, want NaN (null)", l.Ratio)
	}
	for _, bad := range []struct {
		k      int64
		lambda float64
		c      float64
	}{{-1, 1, 0.95}, {1, math.NaN(), 0.95}, {1, math.Inf(1), 0.95}, {1, 1, 1}, {1, 1, 0}} {
		if _, err := pool.PoissonLuck(bad.k, bad.lambda, bad.c); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// At difficulty 1 (bits 0x1d00ffff, D·2^32 = 0xffff·2^208/… ≈ 2^32
// hashes a block), 2^32/600 H/s finds 144 blocks a day; the hashvalue
// over one day equals hashprice's formula.
func TestTimelineExpectedBlocksAndHashvalue(t *testing.T) {
	day := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Unix()
	bits := consensus.Bits(0x1d00ffff)
	tl := pool.Timeline{}.Observe(day-1000, bits, 312500000)
	h := consensus.Difficulty(bits) * 4294967296 / 600
	if got := tl.ExpectedBlocks(h, day, day+86400); math.Abs(got-144) > 1e-9 {
		t.Errorf("expected blocks %.12f, want 144", got)
	}
	if got := tl.ExpectedBlocks(h, day-2000, day); !math.IsNaN(got) {
		t.Errorf("before the timeline: %v, want NaN", got)
	}
	// A retarget at noon to 4x the difficulty: 72 + 18 blocks.
	bits4 := consensus.Bits(0x1c3fffc0)
	tl2 := tl.Observe(day+43200, bits4, 312500000)
	want := 72 + 72*consensus.Difficulty(bits)/consensus.Difficulty(bits4)
	if got := tl2.ExpectedBlocks(h, day, day+86400); math.Abs(got-want) > 1e-9 {
		t.Errorf("across a retarget: %.12f, want %.12f", got, want)
	}
	// Hashvalue equals hashprice's 1e15·86400/(D·2^32)·reward.
	real := consensus.Bits(0x17021369)
	tl3 := pool.Timeline{}.Observe(day-10, real, 312500000)
	sub, fee := tl3.Hashvalue(day, day+86400, 2000000)
	want = hashprice.BlocksPerDay(1e15, consensus.Difficulty(real)) * 314500000
	if math.Abs(sub+fee-want) > 1e-9*want {
		t.Errorf("hashvalue %.6f sats/PH/day, want %.6f", sub+fee, want)
	}
	// Same bits and subsidy: no new regime; an earlier timestamp is clamped.
	if n := len(tl.Observe(day+5, bits, 312500000)); n != 1 {
		t.Errorf("%d regimes, want 1", n)
	}
	if r := tl.Observe(day-5000, bits4, 1); r[1].FromUnix != day-1000 {
		t.Errorf("clamped start %d, want %d", r[1].FromUnix, day-1000)
	}
}

// TimelineFromEpochs places a halving inside an epoch at the
// interpolated time.
func TestTimelineFromEpochsHalving(t *testing.T) {
	tl := pool.TimelineFromEpochs([]pool.EpochTimes{
		{FirstHeight: 838656, LastHeight: 840671, Bits: 0x17034219, FirstTime: 1712700000, LastTime: 1712700000 + 2015*600},
	}, nil)
	if len(tl) != 2 || tl[1].FromUnix != 1712700000+(840000-838656)*600 || tl[1].Subsidy != 312500000 || tl[0].Subsidy != 625000000 {
		t.Errorf("timeline %+v", tl)
	}
}

func TestAuditFPPS(t *testing.T) {
	day := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	bits := consensus.Bits(0x17034219)
	tl := pool.Timeline{}.Observe(day.Unix()-100, bits, 312500000)
	// 100 PH/s; fees 0.1 BTC/block; fee 2%.
	hv := hashprice.BlocksPerDay(1e15, consensus.Difficulty(bits)) * (312500000 + 10000000)
	exp := consensus.Sats(math.Round(100*hv*0.98*312500000/322500000)) + consensus.Sats(math.Round(100*hv*0.98*10000000/322500000))
	days := []pool.AccountDay{
		{Date: "2024-06-02", HashrateHs: 100e15, PayoutSats: exp - 1000, Blocks: -1},
		{Date: "2024-06-01", HashrateHs: 100e15, PayoutSats: exp, Blocks: -1},
	}
	a, err := pool.AuditAccount(pool.AuditInputs{Days: days, Scheme: pool.FPPS, PoolFee: 0.02, DefaultFeesPerBlock: 10000000, Timeline: tl, Confidence: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	if a.Days[0].Date != "2024-06-01" || a.Days[0].ExpectedSats != exp || a.Days[0].DiffSats != 0 || a.Days[1].DiffSats != -1000 || a.Days[1].CumDiffSats != -1000 || a.DiffSats != -1000 {
		t.Errorf("audit %+v", a)
	}
	if a.Luck != nil {
		t.Error("FPPS has no luck")
	}
	if _, err := pool.AuditAccount(pool.AuditInputs{Days: days, Scheme: "pps", PoolFee: 0.02, Timeline: tl, Confidence: 0.95}); err == nil {
		t.Error("scheme pps accepted")
	}
	if _, err := pool.AuditAccount(pool.AuditInputs{Days: days, Scheme: pool.FPPS, PoolFee: 1, Timeline: tl, Confidence: 0.95}); err == nil {
		t.Error("fee 1 accepted")
	}
}

func TestAuditSoloAndPPLNS(t *testing.T) {
	day := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	bits := consensus.Bits(0x17034219)
	tl := pool.Timeline{}.Observe(day.Unix()-100, bits, 312500000)
	var days []pool.AccountDay
	for i := range 10 {
		days = append(days, pool.AccountDay{Date: day.AddDate(0, 0, i).Format(time.DateOnly), HashrateHs: 50e18, Blocks: 0})
	}
	days[3].Blocks, days[3].PayoutSats = 1, 312500000
	a, err := pool.AuditAccount(pool.AuditInputs{Days: days, Scheme: pool.Solo, Timeline: tl, Confidence: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	if a.Luck == nil || a.Luck.Blocks != 1 || math.Abs(a.Luck.ExpectedBlocks-a.ExpectedBlocks) > 1e-12 || !(a.ExpectedBlocks > 50) {
		t.Fatalf("solo luck %+v", a.Luck)
	}
	p, err := pool.AuditAccount(pool.AuditInputs{Days: days, Scheme: pool.PPLNS, PoolFee: 0.01, Timeline: tl, Confidence: 0.95, PoolHashrateHs: 100e18})
	if err != nil {
		t.Fatal(err)
	}
	if p.Luck == nil || !(p.Luck.ExpectedBlocks > 2*a.ExpectedBlocks*0.99) {
		t.Errorf("pplns luck %+v", p.Luck)
	}
}

func TestByTemplate(t *testing.T) {
	shares := []security.Share{{Name: "Foundry USA", Share: 30}, {Name: "AntPool", Share: 25}, {Name: "Binance Pool", Share: 4}, {Name: "poolin", Share: 1}, {Name: "F2Pool", Share: 10}, {Name: "SECPOOL", Share: 2}, {Name: "sigmapoolcom", Share: 1}, {Name: "unknown", Share: 1}}
	merged, groups := pool.ByTemplate(shares, pool.TemplateGroups())
	got := map[string]float64{}
	for _, s := range merged {
		got[s.Name] = s.Share
	}
	if got["AntPool & friends"] != 30 || got["SECPOOL & SigmaPool"] != 3 || got["Foundry USA"] != 30 || got["F2Pool"] != 10 || got["unknown"] != 1 || len(merged) != 5 {
		t.Errorf("merged %+v", merged)
	}
	if len(groups) != 2 || groups[0].Group != "AntPool & friends" || len(groups[0].Pools) != 3 || groups[0].Source == "" {
		t.Errorf("groups %+v", groups)
	}
	r, _ := security.Concentration(merged)
	r0, _ := security.Concentration(shares)
	if !(r.HHI > r0.HHI) || r.Nakamoto50 > r0.Nakamoto50 {
		t.Errorf("by template HHI %g, Nakamoto %d; by pool %g, %d", r.HHI, r.Nakamoto50, r0.HHI, r0.Nakamoto50)
	}
}

// Garwood's interval is exact in the conservative sense: for any true
// mean μ, the probability (summed exactly over the Poisson pmf) that the
// interval of k covers μ is at least the confidence.
func TestGarwoodCoverage(t *testing.T) {
	for _, mu := range []float64{0.5, 3, 12.5, 40, 150} {
		cover, pmf := 0.0, math.Exp(-mu)
		for k := int64(0); k < int64(mu*4+40); k++ {
			if k > 0 {
				pmf *= mu / float64(k)
			}
			if lo, hi := pool.GarwoodInterval(k, 0.95); lo <= mu && mu <= hi {
				cover += pmf
			}
		}
		if cover < 0.95-1e-9 {
			t.Errorf("μ = %g: coverage %.4f < 0.95", mu, cover)
		}
	}
}

// Invariants of PoissonLuck over many (k, λ): the interval holds the
// point estimate, the band holds 1, the p-value is a probability.
func TestPoissonLuckInvariants(t *testing.T) {
	f := func(k16 uint16, l16 uint16) bool {
		k := int64(k16 % 2000)
		lambda := 0.05 + float64(l16%20000)/10
		l, err := pool.PoissonLuck(k, lambda, 0.95)
		if err != nil {
			return false
		}
		return l.Lower <= l.Ratio && l.Ratio <= l.Upper && l.BandLower <= 1 && 1 <= l.BandUpper &&
			l.PValue >= 0 && l.PValue <= 1 && (k > 0 || l.Lower == 0)
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 300}); err != nil {
		t.Error(err)
	}
}
