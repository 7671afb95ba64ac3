package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/internal/pgtest"
)

// TestIngestLockOneWriter: a second ingester of the same database (another
// handle, as another process has) is refused with the holder's name, waits
// when asked to, and gets the lock once the first releases it.
func TestIngestLockOneWriter(t *testing.T) {
	backends(t, func(t *testing.T, name string) {
		ctx := context.Background()
		a, _ := openAt(t, name)
		b, _ := openAt(t, name)
		first := Holder("hashlab ingest", time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC))
		la, err := a.LockIngest(ctx, first, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.LockIngest(ctx, "second", false)
		var le *LockedError
		if !errors.As(err, &le) || !errors.Is(err, ErrIngestLocked) || !strings.Contains(err.Error(), first) {
			t.Fatalf("second ingester: %v; want a LockedError naming %q", err, first)
		}
		t.Log(err)
		if a.pg && !strings.Contains(le.Holder, "PostgreSQL session pid") {
			t.Errorf("holder %q does not name the session", le.Holder)
		}
		// Waiting ends with the context while the lock is held...
		wctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		_, err = b.LockIngest(wctx, "second", true)
		cancel()
		if !errors.Is(err, ErrIngestLocked) {
			t.Fatalf("waiting past the deadline: %v", err)
		}
		// ...and gets the lock when the holder releases it.
		go func() { time.Sleep(300 * time.Millisecond); la.Release() }()
		lb, err := b.LockIngest(ctx, "second", true)
		if err != nil {
			t.Fatalf("waiting for the release: %v", err)
		}
		if _, err := a.LockIngest(ctx, "third", false); !errors.Is(err, ErrIngestLocked) || !strings.Contains(err.Error(), "second") {
			t.Errorf("after the handover: %v", err)
		}
		if err := lb.Release(); err != nil {
			t.Fatal(err)
		}
		lb.Release()
		lc, err := a.LockIngest(ctx, "third", false)
		if err != nil {
			t.Fatal(err)
		}
		lc.Release()
	})
}

// TestIngestLockLostStopsWrites: when the PostgreSQL session holding the
// lock ends (here pg_terminate_backend; a server restart or a dropped
// connection alike), the holder's next write fails instead of writing
// beside the ingester that may take the lock next.
func TestIngestLockLostStopsWrites(t *testing.T) {
	ctx := context.Background()
	db, _ := openAt(t, pgtest.Start(t))
	l, err := db.LockIngest(ctx, "holder", false)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := db.SetNetwork(ctx, "regtest"); err != nil {
		t.Fatalf("a write under the lock: %v", err)
	}
	pid := db.lockPID.Load()
	if _, err := db.db.ExecContext(ctx, `SELECT pg_terminate_backend(?)`, pid); err != nil {
		t.Fatal(err)
	}
	// pg_terminate_backend only signals the session: wait until it ended.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var n int
		if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %d still there", pid)
		}
	}
	err = db.PutBlocks(ctx, []chain.BlockRecord{rec(0, hashOf("x"), chain.ZeroHash)})
	if !errors.Is(err, ErrIngestLockLost) {
		t.Fatalf("a write after the lock's session ended: %v", err)
	}
	if _, _, ok, _ := db.Tip(ctx); ok {
		t.Error("the block was written")
	}
	// Another ingester can take the lock now.
	other, _ := openAt(t, db.Path())
	l2, err := other.LockIngest(ctx, "next", false)
	if err != nil {
		t.Fatal(err)
	}
	l2.Release()
}
