package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestNodeTipRoundTrip(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "hashlab.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
