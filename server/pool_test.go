package server

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/ingest"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/pool"
	"github.com/hashlab/hashlab/pool/poolfile"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/store"
)

// POST /api/v1/pool/audit renders the service's audit of the export in
// the body; bad parameters and a bad export are 400s naming the field.
func TestPoolAuditRoute(t *testing.T) {
	_, ts := newTest(t, Config{})
	b, err := os.ReadFile("../examples/pool-export-example.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, "POST", ts.URL+"/api/v1/pool/audit?scheme=fpps&fee=0.02&fees_btc=0.03", string(b))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	if m["scheme"] != "fpps" || num(t, m, "expected_sats") != 62698852 || num(t, m, "payout_sats") != 62410169 {
		t.Errorf("audit: scheme %v expected %v paid %v", m["scheme"], m["expected_sats"], m["payout_sats"])
	}
	if !strings.Contains(m["fees_source"].(string), "0.03 BTC per block (fees_btc)") {
		t.Errorf("fees_source %v", m["fees_source"])
	}
	// Without fees_btc: the snapshot's reference value, labelled so (as
	// the CLI labels it), and null blocks for an export without them.
	r = do(t, "POST", ts.URL+"/api/v1/pool/audit?scheme=fpps", string(b))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m = r.json(t)
	if src, _ := m["fees_source"].(string); !strings.Contains(src, "0.02 BTC per block, the snapshot's reference assumption") {
		t.Errorf("fees_source without fees_btc: %q", src)
	}
	for _, d := range m["days"].([]any) {
		if v, ok := d.(map[string]any)["blocks"]; !ok || v != nil {
			t.Errorf("day blocks %v, want null", v)
		}
	}
	for _, c := range []struct{ q, body, want string }{
		{"scheme=pps", string(b), "scheme"},
		{"fee=1", string(b), "fee"},
		{"", "date,hashrate_ths\n2024-11-01,1\n", "payout"},
	} {
		r := do(t, "POST", ts.URL+"/api/v1/pool/audit?"+c.q, c.body)
		if r.status != 400 || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%q: status %d %s (want 400 naming %s)", c.q, r.status, r.body, c.want)
		}
	}
	// Pool luck needs a chain store.
	if r := do(t, "POST", ts.URL+"/api/v1/pool/luck", "date,pool_key,hashrate\n2024-01-01,foundryusa,1e20\n"); r.status != 404 {
		t.Errorf("luck without a store: status %d %s", r.status, r.body)
	}
	// Concentration by template merges AntPool's friends.
	r = do(t, "GET", ts.URL+"/api/v1/security/concentration?by=template&shares="+url.QueryEscape("Foundry USA=30,AntPool=20,Binance Pool=5,poolin=2,F2Pool=10"), "")
	if r.status != 200 || !strings.Contains(string(r.body), `"AntPool \u0026 friends"`) && !strings.Contains(string(r.body), `"AntPool & friends"`) {
		t.Errorf("by template: %d %s", r.status, r.body)
	}
}

// POST /api/v1/pool/luck reads the pool's blocks from the served chain
// store and answers what the service answers from the same blocks as a
// CSV.
func TestPoolLuckRoute(t *testing.T) {
	ctx := context.Background()
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
		tm, _ := strconv.ParseInt(strings.Split(line, ",")[1], 10, 64)
		if i == 0 || (tm >= 1698796800 && tm < 1711929600) { // 2023-11-01 .. 2024-03-31
			b.WriteString(line + "\n")
		}
	}
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "pool.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := ingest.ImportBlocksCSV(ctx, db, strings.NewReader(b.String()), consensus.MainNet, snapshot.Epochs(), nil); err != nil {
		t.Fatal(err)
	}
	_, ts := newTest(t, Config{History: NewChainHistory(db, ChainHistoryOptions{Source: "chain store pool.db"})})
	hr, err := os.ReadFile(sharedtest.Path(t, "pools", "foundryusa_reported_hashrate_2023-12-01_2025-01-31.csv"))
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, "POST", ts.URL+"/api/v1/pool/luck?from=2024-01-01&to=2024-03-31&every=month", string(hr))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got service.PoolLuckAnswer
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	days, key, err := poolfile.ReportedHashrate(strings.NewReader(string(hr)), "")
	if err != nil {
		t.Fatal(err)
	}
	want, err := service.New(nil, nil).PoolLuck(ctx, poolfile.BlocksCSV(strings.NewReader(b.String())), service.PoolLuckRequest{
		Pool: key, Hashrate: days, From: "2024-01-01", To: "2024-03-31", Every: pool.Monthly,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Pool != "foundryusa" || len(got.Periods) != 3 || got.Total.Blocks != want.Total.Blocks || got.Total.ExpectedBlocks != want.Total.ExpectedBlocks || got.Total.Blocks == 0 {
		t.Errorf("API total %+v, service %+v", got.Total, want.Total)
	}
	if r := do(t, "POST", ts.URL+"/api/v1/pool/luck?every=week", string(hr)); r.status != 400 || !strings.Contains(string(r.body), "every") {
		t.Errorf("every=week: %d %s", r.status, r.body)
	}
}

// A negative share is a 400 whose field is shares.
func TestConcentrationNegativeShareField(t *testing.T) {
	_, ts := newTest(t, Config{})
	r := do(t, "GET", ts.URL+"/api/v1/security/concentration?shares="+url.QueryEscape("a=-1,b=2"), "")
	if r.status != 400 || !strings.Contains(string(r.body), `"field":"shares"`) {
		t.Errorf("status %d %s", r.status, r.body)
	}
}
