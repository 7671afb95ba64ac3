package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/pool"
	"github.com/hashlab/hashlab/pool/poolfile"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/store"
)

func init() {
	register(command{Name: "pool", Summary: "pool luck from a pool's reported hashrate and its blocks, with exact Poisson bands; the payout audit of a pool account's export", Run: runPool})
}

const poolUsage = `pool luck --hashrate FILE (--blocks FILE | --db FILE) [--pool SLUG] [--from DATE] [--to DATE] [--every day|month|year|all] [--confidence 0.95] [--json|--csv]
       hashlab pool audit EXPORT [--scheme fpps|pps+|pplns|solo] [--fee 0.02] [--fees-btc F | --db FILE] [--blocks FILE] [--pool-hashrate-ehs H] [--confidence 0.95] [--json|--csv]

Subcommands:
  luck   a whole pool's luck: its blocks against what its reported daily hashrate should find at each day's difficulty
  audit  an account's export (date, hashrate, payout): the expected FPPS/PPS+ payout per day, the difference and its running sum; luck for PPLNS or solo

See docs/pool.md for the definitions and their sources.`

func runPool(ctx context.Context, env *Env, args []string) error {
	kind, err := subcommand(env, "pool", "compute", []string{"luck", "audit"}, poolUsage, args)
	if err != nil {
		return err
	}
	if kind == "luck" {
		return poolLuck(ctx, env, args[1:])
	}
	return poolAudit(ctx, env, args[1:])
}

// openInput opens a file named by a flag or argument; a file that cannot
// be opened is bad input naming it.
func openInput(field, path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, hashlab.Invalid(field, path, "a readable file ("+strings.TrimPrefix(err.Error(), "open "+path+": ")+")")
	}
	return f, nil
}

// readInput reads a user's input file whole; a missing or unreadable
// file is an input error naming field (the flag or argument), the path
// and "a readable file".
func readInput(field, path string) ([]byte, error) {
	f, err := openInput(field, path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, hashlab.Invalid(field, path, "a readable file ("+strings.TrimPrefix(err.Error(), "read "+path+": ")+")")
	}
	return b, nil
}

// blocksFrom returns the blocks reader of --blocks or --db and a closer.
func blocksFrom(ctx context.Context, blocksPath, dbPath string) (service.BlocksByTime, *store.DB, func(), string, error) {
	read, db, closeFn, src, _, err := blocksAndSpan(ctx, blocksPath, dbPath)
	return read, db, closeFn, src, err
}

// blocksSpan gives the header times of the first and last block of a
// source (ok false when it has none).
type blocksSpan = func(ctx context.Context) (first, last int64, ok bool, err error)

// blocksAndSpan is blocksFrom with the span of the source's blocks: of a
// CSV, the rows seen by the reads so far (a read sees every row); of a
// database, its lowest and highest heights.
func blocksAndSpan(ctx context.Context, blocksPath, dbPath string) (service.BlocksByTime, *store.DB, func(), string, blocksSpan, error) {
	switch {
	case blocksPath != "" && dbPath != "":
		return nil, nil, nil, "", nil, usagef("--blocks and --db: choose one source of blocks")
	case blocksPath != "":
		f, err := openInput("--blocks", blocksPath)
		if err != nil {
			return nil, nil, nil, "", nil, err
		}
		read := poolfile.BlocksCSV(f)
		var first, last int64
		seen := false
		wrapped := func(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
			err := read(ctx, math.MinInt64, math.MaxInt64, func(b chain.BlockRecord) error {
				if !seen || b.Time < first {
					first = b.Time
				}
				if !seen || b.Time > last {
					last = b.Time
				}
				seen = true
				if b.Time < from || b.Time >= to {
					return nil
				}
				return fn(b)
			})
			if err != nil {
				return inFile(blocksPath, err)
			}
			return nil
		}
		span := func(context.Context) (int64, int64, bool, error) { return first, last, seen, nil }
		return wrapped, nil, func() { f.Close() }, "blocks CSV " + blocksPath, span, nil
	case dbPath != "":
		db, err := openExistingDB(ctx, dbPath)
		if err != nil {
			return nil, nil, nil, "", nil, err
		}
		span := func(ctx context.Context) (int64, int64, bool, error) {
			c, err := db.Count(ctx)
			if err != nil || c.Blocks == 0 {
				return 0, 0, false, err
			}
			lo, _, err := db.Block(ctx, c.MinHeight)
			if err != nil {
				return 0, 0, false, err
			}
			hi, _, err := db.Block(ctx, c.MaxHeight)
			return lo.Time, hi.Time, err == nil, err
		}
		return db.BlocksByTime, db, func() { db.Close() }, "database " + dbPath, span, nil
	}
	return nil, nil, func() {}, "", nil, nil
}

func poolLuck(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "pool luck", poolUsage)
	hashrate := fs.String("hashrate", "", "the pool's reported daily hashrate: CSV date,pool_key,hashrate (H/s)")
	blocks := fs.String("blocks", "", "blocks CSV height,time,pool_slug (plain or gzip), e.g. shared/data/blocks/")
	dbPath := fs.String("db", "", "read the blocks from this chain database instead")
	slug := fs.String("pool", "", "the pool's slug in the blocks (default: the hashrate file's pool_key)")
	from := fs.String("from", "", "first UTC day, YYYY-MM-DD (inclusive; default: the file's first)")
	to := fs.String("to", "", "last UTC day, YYYY-MM-DD (inclusive; default: the file's last)")
	every := fs.String("every", "month", "one row per day, month, year, or all")
	conf := fs.Float64("confidence", service.DefaultLuckConfidence, "coverage of the bands (0 < c < 1)")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	period, err := pool.ParsePeriod(*every)
	if err != nil {
		return asFlag(fs, err, nil)
	}
	if !(*conf > 0 && *conf < 1) {
		return hashlab.Invalid("--confidence", *conf, "0 < c < 1")
	}
	if *hashrate == "" {
		return usagef("--hashrate FILE is required (the pool's reported daily hashrate)")
	}
	if *blocks == "" && *dbPath == "" {
		return usagef("--blocks FILE or --db FILE is required (the pool's blocks)")
	}
	hf, err := openInput("--hashrate", *hashrate)
	if err != nil {
		return err
	}
	days, key, err := poolfile.ReportedHashrate(hf, *slug)
	hf.Close()
	if err != nil {
		return inFile(*hashrate, err)
	}
	if *slug != "" {
		key = *slug
	}
	read, _, closeFn, src, span, err := blocksAndSpan(ctx, *blocks, *dbPath)
	if err != nil {
		return err
	}
	defer closeFn()
	ans, err := service.New(nil, env.Now).PoolLuck(ctx, read, service.PoolLuckRequest{
		Pool: key, Hashrate: days, From: *from, To: *to, Every: period, Confidence: *conf, BlocksSource: src, BlocksSpan: span,
	})
	if ie, ok := hashlab.AsInput(err); ok && ie.Field == service.BlocksField {
		// The blocks fall short of the hashrate file's days: name the
		// source the user gave.
		c := *ie
		if *dbPath != "" {
			c.Field, c.Value, c.Allowed = "--db", hashlab.FormatValue(*dbPath), "a database with "+ie.Allowed
		} else {
			c.Field, c.Value, c.Allowed = "--blocks", hashlab.FormatValue(*blocks), "a blocks CSV with "+ie.Allowed
		}
		return &c
	}
	if err != nil {
		return asFlag(fs, err, map[string]string{"every": "every"})
	}
	switch {
	case *asJSON:
		return writeJSON(env.Stdout, ans)
	case *asCSV:
		fmt.Fprintln(env.Stdout, "period,from,to,days,mean_hashrate_hs,blocks,expected_blocks,luck,lower,upper,band_lower,band_upper,p_value")
		for _, p := range append(ans.Periods, ans.Total) {
			fmt.Fprintf(env.Stdout, "%s,%s,%s,%d,%.6g,%d,%.4f,%s,%s,%s,%s,%s,%s\n", p.Period, p.From, p.To, p.Days, p.MeanHashrateHs, p.Blocks, p.ExpectedBlocks,
				csvNum(p.Ratio, 6), csvNum(p.Lower, 6), csvNum(p.Upper, 6), csvNum(p.BandLower, 6), csvNum(p.BandUpper, 6), csvNum(p.PValue, 4))
		}
		return nil
	}
	t := ans.Total
	fmt.Fprintf(env.Stdout, "Luck of pool %s from its reported hashrate, %s .. %s (%d days); blocks from %s\n", ans.Pool, t.From, t.To, t.Days, ans.BlocksSource)
	fmt.Fprintf(env.Stdout, "luck = blocks / expected; %.0f%% exact Poisson interval of the luck; band = where luck falls %.0f%% of the time if the reported hashrate is right\n\n", *conf*100, *conf*100)
	w := newTable(env.Stdout)
	fmt.Fprintln(w, "PERIOD\tDAYS\tMEAN HASHRATE\tBLOCKS\tEXPECTED\tLUCK\tINTERVAL\tBAND AT LUCK 1\tP-VALUE")
	for _, p := range append(ans.Periods, t) {
		name := p.Period
		if name == "all" {
			name = "total"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%.1f\t%s\t%s .. %s\t%s .. %s\t%s\n", name, p.Days, siHashrate(p.MeanHashrateHs), commas(p.Blocks), p.ExpectedBlocks,
			fmtNum(p.Ratio, 4), fmtNum(p.Lower, 4), fmtNum(p.Upper, 4), fmtNum(p.BandLower, 4), fmtNum(p.BandUpper, 4), fmtP(p.PValue))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if ans.BlocksOutside > 0 {
		fmt.Fprintf(env.Stdout, "\n%s blocks of %s fell on days without a reported hashrate (left out)\n", commas(ans.BlocksOutside), ans.Pool)
	}
	return nil
}

// signedCommas is commas for any sign.
func signedCommas(n int64) string {
	if n < 0 {
		return "-" + commas(-n)
	}
	return commas(n)
}

// fmtNum prints a number with prec decimals, n/a when undefined.
func fmtNum(v hashlab.Num, prec int) string {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", prec, f)
}

// fmtP prints a p-value with three significant digits, "< 0.0001"
// below that.
func fmtP(v hashlab.Num) string {
	f := float64(v)
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return "n/a"
	case f < 1e-4:
		return "< 0.0001"
	}
	return fmt.Sprintf("%.3g", f)
}

// csvNum is fmtNum for CSV: empty when undefined.
func csvNum(v hashlab.Num, prec int) string {
	if s := fmtNum(v, prec); s != "n/a" {
		return s
	}
	return ""
}

func poolAudit(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "pool audit", poolUsage)
	scheme := fs.String("scheme", "fpps", "payout scheme: fpps, pps+, pplns or solo")
	fee := fs.Float64("fee", 0.02, "pool fee as a fraction (0.02 = 2%)")
	snap := snapshot.Default()
	feesBTC := fs.Float64("fees-btc", snap.FeesPerBlockBTC, "mean transaction fees per block, BTC, on days the database gives none (default: the snapshot's reference assumption)")
	dbPath := fs.String("db", "", "chain database: the difficulty from its blocks, and each day's fees per block (the node-ingested blocks' own, else imported daily fees)")
	blocks := fs.String("blocks", "", "blocks CSV height,time,pool_slug: the difficulty from the blocks (default: the embedded epoch table)")
	poolEHs := fs.Float64("pool-hashrate-ehs", 0, "pplns: the whole pool's mean hashrate, EH/s, for the band of the payout ratio")
	conf := fs.Float64("confidence", service.DefaultLuckConfidence, "coverage of the bands (0 < c < 1)")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("pool audit takes exactly one EXPORT file, got %d arguments", len(pos))
	}
	sch, err := pool.ParseScheme(*scheme)
	if err != nil {
		return asFlag(fs, err, nil)
	}
	if !(*fee >= 0 && *fee < 1) {
		return hashlab.Invalid("--fee", *fee, "a fraction 0 <= fee < 1 (0.02 = 2%)")
	}
	if !(*feesBTC >= 0 && *feesBTC <= 21e6) {
		return hashlab.Invalid("--fees-btc", *feesBTC, "0 to 21,000,000 BTC")
	}
	if !(*poolEHs >= 0 && *poolEHs < 1e9) {
		return hashlab.Invalid("--pool-hashrate-ehs", *poolEHs, "0 (none) or a hashrate in EH/s")
	}
	if !(*conf > 0 && *conf < 1) {
		return hashlab.Invalid("--confidence", *conf, "0 < c < 1")
	}
	ef, err := openInput("EXPORT", pos[0])
	if err != nil {
		return err
	}
	days, err := poolfile.AccountExport(ef)
	ef.Close()
	if err != nil {
		return inFile(pos[0], err)
	}
	req := service.PoolAuditRequest{
		Days: days, Scheme: sch, PoolFee: *fee, Confidence: *conf, PoolHashrateHs: *poolEHs * 1e18,
		DefaultFeesPerBlock: consensus.Sats(math.Round(*feesBTC * consensus.SatsPerBTC)),
		FeesParam:           "--fees-btc", FeesGiven: flagWasSet(fs, "fees-btc"),
	}
	read, db, closeFn, _, err := blocksFrom(ctx, *blocks, *dbPath)
	if err != nil {
		return err
	}
	defer closeFn()
	req.Blocks = read
	if db != nil {
		fees, err := db.DailyFeesPerBlock(ctx)
		if err != nil {
			return err
		}
		if len(fees) > 0 {
			req.FeesPerBlock, req.FeesFrom = fees, *dbPath
		}
	}
	ans, err := service.New(nil, env.Now).PoolAudit(ctx, req)
	if err != nil {
		return inFile(pos[0], err)
	}
	switch {
	case *asJSON:
		return writeJSON(env.Stdout, ans)
	case *asCSV:
		fmt.Fprintln(env.Stdout, "date,hashrate_hs,expected_blocks,fees_per_block_sats,hashvalue_sats_per_ph_day,expected_sats,payout_sats,diff_sats,cum_diff_sats")
		for _, d := range ans.Days {
			fmt.Fprintf(env.Stdout, "%s,%.6g,%.6g,%d,%.2f,%d,%d,%d,%d\n", d.Date, d.HashrateHs, d.ExpectedBlocks, d.FeesPerBlockSats, d.HashvalueSatsPerPHDay, d.ExpectedSats, d.PayoutSats, d.DiffSats, d.CumDiffSats)
		}
		return nil
	}
	renderAudit(env.Stdout, ans)
	return nil
}

func renderAudit(out io.Writer, a *service.PoolAuditAnswer) {
	fmt.Fprintf(out, "Payout audit, %s, pool fee %.2f%%, %s .. %s (%d days)\n", a.Scheme, a.PoolFee*100, a.From, a.To, len(a.Days))
	fmt.Fprintf(out, "convention: %s\nfees: %s\ndifficulty: %s\n\n", a.Convention, a.FeesSource, a.DifficultySource)
	w := newTable(out)
	fmt.Fprintln(w, "DATE\tHASHRATE\tHASHVALUE sats/PH/day\tEXPECTED sats\tPAID sats\tDIFF sats\tCUMULATIVE sats\tBLOCKS")
	for _, d := range a.Days {
		blocks := "n/a" // the export does not say
		if d.Blocks != nil {
			blocks = strconv.FormatInt(*d.Blocks, 10)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Date, siHashrate(d.HashrateHs), commas(int64(math.Round(d.HashvalueSatsPerPHDay))),
			commas(int64(d.ExpectedSats)), commas(int64(d.PayoutSats)), signedCommas(int64(d.DiffSats)), signedCommas(int64(d.CumDiffSats)), blocks)
	}
	w.Flush()
	fmt.Fprintf(out, "\nexpected %s, paid %s, difference %s (payout ratio %s)\n", a.ExpectedSats, a.PayoutSats, a.DiffSats, fmtNum(a.PayoutRatio, 4))
	if l := a.Luck; l != nil {
		what := "own blocks"
		if a.Scheme == pool.PPLNS {
			what = "pool blocks implied by the payout ratio"
		}
		fmt.Fprintf(out, "luck (%s): %d vs %.2f expected = %s, %.0f%% interval %s .. %s, band at luck 1 %s .. %s, p-value %s\n", what, l.Blocks, l.ExpectedBlocks,
			fmtNum(l.Ratio, 4), l.Confidence*100, fmtNum(l.Lower, 4), fmtNum(l.Upper, 4), fmtNum(l.BandLower, 4), fmtNum(l.BandUpper, 4), fmtP(l.PValue))
	} else if a.Scheme == pool.Solo {
		fmt.Fprintln(out, "luck: the export has no blocks column")
	} else if a.Scheme == pool.PPLNS {
		fmt.Fprintln(out, "luck band: give --pool-hashrate-ehs (the pool's hashrate) for the band of the payout ratio")
	}
}
