package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/service"
)

// registerPoolsHistory wires the series the pools page draws: pool
// shares over time and the fee share of miner revenue (chain-store
// scans, under the scan timeout).
func (s *Server) registerPoolsHistory(scan func(method, path string, f apiFunc)) {
	scan("GET", "/api/v1/pools/history", s.apiPoolsHistory)
	scan("GET", "/api/v1/history/fee-share", s.apiFeeShare)
}

// errNoPoolsHistory answers the pools history without a chain store.
var errNoPoolsHistory = fmt.Errorf("%w: pool shares over time need a chain store: run hashlab import blocks FILE (or ingest), then hashlab serve --db FILE", ErrNoData)

// apiPoolsHistory is GET /api/v1/pools/history: service.PoolsHistoryOf
// over every stored block, cached per store generation, merged in flight
// and charged to the heavy-work budget as a scan of every block.
func (s *Server) apiPoolsHistory(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	every := q.enum("every", "week", "week", "month")
	top := q.int("top", service.DefaultPoolsHistoryTop, 1, service.MaxPoolsHistoryTop, "1 to 30")
	if e := q.done(); e != nil {
		return nil, e
	}
	ch, ok := unwrapChainHistory(s.hist)
	if !ok {
		return nil, errNoPoolsHistory
	}
	ctx := r.Context()
	cost, err := ch.scanCost(ctx, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	ans, err := ch.poolsHistory(ctx, cost, service.PoolsHistoryQuery{Every: every, Top: int(top)})
	if err != nil {
		return nil, chainErr(err)
	}
	return poolsHistoryResponse{Source: ch.source, PoolsHistory: ans}, nil
}

// poolsHistory is service.PoolsHistoryOf over the store, cached per
// generation.
func (h *ChainHistory) poolsHistory(ctx context.Context, cost int64, q service.PoolsHistoryQuery) (service.PoolsHistory, error) {
	return cached(ctx, h, fmt.Sprintf("pools history %s %d", q.Every, q.Top), cost, func(ctx context.Context) (service.PoolsHistory, error) {
		return service.PoolsHistoryOf(ctx, h.r, h.name, q)
	})
}

// feeShare is service.FeeShareOf over every stored day, cached per
// generation.
func (h *ChainHistory) feeShare(ctx context.Context, cost int64) (service.FeeShareHistory, error) {
	return cached(ctx, h, "fee share", cost, func(ctx context.Context) (service.FeeShareHistory, error) {
		return service.FeeShareOf(ctx, h.r, h.r, h.p, service.FeeShareQuery{})
	})
}

// warmPoolsPage computes what the pools page and the overview's
// fee-share panel ask for on their first load (the weekly history of the
// default top pools, the fee share); Warm calls it with the dashboard's
// other answers.
func (h *ChainHistory) warmPoolsPage(ctx context.Context) error {
	cost, err := h.scanCost(ctx, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	if _, err := h.poolsHistory(ctx, cost, service.PoolsHistoryQuery{Every: "week", Top: service.DefaultPoolsHistoryTop}); err != nil {
		return err
	}
	_, err = h.feeShare(ctx, cost)
	return err
}

type poolsHistoryResponse struct {
	Source string `json:"source"`
	service.PoolsHistory
}

type feeShareResponse struct {
	Source string `json:"source"`
	service.FeeShareHistory
}

// apiFeeShare is GET /api/v1/history/fee-share: fees / (subsidy + fees)
// per UTC day (from, to inclusive days).
func (s *Server) apiFeeShare(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	from, _ := q.date("from")
	to, hasTo := q.date("to")
	if e := q.done(); e != nil {
		return nil, e
	}
	if hasTo {
		to = to.Add(24 * time.Hour)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return nil, badParam("to", r.URL.Query().Get("to"), "is before from", "a date on or after from")
	}
	ch, ok := unwrapChainHistory(s.hist)
	if !ok {
		return nil, fmt.Errorf("%w: the fee share of miner revenue needs a chain store with fees (hashlab ingest, or import blocks and import fees; then serve --db FILE)", ErrNoData)
	}
	ctx := r.Context()
	cost, err := ch.scanCost(ctx, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	// One computation over every day, cut to the range, so that the
	// moving averages at the start of a range count the days before it.
	all, err := ch.feeShare(ctx, cost)
	if err != nil {
		return nil, chainErr(err)
	}
	out := service.FeeShareHistory{Note: all.Note, Days: []service.FeeShareDay{}}
	for _, d := range all.Days {
		t, _ := time.Parse(time.DateOnly, d.Date)
		if (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to)) {
			out.Days = append(out.Days, d)
			if d.FeeShare != nil {
				out.KnownDays++
			}
		}
	}
	if len(out.Days) == 0 {
		return nil, chainErr(history.ErrNoData)
	}
	return feeShareResponse{Source: ch.source, FeeShareHistory: out}, nil
}

// movingAverages sets the trailing 7- and 30-day means of daily USD
// hashprice (history.TrailingMeans, the Hashrate Index's convention) on
// the points of a daily series; the means at the start of a range count
// the days before it. Other periods are returned as they are.
func (s *Server) movingAverages(ctx context.Context, pts []HashpricePoint, from, to time.Time, every string) []HashpricePoint {
	if every != "day" || len(pts) == 0 {
		return pts
	}
	src := pts
	if !from.IsZero() {
		// The whole series is one cached scan: the 29 days before from.
		if wide, err := s.hist.Hashprice(ctx, from.AddDate(0, 0, -29), to, every); err == nil {
			src = wide
		}
	}
	dates := make([]string, len(src))
	vals := make([]*float64, len(src))
	for i, p := range src {
		dates[i], vals[i] = p.Time.UTC().Format(time.DateOnly), p.USDPerPHDay
	}
	ma7, ma30 := history.TrailingMeans(dates, vals, 7), history.TrailingMeans(dates, vals, 30)
	at := map[string]int{}
	for i, d := range dates {
		at[d] = i
	}
	for i := range pts {
		if j, ok := at[pts[i].Time.UTC().Format(time.DateOnly)]; ok {
			pts[i].MA7USDPerPHDay, pts[i].MA30USDPerPHDay = ma7[j], ma30[j]
		}
	}
	return pts
}

// poolsWithSlugs lists the pools of the window ending at the newest stored
// block with slug, display name, blocks and share (history.PoolsWindow,
// cached per generation), for GET /api/v1/pools; nil without a chain
// store or on error (the concentration answer stands without it).
func (s *Server) poolsWithSlugs(ctx context.Context, window time.Duration) []history.PoolShare {
	ch, ok := unwrapChainHistory(s.hist)
	if !ok {
		return nil
	}
	cost, err := ch.scanCost(ctx, time.Unix(0, 0), time.Unix(0, 0).Add(window))
	if err != nil {
		return nil
	}
	rep, err := cached(ctx, ch, "pools slugs "+window.String(), cost, func(ctx context.Context) (history.PoolReport, error) {
		return history.PoolsWindow(ctx, ch.r, window, ch.name)
	})
	if err != nil {
		return nil
	}
	return rep.Pools
}
