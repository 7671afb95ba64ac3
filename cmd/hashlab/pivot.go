package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/pivot"
	"github.com/hashlab/hashlab/service"
)

func init() {
	register(command{Name: "pivot", Summary: "mine, curtail, lease to AI, run GPUs or sell: per site (FILE) or 'pivot portfolio FILE'", Run: runPivot})
}

// pivotFlags are shared by the site and portfolio forms.
type pivotFlags struct {
	fs             *flag.FlagSet
	source         *sourceFlags
	hp, vol, drift *float64
	path, pathsCSV *string
	paths          *int
	seed           *uint64
}

func addPivotFlags(fs *flag.FlagSet) pivotFlags {
	return pivotFlags{
		fs:       fs,
		source:   addSourceFlag(fs),
		hp:       fs.Float64("hashprice", 0, "hashprice today, USD/PH/day (default: the source's)"),
		path:     fs.String("path", service.DefaultPivotPath, "hashprice path: flat or halving (subsidy halves at the next halving height)"),
		paths:    fs.Int("paths", 0, "Monte Carlo hashprice paths for the convert-or-wait analysis (0: none)"),
		seed:     fs.Uint64("seed", service.DefaultSeed, "seed of the Monte Carlo paths"),
		pathsCSV: fs.String("paths-csv", "", "hashprice paths from a file instead of --paths: one path per line, comma-separated yearly USD/PH/day (e.g. exported from the simulator)"),
		vol:      fs.Float64("volatility", service.DefaultPivotVolatility, "yearly volatility of log hashprice for Monte Carlo"),
		drift:    fs.Float64("drift", service.DefaultPivotDrift, "yearly drift of log hashprice for Monte Carlo (difficulty growth pushes it down)"),
	}
}

// query returns the service query of the flags, validated.
func (p pivotFlags) query() (service.PivotQuery, error) {
	q := service.PivotQuery{Path: *p.path, Paths: *p.paths, Seed: *p.seed, Volatility: *p.vol, Drift: *p.drift}
	if flagWasSet(p.fs, "hashprice") {
		q.HashpriceUSDPerPHDay = p.hp
	}
	return q, cliErr(service.CheckPivotQuery(q))
}

// readHourlyPrices reads a CSV whose last column is USD/kWh ('#' comments
// and a header row allowed); errors name the line.
func readHourlyPrices(path string) ([]float64, error) {
	f, err := openInput("hourly_prices_csv", path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.FieldsPerRecord = -1
	var out []float64
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[len(rec)-1]), 64)
		if err != nil {
			if len(out) == 0 {
				continue // header
			}
			return nil, usagef("%s line %d: price %q is not a number (USD/kWh)", path, line, rec[len(rec)-1])
		}
		if v < -10 || v > 100 {
			return nil, usagef("%s line %d: price %v out of range (allowed: -10 to 100 USD/kWh)", path, line, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("%s: no prices", path)
	}
	return out, nil
}

func loadSite(path string) (*pivot.Site, []float64, error) {
	data, err := readInput("SITE_FILE", path)
	if err != nil {
		return nil, nil, err
	}
	s, err := pivot.ParseSite(data)
	if err != nil {
		return nil, nil, usagef("%s: %v", path, err)
	}
	var hourly []float64
	if s.HourlyPricesCSV != "" {
		hp := s.HourlyPricesCSV
		if !filepath.IsAbs(hp) {
			hp = filepath.Join(filepath.Dir(path), hp)
		}
		if hourly, err = readHourlyPrices(hp); err != nil {
			return nil, nil, err
		}
	}
	return s, hourly, nil
}

func runPivot(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "portfolio" {
		return runPivotPortfolio(ctx, env, args[1:])
	}
	fs := newFlags(env, "pivot", "pivot SITE_FILE [--hashprice X] [--path flat|halving] [--paths N --seed S] [--json]\n       hashlab pivot portfolio FILE [--export-conversions OUT.yaml] [--json]")
	pf := addPivotFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one site file (or 'portfolio FILE'), got %d arguments", len(pos))
	}
	s, hourly, err := loadSite(pos[0])
	if err != nil {
		return err
	}
	q, err := pf.query()
	if err != nil {
		return err
	}
	q.HourlyPricesUSDPerKWh = hourly
	if *pf.pathsCSV != "" {
		if q.GivenPaths, err = readPathsCSV(*pf.pathsCSV, s.HorizonYears); err != nil {
			return err
		}
	}
	svc, err := openService(env, pf.source)
	if err != nil {
		return err
	}
	out, err := svc.Pivot(ctx, s, q)
	if err != nil {
		return cliErr(err)
	}
	noteFreshness(env, out.Freshness)
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	res, mc := out.Result, out.MonteCarlo
	fmt.Fprintf(env.Stdout, "Site %q: %.0f MW, power $%.4f/kWh, hashprice %s/PH/day (%s path; %s), discount %.0f%%, %d years\n\n",
		s.Name, s.GrossMW, s.PowerUSDPerKWh, usd(out.HashpriceUSDPerPHDay), out.Path, out.Label(), 100*s.DiscountRate, s.HorizonYears)
	printPivotOptions(env, res.Options)
	fmt.Fprintf(env.Stdout, "\nBest by NPV: %s\n", res.Best)
	fmt.Fprintln(env.Stdout, "\nWhat moves the AI-vs-mining NPV advantage most (each input -20% / +20%):")
	w := newTable(env.Stdout)
	for _, b := range res.Tornado {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", b.Input, usdM(b.Low), usdM(b.High))
	}
	w.Flush()
	if mc != nil {
		src := fmt.Sprintf("drift %.2f, volatility %.2f, seed %d", *pf.drift, *pf.vol, *pf.seed)
		if *pf.pathsCSV != "" {
			src = "from " + *pf.pathsCSV
		}
		fmt.Fprintf(env.Stdout, "\nMonte Carlo (%d hashprice paths, %s):\n", mc.Paths, src)
		fmt.Fprintf(env.Stdout, "  P(converting beats mining) = %.1f%%; mean mining NPV %s vs convert-now %s\n", 100*mc.ProbConvertBeats, usdM(mc.MeanMiningNPV), usdM(mc.ConvertNowNPV))
		verdict := "convert now"
		if mc.WaitIsBetter {
			verdict = "wait a year"
		}
		fmt.Fprintf(env.Stdout, "  wait one year then decide: %s → %s\n", usdM(mc.WaitYearNPV), verdict)
	}
	return nil
}

// readPathsCSV reads hashprice paths: one per line, yearly values; a path
// shorter than the horizon holds its last value.
func readPathsCSV(path string, years int) ([][]float64, error) {
	b, err := readInput("--paths-csv", path)
	if err != nil {
		return nil, err
	}
	var out [][]float64
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var p []float64
		for _, f := range strings.Split(line, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || v < 0 {
				return nil, usagef("--paths-csv %s line %d: %q is not a hashprice (allowed: >= 0 USD/PH/day)", path, i+1, f)
			}
			p = append(p, v)
		}
		for len(p) < years {
			p = append(p, p[len(p)-1])
		}
		out = append(out, p[:years])
	}
	if len(out) == 0 {
		return nil, usagef("--paths-csv %s: no paths", path)
	}
	return out, nil
}

func usdM(v float64) string { return fmt.Sprintf("$%.1fM", v/1e6) }

func printPivotOptions(env *Env, opts []pivot.Option) {
	w := newTable(env.Stdout)
	fmt.Fprintln(w, "OPTION\tREV $/kWh\tx MINING\tMARGIN $/kWh\tCAPEX\tEBITDA yr1\tNPV\tIRR\tPAYBACK\tFIRST REV\tSWITCH HASHPRICE")
	for _, o := range opts {
		irr, pb, sw, eb := "-", "-", "-", "-"
		if o.IRR != nil {
			irr = fmt.Sprintf("%.1f%%", 100**o.IRR)
		}
		if o.PaybackYears != nil {
			pb = fmt.Sprintf("%.1f y", *o.PaybackYears)
		}
		switch {
		case o.Name == "keep mining":
		case o.SwitchHashprice != nil:
			sw = fmt.Sprintf("$%.1f/PH/day", *o.SwitchHashprice)
		case o.MiningWinsAtAnyHashprice:
			sw = "mining wins at any"
		default:
			sw = "never (mining loses at any)"
		}
		if len(o.EBITDAUSD) > 0 {
			eb = usdM(o.EBITDAUSD[0])
		}
		ratio := "-"
		if o.RatioToMining > 0 {
			ratio = fmt.Sprintf("%.2fx", o.RatioToMining)
		}
		rev := "-"
		if o.RevenuePerKWh > 0 {
			rev = fmt.Sprintf("%.4f", o.RevenuePerKWh)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%.4f\t%s\t%s\t%s\t%s\t%s\t%.0f mo\t%s\n", o.Name, rev, ratio, o.MarginPerKWh, usdM(o.CapexUSD), eb, usdM(o.NPVUSD), irr, pb, o.FirstRevenueMonths, sw)
	}
	w.Flush()
}

func runPivotPortfolio(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "pivot portfolio", "pivot portfolio FILE [--export-conversions OUT.yaml] [--source S] [--hashprice X] [--path flat|halving] [--json]")
	pf := addPivotFlags(fs)
	export := fs.String("export-conversions", "", "write the schedule as a simulator scenario input (YAML) to this file")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one portfolio file, got %d arguments", len(pos))
	}
	data, err := readInput("FILE", pos[0])
	if err != nil {
		return err
	}
	p, err := pivot.ParsePortfolio(data)
	if err != nil {
		return usagef("%s: %v", pos[0], err)
	}
	var sites []*pivot.Site
	var hourly []float64
	for i, ps := range p.Sites {
		s := ps.Site
		if ps.File != "" {
			path := ps.File
			if !filepath.IsAbs(path) {
				path = filepath.Join(filepath.Dir(pos[0]), path)
			}
			var h []float64
			if s, h, err = loadSite(path); err != nil {
				return fmt.Errorf("sites[%d]: %w", i, err)
			}
			if hourly == nil {
				hourly = h
			}
		}
		sites = append(sites, s)
	}
	q, err := pf.query()
	if err != nil {
		return err
	}
	svc, err := openService(env, pf.source)
	if err != nil {
		return err
	}
	pr, err := svc.Portfolio(ctx, p.Name, sites, p.Schedule, q)
	if err != nil {
		if _, ok := hashlab.AsInput(err); ok {
			return fmt.Errorf("%s: %w", pos[0], cliErr(err))
		}
		return err
	}
	noteFreshness(env, pr.Freshness)
	res := pr.PortfolioResult
	if *export != "" {
		out, err := pivot.ExportConversions(p.Schedule)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(*export, out); err != nil {
			return err
		}
	}
	if *asJSON {
		return writeJSON(env.Stdout, pr)
	}
	fmt.Fprintf(env.Stdout, "Portfolio %q: %d sites, %.0f MW; scheduled conversion %.0f MW\n", res.Name, len(res.Sites), res.GrossMW, res.ScheduledMW)
	for _, s := range res.Sites {
		fmt.Fprintf(env.Stdout, "\n%s (best: %s)\n", s.Site, s.Best)
		printPivotOptions(env, s.Options)
	}
	fmt.Fprintln(env.Stdout, "\nTotal NPV by option:")
	w := newTable(env.Stdout)
	for _, name := range []string{"keep mining", "lease to AI tenant", "own GPU cloud", "partial conversion", "sell the site"} {
		fmt.Fprintf(w, "  %s\t%s\n", name, usdM(res.TotalNPVByOption[name]))
	}
	w.Flush()
	if *export != "" {
		fmt.Fprintf(env.Stdout, "\nwrote the conversion schedule to %s (use it under a simulator scenario's conversions:)\n", *export)
	}
	return nil
}

// writeFileAtomic writes data to path via a temporary file and rename, so
// a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
