package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	dash, err := benchDashboard(ctx, e, ref)
	if err != nil {
		return nil, err
	}
	return append(rows, dash...), nil
}

// overviewAPI is what the dashboard's overview page asks on its first
// load (server/web/assets/app.js), all at once as the page does.
var overviewAPI = []string{
	"/api/v1/hashprice", "/api/v1/network/next-adjustment", "/api/v1/network/halving",
	"/api/v1/hashprice/history", "/api/v1/network/adjustments?from=2020-01-01", "/api/v1/history/miners",
	"/api/v1/miners?power_price=0.06&pool_fee=0.02&uptime=0.97",
}

// dashboardSettle is how long after start-up the first visitor comes.
const dashboardSettle = 2 * time.Second

// benchDashboard times the overview's first load (its API answers, wall)
// from `hashlab serve --db` over the 335,554 blocks, started afresh each
// round, against the same page's answers from `hashlab serve` on the
// embedded snapshot: once dashboardSettle after start-up, and at once.
func benchDashboard(ctx context.Context, e *env, db string) ([]row, error) {
	firstLoad := func(settle time.Duration, args ...string) (measured, error) {
		addr := freeAddr()
		stop, err := startServer(ctx, addr, e.hashlab, append([]string{"serve", "--addr", addr}, args...)...)
		if err != nil {
			return measured{}, err
		}
		defer stop()
		time.Sleep(settle)
		t0 := time.Now()
		var wg sync.WaitGroup
		errs := make([]error, len(overviewAPI))
		for i, p := range overviewAPI {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := http.Get("http://" + addr + p)
				if err != nil {
					errs[i] = err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				// A store without miner flow has no miners' reserves:
				// the page draws the error as a note.
				if resp.StatusCode != 200 && !(resp.StatusCode < 500 && strings.Contains(p, "/history/miners")) {
					errs[i] = fmt.Errorf("GET %s: %s", p, resp.Status)
				}
			}()
		}
		wg.Wait()
		wall := time.Since(t0)
		for _, err := range errs {
			if err != nil {
				return measured{}, err
			}
		}
		return measured{wall: wall, cpu: wall}, nil
	}
	var rows []row
	for _, c := range []struct {
		settle time.Duration
		name   string
		goal   bool
	}{
		{dashboardSettle, "serve --db: the overview's 7 API answers, first load 2 s after start-up (wall)", true},
		{0, "the same at once, as the server starts listening (wall)", false},
	} {
		a, b, err := interleave(e.rounds,
			func() (measured, error) { return firstLoad(c.settle, "--db", db) },
			func() (measured, error) { return firstLoad(c.settle) }, wallKey)
		if err != nil {
			return nil, err
		}
		r := row{work: c.name, hashlab: fmtDur(a.wall), baseline: "embedded snapshot: " + fmtDur(b.wall),
			ratio: float64(a.wall) / float64(b.wall)}
		if c.goal {
			r.goal, r.met = "<= 500 ms", a.wall <= 500*time.Millisecond
		}
		rows = append(rows, r)
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
