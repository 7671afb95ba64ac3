package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/internal/webreplay"
	"github.com/hashlab/hashlab/store"
)

// TestImportFromWeb imports daily fees from a mempool replay server and
// daily closes from a Kraken replay server (hand-made answers in the
// documented shapes, internal/webreplay; no network): the values land in
// the store, a second run writes nothing, and a failing source writes
// nothing and names its URL.
func TestImportFromWeb(t *testing.T) {
	now := time.Date(2026, 4, 23, 12, 0, 0, 0, time.UTC)
	mp := webreplay.New(t, filepath.Join("testdata", "replay-mempool-fees", "api"), webreplay.Options{Prefix: "/api"})
	kr := webreplay.New(t, webreplay.ExchangeDir(t, "kraken"), webreplay.Options{Date: webreplay.ExchangeDate})
	db := filepath.Join(t.TempDir(), "h.db")
	vars := map[string]string{"HOME": t.TempDir()}
	imp := func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Now: func() time.Time { return now }, Getenv: func(k string) string { return vars[k] }}
		code := run(context.Background(), env, append(args, "--db", db, "--json"))
		return code, out.String(), errb.String()
	}
	var rep importWebReport
	for run, wantWritten := range []int64{4, 0} {
		code, out, stderr := imp("import", "fees", "--from", "mempool", "--mempool-url", mp.URL+"/api", "--since", "2026-04-19")
		if code != 0 {
			t.Fatalf("import fees: exit %d: %s", code, stderr)
		}
		json.Unmarshal([]byte(out), &rep)
		if rep.Days != 4 || rep.Written != wantWritten || rep.FirstDate != "2026-04-19" || rep.LastDate != "2026-04-22" {
			t.Errorf("run %d: report %+v, want 4 days 2026-04-19..22 with %d written", run, rep, wantWritten)
		}
	}
	code, out, stderr := imp("import", "prices", "--from", "kraken", "--exchange-urls", "kraken="+kr.URL, "--since", "2026-04-20")
	if code != 0 {
		t.Fatalf("import prices: exit %d: %s", code, stderr)
	}
	json.Unmarshal([]byte(out), &rep)
	if rep.Days < 2 || rep.Written != rep.Days {
		t.Errorf("prices report %+v", rep)
	}

	s, err := store.OpenExisting(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	fees, _ := s.DailyFeesAll(context.Background())
	prices, _ := s.Prices(context.Background())
	s.Close()
	if fees["2026-04-20"].PerBlockSats != 2_050_000 || fees["2026-04-22"].PerBlockSats != 2_400_000 || len(fees) != 4 {
		t.Errorf("fees = %+v", fees)
	}
	if prices["2026-04-20"] != 77485.0 || prices["2026-04-21"] != 78295.0 {
		t.Errorf("prices = %v, want Kraken's recorded closes", prices)
	}

	// A 503 and malformed JSON: exit 1 naming the source's URL, nothing
	// written.
	for name, h := range map[string]http.HandlerFunc{"503": webreplay.Status(503, "busy"), "malformed": webreplay.Text(`[{"timestamp": 1776}`)} {
		bad := webreplay.New(t, filepath.Join("testdata", "replay-mempool-fees", "api"), webreplay.Options{Prefix: "/api", Override: map[string]http.HandlerFunc{"v1/mining/blocks/fees/1m": h}})
		fi, _ := os.Stat(db)
		code, out, stderr := imp("import", "fees", "--from", "mempool", "--mempool-url", bad.URL+"/api", "--since", "2026-04-01")
		if code != 1 || out != "" || !strings.Contains(stderr, bad.URL) || !strings.Contains(stderr, "nothing imported") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, code, out, stderr)
		}
		if fi2, _ := os.Stat(db); fi2.ModTime() != fi.ModTime() {
			t.Errorf("%s: the database changed", name)
		}
	}
	// Bad usage exits 2.
	if code, _, stderr := imp("import", "fees", "--from", "kraken", "--since", "2026-04-01"); code != 2 || !strings.Contains(stderr, "--from") {
		t.Errorf("fees from an exchange: exit %d %s", code, stderr)
	}
	if code, _, stderr := imp("import", "prices", "--from", "kraken", "--since", "2026-13-01"); code != 2 || !strings.Contains(stderr, "--since") {
		t.Errorf("bad --since: exit %d %s", code, stderr)
	}
}

// TestImportPricesFeeColumn imports a Coin Metrics-shaped CSV's price and
// fee columns: the mean fees per block is FeeTotNtv / BlkCnt.
func TestImportPricesFeeColumn(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "cm.csv")
	os.WriteFile(csvPath, []byte("time,PriceUSD,BlkCnt,FeeTotNtv\n2024-01-01,44000.5,144,28.8\n2024-01-02,45000,150,30\n2024-01-03,,,\n"), 0o644)
	db := filepath.Join(dir, "h.db")
	code, out, stderr := fndRun(t, "import", "prices", csvPath, "--skip-empty", "--fee-column", "FeeTotNtv", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	s, err := store.OpenExisting(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fees, _ := s.DailyFeesAll(context.Background())
	if fees["2024-01-01"].PerBlockSats != 20_000_000 || fees["2024-01-02"].PerBlockSats != 20_000_000 || fees["2024-01-02"].Blocks != 150 || len(fees) != 2 {
		t.Errorf("fees = %+v", fees)
	}
	if code, _, stderr := fndRun(t, "import", "prices", csvPath, "--skip-empty", "--fee-column", "Nope", "--db", db); code != 2 || !strings.Contains(stderr, "--fee-column") {
		t.Errorf("unknown fee column: exit %d %s", code, stderr)
	}
}
