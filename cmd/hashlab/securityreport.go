package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/sim"
	"github.com/hashlab/hashlab/sim/secreport"
)

// secReport runs a simulator scenario with the security metrics as probes
// and prints their bands over time.
func secReport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "security report", "security report SCENARIO [--paths N] [--seed S] [--years Y] [--z 6] [--attacker-share 0.1] [--json|--csv] [--out DIR]")
	paths := fs.Int("paths", 500, "Monte Carlo paths")
	seed := fs.Uint64("seed", 1, "random seed")
	years := fs.Float64("years", 0, "horizon in years (default: the scenario's)")
	z := fs.Int("z", 6, "confirmations of the double spend tracked")
	share := fs.Float64("attacker-share", 0.1, "attacker's share of hashrate at the start (its hashrate stays fixed)")
	risk := fs.Float64("risk", 0.001, "accepted double-spend probability for confirmations-needed")
	method := fs.String("method", "exact", "double-spend formula: nakamoto or exact")
	gamma := fs.Float64("gamma", 0, "selfish miner's tie-breaking share γ")
	every := fs.Int("every", 7, "compute the metrics every N days")
	asJSON := fs.Bool("json", false, "print the whole result as JSON (sim.Result with the security series)")
	asCSV := fs.Bool("csv", false, "print the daily bands as CSV")
	outDir := fs.String("out", "", "write result.json, daily.csv, epochs.csv and summary.csv into DIR")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("security report needs one scenario: a shipped name or a file (see 'hashlab sim scenarios')")
	}
	if *asJSON && *asCSV {
		return usagef("--json and --csv are exclusive")
	}
	if *paths < 1 {
		return usagef("--paths %d (allowed: >= 1)", *paths)
	}
	m, err := security.ParseMethod(*method)
	if err != nil {
		return usagef("--method %q (allowed: nakamoto, exact)", *method)
	}
	sc, err := loadScenario(rest[0])
	if err != nil {
		return err
	}
	h0, err := sc.StartHashrateHs()
	if err != nil {
		return err
	}
	cfg := secreport.Config{Z: *z, AttackerShare: *share, Risk: *risk, Method: m, Gamma: *gamma, Every: *every, StartHashrateHs: h0}
	probes, err := secreport.ProbesContext(ctx, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return cliErr(err)
	}
	bar := newProgress(env, "security report "+sc.Name, int64(*paths))
	res, err := sim.Run(ctx, sc, sim.Options{Paths: *paths, Seed: *seed, Years: *years, Probes: probes,
		Progress: func(int, int) { bar.Add(1) }})
	bar.Done()
	if err != nil {
		return err
	}
	if *outDir != "" {
		if err := writeSimOut(*outDir, res); err != nil {
			return err
		}
	}
	switch {
	case *asJSON:
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(append(b, '\n'))
		return err
	case *asCSV:
		return writeDailyCSV(env.Stdout, res)
	}
	printSecurityReport(env, res, cfg, *every)
	return nil
}

func printSecurityReport(env *Env, res *sim.Result, cfg secreport.Config, every int) {
	w := env.Stdout
	fmt.Fprintf(w, "Security report: %s (%d paths, seed %d, %g years from %s)\n", res.Scenario, res.Paths, res.Seed, res.Years, res.Dates[0])
	fmt.Fprintf(w, "Attacker: %.0f%% of hashrate at the start, fixed at %s; double spend at z = %d, risk target %g, %s formula.\n",
		100*cfg.AttackerShare, siHashrate(cfg.StartHashrateHs*cfg.AttackerShare/(1-cfg.AttackerShare)), cfg.Z, cfg.Risk, cfg.Method)
	fmt.Fprintln(w, "Bands are p5 / p50 / p95 over the paths.")
	var days []int
	target := 91.0 // quarterly columns, half-yearly beyond two years
	if res.Days > 730 {
		target = 182
	}
	step := max(every, int(math.Round(target/float64(every)))*every)
	for d := 0; d < res.Days; d += step {
		days = append(days, d)
	}
	if last := (res.Days - 1) / every * every; days[len(days)-1] != last {
		days = append(days, last)
	}
	pct := func(v float64) string { return fmt.Sprintf("%.3g%%", 100*v) }
	printBands(w, res, days, []bandRow{
		{"hashrate_hs", "network hashrate", siHashrate},
		{"attacker_share", "attacker share", pct},
		{"double_spend_probability", fmt.Sprintf("P(double spend, z=%d)", cfg.Z), func(v float64) string { return fmt.Sprintf("%.2g", v) }},
		{"confirmations_needed", fmt.Sprintf("confirmations for risk %g", cfg.Risk), func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }},
		{"majority_attack_hs", "hashrate for 51%", siHashrate},
		{"attack_cost_usd", fmt.Sprintf("cost of %d-block double spend", cfg.Z), func(v float64) string { return "$" + siNumber(v) }},
		{"max_safe_value_usd", fmt.Sprintf("largest safe payment at z=%d", cfg.Z), func(v float64) string { return "$" + siNumber(v) }},
		{"selfish_threshold_hs", "selfish mining pays above", siHashrate},
		{"hhi_pool", "HHI by pool", func(v float64) string { return fmt.Sprintf("%.3f", v) }},
		{"nakamoto_pool", "Nakamoto coefficient (pools)", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"top2_pool_majority_probability", "P(top 2 pools > 50% of a day)", pct},
		{"censorship_delay_p95_s", "censored tx wait p95 (top pool)", func(v float64) string { return fmt.Sprintf("%.0f min", v/60) }},
	})
	for _, n := range res.Notes {
		fmt.Fprintln(w, "Note:", n)
	}
}
