package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
)

// Importer is what the file imports need of a database.
type Importer interface {
	// BeginImport starts one import transaction for data of network
	// ("" for data without a network, such as prices).
	BeginImport(ctx context.Context, network string) (*Import, error)
}

var _ Importer = (*DB)(nil)

// Source values of imported rows. A block known from both a header file
// and the blocks CSV is "headers+blocks-csv". Rows ingested from a node
// ("rpc") are never changed by an import: the node's word is final.
const (
	SourceRPC        = "rpc"
	SourceHeaders    = "headers"
	SourceBlocksCSV  = "blocks-csv"
	SourceHeadersCSV = "headers+blocks-csv"
)

// Import is one import transaction. Every row of a file goes into one
// transaction, so a failed import writes nothing; rows are upserts, so
// importing the same file again leaves the database unchanged. Call
// Commit or Rollback exactly once.
type Import struct {
	d    *DB
	ctx  context.Context
	conn *sql.Conn
	// restore undoes bulkLoadSettings on conn.
	restore func()
	tx      *sql.Tx
	stmts   map[string]*sql.Stmt
	done    bool
	// Rows counts the rows written (inserted or changed; a row imported
	// again unchanged is not written). Block rows go in batches, the last
	// at Commit: read Rows after Commit.
	Rows int64

	// Block rows wait in pend (of kind pendKind) and go to the database
	// in multi-row upserts of batch rows.
	pend     []any
	pendKind int
	pendN    int
	pendLo   int64
	pendHi   int64
	// bulk is set when the import found the blocks table empty and
	// dropped its time index, to build it once after the load.
	bulk        bool
	bulkChecked bool
	// Rollups: the heights written, the groups of rows inserted where
	// none existed, and, once a row was changed instead (changed), the
	// days to recompute.
	runs       runSet
	groups     groupAcc
	changed    bool
	days       dayRange
	rowsSeen   int64
	lastHeight int64
}

// Kinds of pending block rows.
const (
	pendNone = iota
	pendHeaders
	pendLabels
)

// BeginImport starts an import of network's data (checked against, or
// recorded as, the database's network). Other writers of this DB wait
// until the import ends.
func (d *DB) BeginImport(ctx context.Context, network string) (*Import, error) {
	d.wmu.Lock()
	conn, err := d.db.Conn(ctx)
	if err != nil {
		d.wmu.Unlock()
		return nil, fmt.Errorf("store: %w", err)
	}
	restore, err := d.bulkLoadSettings(ctx, conn)
	if err != nil {
		conn.Close()
		d.wmu.Unlock()
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		restore()
		conn.Close()
		d.wmu.Unlock()
		return nil, fmt.Errorf("store: %w", err)
	}
	im := &Import{d: d, ctx: ctx, conn: conn, restore: restore, tx: tx, stmts: map[string]*sql.Stmt{}}
	if network != "" {
		if err := setNetwork(ctx, tx, network); err != nil {
			im.Rollback()
			return nil, err
		}
	}
	return im, nil
}

const (
	upsertHeaderHead = `INSERT INTO blocks (height, hash, prev_hash, time, bits, version, nonce, subsidy_sats, source) VALUES `
	upsertHeaderTail = `
		ON CONFLICT(height) DO UPDATE SET hash = excluded.hash, prev_hash = excluded.prev_hash, time = excluded.time,
			bits = excluded.bits, version = excluded.version, nonce = excluded.nonce, subsidy_sats = excluded.subsidy_sats,
			source = CASE WHEN blocks.source IN ('blocks-csv', 'headers+blocks-csv') THEN 'headers+blocks-csv' ELSE 'headers' END
		WHERE blocks.source != 'rpc' AND (blocks.hash != excluded.hash OR blocks.prev_hash != excluded.prev_hash OR blocks.time != excluded.time
			OR blocks.bits != excluded.bits OR blocks.version != excluded.version OR blocks.nonce != excluded.nonce
			OR blocks.subsidy_sats != excluded.subsidy_sats OR blocks.source NOT IN ('headers', 'headers+blocks-csv'))`
	upsertLabelHead = `INSERT INTO blocks (height, time, bits, subsidy_sats, pool, source) VALUES `
	upsertLabelTail = `
		ON CONFLICT(height) DO UPDATE SET time = excluded.time, pool = excluded.pool, subsidy_sats = excluded.subsidy_sats,
			bits = CASE WHEN blocks.bits = 0 THEN excluded.bits ELSE blocks.bits END,
			source = CASE WHEN blocks.source IN ('headers', 'headers+blocks-csv') THEN 'headers+blocks-csv' ELSE 'blocks-csv' END
		WHERE blocks.source != 'rpc' AND (blocks.time != excluded.time OR blocks.pool != excluded.pool
			OR blocks.subsidy_sats != excluded.subsidy_sats OR blocks.bits = 0 AND excluded.bits != 0
			OR blocks.source NOT IN ('blocks-csv', 'headers+blocks-csv'))`
	upsertPrice = `INSERT INTO prices (date, usd) VALUES (?, ?) ON CONFLICT(date) DO UPDATE SET usd = excluded.usd WHERE prices.usd != excluded.usd`
)

func (im *Import) exec(query string, args ...any) error {
	if im.done {
		return errors.New("store: import already ended")
	}
	st, ok := im.stmts[query]
	if !ok {
		var err error
		if st, err = im.tx.PrepareContext(im.ctx, query); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		im.stmts[query] = st
	}
	res, err := st.ExecContext(im.ctx, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil {
		im.Rows += n
	}
	return nil
}

// Header writes a block's header fields (Height, Hash, PrevHash, Time,
// Bits, Version, Nonce, SubsidySats), keeping what other sources said
// about the block (its pool). Rows are written in batches: an error may
// surface on a later call or at Commit.
func (im *Import) Header(b chain.BlockRecord) error {
	return im.pendBlock(pendHeaders, b.Height, b.Time, b.Bits, b.SubsidySats,
		b.Height, hashText(b.Hash), prevText(b.PrevHash, b.Height), b.Time, int64(b.Bits), int64(b.Version), int64(b.Nonce), int64(b.SubsidySats))
}

// BlockLabel writes a block's time and pool (from the blocks CSV), and
// its bits and subsidy when no header gave them. Rows are written in
// batches: an error may surface on a later call or at Commit.
func (im *Import) BlockLabel(height, time int64, pool string, bits consensus.Bits, subsidy consensus.Sats) error {
	return im.pendBlock(pendLabels, height, time, bits, subsidy, height, time, int64(bits), int64(subsidy), pool)
}

// Columns per row of the multi-row upserts.
const (
	headerCols = 8
	labelCols  = 5
)

func (im *Import) pendBlock(kind int, height, time int64, bits consensus.Bits, subsidy consensus.Sats, args ...any) error {
	if im.done {
		return errors.New("store: import already ended")
	}
	if im.pendKind != kind && im.pendN > 0 {
		if err := im.flush(); err != nil {
			return err
		}
	}
	if im.pendN == 0 {
		im.pendKind, im.pendLo, im.pendHi = kind, height, height
	}
	if im.rowsSeen > 0 && height <= im.lastHeight {
		// Not ascending: a height may come twice, so the groups of the
		// rows are not the rows stored; recompute the days instead.
		im.changed = true
	}
	im.rowsSeen++
	im.lastHeight = height
	im.pend = append(im.pend, args...)
	im.pendN++
	im.pendLo, im.pendHi = min(im.pendLo, height), max(im.pendHi, height)
	im.runs.add(height)
	im.days.addTimes(time, time)
	im.groups.add(height, time, bits, subsidy)
	if im.pendN == insertBatchRows(len(args)) {
		return im.flush()
	}
	return nil
}

// flush writes the pending block rows in one multi-row upsert. Before a
// batch lands where rows exist, it notes their days: the import then
// recomputes the rollups of every day it touched instead of adding its
// groups.
func (im *Import) flush() error {
	if im.pendN == 0 {
		return nil
	}
	n, kind := im.pendN, im.pendKind
	args := im.pend
	im.pend, im.pendN, im.pendKind = im.pend[:0], 0, pendNone
	if !im.bulkChecked {
		im.bulkChecked = true
		var stored int
		if err := im.tx.QueryRowContext(im.ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM blocks LIMIT 1) AS one`).Scan(&stored); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if stored == 0 {
			if err := dropTimeIndex(im.ctx, im.tx); err != nil {
				return err
			}
			im.bulk = true
		}
	}
	if !im.bulk {
		had, old, err := storedTimes(im.ctx, im.tx, `height >= ? AND height <= ?`, im.pendLo, im.pendHi)
		if err != nil {
			return err
		}
		if had > 0 {
			im.changed = true
			if old.set {
				im.days.addTimes(old.lo*86400, old.hi*86400)
			}
		}
	}
	var q string
	switch kind {
	case pendHeaders:
		q = upsertHeaderHead + valuesList(n, headerCols, ",'headers'") + upsertHeaderTail
	default:
		q = upsertLabelHead + valuesList(n, labelCols, ",'blocks-csv'") + upsertLabelTail
	}
	if err := im.exec(q, args...); err != nil {
		return fmt.Errorf("store: blocks %d..%d: %w", im.pendLo, im.pendHi, err)
	}
	return nil
}

// dropTimeIndex and createTimeIndex bracket a bulk load into an empty
// blocks table: the index is built once, sorted, after the rows are in,
// in the same transaction (a failed import leaves it as it was).
func dropTimeIndex(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DROP INDEX blocks_time`); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func createTimeIndex(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `CREATE INDEX blocks_time ON blocks(time)`); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// finishBlocks writes the pending rows, rebuilds the time index after a
// bulk load and brings the rollups up to date.
func (im *Import) finishBlocks() error {
	if err := im.flush(); err != nil {
		return err
	}
	if im.bulk {
		if err := createTimeIndex(im.ctx, im.tx); err != nil {
			return err
		}
	}
	if len(im.runs) == 0 {
		return nil
	}
	if im.changed {
		if err := refreshDays(im.ctx, im.tx, im.days); err != nil {
			return err
		}
	} else if err := im.groups.write(im.ctx, im.tx); err != nil {
		return err
	}
	return addRuns(im.ctx, im.tx, im.runs)
}

// Price writes the BTC price (USD) of a UTC date "2006-01-02".
func (im *Import) Price(date string, usd float64) error {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return fmt.Errorf("store: price date %q is not YYYY-MM-DD", date)
	}
	if !(usd > 0) || math.IsInf(usd, 0) {
		return fmt.Errorf("store: price %v on %s (allowed: a positive finite number)", usd, date)
	}
	if err := im.exec(upsertPrice, date, usd); err != nil {
		return fmt.Errorf("store: price %s: %w", date, err)
	}
	return nil
}

func (im *Import) end() {
	for _, st := range im.stmts {
		st.Close()
	}
	im.done = true
	im.restore()
	im.conn.Close()
	im.d.wmu.Unlock()
}

// importCachePages is the SQLite page cache of an import's connection
// (other connections keep the store's 64 MiB). An import touches each
// page about once: a large cache holds memory for nothing.
const importCachePages = 500

// bulkLoadSettings tunes the connection an import runs on and returns
// what restores it. SQLite only; the import stays one crash-safe
// transaction.
func (d *DB) bulkLoadSettings(ctx context.Context, conn *sql.Conn) (restore func(), err error) {
	if d.pg {
		return func() {}, nil
	}
	var was int64
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&was); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, importCachePages)); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return func() { conn.ExecContext(context.Background(), fmt.Sprintf(`PRAGMA cache_size = %d`, was)) }, nil
}

// Commit makes the import durable.
func (im *Import) Commit() error {
	if im.done {
		return errors.New("store: import already ended")
	}
	if err := im.finishBlocks(); err != nil {
		im.tx.Rollback()
		im.end()
		return err
	}
	if im.Rows > 0 {
		if err := bumpGeneration(im.ctx, im.tx); err != nil {
			im.tx.Rollback()
			im.end()
			return err
		}
	}
	err := im.tx.Commit()
	im.end()
	if err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Rollback discards the import. It is safe to call after Commit (it then
// does nothing), so `defer im.Rollback()` is the usual pattern.
func (im *Import) Rollback() error {
	if im.done {
		return nil
	}
	err := im.tx.Rollback()
	im.end()
	return err
}
