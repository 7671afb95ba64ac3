// Package sharedtest locates the real-chain reference data in ../shared/data
// (beside the repository root) for tests. It is test plumbing only; product
// code must not import it.
package sharedtest

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RepoRoot returns the directory holding go.mod, walking up from the
// working directory.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("sharedtest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// DataDir returns ../shared/data next to the repository root. The data is
// part of the project's CI contract, so a missing directory fails the test
// unless HASHLAB_ALLOW_NO_SHARED_DATA=1 is set, in which case it skips.
func DataDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		if os.Getenv("HASHLAB_ALLOW_NO_SHARED_DATA") == "1" {
			tb.Skipf("sharedtest: %s not present", dir)
		}
		tb.Fatalf("sharedtest: reference data not found at %s: %v", dir, err)
	}
	return dir
}

// Path returns a file inside the shared data directory.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{DataDir(tb)}, elem...)...)
}

// CoinMetricsPriceCSV returns a "date,usd" CSV of the daily PriceUSD
// column of the Coin Metrics file in daily/, one row per day that has a
// price: the price file a user would make to `hashlab import prices`.
// Coin Metrics data is CC BY-NC: tests may use it, the product never
// ships it.
func CoinMetricsPriceCSV(tb testing.TB) string {
	tb.Helper()
	f, err := os.Open(Path(tb, "daily", "coinmetrics_btc_daily_2009-01-03_2026-03-23.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	col := -1
	for i, name := range recs[0] {
		if name == "PriceUSD" {
			col = i
		}
	}
	if col < 0 {
		tb.Fatal("sharedtest: no PriceUSD column in the Coin Metrics file")
	}
	var b strings.Builder
	b.WriteString("date,usd\n")
	for _, r := range recs[1:] {
		if r[col] != "" {
			b.WriteString(r[0] + "," + r[col] + "\n")
		}
	}
	return b.String()
}

// BlocksCSV opens the real blocks file (blocks/, gzip) and returns its
// decompressed text: height,time,pool_slug with a header row. The file is
// closed when the test ends.
func BlocksCSV(tb testing.TB) io.Reader {
	tb.Helper()
	f, err := os.Open(Path(tb, "blocks", "blocks_610683-946236_time_pool.csv.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	zr, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	return zr
}
