package security

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// raceMC is an independent Monte Carlo of the race in RaceConvention:
// honest and attacker blocks as two Poisson processes (honest rate
// 1/spacing, attacker rate q/(1−q)/spacing), success at the first block
// after which honest ≥ z and attacker > honest. It gives up after
// maxSec, or for a minority attacker 60 blocks behind (counted as
// failure).
func raceMC(q float64, z int, spacing float64, n int, seed uint64, maxSec float64) (durations []float64, fails int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	lh := 1 / spacing
	la := q / (1 - q) / spacing
	for i := 0; i < n; i++ {
		t, h, a := 0.0, 0, 0
		nextH := rng.ExpFloat64() / lh
		nextA := rng.ExpFloat64() / la
		ok := false
		for t < maxSec {
			if nextH < nextA {
				t = nextH
				h++
				nextH = t + rng.ExpFloat64()/lh
			} else {
				t = nextA
				a++
				nextA = t + rng.ExpFloat64()/la
			}
			if h >= z && a > h {
				ok = true
				break
			}
			if q < 0.5 && h-a > 60 {
				break // (q/p)^60 < 1e-21 at q = 0.3: the attacker never catches up
			}
		}
		if ok {
			durations = append(durations, t)
		} else {
			fails++
		}
	}
	return durations, fails
}

func meanOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// The race's exact mean and quantiles agree with an independent Monte
// Carlo race (200,000 races each; the mean's standard error is well under
// 1%, so 3% is a 4-sigma-plus band).
func TestAttackRaceAgreesWithMonteCarlo(t *testing.T) {
	for _, c := range []struct {
		q float64
		z int
	}{{0.51, 6}, {0.75, 6}, {0.6, 1}, {0.55, 0}} {
		r, err := AttackRace(c.q, c.z, 600)
		if err != nil {
			t.Fatal(err)
		}
		r.Distribution()
		d, fails := raceMC(c.q, c.z, 600, 200_000, 42, 1e12)
		if fails != 0 {
			t.Fatalf("q=%v z=%d: %d Monte Carlo races never ended", c.q, c.z, fails)
		}
		mc := meanOf(d)
		if rel := math.Abs(r.MeanSeconds-mc) / mc; rel > 0.03 {
			t.Errorf("q=%v z=%d: exact mean %.0f s, Monte Carlo %.0f s (%.2f%% apart)", c.q, c.z, r.MeanSeconds, mc, 100*rel)
		}
		if r.PSuccess != 1 && math.Abs(r.PSuccess-1) > 1e-9 {
			t.Errorf("q=%v: P(success) %v, want 1 for a majority", c.q, r.PSuccess)
		}
		sort.Float64s(d)
		for _, qq := range []struct {
			f   float64
			got *float64
		}{{0.5, r.P50Seconds}, {0.9, r.P90Seconds}} {
			if qq.got == nil {
				t.Fatalf("q=%v z=%d: quantile %v missing", c.q, c.z, qq.f)
			}
			mcq := d[int(qq.f*float64(len(d)))]
			if rel := math.Abs(*qq.got-mcq) / mcq; rel > 0.03 {
				t.Errorf("q=%v z=%d: p%.0f exact %.0f s, Monte Carlo %.0f s", c.q, c.z, 100*qq.f, *qq.got, mcq)
			}
		}
		// The attack cannot end before the merchant's z confirmations.
		if r.MeanSeconds < r.HonestConfirmationSeconds {
			t.Errorf("q=%v z=%d: mean %.0f s shorter than z confirmations %.0f s", c.q, c.z, r.MeanSeconds, r.HonestConfirmationSeconds)
		}
		t.Logf("q=%.2f z=%d: mean %.2f h (Monte Carlo %.2f h), p50 %.2f h, p90 %.2f h", c.q, c.z, r.MeanSeconds/3600, mc/3600, *r.P50Seconds/3600, *r.P90Seconds/3600)
	}
}

// For a minority attacker, P(success) is the negative-binomial catch-up
// formula with "strictly longer": Σ_k C(z+k−1,k) p^z q^k · min(1,(q/p)^(z+1−k)),
// checked against the Monte Carlo and, at z = 0, against the gambler's-ruin
// closed form (q/p)^1 (Feller vol. I, XIV.2).
func TestAttackRaceMinority(t *testing.T) {
	r, err := AttackRace(0.3, 0, 600)
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.3 / 0.7; math.Abs(r.PSuccess-want) > 1e-12 {
		t.Fatalf("z=0: P %v want %v", r.PSuccess, want)
	}
	// Given success, the walk behaves like one with the probabilities
	// swapped: mean hitting time of +1 is 1/(p−q) blocks.
	if want := 1 / 0.4; math.Abs(r.MeanBlocks-want) > 1e-9 {
		t.Fatalf("z=0: mean blocks %v want %v", r.MeanBlocks, want)
	}
	r, _ = AttackRace(0.3, 3, 600)
	d, fails := raceMC(0.3, 3, 600, 200_000, 9, 600*2000)
	mcP := float64(len(d)) / float64(len(d)+fails)
	if math.Abs(r.PSuccess-mcP) > 4*math.Sqrt(mcP*(1-mcP)/200_000) {
		t.Errorf("z=3: P %v, Monte Carlo %v", r.PSuccess, mcP)
	}
	if mc := meanOf(d); math.Abs(r.MeanSeconds-mc)/mc > 0.03 {
		t.Errorf("z=3: mean %v s, Monte Carlo %v s", r.MeanSeconds, mc)
	}
	// Within a budget: monotone, below P(success), near it for a long budget.
	p1, p2 := r.PSuccessWithin(3600), r.PSuccessWithin(100*86400)
	if !(p1 < p2 && p2 <= r.PSuccess+1e-12 && r.PSuccess-p2 < 1e-6) {
		t.Errorf("budget: %v %v %v", p1, p2, r.PSuccess)
	}
}

func TestAttackRaceBounds(t *testing.T) {
	for _, c := range []struct {
		q float64
		z int
	}{{0, 1}, {1, 1}, {0.5, 6}, {math.NaN(), 1}, {0.6, -1}, {0.6, 1001}} {
		if _, err := AttackRace(c.q, c.z, 600); err == nil {
			t.Errorf("q=%v z=%d accepted", c.q, c.z)
		}
	}
}

func BenchmarkAttackRace(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r, err := AttackRace(0.51, 6, 600)
		if err != nil {
			b.Fatal(err)
		}
		r.Distribution()
	}
}
