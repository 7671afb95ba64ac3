package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The blocks CSV import against Debian's sqlite3 CLI importing the same
// file into the same schema (taken from a database hashlab made: the same
// 19 columns, index and WAL), and the daily history queries against one
// SQL GROUP BY day on the same database.
func init() {
	register("import-and-history", benchImportHistory)
}

func blocksCSV(e *env) string {
	return filepath.Join(e.data, "blocks", "blocks_610683-946236_time_pool.csv.gz")
}

func benchImportHistory(ctx context.Context, e *env) ([]row, error) {
	csvgz := blocksCSV(e)
	// The schema hashlab creates, dumped by the sqlite3 CLI itself.
	ref := filepath.Join(e.tmp, "ref.db")
	if _, err := runCmd(ctx, e.root, nil, nil, e.hashlab, "import", "blocks", csvgz, "--db", ref); err != nil {
		return nil, err
	}
	var schema strings.Builder
	if _, err := runCmd(ctx, e.root, nil, &schema, "sqlite3", ref, ".schema"); err != nil {
		return nil, fmt.Errorf("sqlite3 CLI (scripts/bench.sh installs Debian's sqlite3): %w", err)
	}
	pre := filepath.Join(e.tmp, "pre.sql")
	post := filepath.Join(e.tmp, "post.sql")
	if err := os.WriteFile(pre, []byte("PRAGMA journal_mode=WAL;\n"+schema.String()+
		"\nCREATE TEMP TABLE staging(height INTEGER, time INTEGER, pool TEXT);\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(post, []byte("BEGIN;\nINSERT INTO blocks(height, time, pool, source) SELECT height, time, pool, 'blocks-csv' FROM staging;\nCOMMIT;\n"), 0o644); err != nil {
		return nil, err
	}
	n := 0
	fresh := func() string {
		n++
		p := filepath.Join(e.tmp, fmt.Sprintf("imp%d.db", n))
		return p
	}
	ours := func() (measured, error) {
		db := fresh()
		defer removeDB(db)
		return runCmd(ctx, e.root, nil, nil, e.hashlab, "import", "blocks", csvgz, "--db", db)
	}
	theirs := func() (measured, error) {
		db := fresh()
		defer removeDB(db)
		// zcat and sqlite3 both counted: hashlab decompresses too.
		script := fmt.Sprintf("zcat %q | sqlite3 %q '.read %s' '.import --csv --skip 1 /dev/stdin staging' '.read %s'", csvgz, db, pre, post)
		return runCmd(ctx, e.root, nil, nil, "sh", "-c", script)
	}
	a, b, err := interleave(e.rounds, ours, theirs, cpuKey)
	if err != nil {
		return nil, err
	}
	rows := []row{ratioRow("import the 335,554-row blocks CSV (CPU)", a.cpu, b.cpu, "sqlite3 CLI .import", 1.3)}

	// History over the reference database.
	sqlDay := "SELECT date(time, 'unixepoch') AS day, COUNT(*), MIN(height), MAX(height), SUM(subsidy_sats + fees_sats), AVG(bits) FROM blocks GROUP BY day;"
	sqlRun := func() (measured, error) { return runCmd(ctx, e.root, nil, nil, "sqlite3", ref, sqlDay) }
	for _, h := range []struct{ name, cmd string }{
		{"history hashprice --every day (CPU)", "hashprice"},
		{"history hashrate (CPU)", "hashrate"},
	} {
		args := []string{"history", h.cmd, "--db", ref, "--json"}
		if h.cmd == "hashprice" {
			args = append(args, "--every", "day")
		}
		a, b, err := interleave(e.rounds, func() (measured, error) { return runCmd(ctx, e.root, nil, nil, e.hashlab, args...) }, sqlRun, cpuKey)
		if err != nil {
			return nil, err
		}
		rows = append(rows, ratioRow(h.name, a.cpu, b.cpu, "sqlite3 GROUP BY day", 2))
	}
	return rows, nil
}

// ratioRow builds a "lower is better" row: ratio = ours / baseline, met
// when ratio <= goal.
func ratioRow(work string, ours, base time.Duration, baseName string, goal float64) row {
	r := float64(ours) / float64(base)
	return row{work: work, hashlab: fmtDur(ours), baseline: baseName + ": " + fmtDur(base), ratio: r,
		goal: fmt.Sprintf("<= %.1f×", goal), met: r <= goal}
}

func removeDB(p string) {
	for _, s := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(p + s)
	}
}
