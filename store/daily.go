package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hashlab/hashlab/consensus"
)

// DailyFees is one UTC day's total transaction fees over its blocks.
type DailyFees struct {
	// Date is the UTC date "2006-01-02".
	Date string `json:"date"`
	// FeesSats is the fees of all the day's blocks.
	FeesSats consensus.Sats `json:"fees_sats"`
	// Blocks is how many blocks the day had (> 0).
	Blocks int64 `json:"blocks"`
	// Source names where the total came from ("mempool", a file).
	Source string `json:"source,omitempty"`
}

// PerBlock is the day's mean fees per block.
func (f DailyFees) PerBlock() consensus.Sats {
	return consensus.Sats((int64(f.FeesSats) + f.Blocks/2) / f.Blocks)
}

const upsertDailyFees = `INSERT INTO daily_fees (date, fees_sats, blocks, source) VALUES (?, ?, ?, ?)
	ON CONFLICT(date) DO UPDATE SET fees_sats = excluded.fees_sats, blocks = excluded.blocks, source = excluded.source
	WHERE daily_fees.fees_sats != excluded.fees_sats OR daily_fees.blocks != excluded.blocks OR daily_fees.source != excluded.source`

// maxDayFees bounds a day's fee total: all the bitcoin there will be.
const maxDayFees = 21_000_000 * consensus.SatsPerBTC

// DailyFees writes a day's fee total (an upsert: importing the same day
// again changes nothing).
func (im *Import) DailyFees(f DailyFees) error {
	if _, err := time.Parse(time.DateOnly, f.Date); err != nil {
		return fmt.Errorf("store: fees date %q is not YYYY-MM-DD", f.Date)
	}
	if f.FeesSats < 0 || f.FeesSats > maxDayFees {
		return fmt.Errorf("store: fees of %s: %d sats (allowed: 0 to 21,000,000 BTC)", f.Date, f.FeesSats)
	}
	if f.Blocks < 1 || f.Blocks > 10_000 {
		return fmt.Errorf("store: fees of %s: %d blocks (allowed: 1 to 10,000)", f.Date, f.Blocks)
	}
	if err := im.exec(upsertDailyFees, f.Date, int64(f.FeesSats), f.Blocks, f.Source); err != nil {
		return fmt.Errorf("store: fees %s: %w", f.Date, err)
	}
	return nil
}

// DailyFeesAll returns the stored daily fee totals keyed by date.
func (d *DB) DailyFeesAll(ctx context.Context) (map[string]DailyFees, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT date, fees_sats, blocks, source FROM daily_fees`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := map[string]DailyFees{}
	for rows.Next() {
		var f DailyFees
		if err := rows.Scan(&f.Date, &f.FeesSats, &f.Blocks, &f.Source); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out[f.Date] = f
	}
	return out, rows.Err()
}

// NewestDailyFees returns the newest day's fee total; ok is false when
// none is stored.
func (d *DB) NewestDailyFees(ctx context.Context) (f DailyFees, ok bool, err error) {
	err = d.db.QueryRowContext(ctx, `SELECT date, fees_sats, blocks, source FROM daily_fees ORDER BY date DESC LIMIT 1`).Scan(&f.Date, &f.FeesSats, &f.Blocks, &f.Source)
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
