package main

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/sim"
)

// hedgeJSON is the part of `hedge --json` the tests read.
type hedgeJSON struct {
	Scenario                     string   `json:"scenario"`
	Paths                        int      `json:"paths"`
	TermDays                     int      `json:"term_days"`
	FairForwardUSDPerPHDay       float64  `json:"fair_forward_usd_per_ph_day"`
	FairForwardStdErrUSDPerPHDay float64  `json:"fair_forward_stderr_usd_per_ph_day"`
	StrikeUSDPerPHDay            float64  `json:"strike_usd_per_ph_day"`
	CostUSDPerPHDay              float64  `json:"cost_usd_per_ph_day"`
	MinVarianceHedgeRatio        *float64 `json:"min_variance_hedge_ratio"`
	HedgeRatio                   float64  `json:"hedge_ratio"`
	UnhedgedSD                   float64  `json:"unhedged_margin_stddev_usd_per_ph_day"`
	HedgedSD                     float64  `json:"hedged_margin_stddev_usd_per_ph_day"`
	BTC                          struct {
		FairForwardBTCPerPHDay float64 `json:"fair_forward_btc_per_ph_day"`
	} `json:"btc"`
}

func runHedgeJSON(t *testing.T, args ...string) hedgeJSON {
	t.Helper()
	code, out, stderr := fndRun(t, append([]string{"hedge", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("hedge --json %v: exit %d: %s", args, code, stderr)
	}
	checkJSON(t, "hedge", out)
	var r hedgeJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("hedge --json: %v\n%s", err, out)
	}
	return r
}

// The must-show: on the baseline scenario the fair forward equals
// the mean simulated realised hashprice over the term within its Monte
// Carlo error. The mean is computed here independently, from the
// simulator's PathSink over a longer horizon (one year), averaging days
// 0..182 of hashprice_usd_per_ph_day: the 6-month term's 183 days.
func TestHedgeFairForwardIsSimulatedMean(t *testing.T) {
	const paths, seed, termDays = 200, 3, 183
	r := runHedgeJSON(t, "baseline", "--paths", "200", "--seed", "3", "--term-months", "6")
	if r.TermDays != termDays || r.Paths != paths || r.Scenario != "baseline" {
		t.Fatalf("term_days %d, paths %d, scenario %q; want %d, %d, baseline", r.TermDays, r.Paths, r.Scenario, termDays, paths)
	}
	sc, err := sim.LoadShipped("baseline")
	if err != nil {
		t.Fatal(err)
	}
	sum, n := 0.0, 0
	_, err = sim.Run(context.Background(), sc, sim.Options{Paths: paths, Seed: seed, Years: 1, PathSink: func(_ int, names []string, vals []float64) {
		col := -1
		for i, name := range names {
			if name == "hashprice_usd_per_ph_day" {
				col = i
			}
		}
		s := 0.0
		for d := 0; d < termDays; d++ {
			s += vals[d*len(names)+col]
		}
		sum += s / termDays
		n++
	}})
	if err != nil {
		t.Fatal(err)
	}
	mean := sum / float64(n)
	se := r.FairForwardStdErrUSDPerPHDay
	t.Logf("fair forward %.6f, simulated mean %.6f, difference %.2e, Monte Carlo s.e. %.4f USD/PH/day", r.FairForwardUSDPerPHDay, mean, r.FairForwardUSDPerPHDay-mean, se)
	if n != paths || !(se > 0) {
		t.Fatalf("%d paths, s.e. %v", n, se)
	}
	if !(math.Abs(r.FairForwardUSDPerPHDay-mean) <= se) {
		t.Errorf("fair forward %v differs from the simulated mean %v by more than its s.e. %v", r.FairForwardUSDPerPHDay, mean, se)
	}
	// Stricter: path i draws from (seed, i) only and a longer horizon only
	// extends it, so the two means are of the same numbers; a shift of the
	// term by one day would show here long before it leaves the s.e.
	if math.Abs(r.FairForwardUSDPerPHDay-mean) > 1e-9*mean {
		t.Errorf("fair forward %v, simulated mean of days 0..%d %v: not the same days", r.FairForwardUSDPerPHDay, termDays-1, mean)
	}
	if r.StrikeUSDPerPHDay != r.FairForwardUSDPerPHDay {
		t.Errorf("default strike %v, want the fair forward %v", r.StrikeUSDPerPHDay, r.FairForwardUSDPerPHDay)
	}
}

// --json on the defaults' shapes: the cost from --power-price and
// --efficiency, the minimum-variance ratio 1 without curtailment (the
// margin is R − C), a hedged margin that does not vary, and the BTC forward.
func TestHedgeJSON(t *testing.T) {
	r := runHedgeJSON(t, "--paths", "40", "--power-price", "0.05", "--efficiency", "20")
	if math.Abs(r.CostUSDPerPHDay-24) > 1e-9 {
		t.Errorf("cost %v, want 20 J/TH × 24 × 0.05 = 24 USD/PH/day", r.CostUSDPerPHDay)
	}
	if r.MinVarianceHedgeRatio == nil || math.Abs(*r.MinVarianceHedgeRatio-1) > 1e-9 || math.Abs(r.HedgeRatio-1) > 1e-9 {
		t.Errorf("h* %v, h %v; want 1 and 1", r.MinVarianceHedgeRatio, r.HedgeRatio)
	}
	if !(r.UnhedgedSD > 0) || !(r.HedgedSD < 1e-9*r.UnhedgedSD) {
		t.Errorf("sd unhedged %v, hedged %v; want > 0 and ≈ 0", r.UnhedgedSD, r.HedgedSD)
	}
	if !(r.BTC.FairForwardBTCPerPHDay > 1e-5 && r.BTC.FairForwardBTCPerPHDay < 1e-2) {
		t.Errorf("BTC forward %v BTC/PH/day, want a hashvalue", r.BTC.FairForwardBTCPerPHDay)
	}
	// Given flags are used as given; curtailment makes h* < 1.
	c := runHedgeJSON(t, "--paths", "40", "--cost", "45", "--curtail", "--strike", "41", "--hedge-ratio", "0.3", "--term-months", "3")
	if c.TermDays != 91 || c.StrikeUSDPerPHDay != 41 || c.HedgeRatio != 0.3 || c.CostUSDPerPHDay != 45 {
		t.Errorf("term %d, strike %v, ratio %v, cost %v; want 91, 41, 0.3, 45", c.TermDays, c.StrikeUSDPerPHDay, c.HedgeRatio, c.CostUSDPerPHDay)
	}
	if c.MinVarianceHedgeRatio == nil || !(*c.MinVarianceHedgeRatio > 0 && *c.MinVarianceHedgeRatio < 1) {
		t.Errorf("h* with curtailment = %v, want in (0, 1)", c.MinVarianceHedgeRatio)
	}
}

// Bad flags exit 2 with nothing on stdout and a message naming the flag,
// before the simulator runs.
func TestHedgeBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--term-months", "0"}, "--term-months"},
		{[]string{"--term-months", "37"}, "--term-months"},
		{[]string{"--hedge-ratio", "1.5"}, "--hedge-ratio"},
		{[]string{"--hedge-ratio", "-0.1"}, "--hedge-ratio"},
		{[]string{"--strike", "-1"}, "--strike"},
		{[]string{"--cost", "-3"}, "--cost"},
		{[]string{"--cost", "20", "--power-price", "0.05"}, "--cost"},
		{[]string{"--power-price", "-0.01"}, "--power-price"},
		{[]string{"--efficiency", "0"}, "--efficiency"},
		{[]string{"--paths", "0"}, "--paths"},
		{[]string{"--seed", "x"}, "--seed"},
		{[]string{"--power-price", "NaN"}, "--power-price"},
		{[]string{"no-such-scenario"}, "no-such-scenario"},
		{[]string{"baseline", "extra"}, "extra"},
	} {
		code, out, stderr := fndRun(t, append([]string{"hedge", "--json"}, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("hedge %v: exit %d, stdout %q, stderr %q; want 2, nothing, naming %s", c.args, code, out, stderr, c.want)
		}
	}
}

// The human table prints every section and no NaN.
func TestHedgeTable(t *testing.T) {
	code, out, stderr := fndRun(t, "hedge", "--paths", "20", "--cost", "30")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, s := range []string{"fair forward", "min-variance ratio", "margin, unhedged", "margin, hedged in USD", "fair BTC forward", "Model risk"} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	if m := undefinedInTable.FindString(out); m != "" {
		t.Errorf("table prints %q", m)
	}
}

// The hedge's "now" is its start block: the JSON names it with its source
// and age, and a fixed scenario start older than service.StaleAfter is
// warned about on stderr; --paths is bounded before anything runs.
func TestHedgeStartIsLabelled(t *testing.T) {
	// The real clock: any day from 2026-04-30 on is past the stale limit.
	code, out, stderr := fndRunCtx(t, context.Background(), "hedge", "--json", "--paths", "20", "--term-months", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		StartHeight     int64  `json:"start_height"`
		StartTime       string `json:"start_time"`
		StartSource     string `json:"start_source"`
		StartAgeSeconds *int64 `json:"start_age_seconds"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	sc, err := sim.LoadShipped("baseline")
	if err != nil {
		t.Fatal(err)
	}
	if r.StartHeight != sc.Start.Height || !strings.Contains(r.StartSource, "scenario baseline") || r.StartAgeSeconds == nil || *r.StartAgeSeconds <= 0 {
		t.Fatalf("start %+v; want height %d from scenario baseline with an age", r, sc.Start.Height)
	}
	if !strings.Contains(stderr, "fixed start block") {
		t.Errorf("no stale-start warning on stderr: %q", stderr)
	}
	code, out, stderr = fndRun(t, "hedge", "--start", "tomorrow", "--paths", "20")
	if code != 2 || out != "" || !strings.Contains(stderr, "--start") {
		t.Fatalf("--start tomorrow: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, out, stderr = fndRun(t, "hedge", "--paths", "100000000")
	if code != 2 || out != "" || !strings.Contains(stderr, "--paths") {
		t.Fatalf("--paths 100000000: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
