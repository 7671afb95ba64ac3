package main

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/store"
)

// TestSimRunStartNow runs a shipped scenario from the state now of a
// chain store (--start now --source db): the simulation starts at the
// store's tip with its bits, time, epoch, price and fees; without --start
// it starts from the scenario's block.
func TestSimRunStartNow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetNetwork(ctx, "mainnet")
	// Blocks 947,520 (an epoch's first) to 947,600 at the bits 0x17021369,
	// 600 s apart, each paying 0.03 BTC of fees.
	t0 := time.Now().Add(-time.Hour).Unix() - 80*600
	var bs []chain.BlockRecord
	for h := int64(947_520); h <= 947_600; h++ {
		sub := consensus.BlockSubsidy(h, consensus.MainNet)
		bs = append(bs, chain.BlockRecord{Height: h, Time: t0 + (h-947_520)*600, Bits: 0x17021369, SubsidySats: sub, FeesSats: 3_000_000, CoinbaseOutSats: sub + 3_000_000, Source: store.SourceRPC})
	}
	if err := db.PutBlocks(ctx, bs); err != nil {
		t.Fatal(err)
	}
	im, _ := db.BeginImport(ctx, "")
	im.Price(time.Now().UTC().Add(-24*time.Hour).Format(time.DateOnly), 95_000)
	im.Commit()
	db.Close()

	var res struct {
		StartHeight    int64   `json:"start_height"`
		StartTime      int64   `json:"start_time"`
		StartHashprice float64 `json:"start_hashprice_usd_per_ph_day"`
	}
	want, _ := hashprice.Compute(hashprice.Inputs{Difficulty: consensus.Difficulty(0x17021369), Height: 947_600, FeesPerBlock: 3_000_000, PriceUSD: 95_000})
	code, out, stderr := fndRun(t, "sim", "run", "baseline", "--start", "now", "--source", "db", "--db", path, "--paths", "4", "--years", "0.05", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %.300s", err, out)
	}
	// The start hashprice is the store's: its bits, height, fees and price.
	if res.StartHeight != 947_600 || res.StartTime != t0+80*600 || math.Abs(res.StartHashprice-want.USDPerPHDay) > 1e-3 {
		t.Errorf("start = height %d time %d hashprice %v, want 947600 at %d, %v", res.StartHeight, res.StartTime, res.StartHashprice, t0+80*600, want.USDPerPHDay)
	}
	if !strings.Contains(stderr, "sim starts from block 947600") || !strings.Contains(stderr, "db "+path) {
		t.Errorf("stderr does not name the source: %s", stderr)
	}
	// Without --start the scenario's own block (the embedded snapshot's).
	code, out, _ = fndRun(t, "sim", "run", "baseline", "--paths", "4", "--years", "0.05", "--json")
	json.Unmarshal([]byte(out), &res)
	if code != 0 || res.StartHeight != 946_236 {
		t.Errorf("default start: exit %d, height %d", code, res.StartHeight)
	}
	if code, _, stderr := fndRun(t, "sim", "run", "baseline", "--start", "tomorrow"); code != 2 || !strings.Contains(stderr, "--start") {
		t.Errorf("--start tomorrow: exit %d %s", code, stderr)
	}
}
