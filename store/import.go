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
	d     *DB
	ctx   context.Context
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	done  bool
	// Rows counts the rows written (inserted or updated).
	Rows int64
}

// BeginImport starts an import of network's data (checked against, or
// recorded as, the database's network). Other writers of this DB wait
// until the import ends.
func (d *DB) BeginImport(ctx context.Context, network string) (*Import, error) {
	d.wmu.Lock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		d.wmu.Unlock()
		return nil, fmt.Errorf("store: %w", err)
	}
	im := &Import{d: d, ctx: ctx, tx: tx, stmts: map[string]*sql.Stmt{}}
	if network != "" {
		if err := setNetwork(ctx, tx, network); err != nil {
			im.Rollback()
			return nil, err
		}
	}
	return im, nil
}

const (
	upsertHeader = `INSERT INTO blocks (height, hash, prev_hash, time, bits, version, nonce, subsidy_sats, source)
		VALUES (?,?,?,?,?,?,?,?,'headers')
		ON CONFLICT(height) DO UPDATE SET hash = excluded.hash, prev_hash = excluded.prev_hash, time = excluded.time,
			bits = excluded.bits, version = excluded.version, nonce = excluded.nonce, subsidy_sats = excluded.subsidy_sats,
			source = CASE WHEN blocks.source IN ('blocks-csv', 'headers+blocks-csv') THEN 'headers+blocks-csv' ELSE 'headers' END
		WHERE blocks.source != 'rpc' AND (blocks.hash != excluded.hash OR blocks.prev_hash != excluded.prev_hash OR blocks.time != excluded.time
			OR blocks.bits != excluded.bits OR blocks.version != excluded.version OR blocks.nonce != excluded.nonce
			OR blocks.subsidy_sats != excluded.subsidy_sats OR blocks.source NOT IN ('headers', 'headers+blocks-csv'))`
	upsertLabel = `INSERT INTO blocks (height, time, bits, subsidy_sats, pool, source)
		VALUES (?,?,?,?,?,'blocks-csv')
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
// about the block (its pool).
func (im *Import) Header(b chain.BlockRecord) error {
	if err := im.exec(upsertHeader, b.Height, hashText(b.Hash), prevText(b.PrevHash, b.Height), b.Time, int64(b.Bits), int64(b.Version), int64(b.Nonce), int64(b.SubsidySats)); err != nil {
		return fmt.Errorf("store: header %d: %w", b.Height, err)
	}
	return nil
}

// BlockLabel writes a block's time and pool (from the blocks CSV), and
// its bits and subsidy when no header gave them.
func (im *Import) BlockLabel(height, time int64, pool string, bits consensus.Bits, subsidy consensus.Sats) error {
	if err := im.exec(upsertLabel, height, time, int64(bits), int64(subsidy), pool); err != nil {
		return fmt.Errorf("store: block %d: %w", height, err)
	}
	return nil
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
	im.d.wmu.Unlock()
}

// Commit makes the import durable.
func (im *Import) Commit() error {
	if im.done {
		return errors.New("store: import already ended")
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
