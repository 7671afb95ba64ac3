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
