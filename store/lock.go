package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// One ingester writes a database at a time. On PostgreSQL the lock is a
// session advisory lock (pg_try_advisory_lock) held on a connection of its
// own, so it ends with the holder's session, even when the holder is
// killed; the holder names itself in its session's application_name and in
// the meta row ingest_holder. On SQLite it is an exclusive flock(2) on the
// file beside the database, path + "-ingest.lock", which holds the
// holder's name; the kernel releases it when the holder dies.

// ingestLockKey is the advisory lock key of the ingester; "hlingest" in
// ASCII.
const ingestLockKey int64 = 0x686c696e67657374

const metaIngestHolder = "ingest_holder"

// ErrIngestLocked is wrapped by a LockedError.
var ErrIngestLocked = errors.New("store: another ingester is writing this database")

// LockedError says which process holds the ingest lock.
type LockedError struct {
	// DB is the database (Path).
	DB string
	// Holder names the holder: "hashlab ingest pid 4242 on host h since
	// 2026-11-30T23:59:00Z", and on PostgreSQL its session.
	Holder string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("store: another ingester is writing %s: %s; wait for it to stop (or stop it), or rerun with --wait-lock to wait", e.DB, e.Holder)
}

func (e *LockedError) Unwrap() error { return ErrIngestLocked }

// Holder is how this process names itself as a lock holder.
func Holder(what string, started time.Time) string {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown host"
	}
	return fmt.Sprintf("%s pid %d on %s since %s", what, os.Getpid(), host, started.UTC().Format(time.RFC3339))
}

// IngestLock is the held ingest lock; Release it when the run ends.
type IngestLock struct {
	release func() error
}

// Release gives the lock up. It is safe to call more than once.
func (l *IngestLock) Release() error {
	if l == nil || l.release == nil {
		return nil
	}
	f := l.release
	l.release = nil
	return f()
}

// lockPoll is how often a waiting LockIngest tries again.
const lockPoll = 500 * time.Millisecond

// LockIngest takes the database's ingest lock for holder (see Holder).
// When another process holds it, it returns a *LockedError naming that
// process, or with wait it tries again until it gets the lock or ctx ends.
func (d *DB) LockIngest(ctx context.Context, holder string, wait bool) (*IngestLock, error) {
	for {
		l, lerr, err := d.tryLockIngest(ctx, holder)
		if err != nil || lerr == nil {
			return l, err
		}
		if !wait {
			return nil, lerr
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (stopped waiting: %v)", lerr, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

func (d *DB) tryLockIngest(ctx context.Context, holder string) (*IngestLock, *LockedError, error) {
	if d.pg {
		return d.tryLockPG(ctx, holder)
	}
	return d.tryLockFile(holder)
}

func (d *DB) tryLockPG(ctx context.Context, holder string) (*IngestLock, *LockedError, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("store: ingest lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, ingestLockKey).Scan(&got); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("store: ingest lock: %w", err)
	}
	if !got {
		who := d.pgHolder(ctx, conn)
		conn.Close()
		return nil, &LockedError{DB: d.path, Holder: who}, nil
	}
	// application_name holds at most 63 bytes.
	name := holder
	if len(name) > 63 {
		name = name[:63]
	}
	if _, err := conn.ExecContext(ctx, `SELECT set_config('application_name', ?, false)`, name); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("store: ingest lock: %w", err)
	}
	var pid int64
	if err := conn.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("store: ingest lock: %w", err)
	}
	d.lockPID.Store(pid)
	if err := d.write(ctx, func(tx *sql.Tx) error { return setMeta(ctx, tx, metaIngestHolder, holder) }); err != nil {
		d.lockPID.Store(0)
		conn.Close()
		return nil, nil, err
	}
	return &IngestLock{release: func() error {
		d.lockPID.Store(0)
		// The holder row is left behind: a reader of it checks the lock.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(?), set_config('application_name', 'hashlab', false)`, ingestLockKey)
		if cerr := conn.Close(); err == nil {
			err = cerr
		}
		return err
	}}, nil, nil
}

// ErrIngestLockLost is returned by a write of a handle whose PostgreSQL
// ingest lock ended with its session (a server restart, a dropped
// connection, pg_terminate_backend): another ingester may be writing.
var ErrIngestLockLost = errors.New("store: the ingest lock was lost (the PostgreSQL session holding it ended); nothing was written: run the ingest again")

// checkIngestLock fails a write while this handle's PostgreSQL ingest lock
// is no longer held, in the write's own transaction, so that an ingester
// whose lock session died never writes beside the next one.
func (d *DB) checkIngestLock(ctx context.Context, tx *sql.Tx) error {
	pid := d.lockPID.Load()
	if pid == 0 || !d.pg {
		return nil
	}
	var held bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = ?
		AND classid::bigint = ? AND objid::bigint = ? AND objsubid = 1)`, pid, ingestLockKey>>32, ingestLockKey&0xffffffff).Scan(&held)
	if err != nil {
		return fmt.Errorf("store: checking the ingest lock: %w", err)
	}
	if !held {
		return ErrIngestLockLost
	}
	return nil
}

// pgHolder names the session holding the ingest lock: the holder's own
// words (its application_name, the meta row) and the server's (backend
// pid, client address, since when).
func (d *DB) pgHolder(ctx context.Context, conn *sql.Conn) string {
	var app, addr, since sql.NullString
	var pid sql.NullInt64
	err := conn.QueryRowContext(ctx, `SELECT a.application_name, a.pid, COALESCE(host(a.client_addr), 'local socket'), to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 1`,
		ingestLockKey>>32, ingestLockKey&0xffffffff).Scan(&app, &pid, &addr, &since)
	var parts []string
	var row string
	if e := conn.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, metaIngestHolder).Scan(&row); e == nil && row != "" {
		parts = append(parts, row)
	} else if app.String != "" {
		parts = append(parts, app.String)
	}
	if err == nil {
		parts = append(parts, fmt.Sprintf("(PostgreSQL session pid %d from %s, connected since %s)", pid.Int64, addr.String, since.String))
	}
	if len(parts) == 0 {
		return "a session whose name PostgreSQL does not show to this user"
	}
	return strings.Join(parts, " ")
}

func setMeta(ctx context.Context, tx *sql.Tx, key, value string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("store: recording %s: %w", key, err)
	}
	return nil
}
