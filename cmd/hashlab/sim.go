package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

func init() {
	register(command{Name: "sim", Summary: "agent-based network simulator: Monte Carlo bands of hashrate, difficulty, hashprice, security budget", Run: runSim})
}

const simUsage = `sim <subcommand> [flags]

Subcommands:
  scenarios [--json]        list the shipped scenarios
  run SCENARIO [flags]      simulate a shipped scenario (by name) or a scenario file
  merge FILE... [flags]     merge shard files written by 'sim run --shard i/n --out DIR'
  show SCENARIO             print a scenario (shipped or a file) with its defaults applied, as JSON

Run 'hashlab sim <subcommand> -h' for its flags.`

// simSubcommands are the subcommands of sim, in the order of simUsage.
var simSubcommands = []string{"scenarios", "run", "merge", "show"}

func runSim(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("sim: a subcommand is required (allowed: %s)", strings.Join(simSubcommands, ", "))
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(env.Stdout, "Usage: hashlab "+simUsage)
		return errHelp
	}
	switch args[0] {
	case "scenarios":
		return simScenarios(env, args[1:])
	case "run":
		return simRun(ctx, env, args[1:])
	case "merge":
		return simMerge(env, args[1:])
	case "show":
		return simShow(env, args[1:])
	}
	return hashlab.Invalid("subcommand", args[0], strings.Join(simSubcommands, ", "))
}

func simScenarios(env *Env, args []string) error {
	fs := newFlags(env, "sim scenarios", "sim scenarios [--json]")
	asJSON := fs.Bool("json", false, "print JSON: name, years and description of each scenario")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	type row struct {
		Name        string  `json:"name"`
		Years       float64 `json:"years"`
		Description string  `json:"description"`
	}
	rows := []row{}
	for _, name := range sim.Scenarios() {
		sc, err := sim.LoadShipped(name)
		if err != nil {
			return err
		}
		rows = append(rows, row{name, sc.Years, sc.Description})
	}
	if *asJSON {
		return writeJSON(env.Stdout, rows)
	}
	tw := newTable(env.Stdout)
	fmt.Fprintln(tw, "NAME\tYEARS\tDESCRIPTION")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%g\t%s\n", r.Name, r.Years, r.Description)
	}
	return tw.Flush()
}

// loadScenario reads a shipped scenario by name or a scenario file, and
// resolves the price files it names relative to the file.
func loadScenario(arg string) (*sim.Scenario, error) {
	if _, err := os.Stat(arg); err != nil {
		if strings.ContainsAny(arg, `/\.`) {
			return nil, usagef("scenario %q: no such file, and not a shipped scenario (shipped: %s)", arg, strings.Join(sim.Scenarios(), ", "))
		}
		sc, err := sim.LoadShipped(arg)
		if err != nil {
			return nil, usagef("%v", err)
		}
		return sc, nil
	}
	b, err := readInput("SCENARIO", arg)
	if err != nil {
		return nil, err
	}
	sc, err := sim.ParseScenario(b)
	if err != nil {
		return nil, usagef("%s: %v", arg, err)
	}
	dir := filepath.Dir(arg)
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if f := sc.Price.SeriesFile; f != "" && len(sc.Price.Series) == 0 {
		closes, err := readDailyCloses(resolve(f))
		if err != nil {
			return nil, err
		}
		sc.Price.Series = closes
	}
	if f := sc.Price.ReturnsFile; f != "" && len(sc.Price.Returns) == 0 {
		closes, err := readDailyCloses(resolve(f))
		if err != nil {
			return nil, err
		}
		for i := 1; i < len(closes); i++ {
			sc.Price.Returns = append(sc.Price.Returns, math.Log(closes[i]/closes[i-1]))
		}
		if len(sc.Price.Returns) == 0 {
			return nil, usagef("%s: price.returns_file %s has fewer than 2 prices", arg, f)
		}
	}
	return sc, nil
}

// readDailyCloses reads a CSV of date,usd (a header line is allowed) and
// returns the prices in file order.
func readDailyCloses(path string) ([]float64, error) {
	f, err := openInput("price series file", path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var out []float64
	for line := 1; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(rec) < 2 {
			return nil, usagef("%s line %d: want date,usd", path, line)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[1]), 64)
		if err != nil {
			if line == 1 {
				continue // header
			}
			return nil, usagef("%s line %d: usd %q is not a number", path, line, rec[1])
		}
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, usagef("%s line %d: usd %v (allowed: > 0)", path, line, v)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usagef("%s: no prices", path)
	}
	return out, nil
}

func simShow(env *Env, args []string) error {
	fs := newFlags(env, "sim show", "sim show SCENARIO [--json]")
	fs.Bool("json", true, "print JSON (the only format; accepted for the CLI contract)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("sim show needs one scenario: a shipped name (%s) or a file", strings.Join(sim.Scenarios(), ", "))
	}
	sc, err := loadScenario(pos[0])
	if err != nil {
		return err
	}
	return writeJSON(env.Stdout, sc)
}

// parseShard reads "i/n" (0-based i); "auto/n" takes i from
// JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs).
func parseShard(env *Env, s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	n, err := strconv.Atoi(b)
	if !ok || err != nil || n < 1 {
		return 0, 0, usagef("--shard %q: want i/n with 0 <= i < n, e.g. 0/8 (or auto/8 to read JOB_COMPLETION_INDEX)", s)
	}
	if a == "auto" {
		a = env.Getenv("JOB_COMPLETION_INDEX")
		if a == "" {
			return 0, 0, usagef("--shard auto/%d: JOB_COMPLETION_INDEX is not set", n)
		}
	}
	i, err := strconv.Atoi(a)
	if err != nil || i < 0 || i >= n {
		return 0, 0, usagef("--shard %q: index %q (allowed: 0 to %d)", s, a, n-1)
	}
	return i, n, nil
}

func simRun(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "sim run", "sim run SCENARIO [--start scenario|now [--source S]] [--paths N] [--seed S] [--years Y] [--json|--csv] [--out DIR] [--shard i/n]")
	paths := fs.Int("paths", 1000, "Monte Carlo paths")
	seed := fs.Uint64("seed", service.DefaultSeed, "random seed (same seed, same result; the API's default too)")
	years := fs.Float64("years", 0, "horizon in years (default: the scenario's)")
	workers := fs.Int("workers", 0, "goroutines (default: all cores; never changes the result)")
	asJSON := fs.Bool("json", false, "print the whole result as JSON (sim.Result)")
	asCSV := fs.Bool("csv", false, "print the daily bands as CSV")
	outDir := fs.String("out", "", "write result.json, daily.csv, epochs.csv and summary.csv (or a shard file) into DIR")
	shard := fs.String("shard", "", "run shard i/n of the paths (writes a shard file into --out; merge with 'sim merge')")
	blockwise := fs.Bool("block-by-block", false, "draw every block interval (slower; the fast engine is validated against it)")
	hpPaths := fs.String("hashprice-paths", "", "write each path's yearly mean hashprice (USD/PH/day) to FILE, the format of 'pivot --paths-csv'")
	sens := fs.Bool("sensitivity", false, "one-at-a-time tornado: move each behavioural parameter by ±--delta on the same seed and report the horizon's p50 hashrate, hashprice, security budget and Nakamoto coefficient (2P+1 runs of --paths)")
	delta := fs.Float64("delta", 0.2, "relative change of each parameter for --sensitivity (0.2 = ±20%)")
	startNow := addSimStartFlags(fs) // --start now --source S (sim_start.go)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("sim run needs one scenario: a shipped name (%s) or a file", strings.Join(sim.Scenarios(), ", "))
	}
	if *asJSON && *asCSV {
		return usagef("--json and --csv are exclusive")
	}
	opt := sim.Options{Paths: *paths, Seed: *seed, Years: *years, Workers: *workers, BlockByBlock: *blockwise}
	if *shard != "" {
		if opt.Shard, opt.Shards, err = parseShard(env, *shard); err != nil {
			return err
		}
	}
	// One bound for the CLI and the API: sim's own, named as our flags.
	if err := opt.Validate(); err != nil {
		return asFlag(fs, err, map[string]string{"shards": "shard"})
	}
	sc, err := loadScenario(rest[0])
	if err != nil {
		return err
	}
	if err := startNow.apply(ctx, env, sc); err != nil {
		return err
	}
	if *sens {
		if *shard != "" || *hpPaths != "" || *asCSV || *outDir != "" {
			return usagef("--sensitivity prints a table or --json; it cannot be combined with --shard, --hashprice-paths, --csv or --out")
		}
		res, err := sim.RunSensitivity(ctx, sc, opt, *delta)
		if err != nil {
			return asFlag(fs, err, nil)
		}
		if *asJSON {
			return writeJSON(env.Stdout, res)
		}
		printSensitivity(env.Stdout, res)
		return nil
	}
	bar := newProgress(env, "sim "+sc.Name, int64(*paths))
	opt.Progress = func(done, total int) { bar.Add(1) }
	if *shard != "" {
		i, n := opt.Shard, opt.Shards
		if *outDir == "" {
			return usagef("--shard needs --out DIR for the shard file")
		}
		if *hpPaths != "" {
			return usagef("--hashprice-paths cannot be combined with --shard")
		}
		lo, hi := *paths*i/n, *paths*(i+1)/n
		bar.SetTotal(int64(hi - lo))
		b, err := sim.RunShard(ctx, sc, opt)
		bar.Done()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
		name := filepath.Join(*outDir, fmt.Sprintf("shard-%05d-of-%05d.json.gz", i, n))
		if err := writeFileAtomic(name, b); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s (paths %d to %d of %d)\n", name, lo, hi-1, *paths)
		return nil
	}
	var hp *hashpricePathsWriter
	if *hpPaths != "" {
		hp = &hashpricePathsWriter{}
		opt.PathSink = hp.add
	}
	res, err := sim.Run(ctx, sc, opt)
	bar.Done()
	if err != nil {
		return err
	}
	if hp != nil {
		if err := writeFileAtomic(*hpPaths, hp.buf.Bytes()); err != nil {
			return err
		}
	}
	return emitSimResult(env, res, *asJSON, *asCSV, *outDir)
}

// hashpricePathsWriter collects each path's yearly mean hashprice.
type hashpricePathsWriter struct {
	buf bytes.Buffer
}

func (w *hashpricePathsWriter) add(_ int, names []string, vals []float64) {
	col := -1
	for i, n := range names {
		if n == "hashprice_usd_per_ph_day" {
			col = i
		}
	}
	nm := len(names)
	days := len(vals) / nm
	var parts []string
	years := max(1, int(math.Round(float64(days)/365.25)))
	for y := 0; y < years; y++ {
		start := int(math.Round(float64(y) * 365.25))
		end := min(int(math.Round(float64(y+1)*365.25)), days)
		if y == years-1 {
			end = days
		}
		s := 0.0
		for d := start; d < end; d++ {
			s += vals[d*nm+col]
		}
		parts = append(parts, strconv.FormatFloat(s/float64(end-start), 'f', 4, 64))
	}
	w.buf.WriteString(strings.Join(parts, ",") + "\n")
}

func simMerge(env *Env, args []string) error {
	fs := newFlags(env, "sim merge", "sim merge FILE... [--json|--csv] [--out DIR]")
	asJSON := fs.Bool("json", false, "print the whole result as JSON")
	asCSV := fs.Bool("csv", false, "print the daily bands as CSV")
	outDir := fs.String("out", "", "write result.json, daily.csv, epochs.csv and summary.csv into DIR")
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("sim merge needs the shard files or a directory holding them (e.g. results/)")
	}
	var expanded []string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			m, _ := filepath.Glob(filepath.Join(f, "shard-*-of-*.json.gz"))
			if len(m) == 0 {
				return usagef("%s: no shard-*-of-*.json.gz files", f)
			}
			expanded = append(expanded, m...)
			continue
		}
		expanded = append(expanded, f)
	}
	files = expanded
	var shards []*sim.Shard
	for _, f := range files {
		fh, err := openInput("FILE", f)
		if err != nil {
			return err
		}
		s, err := sim.DecodeShard(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		shards = append(shards, s)
	}
	res, err := sim.Merge(shards)
	if err != nil {
		return err
	}
	return emitSimResult(env, res, *asJSON, *asCSV, *outDir)
}

func emitSimResult(env *Env, res *sim.Result, asJSON, asCSV bool, outDir string) error {
	if outDir != "" {
		if err := writeSimOut(outDir, res); err != nil {
			return err
		}
	}
	switch {
	case asJSON:
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(append(b, '\n'))
		return err
	case asCSV:
		return writeDailyCSV(env.Stdout, res)
	}
	printSimText(env, res)
	if outDir != "" {
		fmt.Fprintf(env.Stdout, "\nWrote %s/{result.json,daily.csv,epochs.csv,summary.csv}\n", outDir)
	}
	return nil
}

func writeSimOut(dir string, res *sim.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		"daily.csv":   func(w io.Writer) error { return writeDailyCSV(w, res) },
		"epochs.csv":  func(w io.Writer) error { return writeEpochsCSV(w, res) },
		"summary.csv": func(w io.Writer) error { return writeSummaryCSV(w, res) },
	}
	if err := writeFileAtomic(filepath.Join(dir, "result.json"), append(b, '\n')); err != nil {
		return err
	}
	for _, name := range []string{"daily.csv", "epochs.csv", "summary.csv"} {
		var buf bytes.Buffer
		if err := files[name](&buf); err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(dir, name), buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func num(v sim.Num) string {
	f := float64(v)
	if math.IsNaN(f) {
		return ""
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func writeDailyCSV(w io.Writer, res *sim.Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"day", "date", "metric", "unit", "p5", "p25", "p50", "p75", "p95"})
	for _, s := range res.Daily {
		for d := range s.P50 {
			if math.IsNaN(float64(s.P50[d])) {
				continue
			}
			cw.Write([]string{strconv.Itoa(d), res.Dates[d], s.Name, s.Unit, num(s.P5[d]), num(s.P25[d]), num(s.P50[d]), num(s.P75[d]), num(s.P95[d])})
		}
	}
	cw.Flush()
	return cw.Error()
}

func quantRow(q sim.Quantiles) []string {
	return []string{num(q.P5), num(q.P25), num(q.P50), num(q.P75), num(q.P95)}
}

func writeEpochsCSV(w io.Writer, res *sim.Result) error {
	cw := csv.NewWriter(w)
	hdr := []string{"retarget", "paths"}
	for _, m := range []string{"day", "change_pct", "length_days", "blocks_over_hour"} {
		for _, q := range []string{"p5", "p25", "p50", "p75", "p95"} {
			hdr = append(hdr, m+"_"+q)
		}
	}
	cw.Write(hdr)
	for _, e := range res.Epochs {
		row := []string{strconv.Itoa(e.Index), strconv.Itoa(e.Paths)}
		for _, q := range []sim.Quantiles{e.Day, e.ChangePct, e.LengthDays, e.BlocksOverHour} {
			row = append(row, quantRow(q)...)
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func writeSummaryCSV(w io.Writer, res *sim.Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"stat", "unit", "paths", "p5", "p25", "p50", "p75", "p95"})
	for _, s := range res.Summary {
		cw.Write(append([]string{s.Name, s.Unit, strconv.Itoa(s.Paths)}, quantRow(s.Q)...))
	}
	cw.Flush()
	return cw.Error()
}

// checkpoints are the days shown in the text report.
func checkpoints(days int) []int {
	var out []int
	for _, d := range []int{0, 30, 91, 182} {
		if d < days {
			out = append(out, d)
		}
	}
	for d := 365; d < days; d += 365 {
		out = append(out, d)
	}
	if last := days - 1; len(out) == 0 || out[len(out)-1] != last {
		out = append(out, last)
	}
	return out
}

func printSimText(env *Env, res *sim.Result) {
	w := env.Stdout
	fmt.Fprintf(w, "Scenario %s: %s\n", res.Scenario, res.Description)
	fmt.Fprintf(w, "%d paths, seed %d, %g years (%d days) from height %s (%s), %s engine\n",
		res.Paths, res.Seed, res.Years, res.Days, commas(res.StartHeight), res.Dates[0], res.Engine)
	fmt.Fprintf(w, "Start: %s, hashprice %s/PH/day\n", siHashrate(res.StartHashrateHs), usd(res.StartHashpriceUSDPerPHDay))
	if len(res.Population) > 0 {
		fmt.Fprintln(w, "\nPopulation at the start (built for the start date, calibrated to its hashrate):")
		tw := newTable(w)
		fmt.Fprintln(tw, "CLASS\tOPERATORS\tINSTALLED\tRUNNING\tJ/TH\tPOWER $/kWh")
		for _, c := range res.Population {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.1f\t%.3f\n", c.Class, c.Operators, siHashrate(c.InstalledHs), siHashrate(c.RunningHs), c.JoulesPerTH, c.PowerUSDPerKWh)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\nDaily bands, p5 / p50 / p95:")
	printBands(w, res, checkpoints(res.Days), []bandRow{
		{"hashrate_hs", "hashrate", siHashrate},
		{"difficulty", "difficulty", func(v float64) string { return siNumber(v) }},
		{"hashprice_usd_per_ph_day", "hashprice $/PH/day", func(v float64) string { return fmt.Sprintf("%.2f", v) }},
		{"price_usd", "BTC price $", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"block_interval_s", "block interval s", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"security_budget_usd", "security budget $/day", func(v float64) string { return siNumber(v) }},
		{"miner_btc_sold", "miner BTC sold/day", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"curtailed_hs", "curtailed", siHashrate},
		{"converted_hs", "converted to AI", siHashrate},
		{"hhi_pool", "HHI by pool", func(v float64) string { return fmt.Sprintf("%.3f", v) }},
		{"nakamoto_pool", "Nakamoto coef. pools", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"nakamoto_operator", "Nakamoto coef. operators", func(v float64) string { return fmt.Sprintf("%.0f", v) }},
		{"small_miner_revenue_share", "small miners' revenue share", func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }},
	})
	fmt.Fprintf(w, "Halted paths (network hashrate 0: no blocks, no retarget; left out of the bands): %d of %d\n", res.HaltedPaths, res.Paths)
	if res.HaltedPaths > 0 {
		for _, d := range checkpoints(res.Days) {
			fmt.Fprintf(w, "  %s: %d halted\n", res.Dates[d], res.HaltedByDay[d])
		}
	}
	fmt.Fprintln(w, "\nPer path, p5 / p50 / p95:")
	tw := newTable(w)
	for _, st := range res.Summary {
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
		if strings.HasSuffix(st.Name, "_hs") {
			f = siHashrate
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Name, band(f, st.Q.P5, st.Q.P50, st.Q.P95), st.Unit)
	}
	tw.Flush()
	if len(res.Epochs) > 0 {
		fmt.Fprintln(w, "\nRetargets, p5 / p50 / p95:")
		tw = newTable(w)
		fmt.Fprintln(tw, "#\tDAY\tCHANGE %\tEPOCH DAYS\tBLOCKS > 1h")
		pct := func(v float64) string { return fmt.Sprintf("%+.1f", v) }
		one := func(v float64) string { return fmt.Sprintf("%.1f", v) }
		for i, e := range res.Epochs {
			if i >= 6 && i != len(res.Epochs)-1 {
				if i == 6 {
					fmt.Fprintln(tw, "…\t\t\t\t")
				}
				continue
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Index, band(one, e.Day.P5, e.Day.P50, e.Day.P95),
				band(pct, e.ChangePct.P5, e.ChangePct.P50, e.ChangePct.P95),
				band(one, e.LengthDays.P5, e.LengthDays.P50, e.LengthDays.P95),
				band(func(v float64) string { return fmt.Sprintf("%.0f", v) }, e.BlocksOverHour.P5, e.BlocksOverHour.P50, e.BlocksOverHour.P95))
		}
		tw.Flush()
	}
	for _, n := range res.Notes {
		fmt.Fprintln(w, "Note:", n)
	}
}

// bandRow is one metric of a band table: its series, label and format.
type bandRow struct {
	name, label string
	f           func(float64) string
}

// printBands writes a table of p5 / p50 / p95 bands: one row per series
// of rows the result has, one column per day in days.
func printBands(w io.Writer, res *sim.Result, days []int, rows []bandRow) {
	tw := newTable(w)
	hdr := "METRIC"
	for _, d := range days {
		hdr += "\t" + res.Dates[d]
	}
	fmt.Fprintln(tw, hdr)
	for _, r := range rows {
		s := res.Series(r.name)
		if s == nil {
			continue
		}
		line := r.label
		for _, d := range days {
			line += "\t" + band(r.f, s.P5[d], s.P50[d], s.P95[d])
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

func band(f func(float64) string, a, b, c sim.Num) string {
	g := func(v sim.Num) string {
		if math.IsNaN(float64(v)) {
			return "n/a" // undefined on this day (no path has a value)
		}
		if math.IsInf(float64(v), 1) {
			return "∞"
		}
		return f(float64(v))
	}
	return g(a) + " / " + g(b) + " / " + g(c)
}

// printSensitivity writes the tornado: per parameter, its low and high
// values and each headline output's change from the base run at each end.
func printSensitivity(w io.Writer, s *sim.Sensitivity) {
	fmt.Fprintf(w, "Sensitivity of %s in the 30 days to %s (mean daily p50 of %d paths, seed %d; each parameter x(1-%g) and x(1+%g), the others as in the scenario, same random numbers)\n",
		s.Scenario, s.Date, s.Paths, s.Seed, s.Delta, s.Delta)
	labels := map[string]string{"hashrate_hs": "HASHRATE", "hashprice_usd_per_ph_day": "HASHPRICE $/PH/day", "security_budget_usd": "SECURITY BUDGET $/day", "nakamoto_operator": "NAKAMOTO (OPERATORS)"}
	format := map[string]func(float64) string{"hashrate_hs": siHashrate, "hashprice_usd_per_ph_day": func(v float64) string { return fmt.Sprintf("%.2f", v) },
		"security_budget_usd": siNumber, "nakamoto_operator": func(v float64) string { return fmt.Sprintf("%.0f", v) }}
	tw := newTable(w)
	fmt.Fprint(tw, "PARAMETER\tLOW .. HIGH")
	for _, o := range s.Outputs {
		fmt.Fprint(tw, "\t"+labels[o])
	}
	fmt.Fprint(tw, "\tSWING\n(base)\t")
	for i, o := range s.Outputs {
		fmt.Fprint(tw, "\t"+format[o](float64(s.Base[i])))
	}
	fmt.Fprintln(tw, "\t")
	pct := func(v, base sim.Num) string {
		if base == 0 || math.IsNaN(float64(v)) || math.IsNaN(float64(base)) {
			return "n/a"
		}
		return fmt.Sprintf("%+.1f%%", 100*(float64(v)/float64(base)-1))
	}
	for _, r := range s.Rows {
		fmt.Fprintf(tw, "%s\t%.4g .. %.4g", r.Field, r.Low, r.High)
		for i := range s.Outputs {
			fmt.Fprintf(tw, "\t%s / %s", pct(r.OutLow[i], s.Base[i]), pct(r.OutHigh[i], s.Base[i]))
		}
		fmt.Fprintf(tw, "\t%.1f%%\n", 100*r.Swing)
	}
	tw.Flush()
	for _, r := range s.Rows {
		if r.Note != "" {
			fmt.Fprintf(w, "Note: %s: %s\n", r.Field, r.Note)
		}
	}
	fmt.Fprintln(w, "Columns: the output's change from the base run with the parameter at LOW / at HIGH. SWING: the largest |high - low| / base over the outputs.")
}
