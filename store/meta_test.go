package store

import (
	"context"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
)

func TestNodeTipRoundTrip(t *testing.T) { backends(t, testNodeTipRoundTrip) }

func testNodeTipRoundTrip(t *testing.T, name string) {
	ctx := context.Background()
	db, _ := openAt(t, name)
	if _, _, ok, err := db.NodeTip(ctx); ok || err != nil {
		t.Fatalf("empty database: ok %v, err %v; want no node tip", ok, err)
	}
	at := time.Unix(1_774_000_000, 0).UTC()
	for _, h := range []int64{940_000, 940_003} {
		if err := db.SetNodeTip(ctx, h, at); err != nil {
			t.Fatal(err)
		}
		got, gotAt, ok, err := db.NodeTip(ctx)
		if err != nil || !ok || got != h || !gotAt.Equal(at) {
			t.Errorf("NodeTip = %d, %s, %v, %v; want %d, %s", got, gotAt, ok, err, h, at)
		}
		at = at.Add(time.Minute)
	}
	if err := db.SetNodeTip(ctx, -1, at); err == nil {
		t.Error("negative height accepted")
	}
	// The network row is untouched.
	if err := db.SetNetwork(ctx, "mainnet"); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Network(ctx); n != "mainnet" {
		t.Errorf("network %q", n)
	}
}

// TestGenerationCountsDataChanges: blocks written, rollbacks and imports
// that change rows move the generation; recording the node tip and an
// import that changes nothing do not.
func TestGenerationCountsDataChanges(t *testing.T) { backends(t, testGenerationCountsDataChanges) }

func testGenerationCountsDataChanges(t *testing.T, name string) {
	ctx := context.Background()
	db, _ := openAt(t, name)
	gen := func() int64 {
		t.Helper()
		g, err := db.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0 := gen()
	if err := db.PutBlocks(ctx, []chain.BlockRecord{{Height: 1, Hash: hashOf("aa"), Time: 1, Bits: 0x207fffff, Source: SourceRPC}}); err != nil {
		t.Fatal(err)
	}
	g1 := gen()
	if g1 == g0 {
		t.Errorf("PutBlocks left the generation at %d", g1)
	}
	if err := db.SetNodeTip(ctx, 5, time.Now()); err != nil || gen() != g1 {
		t.Errorf("SetNodeTip changed the generation (%v)", err)
	}
	price := func() {
		im, err := db.BeginImport(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := im.Price("2026-01-01", 90000); err != nil {
			t.Fatal(err)
		}
		if err := im.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	price()
	g2 := gen()
	if g2 == g1 {
		t.Errorf("an import that wrote a price left the generation at %d", g2)
	}
	price() // the same row again: nothing changes
	if gen() != g2 {
		t.Errorf("an import that changed nothing moved the generation")
	}
	if err := db.Rollback(ctx, 0, Reorg{DetectedAt: 1, OldTipHash: "aa", NewTipHash: "bb", Depth: 1}); err != nil || gen() == g2 {
		t.Errorf("Rollback did not move the generation (%v)", err)
	}
}
