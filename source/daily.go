package source

import (
	"context"
	"time"
)

// DailyClose is one UTC day's closing BTC price in USD from one source.
type DailyClose struct {
	// Day is the UTC date, "2006-01-02".
	Day string `json:"day"`
	// USD is the close: the last price of that UTC day (> 0, finite).
	USD float64 `json:"usd"`
	// Source names where it came from ("mempool", "kraken", ...).
	Source string `json:"source"`
}

// DailyCloser is a source of daily closes, for `import prices --from`.
type DailyCloser interface {
	Name() string
	// DailyCloses returns the closes of the UTC days from since through
	// the last complete day the source has, oldest first, one per day.
	DailyCloses(ctx context.Context, since time.Time) ([]DailyClose, error)
}

// Day returns t's UTC date as "2006-01-02".
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
