package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
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
