package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/hashlab/hashlab/mining"
	"github.com/hashlab/hashlab/service"
)

func init() {
	register(command{Name: "miners", Summary: "every ASIC model's daily economics at today's hashprice, best margin first; --buy: payback, ROI and IRR at a machine price", Run: runMiners})
	register(command{Name: "fleet", Summary: "a fleet file's economics: revenue, power, profit, what to curtail, treasury runway", Run: runFleet})
}

func runMiners(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "miners", "miners [market flags] [--power-price USD/kWh] [--pool-fee F] [--uptime F] [--overhead USD/kWh] [--json]\n"+
		"       hashlab miners --buy [--machine-price USD/TH] [--model NAME,...] [--life-years Y] [--path flat|halving|montecarlo] [--curtail] [--quotes FILE] [--scenario S --paths N --seed S] [market and power flags] [--json]")
	m := addMarketFlags(fs)
	power := fs.Float64("power-price", service.DefaultPowerUSDPerKWh, "electricity price, USD per kWh")
	fee := fs.Float64("pool-fee", mining.DefaultPoolFee, "pool fee as a fraction (0.02 = 2%)")
	uptime := fs.Float64("uptime", mining.DefaultUptime, "fraction of time hashing")
	overhead := fs.Float64("overhead", 0, "hosting/opex adder, USD per kWh")
	asJSON := fs.Bool("json", false, "print JSON")
	buy := fs.Bool("buy", false, "buying a machine: payback days, ROI and IRR per model at a machine price, and the ASIC price index by efficiency tier")
	machinePrice := fs.Float64("machine-price", 0, "with --buy: machine price in USD per TH/s for every model (default: the catalogue's dated price, else the price index's tier median)")
	models := fs.String("model", "", "with --buy: comma-separated catalogue models (default: all)")
	life := fs.Float64("life-years", mining.DefaultLifeYears, "with --buy: machine life in years of 365.25 days")
	path := fs.String("path", service.DefaultBuyPath, "with --buy: hashprice path: flat, halving or montecarlo (the simulator's paths)")
	curtail := fs.Bool("curtail", false, "with --buy: switch the machine off on days its margin is negative")
	quotes := fs.String("quotes", "", "with --buy: quotes CSV (date,model,usd_per_th[,source]) for the price index (default: the catalogue's prices)")
	scenario := fs.String("scenario", service.DefaultBuyScenario, "with --buy --path montecarlo: simulator scenario (shipped name or file)")
	paths := fs.Int("paths", service.DefaultBuyPaths, "with --buy --path montecarlo: simulator paths")
	seed := fs.Uint64("seed", service.DefaultSeed, "with --buy --path montecarlo: random seed")
	workers := fs.Int("workers", 0, "with --buy --path montecarlo: goroutines (never changes the result)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*buy {
		for _, f := range []string{"machine-price", "model", "life-years", "path", "curtail", "quotes", "scenario", "paths", "seed", "workers"} {
			if flagWasSet(fs, f) {
				return usagef("--%s needs --buy", f)
			}
		}
	}
	o, err := m.overrides()
	if err != nil {
		return err
	}
	if *buy {
		q := service.BuyQuery{Market: o, PowerUSDPerKWh: *power, PoolFee: *fee, Uptime: *uptime, OverheadUSDPerKWh: *overhead,
			LifeYears: *life, Path: *path, Curtail: *curtail, Paths: *paths, Seed: *seed, Workers: *workers}
		if flagWasSet(fs, "machine-price") {
			q.MachinePriceUSDPerTH = machinePrice
		}
		if *models != "" {
			for _, n := range strings.Split(*models, ",") {
				q.Models = append(q.Models, strings.TrimSpace(n))
			}
		}
		if err := service.CheckBuyQuery(q); err != nil {
			return cliErr(err)
		}
		if *path != "montecarlo" && (flagWasSet(fs, "scenario") || flagWasSet(fs, "paths") || flagWasSet(fs, "seed") || flagWasSet(fs, "workers")) {
			return usagef("--scenario, --paths, --seed and --workers need --path montecarlo")
		}
		if *quotes != "" {
			b, err := readInput("--quotes", *quotes)
			if err != nil {
				return err
			}
			qs, err := mining.ParseQuotes(bytes.NewReader(b))
			if err != nil {
				return usagef("%s: %v", *quotes, err)
			}
			if _, err := mining.PriceIndex(qs, mining.Catalogue()); err != nil {
				return usagef("%s: %v", *quotes, err)
			}
			q.Quotes, q.QuotesSource = qs, *quotes
		}
		if *path == "montecarlo" {
			if q.Scenario, err = loadScenario(*scenario); err != nil {
				return err
			}
			bar := newProgress(env, "miners --buy "+q.Scenario.Name, int64(*paths))
			q.Progress = func(done, total int) { bar.Add(1) }
			defer bar.Done()
		}
		svc, err := openService(env, m.source)
		if err != nil {
			return err
		}
		res, err := svc.Buy(ctx, q)
		if err != nil {
			return cliErr(err)
		}
		noteFreshness(env, res.Freshness)
		if *asJSON {
			for _, n := range res.Notes { // the table prints them itself
				fmt.Fprintf(env.Stderr, "hashlab: note: %s\n", n)
			}
			return writeJSON(env.Stdout, res)
		}
		return printBuy(env.Stdout, res)
	}
	q := service.MinersQuery{Market: o, PowerUSDPerKWh: *power, PoolFee: *fee, Uptime: *uptime, OverheadUSDPerKWh: *overhead}
	if err := service.CheckMinersQuery(q); err != nil {
		return cliErr(err)
	}
	svc, err := openService(env, m.source)
	if err != nil {
		return err
	}
	res, err := svc.Miners(ctx, q)
	if err != nil {
		return cliErr(err)
	}
	noteFreshness(env, res.Freshness)
	if *asJSON {
		return writeJSON(env.Stdout, res)
	}
	return printMiners(env.Stdout, res)
}

// printMiners renders service.Miners as text.
func printMiners(out io.Writer, res *service.Miners) error {
	c := res.Conditions
	fmt.Fprintf(out, "Hashprice %s/PH/day (%s); power $%.4f/kWh, pool fee %.1f%%, uptime %.0f%%\n\n", usd(res.HashpriceUSDPerPHDay), res.Label(), c.PowerUSDPerKWh, 100*c.PoolFee, 100*c.Uptime)
	w := newTable(out)
	fmt.Fprintln(w, "MODEL\tYEAR\tCOOLING\tTH/s\tW\tJ/TH\tREVENUE/day\tPOWER/day\tPROFIT/day\tMARGIN\tBREAKEVEN $/kWh\tCOST/BTC\tRUN?")
	for _, r := range res.Models {
		e := r.Econ
		run := "run"
		if !e.Run {
			run = "CURTAIL"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%g\t%.0f\t%.1f\t%s\t%s\t%s\t%s\t%.4f\t%s\t%s\n", r.Model.Name, r.Model.ReleaseYear, r.Model.Cooling, r.Model.HashrateTHs, r.Model.PowerW, e.JoulesPerTH,
			usd(e.RevenueUSD), usd(e.PowerCostUSD), usd(e.ProfitUSD), pct(e.Margin), e.BreakevenPowerUSDPerKWh, usdOpt(e.CostPerBTCAllInUSD), run)
	}
	return w.Flush()
}

func pct(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

// usdOpt prints an optional dollar amount: n/a when undefined (nil).
func usdOpt(v *float64) string {
	if v == nil {
		return "n/a"
	}
	return usd0(*v)
}

func usd0(v float64) string {
	if v == 0 || math.IsInf(v, 0) {
		return "-"
	}
	return "$" + commas(int64(math.Round(v)))
}

func runFleet(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "fleet", "fleet FILE [market flags] [--json]")
	m := addMarketFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one fleet file (YAML or JSON), got %d arguments", len(pos))
	}
	data, err := readInput("FILE", pos[0])
	if err != nil {
		return err
	}
	fleet, err := mining.ParseFleet(data)
	if err != nil {
		return usagef("%s: %v", pos[0], err)
	}
	o, err := m.overrides()
	if err != nil {
		return err
	}
	svc, err := openService(env, m.source)
	if err != nil {
		return err
	}
	fr, err := svc.Fleet(ctx, fleet, o)
	if err != nil {
		return cliErr(err)
	}
	noteFreshness(env, fr.Freshness)
	if *asJSON {
		return writeJSON(env.Stdout, fr)
	}
	res := fr.FleetResult
	name := res.Name
	if name == "" {
		name = pos[0]
	}
	fmt.Fprintf(env.Stdout, "Fleet %q at hashprice %s/PH/day, BTC %s (%s)\n\n", name, usd(res.HashpriceUSDPerPHDay), usd0(fr.PriceUSD), fr.Label())
	w := newTable(env.Stdout)
	fmt.Fprintln(w, "MODEL\tCOUNT\tPH/s\tMW\tJ/TH\tREVENUE/day\tPOWER/day\tOVERHEAD/day\tPROFIT/day\tBREAKEVEN $/kWh\tDECISION")
	row := func(e mining.Economics, decision string) {
		fmt.Fprintf(w, "%s\t%d\t%.2f\t%.3f\t%.1f\t%s\t%s\t%s\t%s\t%.4f\t%s\n", e.Model, e.Count, e.HashrateTHs/1000, e.PowerW/1e6, e.JoulesPerTH,
			usd(e.RevenueUSD), usd(e.PowerCostUSD), usd(e.OverheadUSD), usd(e.ProfitUSD), e.BreakevenPowerUSDPerKWh, decision)
	}
	for _, g := range res.Groups {
		d := "run"
		if !g.Run {
			d = "CURTAIL (loses money on power)"
		}
		row(g, d)
	}
	row(res.Total, "all machines on")
	row(res.Running, "after curtailment")
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nfixed costs %s/day; net after curtailment %s/day (%s/month)\n", usd(res.FixedUSDPerDay), usd(res.NetUSDPerDay), usd(res.NetUSDPerDay*mining.DaysPerMonth))
	fmt.Fprintf(env.Stdout, "cost to produce 1 BTC: %s power only, %s all-in (running machines)\n", usdOpt(res.Running.CostPerBTCPowerUSD), usdOpt(res.Running.CostPerBTCAllInUSD))
	switch {
	case res.RunwayInfinite:
		fmt.Fprintf(env.Stdout, "treasury %.4g BTC: not drawn down (the fleet covers its costs)\n", res.TreasuryBTC)
	default:
		fmt.Fprintf(env.Stdout, "treasury %.4g BTC lasts %.0f days (%.1f months) at today's price and deficit\n", res.TreasuryBTC, *res.RunwayDays, *res.RunwayDays/mining.DaysPerMonth)
	}
	return nil
}
