package secreport

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/sim"
)

// Along the China 2021 replay (hashrate falls to about half), a fixed
// attacker's share rises, the double-spend risk and the confirmations it
// needs rise, and a majority attack gets cheaper — each series checked
// against the functions it wraps at the path's own hashrate.
func TestProbesAlongChinaReplay(t *testing.T) {
	sc, err := sim.LoadShipped("china-2021-replay")
	if err != nil {
		t.Fatal(err)
	}
	h0, _ := sc.StartHashrateHs()
	cfg := DefaultConfig(h0)
	cfg.Every = 1
	probes, err := Probes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.Run(context.Background(), sc, sim.Options{Paths: 20, Seed: 1, Probes: probes})
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string, d int) float64 {
		s := r.Series(name)
		if s == nil {
			t.Fatalf("series %s missing", name)
		}
		return float64(s.P50[d])
	}
	// Day 13 has the lowest hashrate factor of the replay (0.493).
	const low = 13
	hs0, hsLow := get("hashrate_hs", 0), get("hashrate_hs", low)
	A := h0 * 0.1 / 0.9
	for _, d := range []int{0, low} {
		hs := get("hashrate_hs", d)
		q := A / (A + hs)
		if got := get("attacker_share", d); math.Abs(got-q) > 0.001 {
			t.Errorf("day %d: attacker share %.4f, want %.4f", d, got, q)
		}
		p, _ := security.DoubleSpendProbability(q, 6, security.Exact)
		if got := get("double_spend_probability", d); math.Abs(got/p-1) > 0.02 {
			t.Errorf("day %d: P(double spend) %.4g, want %.4g", d, got, p)
		}
		z, _ := security.ConfirmationsFor(q, 0.001, security.Exact)
		if got := get("confirmations_needed", d); got != float64(z) {
			t.Errorf("day %d: confirmations %v, want %d", d, got, z)
		}
	}
	if !(hsLow < 0.6*hs0) {
		t.Fatalf("replay hashrate %.3g -> %.3g", hs0, hsLow)
	}
	if !(get("attack_cost_usd", low) < 0.7*get("attack_cost_usd", 0)) {
		t.Errorf("attack cost did not fall with hashrate: %.3g -> %.3g", get("attack_cost_usd", 0), get("attack_cost_usd", low))
	}
	if !(get("confirmations_needed", low) > get("confirmations_needed", 0)) {
		t.Errorf("confirmations needed did not rise")
	}
	// The optimal strategy's threshold at γ = 0 is 0.3294 (Sapirshtein,
	// Sompolinsky & Zohar 2016), below SM1's 1/3.
	alpha := 0.3294
	if got, want := get("selfish_threshold_hs", 0), hs0*alpha/(1-alpha); math.Abs(got/want-1) > 0.02 {
		t.Errorf("selfish threshold %.4g, want %.4g", got, want)
	}
	sm1, _ := security.SM1Threshold(0)
	if got := get("selfish_threshold_hs", 0); !(got < hs0*sm1/(1-sm1)) {
		t.Errorf("selfish threshold %.4g not below SM1's %.4g", got, hs0*sm1/(1-sm1))
	}
}

// The optimal threshold is solved once per report, under the caller's
// context: a cancelled context stops it with the context's error.
func TestProbesCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ProbesContext(ctx, DefaultConfig(1e21)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	probes, err := ProbesContext(context.Background(), DefaultConfig(1e21))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probes {
		if p.Name == "selfish_threshold_hs" {
			got := p.Fn(&sim.Day{HashrateHs: 1e21})
			if want := 1e21 * 0.3294 / (1 - 0.3294); math.Abs(got/want-1) > 1e-3 {
				t.Errorf("selfish threshold %.6g, want %.6g", got, want)
			}
		}
	}
}

// With the default population the cartel and censorship series use the
// pools' shares.
func TestProbesPoolSeries(t *testing.T) {
	sc, _ := sim.LoadShipped("baseline")
	h0, _ := sc.StartHashrateHs()
	probes, err := Probes(DefaultConfig(h0))
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.Run(context.Background(), sc, sim.Options{Paths: 4, Seed: 1, Years: 0.1, Probes: probes})
	if err != nil {
		t.Fatal(err)
	}
	// Day 0: Foundry 30.5% + AntPool 18.4% of hashrate (the default
	// population's calibration).
	top2 := float64(r.Series("top2_pool_majority_probability").P50[0])
	if !(top2 > 0.2 && top2 < 0.5) {
		t.Errorf("P(top 2 pools > 50%% of a day) = %.3f", top2)
	}
	wait := float64(r.Series("censorship_delay_p95_s").P50[0])
	want, _ := security.CensoredDelay(0.3047, 600)
	if math.Abs(wait/want.P95Sec-1) > 0.05 {
		t.Errorf("censorship p95 %.0f s, want about %.0f", wait, want.P95Sec)
	}
}

func TestConfigValidated(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.AttackerShare = 0.6 }, "attacker_share"},
		{func(c *Config) { c.Z = -1 }, "z"},
		{func(c *Config) { c.Risk = 0 }, "risk"},
		{func(c *Config) { c.Every = 0 }, "every"},
		{func(c *Config) { c.StartHashrateHs = 0 }, "start_hashrate_hs"},
		{func(c *Config) { c.AttackerShare = 0.49999 + 0.000009 }, ""}, // just below 0.5: accepted
		{func(c *Config) { c.AttackerShare = 0.5 }, "attacker_share"},
		{func(c *Config) { c.Gamma = math.NaN() }, "gamma"},
		{func(c *Config) { c.Z = security.MaxConfirmations + 1 }, "z"},
	} {
		cfg := DefaultConfig(1e21)
		c.mod(&cfg)
		_, err := Probes(cfg)
		if c.want == "" {
			if err != nil {
				t.Errorf("accepted config refused: %v", err)
			}
			continue
		}
		if ie, ok := hashlab.AsInput(err); !ok || ie.Field != c.want {
			t.Errorf("%s: %v", c.want, err)
		}
	}
}
