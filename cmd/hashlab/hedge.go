package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hedge"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

func init() {
	register(command{Name: "hedge", Summary: "value a hashprice forward or swap under the simulator's paths: fair forward, hedged and unhedged margin, minimum-variance hedge ratio, BTC forward on hashvalue", Run: runHedge})
}

// hedgeDefaultEfficiencyJPerTH is the efficiency behind the default cost: a
// current S21-class machine (the middle of service.BreakevenEfficienciesJPerTH).
const hedgeDefaultEfficiencyJPerTH = 17.5

// hedgeResult is what `hedge --json` prints: the inputs and the valuation.
type hedgeResult struct {
	Scenario   string   `json:"scenario"`
	Seed       uint64   `json:"seed"`
	TermMonths int      `json:"term_months"`
	StartDate  string   `json:"start_date"`
	PowerPrice *float64 `json:"power_price_usd_per_kwh"`
	Efficiency *float64 `json:"efficiency_j_per_th"`
	*hedge.Result
}

// hedgeYears is the simulator horizon covering termDays days exactly.
func hedgeYears(termDays int) float64 { return float64(termDays) / 365.25 }

func runHedge(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "hedge", "hedge [SCENARIO] [--term-months N] [--strike USD/PH/day] [--hedge-ratio H] [--power-price USD/kWh --efficiency J/TH | --cost USD/PH/day] [--curtail] [--paths N] [--seed S] [--json]")
	months := fs.Int("term-months", 6, "term in months of 365.25/12 days, 1 to 36; settles on the daily average hashprice over the term, from the scenario's start")
	strike := fs.Float64("strike", 0, "fixed price of the forward, USD/PH/day (default: the fair forward)")
	ratio := fs.Float64("hedge-ratio", 0, "fraction of production sold forward, 0 to 1 (default: the minimum-variance ratio)")
	power := fs.Float64("power-price", service.DefaultPowerUSDPerKWh, "electricity price, USD per kWh (cost = J/TH × 24 × USD/kWh per PH/s per day)")
	eff := fs.Float64("efficiency", hedgeDefaultEfficiencyJPerTH, "machine efficiency, J/TH")
	cost := fs.Float64("cost", 0, "all-in cost, USD per PH/s per day (instead of --power-price and --efficiency)")
	curtail := fs.Bool("curtail", false, "switch off (and avoid the cost) on days whose hashprice is below the cost")
	paths := fs.Int("paths", 1000, "Monte Carlo paths")
	seed := fs.Uint64("seed", service.DefaultSeed, "random seed (same seed, same result)")
	workers := fs.Int("workers", 0, "goroutines (default: all cores; never changes the result)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	// Every flag is checked before the scenario is read or anything runs.
	termDays, err := hedge.TermDays(*months)
	if err != nil {
		return hashlab.Invalid("--term-months", *months, fmt.Sprintf("1 to %d", hedge.MaxTermMonths))
	}
	c := hedge.Contract{TermDays: termDays, StrikeUSDPerPHDay: math.NaN(), HedgeRatio: math.NaN(), Curtail: *curtail}
	if flagWasSet(fs, "strike") {
		if !(*strike >= 0) {
			return hashlab.Invalid("--strike", *strike, "a USD/PH/day >= 0 (omit it for the fair forward)")
		}
		c.StrikeUSDPerPHDay = *strike
	}
	if flagWasSet(fs, "hedge-ratio") {
		if !(*ratio >= 0 && *ratio <= 1) {
			return hashlab.Invalid("--hedge-ratio", *ratio, "0 to 1 (omit it for the minimum-variance ratio)")
		}
		c.HedgeRatio = *ratio
	}
	out := hedgeResult{TermMonths: *months, Seed: *seed}
	if flagWasSet(fs, "cost") {
		if flagWasSet(fs, "power-price") || flagWasSet(fs, "efficiency") {
			return usagef("--cost is the all-in cost; it cannot be combined with --power-price or --efficiency")
		}
		if !(*cost >= 0) {
			return hashlab.Invalid("--cost", *cost, "a USD/PH/day >= 0")
		}
		c.CostUSDPerPHDay = *cost
	} else {
		if !(*power >= 0 && *power <= 10) {
			return hashlab.Invalid("--power-price", *power, "0 to 10 USD/kWh")
		}
		if !(*eff > 0 && *eff <= 1000) {
			return hashlab.Invalid("--efficiency", *eff, "0 < J/TH <= 1000")
		}
		c.CostUSDPerPHDay = hedge.CostUSDPerPHDay(*power, *eff)
		out.PowerPrice, out.Efficiency = power, eff
	}
	opt := sim.Options{Paths: *paths, Seed: *seed, Years: hedgeYears(termDays), Workers: *workers}
	if err := opt.Validate(); err != nil {
		return asFlag(fs, err, nil)
	}
	if len(rest) > 1 {
		return usagef("hedge takes at most one scenario (a shipped name: %s, or a file)", strings.Join(sim.Scenarios(), ", "))
	}
	name := "baseline"
	if len(rest) == 1 {
		name = rest[0]
	}
	sc, err := loadScenario(name)
	if err != nil {
		return err
	}
	p, res, err := hedgePaths(ctx, env, sc, opt, termDays)
	if err != nil {
		return err
	}
	v, err := hedge.Value(p, c)
	if err != nil {
		return err
	}
	out.Scenario, out.Result = sc.Name, v
	if len(res.Dates) > 0 {
		out.StartDate = res.Dates[0]
	}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	printHedge(env, out)
	return nil
}

// hedgePaths runs the simulator and keeps each path's first termDays days
// of hashprice (USD/PH/day) and BTC price (USD), indexed [path][day].
func hedgePaths(ctx context.Context, env *Env, sc *sim.Scenario, opt sim.Options, termDays int) (hedge.Paths, *sim.Result, error) {
	p := hedge.Paths{HashpriceUSDPerPHDay: make([][]float64, opt.Paths), PriceUSD: make([][]float64, opt.Paths)}
	var mu sync.Mutex
	var sinkErr error
	opt.PathSink = func(path int, names []string, vals []float64) {
		hp, px := -1, -1
		for i, n := range names {
			switch n {
			case "hashprice_usd_per_ph_day":
				hp = i
			case "price_usd":
				px = i
			}
		}
		mu.Lock()
		defer mu.Unlock()
		nm := len(names)
		if hp < 0 || px < 0 || len(vals) < termDays*nm {
			sinkErr = fmt.Errorf("hedge: path %d has %d days of %v; want %d days with hashprice_usd_per_ph_day and price_usd", path, len(vals)/max(nm, 1), names, termDays)
			return
		}
		h, q := make([]float64, termDays), make([]float64, termDays)
		for d := range termDays {
			h[d], q[d] = vals[d*nm+hp], vals[d*nm+px]
		}
		p.HashpriceUSDPerPHDay[path], p.PriceUSD[path] = h, q
	}
	bar := newProgress(env, "hedge "+sc.Name, int64(opt.Paths))
	opt.Progress = func(done, total int) { bar.Add(1) }
	res, err := sim.Run(ctx, sc, opt)
	bar.Done()
	if err != nil {
		return p, nil, err
	}
	if sinkErr != nil {
		return p, nil, sinkErr
	}
	return p, res, nil
}

// printHedge writes the human report.
func printHedge(env *Env, r hedgeResult) {
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
