package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hashlab/hashlab/consensus"
)

// DailyFees is one UTC day's mean transaction fees per block.
type DailyFees struct {
	// Date is the UTC date "2006-01-02".
	Date string `json:"date"`
	// PerBlockSats is the day's mean fees per block.
	PerBlockSats consensus.Sats `json:"per_block_sats"`
	// Blocks is how many blocks the mean is over; 0 when not known.
	Blocks int64 `json:"blocks"`
	// Source names where the mean came from ("mempool", a file).
	Source string `json:"source,omitempty"`
}

const upsertDailyFees = `INSERT INTO daily_fees (date, per_block_sats, blocks, source) VALUES (?, ?, ?, ?)
	ON CONFLICT(date) DO UPDATE SET per_block_sats = excluded.per_block_sats, blocks = excluded.blocks, source = excluded.source
	WHERE daily_fees.per_block_sats != excluded.per_block_sats OR daily_fees.blocks != excluded.blocks OR daily_fees.source != excluded.source`

// maxDayFees bounds a mean: all the bitcoin there will be.
const maxDayFees = 21_000_000 * consensus.SatsPerBTC

// DailyFees writes a day's mean fees per block (an upsert: importing the
// same day again changes nothing).
func (im *Import) DailyFees(f DailyFees) error {
	if _, err := time.Parse(time.DateOnly, f.Date); err != nil {
		return fmt.Errorf("store: fees date %q is not YYYY-MM-DD", f.Date)
	}
	if f.PerBlockSats < 0 || f.PerBlockSats > maxDayFees {
		return fmt.Errorf("store: fees of %s: %d sats per block (allowed: 0 to 21,000,000 BTC)", f.Date, f.PerBlockSats)
	}
	if f.Blocks < 0 || f.Blocks > 10_000 {
		return fmt.Errorf("store: fees of %s: %d blocks (allowed: 0 (unknown) to 10,000)", f.Date, f.Blocks)
	}
	if err := im.exec(upsertDailyFees, f.Date, int64(f.PerBlockSats), f.Blocks, f.Source); err != nil {
		return fmt.Errorf("store: fees %s: %w", f.Date, err)
	}
	return nil
}

// DailyFeesAll returns the stored daily fee totals keyed by date.
func (d *DB) DailyFeesAll(ctx context.Context) (map[string]DailyFees, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT date, per_block_sats, blocks, source FROM daily_fees`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := map[string]DailyFees{}
	for rows.Next() {
		var f DailyFees
		if err := rows.Scan(&f.Date, &f.PerBlockSats, &f.Blocks, &f.Source); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out[f.Date] = f
	}
	return out, rows.Err()
}

// NewestDailyFees returns the newest day's fee total; ok is false when
// none is stored.
func (d *DB) NewestDailyFees(ctx context.Context) (f DailyFees, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, `SELECT date, per_block_sats, blocks, source FROM daily_fees ORDER BY date DESC LIMIT 1`).Scan(&f.Date, &f.PerBlockSats, &f.Blocks, &f.Source)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("store: %w", err)
	}
	return f, true, nil
}

// NewestPrice returns the newest stored daily price and its date; ok is
// false when none is stored.
func (d *DB) NewestPrice(ctx context.Context) (date string, usd float64, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, `SELECT date, usd FROM prices ORDER BY date DESC LIMIT 1`).Scan(&date, &usd)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("store: %w", err)
	}
	return date, usd, true, nil
}

// LastDate returns the newest date of the prices ("prices") or daily
// fees ("fees") table, "" when empty: where an interrupted import
// resumes.
func (d *DB) LastDate(ctx context.Context, table string) (string, error) {
	var q string
	switch table {
	case "prices":
		q = `SELECT COALESCE(MAX(date), '') FROM prices`
	case "fees":
		q = `SELECT COALESCE(MAX(date), '') FROM daily_fees`
	default:
		return "", fmt.Errorf("store: no dated table %q", table)
	}
	var s string
	if err := d.db.QueryRowContext(ctx, q).Scan(&s); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return s, nil
}

// DailyFeesPerBlock returns the imported daily mean fees per block keyed
// by date (history.DailyFeeReader).
func (d *DB) DailyFeesPerBlock(ctx context.Context) (map[string]consensus.Sats, error) {
	all, err := d.DailyFeesAll(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]consensus.Sats, len(all))
	for k, f := range all {
		out[k] = f.PerBlockSats
	}
	return out, nil
}
