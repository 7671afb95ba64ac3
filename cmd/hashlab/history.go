package main

import (
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/store"
)

func init() {
	register(command{Name: "history", Summary: "history from the database: hashprice per day/week/epoch, every difficulty adjustment, daily hashrate, miners' reserves and outflow", Run: runHistory})
	register(command{Name: "pools", Summary: "blocks and share per mining pool over a window, HHI and Nakamoto coefficient (from the database)", Run: runPools})
}

const historyUsage = `history hashprice [--from DATE] [--to DATE] [--every day|week|epoch] [--db FILE] [--json|--csv]
       hashlab history adjustments [--from DATE] [--to DATE] [--db FILE] [--json|--csv]
       hashlab history hashrate [--from DATE] [--to DATE] [--confidence 0.95] [--db FILE] [--json|--csv]
       hashlab history miners [--from DATE] [--to DATE] [--pool SLUG] [--labels FILE] [--pools FILE] [--compare-sim SCENARIO [--sim-paths 200] [--sim-seed 1]] [--db FILE] [--json|--csv]`

const poolsUsage = `pools [--window 1w | --from DATE --to DATE] [--pools FILE] [--db FILE] [--json|--csv]`

// dbFlags are the flags every database query shares.
type dbFlags struct {
	db       *string
	from, to *string
	asJSON   *bool
	asCSV    *bool
}

func addDBFlags(fs *flag.FlagSet, env *Env) *dbFlags {
	return &dbFlags{
		db:     fs.String("db", "", "database file (default "+store.DefaultPath(env.Getenv)+")"),
		from:   fs.String("from", "", "first UTC day, YYYY-MM-DD (inclusive)"),
		to:     fs.String("to", "", "last UTC day, YYYY-MM-DD (inclusive)"),
		asJSON: fs.Bool("json", false, "print JSON"),
		asCSV:  fs.Bool("csv", false, "print CSV"),
	}
}

// rng parses --from and --to into a half-open range of whole UTC days.
func (f *dbFlags) rng() (history.Range, error) {
	var rg history.Range
	for _, x := range []struct {
		name string
		val  string
		dst  *time.Time
		add  int
	}{{"--from", *f.from, &rg.From, 0}, {"--to", *f.to, &rg.To, 1}} {
		if x.val == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, x.val)
		if err != nil {
			return rg, usagef("%s %q is not a date (allowed: YYYY-MM-DD, UTC)", x.name, x.val)
		}
		*x.dst = t.AddDate(0, 0, x.add)
	}
	if !rg.From.IsZero() && !rg.To.IsZero() && !rg.From.Before(rg.To) {
		return rg, usagef("--from %s is after --to %s (allowed: from <= to)", *f.from, *f.to)
	}
	return rg, nil
}

func (f *dbFlags) check() error {
	if *f.asJSON && *f.asCSV {
		return usagef("--json and --csv: choose one")
	}
	return nil
}

// openExistingDB opens the database of a query (history, pools, serve
// --db, security concentration --db). It never creates one or turns
// another file into one: a missing path, a directory, an empty file or a
// file that is not a hashlab database is bad input naming --db (exit 2).
func openExistingDB(ctx context.Context, path string) (*store.DB, error) {
	db, err := store.OpenExisting(ctx, path)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "--db"
		return nil, ie
	}
	if err != nil {
		return nil, fmt.Errorf("--db %s: %w", shownDB(path), err)
	}
	return db, nil
}

// dbPath is the database --db names, or the default one.
func dbPath(f *dbFlags, env *Env) string {
	if *f.db == "" {
		return store.DefaultPath(env.Getenv)
	}
	return *f.db
}

// open opens an existing database.
func (f *dbFlags) open(ctx context.Context, env *Env) (*store.DB, *consensus.Params, error) {
	path := dbPath(f, env)
	db, err := openExistingDB(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	net, err := db.Network(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	if net == "" {
		net = "mainnet"
	}
	p, err := networkParams(net)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return db, p, nil
}

func runHistory(ctx context.Context, env *Env, args []string) error {
	kind, err := subcommand(env, "history", "show", []string{"hashprice", "adjustments", "hashrate", "miners"}, historyUsage, args)
	if err != nil {
		return err
	}
	if kind == "miners" {
		return runHistoryMiners(ctx, env, args[1:])
	}
	fs := newFlags(env, "history "+kind, historyUsage)
	df := addDBFlags(fs, env)
	every := fs.String("every", "day", "hashprice: one point per day, week (ISO, Monday UTC) or epoch")
	conf := fs.Float64("confidence", 0.95, "hashrate: confidence of the interval (0 < c < 1)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("history %s takes no arguments, got %q", kind, pos)
	}
	if err := df.check(); err != nil {
		return err
	}
	rg, err := df.rng()
	if err != nil {
		return err
	}
	period, err := history.ParsePeriod(*every)
	if err != nil {
		return usagef("--every %q is not a period (allowed: day, week, epoch)", *every)
	}
	if !(*conf > 0 && *conf < 1) {
		return usagef("--confidence %v is out of range (allowed: 0 < c < 1)", *conf)
	}
	db, p, err := df.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	switch kind {
	case "hashprice":
		pts, err := history.Hashprice(ctx, db, db, p, rg, period)
		if err != nil {
			return err
		}
		return printHashpriceHistory(env.Stdout, df, pts)
	case "adjustments":
		adj, err := history.Adjustments(ctx, db, p)
		if err != nil {
			return err
		}
		from, to := rg.From.Unix(), rg.To.Unix()
		kept := adj[:0]
		for _, a := range adj {
			if (rg.From.IsZero() || a.Time >= from) && (rg.To.IsZero() || a.Time < to) {
				kept = append(kept, a)
			}
		}
		if len(kept) == 0 {
			return history.ErrNoData
		}
		return printAdjustments(env.Stdout, df, kept)
	default:
		days, err := history.Hashrate(ctx, db, rg, *conf)
		if err != nil {
			return err
		}
		return printHashrateHistory(env.Stdout, df, days)
	}
}

func ff(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	cw.Write(header)
	cw.WriteAll(rows)
	return cw.Error()
}

func printHashpriceHistory(w io.Writer, df *dbFlags, pts []history.HashpricePoint) error {
	if *df.asJSON {
		return writeJSON(w, pts)
	}
	usdOf := func(p history.HashpricePoint) string {
		if p.USDPerPHDay == nil {
			return ""
		}
		return ff(*p.USDPerPHDay, 2)
	}
	if *df.asCSV {
		rows := make([][]string, len(pts))
		for i, p := range pts {
			rows[i] = []string{p.Start, strconv.FormatInt(p.FirstHeight, 10), strconv.FormatInt(p.LastHeight, 10), strconv.FormatInt(p.Blocks, 10),
				strconv.FormatFloat(p.Difficulty, 'g', -1, 64), strconv.FormatFloat(p.BTCPerPHDay, 'g', -1, 64), usdOf(p), strconv.FormatBool(p.FeesIncluded)}
		}
		return writeCSV(w, []string{"start", "first_height", "last_height", "blocks", "difficulty", "btc_per_ph_day", "usd_per_ph_day", "fees_included"}, rows)
	}
	t := newTable(w)
	fmt.Fprintln(t, "START\tHEIGHTS\tBLOCKS\tDIFFICULTY\tBTC/PH/DAY\tUSD/PH/DAY\tFEES")
	anyNoFees, anyNoUSD := false, false
	var low *history.HashpricePoint
	for i, p := range pts {
		u := usdOf(p)
		if u == "" {
			u, anyNoUSD = "-", true
		}
		fees := "yes"
		if !p.FeesIncluded {
			fees, anyNoFees = "no", true
		}
		fmt.Fprintf(t, "%s\t%d-%d\t%d\t%s\t%.8f\t%s\t%s\n", p.Start, p.FirstHeight, p.LastHeight, p.Blocks, siNumber(p.Difficulty), p.BTCPerPHDay, u, fees)
		if p.USDPerPHDay != nil && (low == nil || *p.USDPerPHDay < *low.USDPerPHDay) {
			low = &pts[i]
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	if low != nil {
		fmt.Fprintf(w, "\nLowest hashprice in this range: $%.2f/PH/day (%s)\n", *low.USDPerPHDay, low.Start)
	}
	if anyNoFees {
		fmt.Fprintln(w, "FEES no: subsidy only for blocks without fee data (imported from files); ingest from a node, or hashlab import fees --from mempool --since DATE, to include fees.")
	}
	if anyNoUSD {
		fmt.Fprintln(w, "USD -: no price for some day of the period (hashlab import prices FILE, or --from mempool|coinbase|kraken|bitstamp|gemini --since DATE).")
	}
	return nil
}

func printAdjustments(w io.Writer, df *dbFlags, adj []history.Adjustment) error {
	if *df.asJSON {
		return writeJSON(w, adj)
	}
	days := func(a history.Adjustment) string {
		if a.EpochDurationSec == 0 {
			return ""
		}
		return ff(float64(a.EpochDurationSec)/86400, 2)
	}
	if *df.asCSV {
		rows := make([][]string, len(adj))
		for i, a := range adj {
			rows[i] = []string{strconv.FormatInt(a.Height, 10), a.Date, a.Bits.String(), strconv.FormatFloat(a.Difficulty, 'g', -1, 64),
				ff(a.ChangePct, 4), strconv.FormatInt(a.EpochDurationSec, 10), days(a)}
		}
		return writeCSV(w, []string{"height", "date", "bits", "difficulty", "change_pct", "epoch_duration_sec", "epoch_days"}, rows)
	}
	t := newTable(w)
	fmt.Fprintln(t, "HEIGHT\tDATE\tBITS\tDIFFICULTY\tCHANGE\tEPOCH DAYS\tMEAN INTERVAL")
	lo, hi := adj[0], adj[0]
	for _, a := range adj {
		d, mi := days(a), ""
		if d == "" {
			d = "-"
		} else {
			mi = ff(a.MeanIntervalSec, 0) + " s"
		}
		fmt.Fprintf(t, "%d\t%s\t%s\t%s\t%+.2f%%\t%s\t%s\n", a.Height, a.Date, a.Bits, siNumber(a.Difficulty), a.ChangePct, d, mi)
		if a.ChangePct < lo.ChangePct {
			lo = a
		}
		if a.ChangePct > hi.ChangePct {
			hi = a
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d adjustments; %s; %s\n", len(adj), extreme("drop", lo, lo.ChangePct < 0), extreme("rise", hi, hi.ChangePct > 0))
	return nil
}

// extreme labels the largest drop or rise by its sign: "no rise" when no
// adjustment of the range went up (a range of drops has no largest rise).
func extreme(kind string, a history.Adjustment, ok bool) string {
	if !ok {
		return "no " + kind
	}
	return fmt.Sprintf("largest %s %+.2f%% at %d (%s)", kind, a.ChangePct, a.Height, a.Date)
}

func printHashrateHistory(w io.Writer, df *dbFlags, days []history.DayHashrate) error {
	if *df.asJSON {
		return writeJSON(w, days)
	}
	if *df.asCSV {
		rows := make([][]string, len(days))
		g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		for i, d := range days {
			rows[i] = []string{d.Date, strconv.FormatInt(d.Blocks, 10), g(d.MeanDifficulty), g(d.HashrateHs), g(d.LowerHs), g(d.UpperHs), g(d.Confidence)}
		}
		return writeCSV(w, []string{"date", "blocks", "mean_difficulty", "hashrate_hs", "lower_hs", "upper_hs", "confidence"}, rows)
	}
	t := newTable(w)
	conf := 0.0
	if len(days) > 0 {
		conf = days[0].Confidence
	}
	fmt.Fprintf(t, "DATE\tBLOCKS\tDIFFICULTY\tHASHRATE\t%g%% INTERVAL\n", 100*conf)
	for _, d := range days {
		fmt.Fprintf(t, "%s\t%d\t%s\t%s\t%s .. %s\n", d.Date, d.Blocks, siNumber(d.MeanDifficulty), siHashrate(d.HashrateHs), siHashrate(d.LowerHs), siHashrate(d.UpperHs))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nHashrate = sum over the day's blocks of difficulty x 2^32 / 86,400 s (the day's expected work); the interval is exact for a Poisson count of blocks.")
	return nil
}

// parseWindow reads a window such as 24h, 3d, 1w, 1m (30 days), 6m or
// 1y (365 days), the spans mempool.space offers.
func parseWindow(s string) (time.Duration, error) {
	bad := usagef("--window %q is not a window (allowed: a positive number followed by h, d, w, m (30 days) or y (365 days), e.g. 24h, 1w, 3m, 1y)", s)
	if len(s) < 2 {
		return 0, bad
	}
	n, err := strconv.ParseFloat(s[:len(s)-1], 64)
	if err != nil || !(n > 0) || math.IsInf(n, 0) {
		return 0, bad
	}
	unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'm': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 || n*float64(unit) > float64(50*365*24*time.Hour) {
		return 0, bad
	}
	return time.Duration(n * float64(unit)), nil
}

func runPools(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "pools", poolsUsage)
	df := addDBFlags(fs, env)
	pf := addPoolFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("pools takes no arguments, got %q", pos)
	}
	if err := df.check(); err != nil {
		return err
	}
	rep, err := pf.report(ctx, env, fs, df)
	if err != nil {
		return err
	}
	return printPools(env.Stdout, df, rep)
}

// poolFlags choose the blocks whose pools are counted.
type poolFlags struct {
	window    *string
	poolsFile *string
}

func addPoolFlags(fs *flag.FlagSet) *poolFlags {
	return &poolFlags{
		window:    fs.String("window", "1w", "span ending at the newest stored block: 24h, 3d, 1w, 1m (30 days), 3m, 1y (365 days); or give --from/--to"),
		poolsFile: fs.String("pools", "", "pools definition file for display names (mempool mining-pools pools-v2 JSON; default: the embedded list)"),
	}
}

// report counts blocks per pool in the database over --window or
// --from/--to.
func (pf *poolFlags) report(ctx context.Context, env *Env, fs *flag.FlagSet, df *dbFlags) (history.PoolReport, error) {
	var rep history.PoolReport
	rg, err := df.rng()
	if err != nil {
		return rep, err
	}
	ranged := !rg.From.IsZero() || !rg.To.IsZero()
	if ranged && flagWasSet(fs, "window") {
		return rep, usagef("--window and --from/--to: choose one")
	}
	win, err := parseWindow(*pf.window)
	if err != nil {
		return rep, err
	}
	ps, err := loadPools(*pf.poolsFile)
	if err != nil {
		return rep, err
	}
	names := func(slug string) string { return ps.Name(slug) }
	db, _, err := df.open(ctx, env)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	if !ranged {
		return history.PoolsWindow(ctx, db, win, names)
	}
	from, to := rg.From, rg.To
	if from.IsZero() {
		from = time.Unix(0, 0)
	}
	if to.IsZero() {
		last, ok, err := db.LastBlock(ctx)
		if err != nil {
			return rep, err
		}
		if !ok {
			return rep, history.ErrNoData
		}
		to = time.Unix(last.Time+1, 0)
	}
	return history.Pools(ctx, db, from, to, names)
}

// loadPools reads a pools definition file, or returns the embedded list.
func loadPools(path string) (*chain.Pools, error) {
	if path == "" {
		return chain.DefaultPools(), nil
	}
	f, err := openInput("--pools", path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ps, err := chain.ParsePools(f)
	if err != nil {
		cause := err.Error()
		if ie, ok := hashlab.AsInput(err); ok {
			cause = ie.Value
		}
		return nil, hashlab.Invalid("--pools", path, "a JSON array of {id, name, addresses, tags, link} (mempool/mining-pools pools-v2.json) or the legacy pools.json; this file: "+cause)
	}
	return ps, nil
}

func printPools(w io.Writer, df *dbFlags, rep history.PoolReport) error {
	if *df.asJSON {
		return writeJSON(w, rep)
	}
	if *df.asCSV {
		rows := make([][]string, len(rep.Pools))
		for i, p := range rep.Pools {
			rows[i] = []string{p.Slug, p.Name, strconv.FormatInt(p.Blocks, 10), strconv.FormatFloat(p.Share, 'g', -1, 64)}
		}
		return writeCSV(w, []string{"slug", "name", "blocks", "share"}, rows)
	}
	from, to := time.Unix(rep.From, 0).UTC(), time.Unix(rep.To, 0).UTC()
	fmt.Fprintf(w, "%s blocks from %s to %s\n\n", commas(rep.Blocks), from.Format("2006-01-02 15:04"), to.Format("2006-01-02 15:04 UTC"))
	t := newTable(w)
	fmt.Fprintln(t, "#\tPOOL\tBLOCKS\tSHARE\tCUMULATIVE")
	cum := 0.0
	for i, p := range rep.Pools {
		cum += p.Share
		fmt.Fprintf(t, "%d\t%s\t%d\t%.2f%%\t%.2f%%\n", i+1, p.Name, p.Blocks, 100*p.Share, 100*cum)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nHHI %.4f (%.0f on the 0-10,000 scale); Nakamoto coefficient %d pools for > 50%%, %d for > 33%%", rep.HHI, 1e4*rep.HHI, rep.Nakamoto50, rep.Nakamoto33)
	if rep.UnknownBlocks > 0 {
		fmt.Fprintf(w, "; %d unattributed blocks (%.2f%%) are not a pool: left out of HHI and the Nakamoto coefficients", rep.UnknownBlocks, 100*float64(rep.UnknownBlocks)/float64(rep.Blocks))
	}
	fmt.Fprintln(w)
	return nil
}
