package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/security"
)

// ChainReader is what ChainHistory needs of a chain store; *store.DB is
// one. The history package reads blocks and prices through it; Block,
// BlocksByHeight and NodeTip answer the tip.
type ChainReader interface {
	history.BlockReader
	history.PriceReader
	// Block returns the stored block at height.
	Block(ctx context.Context, height int64) (chain.BlockRecord, bool, error)
	// BlocksByHeight calls fn for every stored block with from <= height
	// <= to, ascending.
	BlocksByHeight(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error
	// NodeTip returns the node's best height an ingest run last recorded,
	// and when; ok is false when none was.
	NodeTip(ctx context.Context) (height int64, at time.Time, ok bool, err error)
}

// NodeTipMaxAge is how old a recorded node tip may be for Tip to report
// BlocksBehind: an ingest run that follows the tip records it at least
// once a minute, so an older record means nobody is following.
const NodeTipMaxAge = 10 * time.Minute

// FeeBlocks is how many of the newest blocks Tip averages fees over: one
// day of blocks at the mainnet target spacing (144), from the params.
var FeeBlocks = int64(hashprice.TargetBlocksPerDay(consensus.MainNet))

// ChainHistoryOptions configure a ChainHistory.
type ChainHistoryOptions struct {
	// Source names the data in responses, e.g. "chain store /path/hashlab.db".
	Source string
	// Params are the network's; nil is mainnet.
	Params *consensus.Params
	// Now is the clock that decides whether a recorded node tip is fresh;
	// nil is time.Now.
	Now func() time.Time
	// PoolName maps a pool slug to its display name; nil uses the
	// embedded mempool pools-v2 list.
	PoolName func(slug string) string
}

// ChainHistory answers History from a chain store through the history
// package: daily, weekly and per-epoch hashprice with fees where the
// blocks came from a node and USD where prices are stored, every
// retarget the store holds, and block shares by pool. Every call reads
// the store afresh, so blocks written by a running `hashlab ingest
// --follow` show up at once. It is safe for concurrent use as long as
// the reader is. When the reader can say when
// its data changed (Generationer), results are cached until the next
// change.
type ChainHistory struct {
	r      ChainReader
	p      *consensus.Params
	source string
	now    func() time.Time
	name   func(string) string
	cache  resultCache
	// flight merges identical cache misses: concurrent requests for the
	// same result at the same generation compute it once.
	flight flightGroup
	// admit, set by the Server, charges a scan's estimate to the
	// heavy-work budget; nil admits everything (a ChainHistory used
	// without a Server).
	admit func(ctx context.Context, cost int64) (release func(), err error)
	// scans bounds the scans reading the store at once (MaxScans), so
	// the store's other connections stay free for the tip that /healthz,
	// /metrics and the hashprice routes read.
	scans chan struct{}
	// onWarm, when set (tests), is called after KeepWarm has warmed the
	// cache for a data generation.
	onWarm func(gen int64)
}

// MaxScans is how many history scans read the chain store at once (the
// store keeps 4 connections: two stay free for cheap reads).
const MaxScans = 2

// Generationer is implemented by a store that can say when its data
// changed (*store.DB does): ChainHistory then caches query results until
// the next change, so a dashboard's repeated full-history requests cost a
// lookup instead of a scan of every block.
type Generationer interface {
	Generation(ctx context.Context) (int64, error)
}

// resultCache keeps query results for one data generation.
type resultCache struct {
	mu  sync.Mutex
	gen int64
	m   map[string]any
}

// maxCached bounds the entries kept for one generation.
const maxCached = 256

// cached returns the result for key at the store's current generation,
// computing it with fn on a miss. Concurrent misses of the same key and
// generation compute once (flightGroup); a computation with cost > 0 (a
// scan, in work units) is admitted against the server's heavy-work
// budget first. fn runs under a context that ends when every request
// waiting for it has ended. Without a Generationer nothing is cached,
// but identical concurrent calls are still merged. Errors are not cached.
func cached[T any](ctx context.Context, h *ChainHistory, key string, cost int64, fn func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	gen := int64(-1)
	g, caching := h.r.(Generationer)
	if caching {
		var err error
		if gen, err = g.Generation(ctx); err != nil {
			return zero, err
		}
		c := &h.cache
		c.mu.Lock()
		if c.gen != gen || c.m == nil {
			c.gen, c.m = gen, map[string]any{}
		}
		v, hit := c.m[key]
		c.mu.Unlock()
		if hit {
			return v.(T), nil
		}
	}
	v, err := h.flight.do(ctx, fmt.Sprintf("%d\x00%s", gen, key), func(ctx context.Context) (any, error) {
		if cost > 0 && h.admit != nil {
			release, err := h.admit(ctx, cost)
			if err != nil {
				return nil, err
			}
			defer release()
		}
		if cost > 0 {
			select {
			case h.scans <- struct{}{}:
				defer func() { <-h.scans }()
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		out, err := fn(ctx)
		if err != nil {
			return nil, err
		}
		if caching {
			c := &h.cache
			c.mu.Lock()
			if c.gen == gen && len(c.m) < maxCached {
				c.m[key] = out
			}
			c.mu.Unlock()
		}
		return out, nil
	})
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

// errStopScan ends a BlocksByHeight walk early.
var errStopScan = errors.New("stop")

// scanCost estimates the work units of a scan over the stored blocks
// with time in [from, to] (zero: unbounded): the stored blocks, or the
// blocks the range spans at the target spacing if fewer.
func (h *ChainHistory) scanCost(ctx context.Context, from, to time.Time) (int64, error) {
	type span struct{ first, last int64 }
	sp, err := cached(ctx, h, "span", 0, func(ctx context.Context) (span, error) {
		last, ok, err := h.r.LastBlock(ctx)
		if err != nil || !ok {
			return span{}, err
		}
		first := last.Height
		err = h.r.BlocksByHeight(ctx, 0, last.Height, func(b chain.BlockRecord) error {
			first = b.Height
			return errStopScan
		})
		if err != nil && !errors.Is(err, errStopScan) {
			return span{}, err
		}
		return span{first, last.Height}, nil
	})
	if err != nil {
		return 0, err
	}
	rows := float64(sp.last - sp.first + 1)
	if !from.IsZero() && !to.IsZero() {
		rows = min(rows, to.Sub(from).Seconds()/float64(h.p.TargetSpacingSec)+1)
	}
	return units(max(1, rows) * historyUnitsPerBlock), nil
}

var _ History = (*ChainHistory)(nil)

// Params returns the network parameters the history is computed with.
func (h *ChainHistory) Params() *consensus.Params { return h.p }

// NewChainHistory wraps a chain store.
func NewChainHistory(r ChainReader, opt ChainHistoryOptions) *ChainHistory {
	h := &ChainHistory{r: r, p: opt.Params, source: opt.Source, now: opt.Now, name: opt.PoolName, scans: make(chan struct{}, MaxScans)}
	if h.p == nil {
		h.p = consensus.MainNet
	}
	if h.source == "" {
		h.source = "chain store"
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.name == nil {
		h.name = DefaultPoolName
	}
	return h
}

// DefaultPoolName returns the display name of a pool slug from the
// embedded mempool pools-v2 list ("foundryusa" -> "Foundry USA"); a slug
// it does not list is returned as is.
func DefaultPoolName(slug string) string {
	if n, ok := poolNames()[slug]; ok {
		return n
	}
	if n, ok := extraPoolNames[slug]; ok {
		return n
	}
	return slug
}

var poolNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, p := range chain.DefaultPools().List() {
		if _, dup := m[p.Slug]; !dup {
			m[p.Slug] = p.Name
		}
	}
	return m
})

// chainErr turns the history package's errors into the server's: no data
// is a 404 with the message, bad input a 400.
func chainErr(err error) error {
	switch {
	case errors.Is(err, history.ErrNoData):
		return fmt.Errorf("%w: %s", ErrNoData, err.Error())
	case errors.Is(err, hashlab.ErrInput):
		return err
	}
	return err
}

// Tip implements History: the newest stored block (of any source), the
// first block time of its epoch when stored, the mean fee of the newest
// FeeBlocks blocks that came from a node, the newest stored price, and
// how far the store is behind its node when an ingest run recorded the
// node's tip within NodeTipMaxAge.
//
// Everything but BlocksBehind depends only on the stored blocks and
// prices, so it is cached like the history queries: /metrics scrapes and
// hashprice requests do not re-read the newest day of blocks and every
// price each time.
func (h *ChainHistory) Tip(ctx context.Context) (Tip, error) {
	t, err := cached(ctx, h, "tip", 0, h.storedTip)
	if err != nil {
		return Tip{}, err
	}
	nodeH, at, ok, err := h.r.NodeTip(ctx)
	if err != nil {
		return Tip{}, err
	}
	if ok && h.now().Sub(at) <= NodeTipMaxAge {
		t.BlocksBehind = max(0, nodeH-t.Height)
	}
	return t, nil
}

// storedTip is Tip without BlocksBehind (-1).
func (h *ChainHistory) storedTip(ctx context.Context) (Tip, error) {
	last, ok, err := h.r.LastBlock(ctx)
	if err != nil {
		return Tip{}, err
	}
	if !ok {
		return Tip{}, fmt.Errorf("%w: the %s holds no blocks (import or ingest some first)", ErrNoData, h.source)
	}
	t := Tip{Height: last.Height, Time: time.Unix(last.Time, 0).UTC(), Bits: last.Bits, BlocksBehind: -1, Source: h.source}
	interval := h.p.RetargetInterval()
	if first, ok, err := h.r.Block(ctx, last.Height/interval*interval); err != nil {
		return Tip{}, err
	} else if ok {
		t.EpochFirstTime = first.Time
	}
	var fees, n int64
	err = h.r.BlocksByHeight(ctx, max(0, last.Height-FeeBlocks+1), last.Height, func(b chain.BlockRecord) error {
		if b.Source == "rpc" && !b.UnderClaimed {
			fees += int64(b.FeesSats)
			n++
		}
		return nil
	})
	if err != nil {
		return Tip{}, err
	}
	if n > 0 {
		t.FeesPerBlock = consensus.Sats(math.Round(float64(fees) / float64(n)))
		t.FeesKnown = true
	}
	prices, err := h.r.Prices(ctx)
	if err != nil {
		return Tip{}, err
	}
	var newest string
	for d := range prices {
		if d > newest {
			newest = d
		}
	}
	if newest != "" {
		t.PriceUSD = prices[newest]
		t.PriceTime, _ = time.Parse("2006-01-02", newest)
	}
	return t, nil
}

// Hashprice implements History with history.Hashprice: one point per UTC
// day, ISO week or difficulty epoch, over the blocks whose time is in
// [from, to] (zero: unbounded). HashrateHs is, for days and weeks, the
// mean of the daily estimates (history.Hashrate) of the complete days the
// point covers; for epochs, the estimate from the epoch's first and last
// stored block times.
//
// Every request is answered from one scan of the whole store per period
// and data generation, cut to the points whose period starts in [from,
// to] (as SnapshotHistory cuts its epochs): each point covers its whole
// day, week or epoch, and distinct ranges cost one scan, not one each,
// so a burst of distinct history requests on a cold server queues behind
// at most three scans.
func (h *ChainHistory) Hashprice(ctx context.Context, from, to time.Time, every string) ([]HashpricePoint, error) {
	if _, err := history.ParsePeriod(every); err != nil {
		return nil, chainErr(err)
	}
	cost, err := h.scanCost(ctx, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	all, err := cached(ctx, h, "hashprice all "+every, cost, func(ctx context.Context) ([]HashpricePoint, error) {
		return h.hashprice(ctx, time.Time{}, time.Time{}, every)
	})
	if err != nil {
		return nil, err
	}
	var out []HashpricePoint
	for _, p := range all {
		if (from.IsZero() || !p.Time.Before(from)) && (to.IsZero() || !p.Time.After(to)) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, chainErr(history.ErrNoData)
	}
	return out, nil
}

func (h *ChainHistory) hashprice(ctx context.Context, from, to time.Time, every string) ([]HashpricePoint, error) {
	period, err := history.ParsePeriod(every)
	if err != nil {
		return nil, chainErr(err)
	}
	rg := history.Range{From: from}
	if !to.IsZero() {
		rg.To = to.Add(time.Second) // to is inclusive; Range is half-open
	}
	pts, err := history.Hashprice(ctx, h.r, h.r, h.p, rg, period)
	if err != nil {
		return nil, chainErr(err)
	}
	out := make([]HashpricePoint, len(pts))
	for i, p := range pts {
		start, err := time.Parse(time.DateOnly, p.Start)
		if err != nil {
			return nil, fmt.Errorf("server: history point start %q: %w", p.Start, err)
		}
		o := HashpricePoint{Time: start, Height: p.FirstHeight, Difficulty: p.Difficulty, BTCPerPHDay: p.BTCPerPHDay,
			USDPerPHDay: p.USDPerPHDay, FeesIncluded: p.FeesIncluded}
		if period == history.Epoch {
			// The epoch's first stored block time, to the second, and
			// the hashrate from its first and last block times (one
			// difficulty per epoch), as SnapshotHistory does.
			first, ok1, err := h.r.Block(ctx, p.FirstHeight)
			if err != nil {
				return nil, err
			}
			last, ok2, err := h.r.Block(ctx, p.LastHeight)
			if err != nil {
				return nil, err
			}
			if ok1 {
				o.Time = time.Unix(first.Time, 0).UTC()
			}
			if n := p.LastHeight - p.FirstHeight; ok1 && ok2 && n > 0 && last.Time > first.Time {
				work := p.Difficulty * math.Exp2(32) * float64(n)
				if est, err := hashprice.EstimateHashrate(work, n, float64(last.Time-first.Time), 0.9); err == nil {
					o.HashrateHs = est.HashrateHs
				}
			}
		}
		out[i] = o
	}
	if period == history.Epoch {
		return out, nil
	}
	days, err := history.Hashrate(ctx, h.r, rg, 0.9)
	if err != nil && !errors.Is(err, history.ErrNoData) {
		return nil, chainErr(err)
	}
	// Days [start_i, start_i+1) belong to point i; the last point ends
	// after one day or week.
	for i := range out {
		lo := pts[i].Start
		var hi string
		switch {
		case i+1 < len(pts):
			hi = pts[i+1].Start
		case period == history.Day:
			hi = out[i].Time.AddDate(0, 0, 1).Format(time.DateOnly)
		default:
			hi = out[i].Time.AddDate(0, 0, 7).Format(time.DateOnly)
		}
		j := sort.Search(len(days), func(k int) bool { return days[k].Date >= lo })
		var sum float64
		var n int
		for ; j < len(days) && days[j].Date < hi; j++ {
			sum += days[j].HashrateHs
			n++
		}
		if n > 0 {
			out[i].HashrateHs = sum / float64(n)
		}
	}
	return out, nil
}

// Adjustments implements History with history.Adjustments: every retarget
// whose boundary blocks the store holds.
func (h *ChainHistory) Adjustments(ctx context.Context) ([]Adjustment, error) {
	adj, err := cached(ctx, h, "adjustments", minCost, h.adjustments)
	return append([]Adjustment(nil), adj...), err
}

func (h *ChainHistory) adjustments(ctx context.Context) ([]Adjustment, error) {
	adj, err := history.Adjustments(ctx, h.r, h.p)
	if err != nil {
		return nil, chainErr(err)
	}
	out := make([]Adjustment, len(adj))
	for i, a := range adj {
		out[i] = Adjustment{Height: a.Height, Time: time.Unix(a.Time, 0).UTC(), Bits: a.Bits.String(), Difficulty: a.Difficulty,
			ChangePct: a.ChangePct, EpochDurationSec: a.EpochDurationSec}
	}
	return out, nil
}

// Pools implements History with history.PoolsWindow: block shares by pool
// (display names; "unknown" for unattributed blocks) over the window
// ending at the newest stored block, and the number of blocks.
func (h *ChainHistory) Pools(ctx context.Context, window time.Duration) ([]security.Share, int64, error) {
	type result struct {
		shares []security.Share
		blocks int64
	}
	cost, err := h.scanCost(ctx, time.Unix(0, 0), time.Unix(0, 0).Add(window))
	if err != nil {
		return nil, 0, err
	}
	r, err := cached(ctx, h, "pools "+window.String(), cost, func(ctx context.Context) (result, error) {
		s, n, err := h.pools(ctx, window)
		return result{s, n}, err
	})
	return append([]security.Share(nil), r.shares...), r.blocks, err
}

func (h *ChainHistory) pools(ctx context.Context, window time.Duration) ([]security.Share, int64, error) {
	rep, err := history.PoolsWindow(ctx, h.r, window, h.name)
	if err != nil {
		return nil, 0, chainErr(err)
	}
	out := make([]security.Share, len(rep.Pools))
	for i, p := range rep.Pools {
		out[i] = security.Share{Name: p.Name, Share: p.Share}
	}
	return out, rep.Blocks, nil
}

// WarmPoll is how often a served ChainHistory asks its store whether the
// data changed, to compute the dashboard's answers again before anyone
// asks (see KeepWarm).
const WarmPoll = time.Second

// warmPoolWindows are the pool-share windows the dashboard and the API
// ask for by default (the security page's 30 days, the API's one week).
var warmPoolWindows = []time.Duration{30 * 24 * time.Hour, 7 * 24 * time.Hour}

// Warm computes, into the result cache, everything the dashboard's pages
// ask of the history on their first load: the tip, the hashprice history
// per epoch, day and week (with the daily hashrate), every adjustment and
// the pool shares. A store without data is not an error (the pages then
// say so).
func (h *ChainHistory) Warm(ctx context.Context) error {
	if _, caching := h.r.(Generationer); !caching {
		return nil
	}
	keep := func(err error) error {
		if err == nil || errors.Is(err, ErrNoData) || errors.Is(err, history.ErrNoData) {
			return nil
		}
		return err
	}
	// Adjustments first: the other answers are the ones requests ask
	// for most, and a request that comes while one is computed waits
	// for that computation instead of starting its own.
	if _, err := h.Adjustments(ctx); keep(err) != nil {
		return err
	}
	if _, err := h.Tip(ctx); keep(err) != nil {
		return err
	}
	for _, every := range []string{"epoch", "day", "week"} {
		if _, err := h.Hashprice(ctx, time.Time{}, time.Time{}, every); keep(err) != nil {
			return err
		}
	}
	for _, w := range warmPoolWindows {
		if _, _, err := h.Pools(ctx, w); keep(err) != nil {
			return err
		}
	}
	if err := h.warmPoolsPage(ctx); keep(err) != nil {
		return err
	}
	return nil
}

// KeepWarm runs Warm at once and again whenever the store's data
// generation changes (checked every WarmPoll), so that a first page load
// after start-up or after new blocks reads cached answers instead of
// waiting for them, until ctx ends. It returns at once for a store that
// cannot say when its data changed (nothing is cached then). Failures go
// to logf and are retried at the next poll.
func (h *ChainHistory) KeepWarm(ctx context.Context, logf func(format string, args ...any)) {
	g, ok := h.r.(Generationer)
	if !ok {
		return
	}
	warmed := false
	var last int64
	t := time.NewTicker(WarmPoll)
	defer t.Stop()
	for {
		gen, err := g.Generation(ctx)
		if err == nil && (!warmed || gen != last) {
			if err = h.Warm(ctx); err == nil {
				warmed, last = true, gen
				if h.onWarm != nil {
					h.onWarm(gen)
				}
			}
		}
		if err != nil && ctx.Err() == nil && logf != nil {
			logf("chain history: precomputing the dashboard's answers: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startWarm runs h.KeepWarm until the returned stop is called; stop
// waits for it to end and may be called more than once.
func startWarm(h *ChainHistory, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.KeepWarm(ctx, func(format string, args ...any) { log.Warn(fmt.Sprintf(format, args...)) })
	}()
	return sync.OnceFunc(func() { cancel(); <-done })
}
