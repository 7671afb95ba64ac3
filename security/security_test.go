package security

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/hashlab/hashlab"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Satoshi Nakamoto, "Bitcoin: A Peer-to-Peer Electronic Cash System"
// (2008), §11 Calculations: the two printed tables of P for q=0.1 and
// q=0.3, reproduced to the 7 decimals printed.
func TestNakamotoWhitepaperTables(t *testing.T) {
	q01 := []float64{1.0000000, 0.2045873, 0.0509779, 0.0131722, 0.0034552, 0.0009137, 0.0002428, 0.0000647, 0.0000173, 0.0000046, 0.0000012}
	for z, want := range q01 {
		got, err := DoubleSpendProbability(0.1, z, Nakamoto)
		if err != nil || math.Round(got*1e7)/1e7 != want {
			t.Errorf("q=0.1 z=%d: %.7f, want %.7f", z, got, want)
		}
	}
	q03 := map[int]float64{0: 1.0000000, 5: 0.1773523, 10: 0.0416605, 15: 0.0101008, 20: 0.0024804, 25: 0.0006132,
		30: 0.0001522, 35: 0.0000379, 40: 0.0000095, 45: 0.0000024, 50: 0.0000006}
	for z, want := range q03 {
		got, _ := DoubleSpendProbability(0.3, z, Nakamoto)
		if math.Round(got*1e7)/1e7 != want {
			t.Errorf("q=0.3 z=%d: %.7f, want %.7f", z, got, want)
		}
	}
}

// Same section: "Solving for P less than 0.1%".
func TestNakamotoConfirmationsTable(t *testing.T) {
	want := map[float64]int{0.10: 5, 0.15: 8, 0.20: 11, 0.25: 15, 0.30: 24, 0.35: 41, 0.40: 89, 0.45: 340}
	for q, z := range want {
		got, err := ConfirmationsFor(q, 0.001, Nakamoto)
		if err != nil || got != z {
			t.Errorf("q=%.2f: z=%d %v, want %d", q, got, err, z)
		}
	}
}

// rosenfeld is the exact success probability computed independently as a
// finite sum over the attacker's negative-binomial progress (Rosenfeld,
// "Analysis of hashrate-based double spending", 2014, eq. 1):
// P = 1 − Σ_{k=0}^{z} C(k+z−1, k)(p^z q^k − q^z p^k).
func rosenfeld(q float64, z int) float64 {
	p := 1 - q
	sum := 0.0
	for k := 0; k <= z; k++ {
		c := math.Exp(lgamma(float64(k+z)) - lgamma(float64(k+1)) - lgamma(float64(z)))
		sum += c * (math.Pow(p, float64(z))*math.Pow(q, float64(k)) - math.Pow(q, float64(z))*math.Pow(p, float64(k)))
	}
	return 1 - sum
}

func lgamma(x float64) float64 { v, _ := math.Lgamma(x); return v }

// Grunspan & Pérez-Marco, "Double spend races" (2018), Theorem 1:
// P(z) = I_{4pq}(z, 1/2). Checked against the independent series, the
// z=1 closed form 1−sqrt(1−4pq), and Nakamoto's underestimate.
func TestExactGrunspanPerezMarco(t *testing.T) {
	for _, q := range []float64{0.05, 0.1, 0.2, 0.3, 0.4, 0.45} {
		for _, z := range []int{1, 2, 3, 6, 10, 20} {
			got, err := DoubleSpendProbability(q, z, Exact)
			if err != nil {
				t.Fatal(err)
			}
			if want := rosenfeld(q, z); !near(got, want, 1e-10) {
				t.Errorf("q=%.2f z=%d: exact %.12f, series %.12f", q, z, got, want)
			}
			// Nakamoto's Poisson shortcut underestimates the risk at the
			// depths merchants use (z >= 6, q <= 0.3).
			nak, _ := DoubleSpendProbability(q, z, Nakamoto)
			if z >= 6 && q <= 0.3 && nak >= got {
				t.Errorf("q=%.2f z=%d: Nakamoto %.6g not below exact %.6g", q, z, nak, got)
			}
		}
		p1, _ := DoubleSpendProbability(q, 1, Exact)
		if !near(p1, 1-math.Sqrt(1-4*q*(1-q)), 1e-12) {
			t.Errorf("q=%.2f z=1: %v", q, p1)
		}
	}
	if p, _ := DoubleSpendProbability(0.6, 100, Exact); p != 1 {
		t.Error("majority attacker must always succeed")
	}
}

func TestDoubleSpendValidation(t *testing.T) {
	for _, c := range []struct {
		q float64
		z int
	}{{-0.1, 1}, {1, 1}, {0.1, -1}, {math.NaN(), 1}} {
		if _, err := DoubleSpendProbability(c.q, c.z, Exact); !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if _, err := ConfirmationsFor(0.5, 0.001, Exact); !errors.Is(err, hashlab.ErrInput) {
		t.Error("q=0.5 accepted")
	}
	if _, err := ConfirmationsFor(0.1, 0, Exact); !errors.Is(err, hashlab.ErrInput) {
		t.Error("risk=0 accepted")
	}
	if _, err := ParseMethod("bayes"); err == nil {
		t.Error("bad method accepted")
	}
}

func TestRiskOverTime(t *testing.T) {
	// A fixed 100 EH/s attacker as honest hashrate falls from 900 to 400.
	shares := []float64{AttackerShare(100, 900), AttackerShare(100, 600), AttackerShare(100, 400)}
	r, err := RiskOverTime(shares, 6, Exact)
	if err != nil || !(r[0] < r[1] && r[1] < r[2]) {
		t.Fatalf("%v %v", r, err)
	}
}

func TestConcentration(t *testing.T) {
	r, err := Concentration([]Share{{"a", 30}, {"b", 20}, {"c", 20}, {"d", 15}, {"e", 15}})
	if err != nil {
		t.Fatal(err)
	}
	// HHI = .09+.04+.04+.0225+.0225 = .215; top 2 = .5 (not > .5), top 3 = .7.
	if !near(r.HHI, 0.215, 1e-12) || r.HHI10000 != 2150 || r.Nakamoto50 != 3 || r.Nakamoto33 != 2 {
		t.Fatalf("%+v", r)
	}
	if _, err := Concentration([]Share{{"x", -1}}); !errors.Is(err, hashlab.ErrInput) {
		t.Fatal("negative share accepted")
	}
}

// Brute force over all 2^n outcomes for small n.
func TestProbRunInWindow(t *testing.T) {
	for _, c := range []struct {
		q    float64
		k, n int
	}{{0.3, 2, 5}, {0.5, 3, 10}, {0.25, 1, 4}, {0.4, 4, 12}} {
		want := 0.0
		for m := 0; m < 1<<c.n; m++ {
			run, best, ones := 0, 0, 0
			for i := 0; i < c.n; i++ {
				if m>>i&1 == 1 {
					run++
					ones++
					best = max(best, run)
				} else {
					run = 0
				}
			}
			if best >= c.k {
				want += math.Pow(c.q, float64(ones)) * math.Pow(1-c.q, float64(c.n-ones))
			}
		}
		got, err := ProbRunInWindow(c.q, c.k, c.n)
		if err != nil || !near(got, want, 1e-12) {
			t.Errorf("%+v: %v, brute force %v", c, got, want)
		}
	}
}

func TestProbMajorityAndCensorship(t *testing.T) {
	// n=1: P(more than half of 1 block) = s.
	if p, _ := ProbMajorityOfBlocks(0.3, 1, 0.5); !near(p, 0.3, 1e-12) {
		t.Fatal(p)
	}
	// n=3, s=.5: P(>=2 of 3) = 0.5.
	if p, _ := ProbMajorityOfBlocks(0.5, 3, 0.5); !near(p, 0.5, 1e-12) {
		t.Fatal(p)
	}
	d, err := CensoredDelay(0.5, 600)
	if err != nil || d.MeanSec != 1200 || !near(d.P50Sec, 1200*math.Ln2, 1e-9) || d.ExpectedBlocks != 2 {
		t.Fatalf("%+v %v", d, err)
	}
}

func TestAttackCostByHand(t *testing.T) {
	in := DefaultAttackInputs(1000e18, 35)
	in.ExodusFraction = 0.2
	in.TargetShare = 0.6
	in.RentDepthHs = 10e18
	// z = 0: the attacker needs one block more than the honest chain, a
	// ±1 walk with up-probability 0.6 from 0 to +1: 1/(2q−1) = 5 blocks
	// in expectation (Feller), at a total rate of 1/(600·(1−q)) = 1/240
	// per second: 1,200 s = 1/3 h.
	c0, err := AttackCostFor(in, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !near(c0.DurationHours, 1.0/3, 1e-12) || c0.Duration.PSuccess != 1 {
		t.Fatalf("z=0 duration %v h, P %v", c0.DurationHours, c0.Duration.PSuccess)
	}
	c, err := AttackCostFor(in, 6)
	if err != nil {
		t.Fatal(err)
	}
	// H = 800 EH/s; A = 800·0.6/0.4 = 1,200 EH/s.
	if !near(c.HonestHs, 800e18, 1) || !near(c.AttackerHs/1200e18, 1, 1e-12) {
		t.Fatalf("%+v", c)
	}
	// The attack lasts at least the merchant's 6 confirmations (1 h).
	if c.DurationHours < c.Duration.HonestConfirmationHours || c.Duration.HonestConfirmationHours != 1 {
		t.Fatalf("duration %v h, confirmations %v h", c.DurationHours, c.Duration.HonestConfirmationHours)
	}
	buy := c.Sources[0]
	th := 1200e6 // TH/s
	if !near(buy.CapexUSD, th*15, 1e3) || !near(buy.PowerPerHourUSD, th*17.5/1000*0.05, 1) {
		t.Fatalf("buy %+v", buy)
	}
	if !near(buy.AttackUSD, buy.PowerPerHourUSD*c.DurationHours+buy.CapexUSD*0.7, 1e-3) {
		t.Fatalf("buy attack %+v", buy)
	}
	if c.Sources[1].Feasible || !near(c.Sources[1].ShortfallHs/1190e18, 1, 1e-12) {
		t.Fatalf("rent %+v", c.Sources[1])
	}
	// Idle: 1000×0.2×0.5 = 100 EH/s available < 1,200 needed.
	if c.Sources[2].Feasible || c.CheapestSource != "buy-new" || c.MaxSafeValueUSD == nil || *c.MaxSafeValueUSD != c.CheapestUSD {
		t.Fatalf("%+v", c)
	}
	// A bigger exodus with every idle machine for sale makes the attack
	// cheaper and idle machines feasible: H = 300, A = 450 <= 700 EH/s.
	in.ExodusFraction, in.IdleAvailableFraction = 0.7, 1
	c2, _ := AttackCostFor(in, 6)
	if !(c2.CheapestUSD < c.CheapestUSD) || !c2.Sources[2].Feasible || c2.CheapestSource != "idle-machines" {
		t.Fatalf("%+v", c2)
	}
	for _, bad := range []float64{1.5, 0.5} {
		in.TargetShare = bad
		if _, err := AttackCostFor(in, 6); !errors.Is(err, hashlab.ErrInput) {
			t.Fatalf("share %v accepted", bad)
		}
	}
}

// Issue 15's must-show: at share 0.75 and z = 6 the mean duration is at
// least the time of the z honest confirmations, and at 0.51 and 0.75 it
// agrees with an independent Monte Carlo race within 3% (race_test.go's
// raceMC, 200,000 races).
func TestAttackDurationFromTheRace(t *testing.T) {
	for _, s := range []float64{0.51, 0.75} {
		in := DefaultAttackInputs(1000e18, 35)
		in.TargetShare = s
		in.DurationQuantiles = true
		c, err := AttackCostFor(in, 6)
		if err != nil {
			t.Fatal(err)
		}
		if c.DurationHours < 1 {
			t.Fatalf("share %v: %v h is shorter than six confirmations", s, c.DurationHours)
		}
		d, fails := raceMC(s, 6, 600, 200_000, 3, 1e12)
		if fails != 0 {
			t.Fatal("Monte Carlo race did not end")
		}
		mc := meanOf(d) / 3600
		if math.Abs(c.DurationHours-mc)/mc > 0.03 {
			t.Errorf("share %v: %.3f h, Monte Carlo %.3f h", s, c.DurationHours, mc)
		}
		if c.Duration.P50Hours == nil || c.Duration.PSuccessWithinBudget == nil || *c.Duration.PSuccessWithinBudget <= 0 || *c.Duration.PSuccessWithinBudget > 1 {
			t.Fatalf("share %v: %+v", s, c.Duration)
		}
	}
}

func ExampleDoubleSpendProbability() {
	for _, m := range []Method{Nakamoto, Exact} {
		p, _ := DoubleSpendProbability(0.1, 6, m)
		fmt.Printf("%s: %.7f\n", m, p)
	}
	// Output:
	// nakamoto: 0.0002428
	// exact: 0.0005914
}

func BenchmarkDoubleSpendExact(b *testing.B) {
	for b.Loop() {
		DoubleSpendProbability(0.3, 24, Exact)
	}
}
