package ingest

import (
	"context"
	"testing"
	"time"
)

// TestRunRecordsNodeTip: a run records the node's tip height in the
// database each time it learns a new one, stamped with the injected clock.
func TestRunRecordsNodeTip(t *testing.T) {
	a := fakeChain(nil, 0, 30, "aa")
	node := newFakeNode(a[:10])
	db := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := time.Unix(1_774_000_000, 0).UTC()
	now := func() time.Time { return clock }
	var seen []int64
	_, err := Run(ctx, node, db, Options{Follow: true, PollInterval: 1, Now: now, OnProgress: func(w, total int64) {
		h, _, ok, err := db.NodeTip(ctx)
		if err != nil || !ok {
			t.Errorf("after %d blocks: node tip %v, %v", w, ok, err)
		}
		seen = append(seen, h)
		node.mu.Lock()
		defer node.mu.Unlock()
		if n := len(node.chains[0]); n < 30 {
			node.chains[0] = a[:n+5]
		} else {
			cancel()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	h, at, ok, err := db.NodeTip(context.Background())
	if err != nil || !ok || h != 29 || !at.Equal(clock) {
		t.Errorf("node tip after following = %d at %s (ok %v, err %v), want 29 at %s", h, at, ok, err, clock)
	}
	// The first batch saw the node at height 9, later ones higher.
	if len(seen) == 0 || seen[0] != 9 || seen[len(seen)-1] < 24 {
		t.Errorf("node tips seen after each batch: %v", seen)
	}
}
