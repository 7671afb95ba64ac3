package ingest

import (
	"context"
	"time"

	"github.com/hashlab/hashlab/store"
)

// IngestLocker is implemented by a database that lets one ingester write
// it at a time (*store.DB: an advisory lock on PostgreSQL, a lock file
// beside an SQLite file). Run holds the lock for the whole run, follow
// mode included.
type IngestLocker interface {
	LockIngest(ctx context.Context, holder string, wait bool) (*store.IngestLock, error)
}

// lockWriter takes db's ingest lock when it has one: with opt.WaitForLock
// it waits for another ingester to finish, otherwise it fails with a
// *store.LockedError naming that ingester. The returned func releases it.
func lockWriter(ctx context.Context, db store.ChainWriter, opt Options) (func(), error) {
	l, ok := db.(IngestLocker)
	if !ok {
		return func() {}, nil
	}
	held, err := l.LockIngest(ctx, store.Holder("hashlab ingest", time.Now()), opt.WaitForLock)
	if err != nil {
		return nil, err
	}
	return func() { held.Release() }, nil
}
