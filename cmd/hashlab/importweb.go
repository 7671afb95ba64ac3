package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/source/mempool"
	"github.com/hashlab/hashlab/store"
)

// importBatchDays is how many days one transaction of a web import
// writes: an interrupted import keeps the batches it committed.
const importBatchDays = 100

// importWebReport is `import prices|fees --from` 's report.
type importWebReport struct {
	Kind     string `json:"kind"`
	From     string `json:"from"`
	URL      string `json:"url,omitempty"`
	Database string `json:"database"`
	Since    string `json:"since"`
	// Days is how many days the source gave; Written how many were new
	// or changed (a second run writes 0).
	Days      int64  `json:"days"`
	Written   int64  `json:"rows_written"`
	FirstDate string `json:"first_date,omitempty"`
	LastDate  string `json:"last_date,omitempty"`
}

// runImportFrom fetches daily closes (prices) or daily mean fees per
// block (fees) from a web source into the store: upserts in batches of
// importBatchDays days, so it is idempotent (a second run changes
// nothing) and resumable (an interrupted run keeps its committed
// batches; run it again).
func runImportFrom(ctx context.Context, env *Env, kind, from, since string, fl ConfigFlags, asJSON bool) error {
	if from == "" {
		return usagef("import %s needs --from (%s)", kind, map[string]string{"fees": "mempool", "prices": "mempool, coinbase, kraken, bitstamp or gemini"}[kind])
	}
	if kind != "prices" && kind != "fees" {
		return usagef("--from goes with import prices or import fees, not %s", kind)
	}
	if kind == "fees" && from != mempool.Name {
		return hashlab.Invalid("--from", from, "mempool (the exchanges have no fees)")
	}
	if since == "" {
		return usagef("--since YYYY-MM-DD is required with --from")
	}
	day, err := time.Parse(time.DateOnly, since)
	if err != nil || day.Year() < 2009 || day.After(env.Now()) {
		return hashlab.Invalid("--since", since, "a UTC date YYYY-MM-DD from 2009-01-03 to today")
	}
	cfg, err := LoadConfig(env, fl)
	if err != nil {
		return cliErr(err)
	}
	path := cfg.DB
	db, err := store.Open(ctx, path)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "--db"
		return ie
	}
	if err != nil {
		return err
	}
	defer db.Close()
	path = shownDB(path) // a PostgreSQL URL without its password

	rep := importWebReport{Kind: kind, From: from, Database: path, Since: since}
	type row struct {
		day   string
		write func(im *store.Import) error
	}
	var rows []row
	switch kind {
	case "prices":
		dc, err := cfg.OpenDailyCloser(from)
		if err != nil {
			return cliErr(err)
		}
		closes, err := dc.DailyCloses(ctx, day)
		if err != nil {
			return fmt.Errorf("import prices --from %s: %w (nothing imported)", from, err)
		}
		for _, c := range closes {
			rows = append(rows, row{c.Day, func(im *store.Import) error { return im.Price(c.Day, c.USD) }})
		}
	case "fees":
		m, err := mempool.New(mempool.Config{BaseURL: cfg.MempoolURL, Now: env.Now})
		if err != nil {
			return cliErr(err)
		}
		rep.URL = m.BaseURL()
		fees, err := m.DailyFees(ctx, day)
		if err != nil {
			return fmt.Errorf("import fees --from mempool: %w (nothing imported)", err)
		}
		for _, f := range fees {
			rows = append(rows, row{f.Day, func(im *store.Import) error {
				return im.DailyFees(store.DailyFees{Date: f.Day, PerBlockSats: f.PerBlockSats, Source: "mempool " + m.BaseURL()})
			}})
		}
	}
	rep.Days = int64(len(rows))
	if len(rows) > 0 {
		rep.FirstDate, rep.LastDate = rows[0].day, rows[len(rows)-1].day
	}
	bar := newProgress(env, "import "+kind, int64(len(rows)))
	for lo := 0; lo < len(rows); lo += importBatchDays {
		hi := min(lo+importBatchDays, len(rows))
		im, err := db.BeginImport(ctx, "")
		if err != nil {
			return err
		}
		for _, r := range rows[lo:hi] {
			if err := r.write(im); err != nil {
				im.Rollback()
				return fmt.Errorf("import %s --from %s: %w (days before %s are imported; run it again to resume)", kind, from, err, r.day)
			}
		}
		if err := im.Commit(); err != nil {
			return err
		}
		rep.Written += im.Rows
		bar.Add(int64(hi - lo))
	}
	if len(rows) > 0 {
		bar.Done()
	}
	if asJSON {
		return writeJSON(env.Stdout, rep)
	}
	w := newTable(env.Stdout)
	src := from
	if rep.URL != "" {
		src += " (" + rep.URL + ")"
	}
	fmt.Fprintf(w, "source\t%s\n", src)
	fmt.Fprintf(w, "database\t%s\n", path)
	if rep.Days == 0 {
		fmt.Fprintf(w, "%s\tno complete day since %s\n", kind, since)
	} else {
		fmt.Fprintf(w, "%s\t%d days, %s .. %s\n", kind, rep.Days, rep.FirstDate, rep.LastDate)
	}
	fmt.Fprintf(w, "written\t%d rows inserted or changed (importing again changes nothing)\n", rep.Written)
	return w.Flush()
}

// importFeeColumn imports a daily CSV's fee column (the day's total fees,
// BTC, e.g. Coin Metrics' FeeTotNtv) divided by its block count column
// (BlkCnt) as the day's mean fees per block. Rows whose fee or block
// cell is empty are skipped; a malformed value is an input error naming
// the line and column. It returns the rows written.
func importFeeColumn(ctx context.Context, db *store.DB, file, feeCol, blocksCol string) (int64, error) {
	f, err := openInput("FILE", file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return 0, hashlab.Invalid(file+": line 1", "", "a header row")
	}
	for i := range head {
		head[i] = strings.TrimSpace(strings.TrimPrefix(head[i], "\ufeff"))
	}
	fi, bi := slices.Index(head, feeCol), slices.Index(head, blocksCol)
	if fi < 0 {
		return 0, hashlab.Invalid("--fee-column", feeCol, "a column of "+file+": "+strings.Join(head, ", "))
	}
	if bi < 0 {
		return 0, hashlab.Invalid("--blocks-column", blocksCol, "a column of "+file+": "+strings.Join(head, ", "))
	}
	im, err := db.BeginImport(ctx, "")
	if err != nil {
		return 0, err
	}
	defer im.Rollback()
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, hashlab.Invalid(fmt.Sprintf("%s: line %d", file, line), "", "CSV")
		}
		if len(rec) <= max(fi, bi) || strings.TrimSpace(rec[fi]) == "" || strings.TrimSpace(rec[bi]) == "" {
			continue
		}
		date := strings.TrimSpace(rec[0])
		if len(date) > 10 {
			date = date[:10] // "2024-01-02T00:00:00Z"
		}
		fee, err := strconv.ParseFloat(strings.TrimSpace(rec[fi]), 64)
		if err != nil || !(fee >= 0) || fee > 21e6 {
			return 0, hashlab.Invalid(fmt.Sprintf("line %d: %s", line, feeCol), rec[fi], "a day's total fees in BTC, 0 to 21,000,000")
		}
		blocks, err := strconv.ParseFloat(strings.TrimSpace(rec[bi]), 64)
		if err != nil || blocks != math.Trunc(blocks) || blocks < 0 || blocks > 10_000 {
			return 0, hashlab.Invalid(fmt.Sprintf("line %d: %s", line, blocksCol), rec[bi], "a day's block count, 0 to 10,000")
		}
		if blocks == 0 {
			continue // a day without blocks has no mean
		}
		per := consensus.Sats(math.Round(fee * consensus.SatsPerBTC / blocks))
		if err := im.DailyFees(store.DailyFees{Date: date, PerBlockSats: per, Blocks: int64(blocks), Source: file}); err != nil {
			return 0, hashlab.Invalid(fmt.Sprintf("line %d: %s", line, head[0]), date, "a UTC date YYYY-MM-DD")
		}
	}
	err = im.Commit() // writes the last partial batch: count after it
	return im.Rows, err
}
