package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// Keys of the node tip in the meta table.
const (
	metaNodeTipHeight = "node_tip_height"
	metaNodeTipAt     = "node_tip_at" // Unix seconds
)

// SetNodeTip records the height of the node's best block as an ingest run
// learned it, and when (at). Readers such as the server compare it with
// the stored tip to show how far the database is behind its node.
func (d *DB) SetNodeTip(ctx context.Context, height int64, at time.Time) error {
	if height < 0 {
		return fmt.Errorf("store: node tip height %d is negative (allowed: >= 0)", height)
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		for _, kv := range [][2]string{{metaNodeTipHeight, strconv.FormatInt(height, 10)}, {metaNodeTipAt, strconv.FormatInt(at.Unix(), 10)}} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, kv[0], kv[1]); err != nil {
				return fmt.Errorf("store: recording the node tip: %w", err)
			}
		}
		return nil
	})
}

// NodeTip returns the node tip height last recorded by SetNodeTip and
// when it was recorded; ok is false when none was.
func (d *DB) NodeTip(ctx context.Context) (height int64, at time.Time, ok bool, err error) {
	var hn, an sql.NullString
	err = d.db.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = ?), (SELECT value FROM meta WHERE key = ?)`, metaNodeTipHeight, metaNodeTipAt).Scan(&hn, &an)
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("store: reading the node tip: %w", err)
	}
	if !hn.Valid || !an.Valid {
		return 0, time.Time{}, false, nil
	}
	hs, ats := hn.String, an.String
	height, err = strconv.ParseInt(hs, 10, 64)
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("store: meta %s is %q, not an integer", metaNodeTipHeight, hs)
	}
	sec, err := strconv.ParseInt(ats, 10, 64)
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("store: meta %s is %q, not Unix seconds", metaNodeTipAt, ats)
	}
	return height, time.Unix(sec, 0).UTC(), true, nil
}

// metaGeneration counts the transactions that changed blocks or prices.
const metaGeneration = "generation"

// bumpGeneration counts one more change of blocks or prices; call it in
// the transaction that makes the change.
func bumpGeneration(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, '1')
		ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)`, metaGeneration)
	if err != nil {
		return fmt.Errorf("store: counting the change: %w", err)
	}
	return nil
}

// Generation returns a number that changes whenever blocks or prices
// change (ingest batches, rollbacks, imports that wrote rows), in this
// process or another: readers cache query results under it. Recording
// the node tip does not change it.
func (d *DB) Generation(ctx context.Context) (int64, error) {
	var v sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = ?)`, metaGeneration).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: reading the generation: %w", err)
	}
	if !v.Valid {
		return 0, nil
	}
	return strconv.ParseInt(v.String, 10, 64)
}
