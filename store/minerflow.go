package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/minerflow"
)

// metaMinerFlowFrom is the meta key of the first height whose block was
// scanned for miner flow (absent: miner flow is off for this database).
const metaMinerFlowFrom = "minerflow_from"

// MinerFlowStore is what the ingester needs to track miner flow: the
// tracked range, the unspent watched coins, and a write of blocks with
// their flow in one transaction.
type MinerFlowStore interface {
	MinerFlowFrom(ctx context.Context) (height int64, ok bool, err error)
	UnspentMinerCoins(ctx context.Context, fn func(minerflow.Coin) error) error
	PutBlocksFlow(ctx context.Context, blocks []chain.BlockRecord, flow minerflow.BlockFlow) error
}

var _ MinerFlowStore = (*DB)(nil)

// MinerFlowFrom returns the first height scanned for miner flow; ok is
// false when this database does not track it.
func (d *DB) MinerFlowFrom(ctx context.Context) (int64, bool, error) {
	return minerFlowFrom(ctx, d.db)
}

func minerFlowFrom(ctx context.Context, q queryer) (int64, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, metaMinerFlowFrom).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: reading %s: %w", metaMinerFlowFrom, err)
	}
	h, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("store: %s %q is not a height", metaMinerFlowFrom, v)
	}
	return h, true, nil
}

func setMinerFlowFrom(ctx context.Context, tx *sql.Tx, h int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, metaMinerFlowFrom, strconv.FormatInt(h, 10))
	if err != nil {
		return fmt.Errorf("store: recording %s: %w", metaMinerFlowFrom, err)
	}
	return nil
}

// PutBlocksFlow writes blocks (as PutBlocks) and the miner flow they add,
// in one transaction. The first write records the first height of blocks
// as the start of the tracked range.
func (d *DB) PutBlocksFlow(ctx context.Context, blocks []chain.BlockRecord, flow minerflow.BlockFlow) error {
	if len(blocks) == 0 {
		return nil
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		if err := putBlocks(ctx, tx, blocks); err != nil {
			return err
		}
		if _, ok, err := minerFlowFrom(ctx, tx); err != nil {
			return err
		} else if !ok {
			if err := setMinerFlowFrom(ctx, tx, blocks[0].Height); err != nil {
				return err
			}
		}
		return putFlow(ctx, tx, flow)
	})
}

// Rows are replaced on conflict: a batch written again after a crash
// before its commit, or after a rollback, writes the same keys.
func putFlow(ctx context.Context, tx *sql.Tx, f minerflow.BlockFlow) error {
	cs, err := tx.PrepareContext(ctx, `INSERT INTO minerflow_coins (txid, vout, pool, kind, value_sats, height, time, mined_time, address, script) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (txid, vout, pool) DO UPDATE SET kind = excluded.kind, value_sats = excluded.value_sats, height = excluded.height, time = excluded.time,
		mined_time = excluded.mined_time, address = excluded.address, script = excluded.script`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer cs.Close()
	for _, c := range f.Coins {
		if _, err := cs.ExecContext(ctx, c.TxID, int64(c.Vout), c.Pool, string(c.Kind), c.Sats, c.Height, c.Time, c.MinedTime, c.Address, c.Script); err != nil {
			return fmt.Errorf("store: writing miner coin %s:%d: %w", c.TxID, c.Vout, err)
		}
	}
	ss, err := tx.PrepareContext(ctx, `INSERT INTO minerflow_spends (txid, vout, pool, height, time, spend_txid) VALUES (?,?,?,?,?,?)
		ON CONFLICT (txid, vout, pool) DO UPDATE SET height = excluded.height, time = excluded.time, spend_txid = excluded.spend_txid`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer ss.Close()
	for _, s := range f.Spends {
		if _, err := ss.ExecContext(ctx, s.TxID, int64(s.Vout), s.Pool, s.Height, s.Time, s.SpendTxID); err != nil {
			return fmt.Errorf("store: writing the spend of %s:%d: %w", s.TxID, s.Vout, err)
		}
	}
	ds, err := tx.PrepareContext(ctx, `INSERT INTO minerflow_dests (spend_txid, n, height, time, address, value_sats) VALUES (?,?,?,?,?,?)
		ON CONFLICT (spend_txid, n) DO UPDATE SET height = excluded.height, time = excluded.time, address = excluded.address, value_sats = excluded.value_sats`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer ds.Close()
	for _, x := range f.Dests {
		if _, err := ds.ExecContext(ctx, x.SpendTxID, int64(x.N), x.Height, x.Time, x.Address, x.Sats); err != nil {
			return fmt.Errorf("store: writing an output of %s: %w", x.SpendTxID, err)
		}
	}
	return nil
}

// rollbackMinerFlow undoes the miner flow of the blocks above forkHeight
// (Rollback calls it in its transaction): coins they created and
// destinations they paid are deleted, coins they spent are unspent again.
// When the fork is below the start of the tracked range, the range starts
// after the fork (the re-ingested blocks are scanned).
func rollbackMinerFlow(ctx context.Context, tx *sql.Tx, forkHeight int64) error {
	for _, t := range []string{"minerflow_coins", "minerflow_spends", "minerflow_dests"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE height > ?`, forkHeight); err != nil {
			return fmt.Errorf("store: rolling back %s above %d: %w", t, forkHeight, err)
		}
	}
	from, ok, err := minerFlowFrom(ctx, tx)
	if err != nil || !ok || from <= forkHeight+1 {
		return err
	}
	return setMinerFlowFrom(ctx, tx, max(forkHeight+1, 0))
}

const coinColumns = `c.txid, c.vout, c.pool, c.kind, c.value_sats, c.height, c.time, c.mined_time, c.address, c.script`

func scanCoin(s scanner) (minerflow.Coin, error) {
	var c minerflow.Coin
	var vout int64
	var kind string
	if err := s.Scan(&c.TxID, &vout, &c.Pool, &kind, &c.Sats, &c.Height, &c.Time, &c.MinedTime, &c.Address, &c.Script); err != nil {
		return c, fmt.Errorf("store: %w", err)
	}
	c.Vout, c.Kind = uint32(vout), minerflow.Kind(kind)
	return c, nil
}

// UnspentMinerCoins calls fn for every watched coin not spent in a stored
// block. fn must not write to the database.
func (d *DB) UnspentMinerCoins(ctx context.Context, fn func(minerflow.Coin) error) error {
	rows, err := d.db.QueryContext(ctx, `SELECT `+coinColumns+` FROM minerflow_coins c
		LEFT JOIN minerflow_spends s ON s.txid = c.txid AND s.vout = c.vout AND s.pool = c.pool WHERE s.txid IS NULL`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCoin(rows)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MinerFlow reads the tracked miner flow (FirstTime is the earliest time
// of the node blocks from max(FromHeight, 1) on: the genesis coinbase is
// never a coin; 0 when there are none); minerflow.ErrNotTracked when
// the database does not track it.
func (d *DB) MinerFlow(ctx context.Context) (minerflow.Stored, error) {
	var out minerflow.Stored
	from, ok, err := d.MinerFlowFrom(ctx)
	if err != nil {
		return out, err
	}
	if !ok {
		return out, minerflow.ErrNotTracked
	}
	out.FromHeight = from
	err = d.db.QueryRowContext(ctx, `SELECT COALESCE((SELECT MIN(time) FROM blocks WHERE height >= ? AND source = 'rpc'), 0), COALESCE(MAX(height), -1), COALESCE(MAX(time), 0) FROM blocks WHERE source = 'rpc'`, max(from, 1)).
		Scan(&out.FirstTime, &out.TipHeight, &out.TipTime)
	if err != nil {
		return out, fmt.Errorf("store: %w", err)
	}
	rows, err := d.db.QueryContext(ctx, `SELECT `+coinColumns+`, s.height, s.time, s.spend_txid FROM minerflow_coins c
		LEFT JOIN minerflow_spends s ON s.txid = c.txid AND s.vout = c.vout AND s.pool = c.pool ORDER BY c.height, c.txid, c.vout, c.pool`)
	if err != nil {
		return out, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t minerflow.Tracked
		var vout int64
		var kind string
		var sh, st sql.NullInt64
		var sid sql.NullString
		if err := rows.Scan(&t.TxID, &vout, &t.Pool, &kind, &t.Sats, &t.Height, &t.Time, &t.MinedTime, &t.Address, &t.Script, &sh, &st, &sid); err != nil {
			return out, fmt.Errorf("store: %w", err)
		}
		t.Vout, t.Kind = uint32(vout), minerflow.Kind(kind)
		if sh.Valid {
			t.Spent, t.SpendHeight, t.SpendTime, t.SpendTxID = true, sh.Int64, st.Int64, sid.String
		}
		out.Coins = append(out.Coins, t)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: %w", err)
	}
	drows, err := d.db.QueryContext(ctx, `SELECT spend_txid, n, height, time, address, value_sats FROM minerflow_dests ORDER BY height, spend_txid, n`)
	if err != nil {
		return out, fmt.Errorf("store: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var x minerflow.Dest
		var n int64
		if err := drows.Scan(&x.SpendTxID, &n, &x.Height, &x.Time, &x.Address, &x.Sats); err != nil {
			return out, fmt.Errorf("store: %w", err)
		}
		x.N = int(n)
		out.Dests = append(out.Dests, x)
	}
	return out, drows.Err()
}

// MinerFlowCounts are the row counts of the miner-flow tables.
type MinerFlowCounts struct {
	Coins  int64 `json:"coins"`
	Spends int64 `json:"spends"`
	Dests  int64 `json:"dests"`
}

// CountMinerFlow counts the miner-flow rows.
func (d *DB) CountMinerFlow(ctx context.Context) (MinerFlowCounts, error) {
	var c MinerFlowCounts
	err := d.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM minerflow_coins), (SELECT COUNT(*) FROM minerflow_spends), (SELECT COUNT(*) FROM minerflow_dests)`).Scan(&c.Coins, &c.Spends, &c.Dests)
	if err != nil {
		return c, fmt.Errorf("store: %w", err)
	}
	return c, nil
}
