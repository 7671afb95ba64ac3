//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// lockFile is the SQLite database's ingest lock file.
func (d *DB) lockFile() string { return d.path + "-ingest.lock" }

func (d *DB) tryLockFile(holder string) (*IngestLock, *LockedError, error) {
	f, err := os.OpenFile(d.lockFile(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("store: ingest lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 512)
			n, _ := f.ReadAt(b, 0)
			who := strings.TrimSpace(string(b[:n]))
			if who == "" {
				who = "a process that has not written its name yet"
			}
			return nil, &LockedError{DB: d.path, Holder: who + " (lock file " + d.lockFile() + ")"}, nil
		}
		return nil, nil, fmt.Errorf("store: ingest lock %s: %w", d.lockFile(), err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(holder+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("store: ingest lock %s: %w", d.lockFile(), err)
	}
	return &IngestLock{release: func() error {
		f.Truncate(0)
		return f.Close() // closing the last descriptor releases the flock
	}}, nil, nil
}
