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
	if _, text, _ := fndRun(t, "history", "adjustments", "--db", db, "--from", "2021-07-01", "--to", "2021-07-10"); !strings.Contains(text, "689472  2021-07-03  171398ce  14.36T      -27.94%  19.43") {
		t.Errorf("history adjustments text:\n%s", text)
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
	if err := json.Unmarshal([]byte(out), &conc); code != 0 || err != nil || conc.Entities != len(rep.Pools) ||
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
		{[]string{"history", "adjustments", "--db", missing}, 1, `no such database (create one with hashlab import`},
		{[]string{"pools", "--window", "5x", "--db", missing}, 2, `--window "5x" is not a window (allowed: a positive number followed by h, d, w, m (30 days) or y (365 days)`},
		{[]string{"pools", "--window", "1w", "--from", "2025-01-01", "--db", missing}, 2, `--window and --from/--to: choose one`},
		{[]string{"pools", "--pools", filepath.Join(t.TempDir(), "p.json"), "--db", missing}, 1, `--pools`},
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
	if code != 1 || !strings.Contains(stderr, `line 2: PriceUSD ""`) || !strings.Contains(stderr, "nothing imported") {
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
	if code, _, stderr := fndRun(t, "import", "prices", wide, "--db", db); code != 1 || !strings.Contains(stderr, "is a USD price") {
		t.Errorf("wide file: exit %d: %s", code, stderr)
	}
	if code, out, _ := fndRun(t, "import", "prices", wide, "--db", db, "--column", "low", "--json"); code != 0 || !strings.Contains(out, `"rows_written": 1`) {
		t.Errorf("--column low: exit %d\n%s", code, out)
	}
	// A failed import into an existing database keeps it.
	if code, _, _ := fndRun(t, "import", "prices", wide, "--db", db); code != 1 {
		t.Fatal("expected a failure")
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("the existing database went away: %v", err)
	}
}
