package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/store"
)

// TestServeSourceDBRefreshes serves --source db over a real chain store
// whose blocks were "ingested" (written as a node's): the answers carry
// source db and the store's tip; a new block in the store is served
// without waiting for --refresh (the store's generation changed); /metrics
// has the age of each source.
func TestServeSourceDBRefreshes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetNetwork(ctx, "mainnet")
	tipTime := time.Now().Add(-5 * time.Minute).Unix()
	put := func(from, to int64) {
		var bs []chain.BlockRecord
		for h := from; h <= to; h++ {
			sub := consensus.BlockSubsidy(h, consensus.MainNet)
			bs = append(bs, chain.BlockRecord{Height: h, Time: tipTime - (946236-h)*600, Bits: 0x17021369, SubsidySats: sub,
				FeesSats: 2_000_000, CoinbaseOutSats: sub + 2_000_000, Source: store.SourceRPC})
		}
		if err := db.PutBlocks(ctx, bs); err != nil {
			t.Fatal(err)
		}
	}
	put(945504, 946236)
	im, _ := db.BeginImport(ctx, "")
	im.Price(time.Now().UTC().Add(-24*time.Hour).Format(time.DateOnly), 90_000)
	im.Commit()

	base, stop := startServe(t, "--addr", "127.0.0.1:0", "--db", path, "--source", "db", "--refresh", "1h")
	defer stop()
	var hp struct {
		Source          string `json:"source"`
		Height          int64  `json:"height"`
		FeeWindowBlocks *int64 `json:"fee_window_blocks"`
		AgeSeconds      int64  `json:"age_seconds"`
	}
	json.Unmarshal(httpGet200(t, base+"/api/v1/hashprice"), &hp)
	if hp.Source != "db" || hp.Height != 946236 || hp.AgeSeconds < 290 || hp.AgeSeconds > 400 {
		t.Errorf("hashprice = %+v, want source db at 946236, about 300 s old", hp)
	}
	put(946237, 946237)
	json.Unmarshal(httpGet200(t, base+"/api/v1/hashprice"), &hp)
	if hp.Height != 946237 {
		t.Errorf("after a new block in the store: height %d (the state was not refreshed)", hp.Height)
	}
	metrics := string(httpGet200(t, base+"/metrics"))
	for _, want := range []string{`hashlab_source_age_seconds{source="db",what="tip"}`, `hashlab_source_age_seconds{source="db",what="price"}`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestServeSourceFailsNamed: an explicit source that does not answer stops
// serve before it listens, exit 1, naming the source and its URL.
func TestServeSourceFailsNamed(t *testing.T) {
	code, _, stderr := fndRun(t, "serve", "--addr", "127.0.0.1:0", "--source", "mempool", "--mempool-url", "http://127.0.0.1:1/api")
	if code != 1 || !strings.Contains(stderr, "mempool") || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := fndRun(t, "serve", "--refresh", "0s"); code != 2 || !strings.Contains(stderr, "--refresh") {
		t.Errorf("--refresh 0s: exit %d %q", code, stderr)
	}
}
