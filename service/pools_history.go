package service

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/security"
)

// PoolsHistoryQuery asks for pool shares over time.
type PoolsHistoryQuery struct {
	// Every is "week" (ISO weeks from Monday 00:00 UTC) or "month".
	Every string
	// Top is how many pools get their own series (the largest by blocks
	// over all stored blocks); the rest are summed as "other".
	Top int
}

// Bounds of PoolsHistoryQuery.Top.
const (
	DefaultPoolsHistoryTop = 8
	MaxPoolsHistoryTop     = 30
)

// PoolTotal is one pool over the whole history.
type PoolTotal struct {
	Slug   string  `json:"slug"`
	Name   string  `json:"name"`
	Blocks int64   `json:"blocks"`
	Share  float64 `json:"share"`
}

// PoolsPeriod is the block shares of one week or month, with the
// concentration of that period's blocks (security.Concentration, unknown
// blocks left out of the entities as in GET /api/v1/pools).
type PoolsPeriod struct {
	// Start is the period's first day (UTC); Blocks its stored blocks.
	Start  string `json:"start"`
	Blocks int64  `json:"blocks"`
	// Shares has one entry per pool of PoolsHistory.Pools (same order),
	// then "other" (every other pool) and "unknown" (blocks no pool
	// claimed), as fractions of Blocks.
	Shares []float64 `json:"shares"`
	// Largest is the period's largest pool and its share (dominance).
	LargestSlug  string  `json:"largest_slug"`
	LargestName  string  `json:"largest_name"`
	LargestShare float64 `json:"largest_share"`
	// HHI is the Herfindahl-Hirschman index of the pools' shares (0..1);
	// HHI10000 the same on the 0..10,000 scale.
	HHI      float64 `json:"hhi"`
	HHI10000 float64 `json:"hhi_10000"`
	// Nakamoto50 and Nakamoto33 are the fewest pools that together mined
	// more than half and more than a third of the period's blocks.
	Nakamoto50 int `json:"nakamoto_coefficient_50"`
	Nakamoto33 int `json:"nakamoto_coefficient_33"`
	// Complete is false for the first and last period, which the stored
	// blocks may cover only in part.
	Complete bool `json:"complete"`
}

// PoolsHistory is GET /api/v1/pools/history: pool shares per week or
// month over every stored block.
type PoolsHistory struct {
	Every  string `json:"every"`
	Blocks int64  `json:"blocks"`
	// Pools are the Top largest pools over all stored blocks, largest
	// first; Series names the entries of every period's Shares (the
	// pools' slugs, then "other" and "unknown") and SeriesNames their
	// display names.
	Pools       []PoolTotal   `json:"pools"`
	Series      []string      `json:"series"`
	SeriesNames []string      `json:"series_names"`
	Periods     []PoolsPeriod `json:"periods"`
	// FromHeight and ToHeight are the lowest and highest stored blocks.
	FromHeight int64 `json:"from_height"`
	ToHeight   int64 `json:"to_height"`
}

// CheckPoolsHistoryQuery validates q.
func CheckPoolsHistoryQuery(q PoolsHistoryQuery) error {
	if q.Every != "week" && q.Every != "month" {
		return hashlab.Invalid("every", q.Every, "week, month")
	}
	if q.Top < 1 || q.Top > MaxPoolsHistoryTop {
		return hashlab.Invalid("top", q.Top, "1 to 30")
	}
	return nil
}

// periodStart is the first day (Unix seconds) of the week or month that
// t falls in.
func periodStart(t int64, every string) int64 {
	u := time.Unix(t, 0).UTC()
	day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	if every == "month" {
		return time.Date(u.Year(), u.Month(), 1, 0, 0, 0, 0, time.UTC).Unix()
	}
	wd := (int(day.Weekday()) + 6) % 7 // Monday 0
	return day.AddDate(0, 0, -wd).Unix()
}

// PoolsHistoryOf counts the stored blocks per pool and week or month
// (one scan of every block of r) and computes each period's shares,
// dominance, HHI and Nakamoto coefficients. names maps a slug to its
// display name (nil: the slug).
func PoolsHistoryOf(ctx context.Context, r history.BlockReader, names func(string) string, q PoolsHistoryQuery) (PoolsHistory, error) {
	if err := CheckPoolsHistoryQuery(q); err != nil {
		return PoolsHistory{}, err
	}
	name := func(slug string) string {
		if names != nil {
			if n := names(slug); n != "" {
				return n
			}
		}
		return slug
	}
	type period struct {
		start  int64
		blocks int64
		counts map[string]int64
	}
	var periods []*period
	totals := map[string]int64{}
	ans := PoolsHistory{Every: q.Every, FromHeight: -1}
	err := r.BlocksByTime(ctx, math.MinInt64, math.MaxInt64, func(b chain.BlockRecord) error {
		slug := b.Pool
		if slug == "" {
			slug = "unknown"
		}
		st := periodStart(b.Time, q.Every)
		// Blocks come by height; a header time may step back across a
		// period boundary, so find the period (usually the last).
		var p *period
		for i := len(periods) - 1; i >= 0 && i >= len(periods)-3; i-- {
			if periods[i].start == st {
				p = periods[i]
				break
			}
		}
		if p == nil {
			p = &period{start: st, counts: map[string]int64{}}
			periods = append(periods, p)
		}
		p.counts[slug]++
		p.blocks++
		totals[slug]++
		ans.Blocks++
		if ans.FromHeight < 0 || b.Height < ans.FromHeight {
			ans.FromHeight = b.Height
		}
		ans.ToHeight = max(ans.ToHeight, b.Height)
		return nil
	})
	if err != nil {
		return PoolsHistory{}, err
	}
	if ans.Blocks == 0 {
		return PoolsHistory{}, history.ErrNoData
	}
	// Merge periods that a stepped-back header time split.
	sort.SliceStable(periods, func(i, j int) bool { return periods[i].start < periods[j].start })
	merged := periods[:0]
	for _, p := range periods {
		if n := len(merged); n > 0 && merged[n-1].start == p.start {
			for k, v := range p.counts {
				merged[n-1].counts[k] += v
			}
			merged[n-1].blocks += p.blocks
			continue
		}
		merged = append(merged, p)
	}
	periods = merged

	var top []string
	for slug := range totals {
		if !security.IsUnattributed(slug) {
			top = append(top, slug)
		}
	}
	sort.Slice(top, func(i, j int) bool {
		if totals[top[i]] != totals[top[j]] {
			return totals[top[i]] > totals[top[j]]
		}
		return top[i] < top[j]
	})
	if len(top) > q.Top {
		top = top[:q.Top]
	}
	inTop := map[string]int{}
	for i, slug := range top {
		inTop[slug] = i
		ans.Pools = append(ans.Pools, PoolTotal{Slug: slug, Name: name(slug), Blocks: totals[slug], Share: float64(totals[slug]) / float64(ans.Blocks)})
		ans.Series = append(ans.Series, slug)
		ans.SeriesNames = append(ans.SeriesNames, name(slug))
	}
	ans.Series = append(ans.Series, "other", "unknown")
	ans.SeriesNames = append(ans.SeriesNames, "other pools", "unknown (no pool claimed)")
	for i, p := range periods {
		pp := PoolsPeriod{Start: time.Unix(p.start, 0).UTC().Format(time.DateOnly), Blocks: p.blocks, Shares: make([]float64, len(ans.Series)),
			Complete: i > 0 && i < len(periods)-1}
		shares := make([]security.Share, 0, len(p.counts))
		n := float64(p.blocks)
		var largest int64
		for slug, c := range p.counts {
			switch j, ok := inTop[slug]; {
			case ok:
				pp.Shares[j] += float64(c) / n
			case security.IsUnattributed(slug):
				pp.Shares[len(top)+1] += float64(c) / n
			default:
				pp.Shares[len(top)] += float64(c) / n
			}
			shares = append(shares, security.Share{Name: slug, Share: float64(c)})
			if !security.IsUnattributed(slug) && (c > largest || c == largest && slug < pp.LargestSlug) {
				largest, pp.LargestSlug = c, slug
			}
		}
		if pp.LargestSlug != "" {
			pp.LargestName = name(pp.LargestSlug)
			pp.LargestShare = float64(largest) / n
		}
		conc, err := security.Concentration(shares)
		if err != nil {
			return PoolsHistory{}, err
		}
		pp.HHI, pp.HHI10000, pp.Nakamoto50, pp.Nakamoto33 = conc.HHI, conc.HHI10000, conc.Nakamoto50, conc.Nakamoto33
		ans.Periods = append(ans.Periods, pp)
	}
	return ans, nil
}

// FeeShareQuery asks for the fee share of miner revenue over time.
type FeeShareQuery struct {
	// From and To are whole UTC days, half-open; zero is open.
	From, To time.Time
}

// FeeShareHistory is GET /api/v1/history/fee-share: fees / (subsidy +
// fees) per UTC day, with its trailing 7- and 30-day means (of the daily
// shares; null until 7 or 30 consecutive days have one).
type FeeShareHistory struct {
	Days []FeeShareDay `json:"days"`
	// KnownDays counts the days whose every block's fees are known.
	KnownDays int    `json:"known_days"`
	Note      string `json:"note"`
}

// FeeShareDay is history.FeeShareDay with its moving averages.
type FeeShareDay struct {
	history.FeeShareDay
	MA7  *float64 `json:"ma7_fee_share"`
	MA30 *float64 `json:"ma30_fee_share"`
}

// FeeShareNote says where the fees come from.
const FeeShareNote = "fees are a block's own when it was ingested from a node, else its day's imported mean per block (hashlab import fees); a day with any block of unknown fees has a null share"

// FeeShareOf computes the fee share history from a store.
func FeeShareOf(ctx context.Context, r history.BlockReader, pr history.PriceReader, p *consensus.Params, q FeeShareQuery) (FeeShareHistory, error) {
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return FeeShareHistory{}, hashlab.Invalid("from", q.From.Format(time.DateOnly), "a day before to")
	}
	days, err := history.FeeShare(ctx, r, pr, p, history.Range{From: q.From, To: q.To})
	if err != nil {
		return FeeShareHistory{}, err
	}
	dates := make([]string, len(days))
	vals := make([]*float64, len(days))
	ans := FeeShareHistory{Days: make([]FeeShareDay, len(days)), Note: FeeShareNote}
	for i, d := range days {
		dates[i], vals[i] = d.Date, d.FeeShare
		if d.FeeShare != nil {
			ans.KnownDays++
		}
	}
	ma7, ma30 := history.TrailingMeans(dates, vals, 7), history.TrailingMeans(dates, vals, 30)
	for i, d := range days {
		ans.Days[i] = FeeShareDay{FeeShareDay: d, MA7: ma7[i], MA30: ma30[i]}
	}
	return ans, nil
}
