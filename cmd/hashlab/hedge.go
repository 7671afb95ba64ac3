package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashlab/hashlab/hedge"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

func init() {
	register(command{Name: "hedge", Summary: "value a hashprice forward or swap under the simulator's paths: fair forward, hedged and unhedged margin, minimum-variance hedge ratio, BTC forward on hashvalue", Run: runHedge})
}

func runHedge(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "hedge", "hedge [SCENARIO] [--term-months N] [--strike USD/PH/day] [--hedge-ratio H] [--power-price USD/kWh --efficiency J/TH | --cost USD/PH/day] [--curtail] [--paths N] [--seed S] [--start scenario|now [--source S]] [--json]")
	months := fs.Int("term-months", service.DefaultHedgeTermMonths, "term in months of 365.25/12 days, 1 to 36; settles on the daily average hashprice over the term, from the scenario's start")
	strike := fs.Float64("strike", 0, "fixed price of the forward, USD/PH/day (default: the fair forward)")
	ratio := fs.Float64("hedge-ratio", 0, "fraction of production sold forward, 0 to 1 (default: the minimum-variance ratio)")
	power := fs.Float64("power-price", service.DefaultPowerUSDPerKWh, "electricity price, USD per kWh (cost = J/TH × 24 × USD/kWh per PH/s per day)")
	eff := fs.Float64("efficiency", service.DefaultHedgeEfficiencyJPerTH, "machine efficiency, J/TH")
	cost := fs.Float64("cost", 0, "all-in cost, USD per PH/s per day (instead of --power-price and --efficiency)")
	curtail := fs.Bool("curtail", false, "switch off (and avoid the cost) on days whose hashprice is below the cost")
	paths := fs.Int("paths", service.DefaultHedgePaths, "Monte Carlo paths")
	seed := fs.Uint64("seed", service.DefaultSeed, "random seed (same seed, same result)")
	workers := fs.Int("workers", 0, "goroutines (default: all cores; never changes the result)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	start := addSimStartFlags(fs)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	q := service.HedgeQuery{TermMonths: *months, Curtail: *curtail, Paths: *paths, Seed: *seed, Workers: *workers}
	set := func(name string, v *float64) *float64 {
		if flagWasSet(fs, name) {
			return v
		}
		return nil
	}
	q.StrikeUSDPerPHDay, q.HedgeRatio = set("strike", strike), set("hedge-ratio", ratio)
	q.CostUSDPerPHDay, q.PowerUSDPerKWh, q.EfficiencyJPerTH = set("cost", cost), set("power-price", power), set("efficiency", eff)
	if q.CostUSDPerPHDay != nil && (q.PowerUSDPerKWh != nil || q.EfficiencyJPerTH != nil) {
		return usagef("--cost is the all-in cost; it cannot be combined with --power-price or --efficiency")
	}
	// Every flag is checked before the scenario is read or anything runs.
	rename := map[string]string{"term_months": "term-months", "hedge_ratio": "hedge-ratio", "power_price": "power-price"}
	if err := service.CheckHedgeQuery(q); err != nil {
		return asFlag(fs, err, rename)
	}
	if len(rest) > 1 {
		return usagef("hedge takes at most one scenario (a shipped name: %s, or a file)", strings.Join(sim.Scenarios(), ", "))
	}
	name := service.DefaultHedgeScenario
	if len(rest) == 1 {
		name = rest[0]
	}
	if q.Scenario, err = loadScenario(name); err != nil {
		return err
	}
	// apply refuses a --start other than scenario or now, and with now
	// replaces the scenario's start by the state now of --source.
	if err := start.apply(ctx, env, q.Scenario); err != nil {
		return err
	}
	if start.label != "" {
		q.StartSource = "state now: " + start.label
	}
	bar := newProgress(env, "hedge "+q.Scenario.Name, int64(q.Paths))
	q.Progress = func(done, total int) { bar.Add(1) }
	// The hedge uses no network state: a service without a source.
	out, err := service.New(nil, env.Now).Hedge(ctx, q)
	bar.Done()
	if err != nil {
		return asFlag(fs, err, rename)
	}
	if start.start != "now" && out.StartAgeSeconds != nil && time.Duration(*out.StartAgeSeconds)*time.Second > service.StaleAfter {
		fmt.Fprintf(env.Stderr, "hashlab: warning: the term starts at %s's fixed start block %d (%s), %s ago; --start now starts it from the state now of --source\n",
			out.Scenario, out.StartHeight, out.StartTime.Format("2006-01-02"), service.AgeString(time.Duration(*out.StartAgeSeconds)*time.Second))
	}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	printHedge(env, out)
	return nil
}

// printHedge writes the human report.
func printHedge(env *Env, r *service.Hedge) {
	w := env.Stdout
	f := func(n hedge.Num, format string) string {
		if !n.Defined() {
			return "n/a"
		}
		return fmt.Sprintf(format, float64(n))
	}
	usd := func(n hedge.Num) string {
		if !n.Defined() {
			return "n/a"
		}
		if n < 0 {
			return fmt.Sprintf("-$%.2f", -float64(n))
		}
		return fmt.Sprintf("$%.2f", float64(n))
	}
	fmt.Fprintf(w, "Hashprice forward, %s scenario: %d months (%d days from %s), %d paths, seed %d\n",
		r.Scenario, r.TermMonths, r.TermDays, r.StartDate, r.Paths, r.Seed)
	fmt.Fprintf(w, "start               block %d at %s UTC (%s)\n", r.StartHeight, r.StartTime.Format("2006-01-02 15:04"), r.StartSource)
	fmt.Fprintf(w, "settles on the average daily hashprice over the term; no discounting\n\n")
	fmt.Fprintf(w, "fair forward        %s /PH/day  (Monte Carlo s.e. %s)\n", usd(r.FairForwardUSDPerPHDay), usd(r.FairForwardStdErrUSDPerPHDay))
	fmt.Fprintf(w, "strike              %s /PH/day\n", usd(r.StrikeUSDPerPHDay))
	cost := usd(r.CostUSDPerPHDay) + " /PH/day"
	if r.PowerPrice != nil {
		cost += fmt.Sprintf("  (%.1f J/TH at $%.4f/kWh)", *r.Efficiency, *r.PowerPrice)
	}
	if r.Curtail {
		cost += ", curtailed on days below it"
	}
	fmt.Fprintf(w, "all-in cost         %s\n", cost)
	fmt.Fprintf(w, "min-variance ratio  %s  (Cov(margin, realised)/Var(realised); sell this fraction forward)\n", f(r.MinVarianceHedgeRatio, "%.3f"))
	fmt.Fprintf(w, "hedge ratio used    %s\n", f(r.HedgeRatio, "%.3f"))
	fmt.Fprintf(w, "variance reduction  %s\n\n", f(100*r.VarianceReduction, "%.1f%%"))

	t := newTable(w)
	fmt.Fprintln(t, "USD/PH/day over the term\tP5\tP25\tP50\tP75\tP95\tMEAN\tSTD DEV\tP(LOSS)")
	row := func(name string, q hedge.Quantiles, sd, loss string) {
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, usd(q.P5), usd(q.P25), usd(q.P50), usd(q.P75), usd(q.P95), usd(q.Mean), sd, loss)
	}
	row("realised hashprice", r.RealisedUSDPerPHDay, "", "")
	row("swap value to seller", r.SwapValueUSDPerPHDay, "", "")
	row("margin, unhedged", r.UnhedgedMarginUSDPerPHDay, usd(r.UnhedgedStdDevUSDPerPHDay), f(100*r.ProbLossUnhedged, "%.1f%%"))
	row("margin, hedged in USD", r.HedgedMarginUSDPerPHDay, usd(r.HedgedStdDevUSDPerPHDay), f(100*r.ProbLossHedged, "%.1f%%"))
	row("margin, sold in BTC", r.BTC.HedgedMarginUSDPerPHDay, usd(r.BTC.HedgedStdDevUSDPerPHDay), "")
	t.Flush()

	b := r.BTC
	fmt.Fprintf(w, "\nSelling %d months of production forward in BTC (hashvalue = hashprice / BTC price, per day):\n", r.TermMonths)
	fmt.Fprintf(w, "fair BTC forward    %s BTC/PH/day  (%s sats; s.e. %s sats)\n", f(b.FairForwardBTCPerPHDay, "%.8f"), f(b.FairForwardSatsPerPHDay, "%.0f"), f(1e8*b.FairForwardStdErrBTCPerPHDay, "%.0f"))
	fmt.Fprintf(w, "sold over the term  %s BTC per PH/s\n", f(b.TermBTCPerPH, "%.6f"))
	fmt.Fprintf(w, "realised hashvalue  p5 %s  p50 %s  p95 %s sats/PH/day\n", f(1e8*b.RealisedBTCPerPHDay.P5, "%.0f"), f(1e8*b.RealisedBTCPerPHDay.P50, "%.0f"), f(1e8*b.RealisedBTCPerPHDay.P95, "%.0f"))
	fmt.Fprintf(w, "\nModel risk: every figure is a moment of the simulator's paths for this scenario, not a market quote.\n")
}
