package main

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/internal/sharedtest"
)

// TestHistoryMustShow imports the real data of ../shared/data the way a
// user would (the blocks CSV, the epoch-boundary headers, a price CSV made
// from Coin Metrics' daily PriceUSD, which is for tests only) and checks
// that history and pools give the real record: the July 2021 retarget at
// 689472 was -27.94%, the largest drop ever; Foundry USA mined about 30%
// of 2025's blocks.
func TestHistoryMustShow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "chain.db")
	prices := filepath.Join(dir, "prices.csv")
	writePriceCSV(t, prices)

	blocks := sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz")
	for i, args := range [][]string{
		{"import", "blocks", blocks, "--db", db},
		{"import", "headers", sharedtest.Path(t, "headers", "epoch_boundary_headers_0-832608.bin"), "--layout", "epoch-boundaries", "--db", db},
		{"import", "prices", prices, "--db", db},
	} {
		code, out, stderr := fndRun(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
		if i == 0 && !strings.Contains(out, "335554 rows, heights 610683 .. 946236") {
			t.Errorf("import blocks:\n%s", out)
		}
	}
	// Importing again changes nothing.
	if code, out, _ := fndRun(t, "import", "blocks", blocks, "--db", db, "--json"); code != 0 || !strings.Contains(out, `"rows_written": 0`) {
		t.Errorf("re-import: exit %d\n%s", code, out)
	}

	code, out, stderr := fndRun(t, "history", "adjustments", "--db", db, "--json")
	if code != 0 {
		t.Fatalf("history adjustments: %d %s", code, stderr)
	}
	var adj []history.Adjustment
	if err := json.Unmarshal([]byte(out), &adj); err != nil {
		t.Fatal(err)
	}
	lowest := adj[0]
	for _, a := range adj {
		if a.ChangePct < lowest.ChangePct {
			lowest = a
		}
	}
	if len(adj) != 469 || lowest.Height != 689472 || math.Abs(lowest.ChangePct+27.94) > 0.005 {
		t.Errorf("%d adjustments, largest drop %+.3f%% at %d; want 469, -27.94%% at 689472", len(adj), lowest.ChangePct, lowest.Height)
	}
	// One spelling of bits; extremes labelled by sign: a range of drops
	// has no largest rise (it used to print its smallest drop as one).
	if _, text, _ := fndRun(t, "history", "adjustments", "--db", db, "--from", "2021-07-01", "--to", "2021-07-10"); !strings.Contains(text, "689472  2021-07-03  0x171398ce  14.36T      -27.94%  19.43") ||
		!strings.Contains(text, "1 adjustments; largest drop -27.94% at 689472 (2021-07-03); no rise") {
		t.Errorf("history adjustments text:\n%s", text)
	}
	if _, text, _ := fndRun(t, "history", "adjustments", "--db", db, "--from", "2021-06-01", "--to", "2021-07-10"); !strings.Contains(text, "largest drop -27.94% at 689472 (2021-07-03); no rise") {
		t.Errorf("history adjustments of drops only:\n%s", text)
	}
	if _, text, _ := fndRun(t, "history", "adjustments", "--db", db, "--from", "2021-07-20", "--to", "2021-08-20"); !strings.Contains(text, "no drop; largest rise +") {
		t.Errorf("history adjustments of rises only:\n%s", text)
	}

	code, out, stderr = fndRun(t, "pools", "--db", db, "--from", "2025-01-01", "--to", "2025-12-31", "--json")
	if code != 0 {
		t.Fatalf("pools: %d %s", code, stderr)
	}
	var rep history.PoolReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Blocks != 53082 || rep.Pools[0].Slug != "foundryusa" || rep.Pools[0].Name != "Foundry USA" || math.Abs(rep.Pools[0].Share-0.30) > 0.01 {
		t.Errorf("2025 pools: %d blocks, top %+v", rep.Blocks, rep.Pools[0])
	}
	// The cartel and censorship figures from the same shares.
	code, out, stderr = fndRun(t, "security", "concentration", "--db", db, "--from", "2025-01-01", "--to", "2025-12-31", "--json")
	var conc struct {
		Entities  int     `json:"entities"`
		Top1Share float64 `json:"top1_share"`
		HHI       float64 `json:"hhi"`
		N50       int     `json:"nakamoto_coefficient_50"`
	}
	if err := json.Unmarshal([]byte(out), &conc); code != 0 || err != nil || conc.Entities != len(rep.Pools)-1 || // unknown is not a pool
		math.Abs(conc.Top1Share-rep.Pools[0].Share) > 1e-12 || math.Abs(conc.HHI-rep.HHI) > 1e-12 || conc.N50 != rep.Nakamoto50 {
		t.Errorf("security concentration --db: exit %d %v %+v\n%s", code, err, conc, stderr)
	}
	if code, text, _ := fndRun(t, "pools", "--db", db, "--window", "1w"); code != 0 || !strings.Contains(text, "HHI ") || !strings.Contains(text, "Nakamoto coefficient") {
		t.Errorf("pools --window 1w: %d\n%s", code, text)
	}

	code, out, _ = fndRun(t, "history", "hashrate", "--db", db, "--from", "2025-11-20", "--to", "2025-11-23", "--csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 5 || recs[1][0] != "2025-11-20" || recs[4][0] != "2025-11-23" {
		t.Errorf("history hashrate --csv: %d %v\n%s", code, err, out)
	}

	code, out, _ = fndRun(t, "history", "hashprice", "--db", db, "--from", "2025-11-17", "--to", "2025-11-30", "--every", "week", "--json")
	var pts []history.HashpricePoint
	if err := json.Unmarshal([]byte(out), &pts); code != 0 || err != nil || len(pts) != 2 || pts[0].USDPerPHDay == nil || pts[0].Start != "2025-11-17" {
		t.Fatalf("history hashprice weekly: %d %v\n%s", code, err, out)
	}
	// Subsidy only (the CSV has no fees): about $36/PH/day that week.
	if v := *pts[0].USDPerPHDay; v < 30 || v > 45 || pts[0].FeesIncluded {
		t.Errorf("week of 2025-11-17: $%.2f/PH/day, fees %v", v, pts[0].FeesIncluded)
	}
}

func writePriceCSV(t *testing.T, path string) {
	if err := os.WriteFile(path, []byte(sharedtest.CoinMetricsPriceCSV(t)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHistoryErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"history"}, 2, `allowed: hashprice, adjustments, hashrate`},
		{[]string{"history", "prices"}, 2, `"prices"`},
		{[]string{"history", "hashprice", "--every", "month", "--db", missing}, 2, `--every "month" is not a period (allowed: day, week, epoch)`},
		{[]string{"history", "hashrate", "--confidence", "1", "--db", missing}, 2, `--confidence 1 is out of range`},
		{[]string{"history", "adjustments", "--from", "2021-13-01", "--db", missing}, 2, `--from "2021-13-01" is not a date (allowed: YYYY-MM-DD, UTC)`},
		{[]string{"history", "adjustments", "--from", "2022-01-01", "--to", "2021-01-01", "--db", missing}, 2, `--from 2022-01-01 is after --to 2021-01-01`},
		{[]string{"history", "adjustments", "--json", "--csv", "--db", missing}, 2, `choose one`},
		{[]string{"history", "adjustments", "--db", missing}, 2, `--db = ` + missing + ` (allowed: an existing hashlab database file (create one with hashlab import or hashlab ingest))`},
		{[]string{"pools", "--window", "5x", "--db", missing}, 2, `--window "5x" is not a window (allowed: a positive number followed by h, d, w, m (30 days) or y (365 days)`},
		{[]string{"pools", "--window", "1w", "--from", "2025-01-01", "--db", missing}, 2, `--window and --from/--to: choose one`},
		{[]string{"pools", "--pools", filepath.Join(t.TempDir(), "p.json"), "--db", missing}, 2, `--pools = `},
	} {
		code, out, stderr := fndRun(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q", c.args, code, stderr, out, c.code, c.want)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("a query created %s", missing)
	}
}

// history, pools and serve --db refuse a 0-byte file, a text file and a
// directory (exit 2, naming --db and the path) and leave the file as it
// was; they used to turn it into an SQLite database.
func TestQueriesRefuseNonDatabases(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	text := filepath.Join(dir, "prices.csv")
	os.WriteFile(empty, nil, 0o644)
	os.WriteFile(text, []byte("date,usd\n2024-01-01,42000\n"), 0o644)
	for _, c := range []struct{ path, want string }{
		{empty, "this file is empty"},
		{text, "this file is not an SQLite database"},
		{dir, "a database file, not a directory"},
	} {
		for _, args := range [][]string{
			{"history", "adjustments", "--db", c.path},
			{"pools", "--db", c.path},
			{"serve", "--db", c.path, "--addr", "127.0.0.1:0"},
		} {
			code, out, stderr := fndRun(t, args...)
			if code != 2 || !strings.Contains(stderr, "--db = "+c.path) || !strings.Contains(stderr, c.want) {
				t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 naming --db and %q", args, code, stderr, out, c.want)
			}
		}
	}
	if st, err := os.Stat(empty); err != nil || st.Size() != 0 {
		t.Errorf("the empty file changed: %v %v", st, err)
	}
	if b, _ := os.ReadFile(text); string(b) != "date,usd\n2024-01-01,42000\n" {
		t.Errorf("the text file changed: %q", b)
	}
}

// Every content error of an import file exits 2 with the file, the line
// (or byte offset), the field, the value and what is allowed; nothing is
// imported and no database is left behind. A file that cannot be read
// exits 1.
func TestImportContentErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	hdrs, err := os.ReadFile(sharedtest.Path(t, "headers", "headers_822528-830592.bin"))
	if err != nil {
		t.Fatal(err)
	}
	dup := write("dup.csv", []byte("height,time,pool_slug\n800000,1690168629,foundryusa\n800001,1690169000,antpool\n800000,1690170000,viabtc\n"))
	badTime := write("time.csv", []byte("height,time,pool_slug\n800000,yesterday,foundryusa\n"))
	quote := write("quote.csv", []byte("height,time,pool_slug\n800000,1690168629,\"foundry\n"))
	trunc := write("trunc.bin", hdrs[:80*2+7])
	price := write("price.csv", []byte("date,usd\n2024-01-01,42000\n2024-01-02,-1\n"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "blocks", dup}, dup + ": line 4: height = 800000 (allowed: a height given once; line 2 already gives height 800000)"},
		{[]string{"import", "blocks", badTime}, badTime + ": line 2: time = yesterday (allowed: Unix seconds from 1231006505"},
		{[]string{"import", "blocks", quote}, quote + ": line 2"},
		{[]string{"import", "headers", trunc, "--start-height", "822528"}, trunc + `: height 822530 at byte offset 160 = "7 trailing bytes" (allowed: whole 80-byte headers`},
		{[]string{"import", "prices", price}, price + ": line 3: usd = -1 (allowed: a positive number)"},
	} {
		db := filepath.Join(dir, "x.db")
		code, out, stderr := fndRun(t, append(c.args, "--db", db)...)
		if code != 2 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "nothing imported") {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 and %q", c.args, code, stderr, out, c.want)
		}
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%v: a failed import left %s", c.args, db)
			os.Remove(db)
		}
	}
	if code, _, stderr := fndRun(t, "import", "blocks", filepath.Join(dir, "absent.csv"), "--db", filepath.Join(dir, "y.db")); code != 2 || !strings.Contains(stderr, "a readable file") {
		t.Errorf("a missing import file: exit %d %s, want 2 naming FILE", code, stderr)
	}
}

func TestParseWindow(t *testing.T) {
	for s, want := range map[string]float64{"24h": 24, "3d": 72, "1w": 168, "1m": 720, "6m": 4320, "1y": 8760, "0.5d": 12} {
		d, err := parseWindow(s)
		if err != nil || d.Hours() != want {
			t.Errorf("parseWindow(%q) = %v, %v; want %v h", s, d, err, want)
		}
	}
	for _, s := range []string{"", "w", "0d", "-1w", "1s", "1000y", "NaNd"} {
		if _, err := parseWindow(s); err == nil {
			t.Errorf("parseWindow(%q) accepted", s)
		}
	}
}

// TestImportPricesOptions: the Coin Metrics daily file itself (a wide CSV
// whose first days have no price) imports with --skip-empty; without it
// the error names the line and the file is not created; --column picks
// another column.
func TestImportPricesOptions(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	daily := sharedtest.Path(t, "daily", "coinmetrics_btc_daily_2009-01-03_2026-03-23.csv")
	code, _, stderr := fndRun(t, "import", "prices", daily, "--db", db)
	if code != 2 || !strings.Contains(stderr, daily+`: line 2: PriceUSD = ""`) || !strings.Contains(stderr, "nothing imported") {
		t.Errorf("without --skip-empty: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(db); err == nil {
		t.Errorf("a failed import into a new database left %s", db)
	}
	code, out, stderr := fndRun(t, "import", "prices", daily, "--db", db, "--skip-empty", "--json")
	if code != 0 || !strings.Contains(out, `"rows": 5727`) || !strings.Contains(out, `"first_date": "2010-07-18"`) {
		t.Errorf("--skip-empty: exit %d\n%s%s", code, out, stderr)
	}
	wide := filepath.Join(dir, "ohlc.csv")
	os.WriteFile(wide, []byte("date,open,high,low\n2024-01-02,1,2,3\n"), 0o644)
	if code, _, stderr := fndRun(t, "import", "prices", wide, "--db", db); code != 2 || !strings.Contains(stderr, wide+": line 1: header = date,open,high,low (allowed: a column named one of usd") {
		t.Errorf("wide file: exit %d: %s", code, stderr)
	}
	if code, out, _ := fndRun(t, "import", "prices", wide, "--db", db, "--column", "low", "--json"); code != 0 || !strings.Contains(out, `"rows_written": 1`) {
		t.Errorf("--column low: exit %d\n%s", code, out)
	}
	// A failed import into an existing database keeps it.
	if code, _, _ := fndRun(t, "import", "prices", wide, "--db", db); code != 2 {
		t.Fatal("expected a failure")
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the existing database went away: %v", err)
	}
}

// A missing or malformed --pools file is bad input: exit 2, one line
// naming --pools and the path, nothing on stdout.
func TestPoolsFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("[{"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing.json"), bad} {
		code, out, stderr := fndRun(t, "pools", "--pools", path)
		if code != 2 || out != "" || !strings.Contains(stderr, "--pools = "+path) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("--pools %s: exit %d, stdout %q, stderr %q", path, code, out, stderr)
		}
	}
}
