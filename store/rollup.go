package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/history"
)

// Rollups (migration 4) keep what daily, weekly and per-epoch history sums
// over, so that a history query reads a few rows per day instead of every
// block:
//
//   - block_days: per UTC day (time / 86400), epoch of RollupEpochBlocks,
//     bits and subsidy, the number of blocks, their first and last height,
//     and how many came from a node (source "rpc") with their fees: one
//     history.BlockGroup per row;
//   - height_runs: the maximal runs of consecutive stored heights, which
//     say whether a day is completely stored.
//
// Every transaction that changes blocks changes them too, before it
// commits: PutBlocks and Rollback recompute the days they touched from
// the blocks table (in SQL, through the time index), and an import adds
// the groups of the rows it inserted or, when it changed existing rows,
// recomputes its days. Deleting a block (a reorg rollback) removes its
// height from the runs; writing one adds it. The SQL is the subset
// SQLite and PostgreSQL mean the same by.

// RollupEpochBlocks is the epoch length block_days groups by: every
// Bitcoin network retargets each 2016 blocks. BlockGroups answers only
// for this length.
const RollupEpochBlocks = 2016

var _ history.GroupReader = (*DB)(nil)

// dayRange is a span of UTC day numbers (Unix seconds / 86400); it is
// empty until something is added.
type dayRange struct {
	lo, hi int64
	set    bool
}

func (r *dayRange) addTimes(lo, hi int64) {
	lo, hi = lo/86400, hi/86400
	if !r.set {
		r.lo, r.hi, r.set = lo, hi, true
		return
	}
	r.lo, r.hi = min(r.lo, lo), max(r.hi, hi)
}

const (
	rollupDelete = `DELETE FROM block_days WHERE day >= ? AND day <= ?`
	// rollupSelect aggregates blocks into block_days rows; callers add
	// the WHERE clause before rollupGroupBy.
	rollupSelect = `INSERT INTO block_days (day, epoch, bits, subsidy_sats, blocks, first_height, last_height, rpc_blocks, rpc_fees_sats)
		SELECT time / 86400, height / 2016, bits, subsidy_sats, COUNT(*), MIN(height), MAX(height),
			SUM(CASE WHEN source = 'rpc' THEN 1 ELSE 0 END), SUM(CASE WHEN source = 'rpc' THEN fees_sats ELSE 0 END)
		FROM blocks `
	rollupGroupBy = ` GROUP BY time / 86400, height / 2016, bits, subsidy_sats`
)

// refreshDays recomputes the block_days rows of the days in r from the
// blocks table.
func refreshDays(ctx context.Context, tx *sql.Tx, r dayRange) error {
	if !r.set {
		return nil
	}
	if _, err := tx.ExecContext(ctx, rollupDelete, r.lo, r.hi); err != nil {
		return fmt.Errorf("store: rollups of days %d..%d: %w", r.lo, r.hi, err)
	}
	if _, err := tx.ExecContext(ctx, rollupSelect+`WHERE time >= ? AND time < ?`+rollupGroupBy, r.lo*86400, (r.hi+1)*86400); err != nil {
		return fmt.Errorf("store: rollups of days %d..%d: %w", r.lo, r.hi, err)
	}
	return nil
}

// storedTimes returns how many blocks match where (a condition on the
// blocks table) and the range of their days.
func storedTimes(ctx context.Context, tx *sql.Tx, where string, args ...any) (int64, dayRange, error) {
	var n int64
	var lo, hi sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MIN(time), MAX(time) FROM blocks WHERE `+where, args...).Scan(&n, &lo, &hi); err != nil {
		return 0, dayRange{}, fmt.Errorf("store: %w", err)
	}
	var r dayRange
	if n > 0 && lo.Valid && hi.Valid {
		r.addTimes(lo.Int64, hi.Int64)
	}
	return n, r, nil
}

// heightRun is the heights first..last.
type heightRun struct{ first, last int64 }

// runSet collects heights as runs; add them in ascending order for the
// fewest runs (any order is correct).
type runSet []heightRun

func (rs *runSet) add(h int64) {
	if n := len(*rs); n > 0 && (*rs)[n-1].last+1 == h {
		(*rs)[n-1].last = h
		return
	}
	*rs = append(*rs, heightRun{h, h})
}

// merged returns the union of runs as disjoint, non-adjacent runs,
// ascending.
func mergeRuns(runs []heightRun) []heightRun {
	slices.SortFunc(runs, func(a, b heightRun) int { return cmpInt(a.first, b.first) })
	var out []heightRun
	for _, r := range runs {
		if n := len(out); n > 0 && r.first <= out[n-1].last+1 {
			out[n-1].last = max(out[n-1].last, r.last)
			continue
		}
		out = append(out, r)
	}
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// rewriteRuns replaces the height_runs rows that overlap lo..hi with
// edit(those rows).
func rewriteRuns(ctx context.Context, tx *sql.Tx, lo, hi int64, edit func([]heightRun) []heightRun) error {
	rows, err := tx.QueryContext(ctx, `SELECT first_height, last_height FROM height_runs WHERE last_height >= ? AND first_height <= ?`, lo, hi)
	if err != nil {
		return fmt.Errorf("store: height runs: %w", err)
	}
	var have []heightRun
	for rows.Next() {
		var r heightRun
		if err := rows.Scan(&r.first, &r.last); err != nil {
			rows.Close()
			return fmt.Errorf("store: height runs: %w", err)
		}
		have = append(have, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: height runs: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM height_runs WHERE last_height >= ? AND first_height <= ?`, lo, hi); err != nil {
		return fmt.Errorf("store: height runs: %w", err)
	}
	for _, r := range edit(have) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO height_runs (first_height, last_height) VALUES (?, ?)`, r.first, r.last); err != nil {
			return fmt.Errorf("store: height runs: %w", err)
		}
	}
	return nil
}

// addRuns records that the heights of rs are stored.
func addRuns(ctx context.Context, tx *sql.Tx, rs runSet) error {
	if len(rs) == 0 {
		return nil
	}
	add := mergeRuns(slices.Clone(rs))
	return rewriteRuns(ctx, tx, add[0].first-1, add[len(add)-1].last+1, func(have []heightRun) []heightRun {
		return mergeRuns(append(have, add...))
	})
}

// removeRuns records that the heights of rs are no longer stored.
func removeRuns(ctx context.Context, tx *sql.Tx, rs runSet) error {
	if len(rs) == 0 {
		return nil
	}
	del := mergeRuns(slices.Clone(rs))
	return rewriteRuns(ctx, tx, del[0].first, del[len(del)-1].last, func(have []heightRun) []heightRun {
		var out []heightRun
		for _, r := range have {
			// Cut every deleted run out of r.
			for _, d := range del {
				if d.last < r.first || d.first > r.last {
					continue
				}
				if d.first > r.first {
					out = append(out, heightRun{r.first, d.first - 1})
				}
				r.first = d.last + 1
				if r.first > r.last {
					break
				}
			}
			if r.first <= r.last {
				out = append(out, r)
			}
		}
		return out
	})
}

// blockRollup keeps the rollups of one PutBlocks: the days the blocks
// had before the write, then the heights written.
type blockRollup struct {
	days dayRange
	runs runSet
}

// beginPutRollup is called in PutBlocks's transaction before it writes
// blocks: it notes the days of the rows those heights hold now.
func beginPutRollup(ctx context.Context, tx *sql.Tx, blocks []chain.BlockRecord) (*blockRollup, error) {
	ru := &blockRollup{}
	if len(blocks) == 0 {
		return ru, nil
	}
	lo, hi := blocks[0].Height, blocks[0].Height
	sorted := true
	for i, b := range blocks {
		lo, hi = min(lo, b.Height), max(hi, b.Height)
		ru.days.addTimes(b.Time, b.Time)
		if i > 0 && b.Height < blocks[i-1].Height {
			sorted = false
		}
	}
	if sorted {
		for _, b := range blocks {
			ru.runs.add(b.Height)
		}
	} else {
		hs := make([]int64, len(blocks))
		for i, b := range blocks {
			hs[i] = b.Height
		}
		slices.Sort(hs)
		for _, h := range hs {
			ru.runs.add(h)
		}
	}
	n, old, err := storedTimes(ctx, tx, `height >= ? AND height <= ?`, lo, hi)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		ru.days.addTimes(old.lo*86400, old.hi*86400)
	}
	return ru, nil
}

// finish brings the rollups up to date after the write.
func (ru *blockRollup) finish(ctx context.Context, tx *sql.Tx) error {
	if err := refreshDays(ctx, tx, ru.days); err != nil {
		return err
	}
	return addRuns(ctx, tx, ru.runs)
}

// rollbackRollup keeps the rollups of one Rollback.
type rollbackRollup struct {
	days dayRange
	runs runSet
}

// beginRollbackRollup is called in Rollback's transaction before it
// deletes the node-ingested blocks above forkHeight: it notes their days
// and heights.
func beginRollbackRollup(ctx context.Context, tx *sql.Tx, forkHeight int64) (*rollbackRollup, error) {
	ru := &rollbackRollup{}
	rows, err := tx.QueryContext(ctx, `SELECT height, time FROM blocks WHERE height > ? AND source = 'rpc' ORDER BY height`, forkHeight)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, t int64
		if err := rows.Scan(&h, &t); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		ru.runs.add(h)
		ru.days.addTimes(t, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return ru, nil
}

// finish brings the rollups up to date after the delete.
func (ru *rollbackRollup) finish(ctx context.Context, tx *sql.Tx) error {
	if err := refreshDays(ctx, tx, ru.days); err != nil {
		return err
	}
	return removeRuns(ctx, tx, ru.runs)
}

// groupAcc sums the groups of rows an import inserted (none existed at
// their heights), to be added to block_days at commit.
type groupAcc struct {
	m    map[history.BlockGroup]*history.BlockGroup // key: Day, Epoch, Bits, SubsidySats only
	last *history.BlockGroup
	lk   history.BlockGroup
}

func (a *groupAcc) add(height, time int64, bits consensus.Bits, subsidy consensus.Sats) {
	k := history.BlockGroup{Day: time / 86400, Epoch: height / RollupEpochBlocks, Bits: bits, SubsidySats: subsidy}
	g := a.last
	if g == nil || a.lk != k {
		if a.m == nil {
			a.m = map[history.BlockGroup]*history.BlockGroup{}
		}
		g = a.m[k]
		if g == nil {
			c := k
			c.FirstHeight, c.LastHeight = height, height
			g = &c
			a.m[k] = g
		}
		a.last, a.lk = g, k
	}
	g.Blocks++
	g.FirstHeight = min(g.FirstHeight, height)
	g.LastHeight = max(g.LastHeight, height)
}

// rollupAdd adds groups to block_days: a day's new blocks added to
// the blocks it had. Only for inserted blocks (no row replaced).
const rollupAddHead = `INSERT INTO block_days (day, epoch, bits, subsidy_sats, blocks, first_height, last_height, rpc_blocks, rpc_fees_sats) VALUES `
const rollupAddTail = ` ON CONFLICT (day, epoch, bits, subsidy_sats) DO UPDATE SET blocks = block_days.blocks + excluded.blocks,
	first_height = CASE WHEN excluded.first_height < block_days.first_height THEN excluded.first_height ELSE block_days.first_height END,
	last_height = CASE WHEN excluded.last_height > block_days.last_height THEN excluded.last_height ELSE block_days.last_height END,
	rpc_blocks = block_days.rpc_blocks + excluded.rpc_blocks, rpc_fees_sats = block_days.rpc_fees_sats + excluded.rpc_fees_sats`

func (a *groupAcc) write(ctx context.Context, tx *sql.Tx) error {
	gs := make([]*history.BlockGroup, 0, len(a.m))
	for _, g := range a.m {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, func(x, y *history.BlockGroup) int {
		if c := cmpInt(x.Day, y.Day); c != 0 {
			return c
		}
		if c := cmpInt(x.Epoch, y.Epoch); c != 0 {
			return c
		}
		if c := cmpInt(int64(x.Bits), int64(y.Bits)); c != 0 {
			return c
		}
		return cmpInt(int64(x.SubsidySats), int64(y.SubsidySats))
	})
	const cols = 9
	per := insertBatchRows(cols)
	args := make([]any, 0, per*cols)
	for len(gs) > 0 {
		n := min(per, len(gs))
		args = args[:0]
		for _, g := range gs[:n] {
			args = append(args, g.Day, g.Epoch, int64(g.Bits), int64(g.SubsidySats), g.Blocks, g.FirstHeight, g.LastHeight, g.NodeBlocks, int64(g.NodeFeesSats))
		}
		if _, err := tx.ExecContext(ctx, rollupAddHead+valuesList(n, cols, "")+rollupAddTail, args...); err != nil {
			return fmt.Errorf("store: adding rollups: %w", err)
		}
		gs = gs[n:]
	}
	return nil
}

// valuesList is "(?,…,?[,extra]),…" for rows rows of cols placeholders,
// each followed by the literal columns extra (e.g. ",'headers'").
func valuesList(rows, cols int, extra string) string {
	var b strings.Builder
	one := "(" + strings.Repeat("?,", cols-1) + "?" + extra + ")"
	b.Grow(rows * (len(one) + 1))
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}

// insertBatchRows is how many rows of cols placeholders one multi-row
// INSERT carries: 8,192 placeholders, within both engines' limits per
// statement (SQLite 32,766 since 3.32, PostgreSQL 65,535).
func insertBatchRows(cols int) int { return max(1, 8192/cols) }

// BlockGroups implements history.GroupReader from block_days, for epochs
// of RollupEpochBlocks only. from and to are Unix seconds at 00:00 UTC
// (or math.MinInt64 and math.MaxInt64 for no bound).
func (d *DB) BlockGroups(ctx context.Context, epochBlocks, from, to int64, fn func(history.BlockGroup) error) (bool, error) {
	if epochBlocks != RollupEpochBlocks {
		return false, nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT day, epoch, bits, subsidy_sats, blocks, first_height, last_height, rpc_blocks, rpc_fees_sats
		FROM block_days WHERE day >= ? AND day < ? ORDER BY day, epoch, bits, subsidy_sats`, from/86400, to/86400)
	if err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var g history.BlockGroup
		var bits, subsidy, fees int64
		if err := rows.Scan(&g.Day, &g.Epoch, &bits, &subsidy, &g.Blocks, &g.FirstHeight, &g.LastHeight, &g.NodeBlocks, &fees); err != nil {
			return false, fmt.Errorf("store: %w", err)
		}
		g.Day *= 86400
		g.Bits, g.SubsidySats, g.NodeFeesSats = consensus.Bits(bits), consensus.Sats(subsidy), consensus.Sats(fees)
		if err := fn(g); err != nil {
			return false, err
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("store: %w", err)
	}
	return true, nil
}

// HeightRuns implements history.GroupReader from height_runs.
func (d *DB) HeightRuns(ctx context.Context, fn func(first, last int64) error) error {
	rows, err := d.db.QueryContext(ctx, `SELECT first_height, last_height FROM height_runs ORDER BY first_height`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var first, last int64
		if err := rows.Scan(&first, &last); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := fn(first, last); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
