package mempool

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/source"
)

// DayFees is one UTC day's mean fees per block from mempool's mining
// statistics.
type DayFees struct {
	Day          string         `json:"day"`
	PerBlockSats consensus.Sats `json:"per_block_sats"`
	// Points is how many of mempool's samples fell in the day (each
	// averages a group of blocks; the number of blocks is not given).
	Points int    `json:"points"`
	Source string `json:"source"`
}

// feePeriods are the periods of /v1/mining/blocks/fees/:period, shortest
// first, with how far back each reaches.
var feePeriods = []struct {
	name string
	back time.Duration
}{
	{"1m", 30 * 24 * time.Hour}, {"3m", 91 * 24 * time.Hour}, {"6m", 182 * 24 * time.Hour},
	{"1y", 365 * 24 * time.Hour}, {"2y", 730 * 24 * time.Hour}, {"3y", 1095 * 24 * time.Hour}, {"all", 0},
}

// DailyFees returns the mean fees per block of each UTC day from since's
// day through yesterday, from /v1/mining/blocks/fees/:period (documented
// at https://mempool.space/docs/api/rest, "Get Block Fees": an array of
// {avgHeight, timestamp, avgFees} with avgFees in satoshis per block), the
// shortest period that reaches back to since. A day's value is the mean
// of the samples whose timestamp falls in it; days without a sample are
// absent. A negative fee or one above 21M BTC is an ErrImplausible error.
func (s *Source) DailyFees(ctx context.Context, since time.Time) ([]DayFees, error) {
	now := s.now()
	period := "all"
	for _, p := range feePeriods {
		if p.back > 0 && now.Sub(since) <= p.back {
			period = p.name
			break
		}
	}
	u := s.base + "/v1/mining/blocks/fees/" + period
	var pts []struct {
		AvgHeight *float64 `json:"avgHeight"`
		Timestamp *int64   `json:"timestamp"`
		AvgFees   *float64 `json:"avgFees"`
	}
	if _, err := s.c.GetJSON(ctx, u, &pts); err != nil {
		return nil, err
	}
	from, today := source.Day(since), source.Day(now)
	type acc struct {
		sum float64
		n   int
	}
	byDay := map[string]*acc{}
	for i, p := range pts {
		if p.Timestamp == nil || p.AvgFees == nil {
			return nil, s.c.Fail(u, source.ErrMalformed, "[%d] has no timestamp or avgFees", i)
		}
		if !(*p.AvgFees >= 0) || *p.AvgFees > float64(maxSats) || math.IsInf(*p.AvgFees, 0) {
			return nil, s.c.Fail(u, source.ErrImplausible, "[%d] avgFees is %v sats (allowed: 0 to 21M BTC)", i, *p.AvgFees)
		}
		d := source.Day(time.Unix(*p.Timestamp, 0))
		if d < from || d >= today {
			continue
		}
		a := byDay[d]
		if a == nil {
			a = &acc{}
			byDay[d] = a
		}
		a.sum += *p.AvgFees
		a.n++
	}
	out := make([]DayFees, 0, len(byDay))
	for d, a := range byDay {
		out = append(out, DayFees{Day: d, PerBlockSats: consensus.Sats(math.Round(a.sum / float64(a.n))), Points: a.n, Source: Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}
