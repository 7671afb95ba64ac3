package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/store"
)

// TestServeDBMissingFile: --db naming a file that does not exist is a
// usage error that says how to create one, and creates nothing; a
// directory and a database of another network are usage errors too.
func TestServeDBMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.db")
	code, _, stderr := fndRun(t, "serve", "--addr", "127.0.0.1:0", "--db", path)
	want := "--db = " + path + " (allowed: an existing hashlab database file (create one with hashlab import or hashlab ingest))"
	if code != 2 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("serve created %s (stat: %v)", path, err)
	}
	dir := t.TempDir()
	if code, _, stderr := fndRun(t, "serve", "--addr", "127.0.0.1:0", "--db", dir); code != 2 || !strings.Contains(stderr, "a database file, not a directory") {
		t.Errorf("directory: exit %d, stderr %q", code, stderr)
	}
	// Another network's database is served with that network's rules.
	tn := filepath.Join(dir, "testnet4.db")
	db, err := store.Open(context.Background(), tn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetNetwork(context.Background(), "testnet4"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	sdb, p, err := openServeDB(context.Background(), tn)
	if err != nil {
		t.Fatalf("testnet4 database: %v", err)
	}
	sdb.Close()
	if p.Name != "testnet4" {
		t.Errorf("testnet4 database served with %s's rules", p.Name)
	}
}

// TestServeDBLiveHistory: blocks imported from the first 3,000 rows of
// the real blocks CSV (heights 610683..613682, across the retargets at
// 610848 and 612864) are what serve --db answers with.
func TestServeDBLiveHistory(t *testing.T) {
	var slice strings.Builder
	sc := bufio.NewScanner(sharedtest.BlocksCSV(t))
	for n := 0; n <= 3000 && sc.Scan(); n++ { // header + 3,000 rows
		slice.WriteString(sc.Text() + "\n")
	}
	dir := t.TempDir()
	csvPath, dbPath := filepath.Join(dir, "blocks.csv"), filepath.Join(dir, "chain.db")
	if err := os.WriteFile(csvPath, []byte(slice.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := fndRun(t, "import", "blocks", csvPath, "--db", dbPath); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}

	base, stop := startServe(t, "--addr", "127.0.0.1:0", "--db", dbPath)
	get := func(path string, v any) {
		t.Helper()
		b := httpGet200(t, base+path)
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
	}
	var hz struct {
		Source string `json:"source"`
		Height int64  `json:"height"`
	}
	get("/healthz", &hz)
	if hz.Source != "chain store chain.db" || hz.Height != 613682 {
		t.Errorf("healthz: %+v, want source chain store chain.db at 613682", hz)
	}
	var adj struct {
		Adjustments []struct {
			Height int64 `json:"height"`
		} `json:"adjustments"`
	}
	get("/api/v1/network/adjustments", &adj)
	// 610848 (the block before it, 610847, is stored) and 612864.
	if len(adj.Adjustments) != 2 || adj.Adjustments[0].Height != 610848 || adj.Adjustments[1].Height != 612864 {
		t.Errorf("adjustments %+v, want 610848 and 612864 (the retargets the store holds)", adj.Adjustments)
	}
	stop()
}
