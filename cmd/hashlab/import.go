package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/ingest"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/store"
)

func init() {
	register(command{Name: "import", Summary: "import headers, the blocks CSV, daily prices or daily fees into the database (idempotent, one transaction per file)", Run: runImport})
}

const importUsage = `import headers FILE [--layout contiguous|epoch-boundaries] [--start-height N] [--no-verify] [--network NAME] [--db FILE] [--json]
       hashlab import blocks FILE [--network mainnet] [--db FILE] [--json]
       hashlab import prices FILE [--column NAME] [--skip-empty] [--fee-column NAME [--blocks-column NAME]] [--db FILE] [--json]
       hashlab import prices --from mempool|coinbase|kraken|bitstamp|gemini --since YYYY-MM-DD [--db FILE] [--json]
       hashlab import fees --from mempool --since YYYY-MM-DD [--db FILE] [--json]`

func runImport(ctx context.Context, env *Env, args []string) error {
	kind, err := subcommand(env, "import", "import", []string{"headers", "blocks", "prices", "fees"}, importUsage, args)
	if err != nil {
		return err
	}
	fs := newFlags(env, "import "+kind, importUsage)
	dbPath := fs.String("db", "", "database file (default "+store.DefaultPath(env.Getenv)+")")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	netName := fs.String("network", "mainnet", "network of the data: mainnet, testnet3, testnet4, signet, regtest")
	layoutName := fs.String("layout", "contiguous", "headers: file layout, contiguous or epoch-boundaries (as verify-chain)")
	start := fs.Int64("start-height", 0, "headers: height of the first header of a contiguous file")
	noVerify := fs.Bool("no-verify", false, "headers: skip proof-of-work, link and retarget checks (on by default)")
	column := fs.String("column", "", "prices: the header's USD column (default: usd, priceusd, price_usd, close, close_usd or price; the second column of a two-column file)")
	skipEmpty := fs.Bool("skip-empty", false, "prices: skip rows whose price cell is empty instead of failing")
	feeColumn := fs.String("fee-column", "", "prices FILE: also import the day's total fees, BTC, from this column (e.g. FeeTotNtv)")
	blocksColumn := fs.String("blocks-column", "BlkCnt", "prices FILE: the day's block count column, with --fee-column")
	from := fs.String("from", "", "prices, fees: fetch daily values from a web source instead of a FILE: mempool (its --mempool-url) or an exchange (prices)")
	since := fs.String("since", "", "with --from: the first UTC day, YYYY-MM-DD")
	var sf ConfigFlags
	fs.StringVar(&sf.MempoolURL, "mempool-url", "", "mempool.space-compatible API root (env "+envMempoolURL+")")
	fs.StringVar(&sf.ExchangeURLs, "exchange-urls", "", "replace exchanges' API roots: name=URL,... (env "+envExchURLs+")")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if *from != "" || kind == "fees" {
		if len(pos) != 0 {
			return usagef("import %s --from takes no FILE, got %q", kind, strings.Join(pos, " "))
		}
		sf.DB = *dbPath
		return runImportFrom(ctx, env, kind, *from, *since, sf, *asJSON)
	}
	if *since != "" {
		return usagef("--since goes with --from")
	}
	if len(pos) != 1 {
		return usagef("import %s takes exactly one FILE, got %d arguments", kind, len(pos))
	}
	file := pos[0]
	p, err := networkParams(*netName)
	if err != nil {
		return err
	}
	layout, err := parseLayoutFlag(*layoutName)
	if err != nil {
		return err
	}
	if *start < 0 {
		return usagef("--start-height %d is negative (allowed: >= 0)", *start)
	}
	if kind == "blocks" && p != consensus.MainNet {
		return usagef("--network %s: the blocks CSV takes its bits from the embedded mainnet epoch table (allowed: mainnet)", *netName)
	}
	f, err := openInput("FILE", file)
	if err != nil {
		return err
	}
	defer f.Close()
	path := *dbPath
	if path == "" {
		path = store.DefaultPath(env.Getenv)
	}
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, os.ErrNotExist)
	db, err := store.Open(ctx, path)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "--db" // an existing file that is not a database
		return ie
	}
	if err != nil {
		return err
	}
	defer db.Close()
	path = shownDB(path) // a PostgreSQL URL without its password (a file path stays as it is)

	bar := newProgress(env, "import "+kind, 0)
	var shown int64
	onRow := func(n int64) { bar.Add(n - shown); shown = n }
	t0 := env.Now()
	var rep ingest.ImportReport
	switch kind {
	case "headers":
		var epochs []snapshot.Epoch
		if p == consensus.MainNet {
			epochs = snapshot.Epochs()
		}
		rep, err = ingest.ImportHeaders(ctx, db, f, p, ingest.HeaderImportOptions{Layout: layout, StartHeight: *start, NoVerify: *noVerify, Epochs: epochs, OnRow: onRow})
	case "blocks":
		rep, err = ingest.ImportBlocksCSV(ctx, db, f, p, snapshot.Epochs(), onRow)
	case "prices":
		rep, err = ingest.ImportPricesWith(ctx, db, f, chainfile.PriceOptions{Column: *column, SkipEmpty: *skipEmpty})
		if err == nil && *feeColumn != "" {
			var n int64
			n, err = importFeeColumn(ctx, db, file, *feeColumn, *blocksColumn)
			rep.Written += n
		}
	}
	if shown > 0 {
		bar.Done()
	}
	if err != nil {
		if created {
			// A failed import into a new database leaves no file.
			db.Close()
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}
		return fmt.Errorf("%w (nothing imported)", inFile(file, err))
	}
	secs := env.Now().Sub(t0).Seconds()
	if *asJSON {
		return writeJSON(env.Stdout, struct {
			File     string `json:"file"`
			Database string `json:"database"`
			ingest.ImportReport
		}{file, path, rep})
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "file\t%s\n", file)
	fmt.Fprintf(w, "database\t%s\n", path)
	switch kind {
	case "prices":
		fmt.Fprintf(w, "prices\t%d days, %s .. %s\n", rep.Rows, rep.FirstDate, rep.LastDate)
	default:
		fmt.Fprintf(w, "%s\t%d rows, heights %d .. %d (%s)\n", kind, rep.Rows, rep.FirstHeight, rep.LastHeight, rep.Network)
	}
	fmt.Fprintf(w, "written\t%d rows inserted or changed (re-importing the same file changes nothing)\n", rep.Written)
	if rep.BitsFromEpochTable > 0 {
		fmt.Fprintf(w, "bits\tfrom the embedded epoch table (%d rows) where no imported header gave them\n", rep.BitsFromEpochTable)
	}
	if v := rep.Verify; v != nil {
		fmt.Fprintf(w, "verified\t%d headers: proof of work, %d links, %d retargets, %d in-epoch bits; %d mismatches\n", v.Headers, v.Links, v.Retargets, v.BitsUnchanged, v.MismatchCount)
	} else if kind == "headers" {
		fmt.Fprintf(w, "verified\tno (--no-verify)\n")
	}
	if secs > 0 {
		fmt.Fprintf(w, "time\t%s\n", (time.Duration(secs * float64(time.Second))).Round(time.Millisecond))
	}
	return w.Flush()
}

// parseLayout reads --layout; a bad name is an input error naming the flag.
func parseLayoutFlag(name string) (chain.Layout, error) {
	l, err := chain.ParseLayout(name)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "--layout"
		return l, ie
	}
	return l, err
}

// inFile names file in err. A content error of the file (a
// *hashlab.InputError: malformed row, bad header bytes, bad price) keeps
// its type, so it exits 2, with the file put before its field ("f.csv:
// line 4: height"); any other error (an I/O failure, a verification
// mismatch: exit 1) gets the file as a prefix.
func inFile(file string, err error) error {
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = file + ": " + ie.Field
		return ie
	}
	return fmt.Errorf("%s: %w", file, err)
}
