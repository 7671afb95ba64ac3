package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

// The line README quotes for Foundry USA's 2024 luck is what the command
// prints on the shared data.
func TestPoolLuckFoundry2024Printed(t *testing.T) {
	hr := sharedtest.Path(t, "pools", "foundryusa_reported_hashrate_2023-12-01_2025-01-31.csv")
	blocks := sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz")
	code, out, stderr := fndRun(t, "pool", "luck", "--hashrate", hr, "--blocks", blocks, "--from", "2024-01-01", "--to", "2024-12-31", "--every", "year")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "2024    366   190.92 EH/s    15,936  16048.1   0.9930  0.9777 .. 1.0086  0.9845 .. 1.0155  0.379"
	if !strings.Contains(out, want) {
		t.Errorf("output does not hold README's line %q:\n%s", want, out)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), want) {
		t.Errorf("README does not quote the printed line %q", want)
	}
}

// pool luck --db reads the same blocks from a chain store (imported from
// the blocks CSV) and gives the same answer as --blocks.
func TestPoolLuckDBEqualsCSV(t *testing.T) {
	dir := t.TempDir()
	// Blocks from 2023-11-01 to 2024-03-31 (the timeline needs the epoch
	// in force before the first day).
	f, err := os.Open(sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(zr)
	for i := 0; sc.Scan(); i++ {
		line := sc.Text()
		if i == 0 {
			b.WriteString(line + "\n")
			continue
		}
		tm, _ := strconv.ParseInt(strings.Split(line, ",")[1], 10, 64)
		if tm >= 1698796800 && tm < 1711929600 {
			b.WriteString(line + "\n")
		}
	}
	csvPath := filepath.Join(dir, "blocks.csv")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "chain.db")
	if code, _, stderr := fndRun(t, "import", "blocks", csvPath, "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	hr := sharedtest.Path(t, "pools", "foundryusa_reported_hashrate_2023-12-01_2025-01-31.csv")
	args := []string{"pool", "luck", "--hashrate", hr, "--from", "2024-01-01", "--to", "2024-03-31", "--json"}
	type answer struct {
		Total struct {
			Blocks         int64   `json:"blocks"`
			ExpectedBlocks float64 `json:"expected_blocks"`
			Luck           float64 `json:"luck"`
		} `json:"total"`
		Periods []json.RawMessage `json:"periods"`
	}
	var fromCSV, fromDB answer
	for _, c := range []struct {
		extra []string
		dst   *answer
	}{{[]string{"--blocks", csvPath}, &fromCSV}, {[]string{"--db", db}, &fromDB}} {
		code, out, stderr := fndRun(t, append(append([]string{}, args...), c.extra...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.extra, code, stderr)
		}
		if err := json.Unmarshal([]byte(out), c.dst); err != nil {
			t.Fatal(err)
		}
	}
	if fromCSV.Total != fromDB.Total || len(fromCSV.Periods) != 3 || fromCSV.Total.Blocks == 0 {
		t.Errorf("--blocks %+v, --db %+v", fromCSV.Total, fromDB.Total)
	}
}

// pool audit on the example export prints the totals and the running
// difference.
func TestPoolAuditExample(t *testing.T) {
	code, out, stderr := fndRun(t, "pool", "audit", "../../examples/pool-export-example.csv", "--fees-btc", "0.03")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"2024-11-05  100.00 PH/s  62,439                 6,119,071      5,935,499  -183,572   -196,217         n/a", "expected 0.62698852 BTC, paid 0.62410169 BTC, difference -0.00288683 BTC (payout ratio 0.9954)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// An export without a blocks column: each day's blocks are null (not
	// a sentinel), and the fees are labelled the snapshot's assumption.
	code, out, stderr = fndRun(t, "pool", "audit", "../../examples/pool-export-example.csv", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var a struct {
		Days       []map[string]any `json:"days"`
		FeesSource string           `json:"fees_source"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil || len(a.Days) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, d := range a.Days {
		if v, ok := d["blocks"]; !ok || v != nil {
			t.Errorf("day %v: blocks %v, want null", d["date"], v)
		}
	}
	if !strings.Contains(a.FeesSource, "snapshot's reference assumption") || !strings.Contains(a.FeesSource, "--fees-btc") {
		t.Errorf("fees_source %q", a.FeesSource)
	}
}

// A missing input file is an input error (exit 2) naming the flag or
// argument, the path and "a readable file", with nothing on stdout.
func TestMissingInputFileIsInputError(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	for _, c := range []struct {
		field string
		args  []string
	}{
		{"--quotes", []string{"miners", "--buy", "--quotes", missing + ".csv"}},
		{"FILE", []string{"fleet", missing + ".yaml"}},
		{"SITE_FILE", []string{"pivot", missing + ".yaml"}},
		{"FILE", []string{"pivot", "portfolio", missing + ".yaml"}},
		{"--shares", []string{"security", "concentration", "--shares", missing + ".csv"}},
		{"EXPORT", []string{"pool", "audit", missing + ".csv"}},
	} {
		code, out, errOut := fndRun(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.field) || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "a readable file") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, code, out, errOut)
		}
	}
}

// TestPoolLuckBlocksShort: blocks that do not cover the hashrate file's
// days, with no --from/--to given, name the source of blocks (--db or
// --blocks, its path) and what each covers, not a --from the user did not
// give; with --from given, the error still names --from.
func TestPoolLuckBlocksShort(t *testing.T) {
	dir := t.TempDir()
	csvPath := smallBlocksCSV(t, dir) // December 2019
	db := filepath.Join(dir, "small.db")
	if code, _, stderr := fndRun(t, "import", "blocks", csvPath, "--db", db); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	hr := sharedtest.Path(t, "pools", "foundryusa_reported_hashrate_2023-12-01_2025-01-31.csv")
	for _, c := range []struct{ flag, path, what string }{{"--db", db, "a database"}, {"--blocks", csvPath, "a blocks CSV"}} {
		code, out, stderr := fndRun(t, "pool", "luck", "--hashrate", hr, c.flag, c.path)
		line := strings.TrimPrefix(strings.TrimSpace(stderr), "hashlab pool: ")
		if code != 2 || out != "" || strings.Contains(line, "\n") || strings.Contains(line, "--from =") ||
			!strings.HasPrefix(line, c.flag+" = "+c.path+" (allowed: "+c.what+" with blocks over the hashrate file's days") ||
			!strings.Contains(line, "the blocks cover 2019-12-") || !strings.Contains(line, "the hashrate file covers 2023-12-01 .. 2025-01-31") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", c.flag, code, out, stderr)
		}
	}
	code, _, stderr := fndRun(t, "pool", "luck", "--hashrate", hr, "--db", db, "--from", "2024-01-01")
	if code != 2 || !strings.Contains(stderr, "--from = 2024-01-01") {
		t.Errorf("--from given: exit %d, stderr %q", code, stderr)
	}
}
