package server

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/snapshot"
)

// ErrNoData is returned by a History that cannot answer a question (e.g.
// pool shares without a chain store). Handlers turn it into a 404 with the
// message.
var ErrNoData = errors.New("server: no data")

// HashpricePoint is hashvalue (and hashprice when a BTC price is known) at
// one point of history.
type HashpricePoint struct {
	Time   time.Time `json:"time"`
	Height int64     `json:"height"`
	// Difficulty in force at Height.
	Difficulty float64 `json:"difficulty"`
	// BTCPerPHDay is the hashvalue: BTC earned per PH/s per day.
	BTCPerPHDay float64 `json:"btc_per_ph_day"`
	// USDPerPHDay is the hashprice; nil when no BTC price is known.
	USDPerPHDay *float64 `json:"usd_per_ph_day"`
	// FeesIncluded says whether BTCPerPHDay counts fees (a chain store
	// knows them; the embedded epoch table does not).
	FeesIncluded bool `json:"fees_included"`
	// HashrateHs is the network hashrate estimated from block times over
	// the period (0 when the times are unknown).
	HashrateHs float64 `json:"hashrate_hs,omitempty"`
	// MA7USDPerPHDay and MA30USDPerPHDay are the trailing 7- and 30-day
	// means of daily hashprice (every=day; null until 7 or 30 consecutive
	// priced days, and for other periods).
	MA7USDPerPHDay  *float64 `json:"ma7_usd_per_ph_day"`
	MA30USDPerPHDay *float64 `json:"ma30_usd_per_ph_day"`
}

// Adjustment is one difficulty retarget.
type Adjustment struct {
	Height     int64     `json:"height"`
	Time       time.Time `json:"time"`
	Bits       string    `json:"bits"`
	Difficulty float64   `json:"difficulty"`
	// ChangePct is the difficulty change in percent (-27.94 = -27.94%).
	ChangePct float64 `json:"change_pct"`
	// EpochDurationSec is how long the epoch that ended took, first to
	// last block (2015 intervals); 0 when unknown.
	EpochDurationSec int64 `json:"epoch_duration_sec"`
}

// Tip is the newest block a History knows.
type Tip struct {
	Height int64          `json:"height"`
	Time   time.Time      `json:"time"`
	Bits   consensus.Bits `json:"-"`
	// EpochFirstTime is the timestamp of the current epoch's first block.
	EpochFirstTime int64 `json:"epoch_first_time"`
	// FeesPerBlock is the recent average fee per block when FeesKnown
	// (0 if unknown).
	FeesPerBlock consensus.Sats `json:"fees_per_block_sats"`
	// FeesKnown is false when no recent block's fees are known (blocks
	// imported from files): the state then takes the embedded snapshot's
	// labelled reference fees, never a silent 0.
	FeesKnown bool `json:"-"`
	// PriceUSD is the latest known BTC price (0 if unknown) and PriceTime
	// the day it is the close of (zero if unknown).
	PriceUSD  float64   `json:"price_usd"`
	PriceTime time.Time `json:"price_time,omitzero"`
	// BlocksBehind is how far the store is behind its node while it
	// follows the tip; -1 when not following or unknown.
	BlocksBehind int64 `json:"blocks_behind"`
	// Source names where the data came from.
	Source string `json:"source"`
}

// History is what the server needs of chain history. The embedded snapshot
// answers it (SnapshotHistory); a chain store adapter answers it with live
// data. Implementations must be safe for concurrent use.
type History interface {
	// Tip returns the newest block known.
	Tip(ctx context.Context) (Tip, error)
	// Hashprice returns hashvalue/hashprice points between from and to
	// (zero times: unbounded), one per period: "epoch", "day" or "week".
	// A source that cannot give a period returns ErrNoData.
	Hashprice(ctx context.Context, from, to time.Time, every string) ([]HashpricePoint, error)
	// Adjustments returns every difficulty retarget, oldest first.
	Adjustments(ctx context.Context) ([]Adjustment, error)
	// Pools returns block shares by pool over the window ending at the
	// tip; ErrNoData when pool attribution is not available.
	Pools(ctx context.Context, window time.Duration) ([]security.Share, int64, error)
}

// SnapshotHistory derives history from the embedded epoch table: one point
// per difficulty epoch, hashvalue from the subsidy alone (the table has no
// fees) and no USD (no price history is embedded), hashrate from each
// epoch's first and last block times.
type SnapshotHistory struct {
	points []HashpricePoint
	adj    []Adjustment
	tip    Tip
}

// NewSnapshotHistory builds the snapshot history once.
func NewSnapshotHistory() *SnapshotHistory {
	p := consensus.MainNet
	epochs := snapshot.Epochs()
	h := &SnapshotHistory{}
	var prevDiff float64
	var prevDur int64
	for i, e := range epochs {
		if e.Bits == 0 {
			continue
		}
		d := consensus.Difficulty(consensus.Bits(e.Bits))
		var t time.Time
		if e.FirstTime != 0 {
			t = time.Unix(e.FirstTime, 0).UTC()
		}
		pt := HashpricePoint{Time: t, Height: e.FirstHeight, Difficulty: d}
		if r, err := hashprice.Compute(hashprice.Inputs{Difficulty: d, Height: e.FirstHeight, Params: p}); err == nil {
			pt.BTCPerPHDay = r.BTCPerPHDay
		}
		if e.HasTimes() && e.LastTime > e.FirstTime {
			n := e.LastHeight - e.FirstHeight
			work := d * math.Exp2(32) * float64(n)
			if est, err := hashprice.EstimateHashrate(work, n, float64(e.LastTime-e.FirstTime), 0.9); err == nil {
				pt.HashrateHs = est.HashrateHs
			}
		}
		if !t.IsZero() {
			h.points = append(h.points, pt)
		}
		if i > 0 && prevDiff > 0 && !t.IsZero() {
			h.adj = append(h.adj, Adjustment{
				Height: e.FirstHeight, Time: t, Bits: consensus.Bits(e.Bits).String(), Difficulty: d,
				ChangePct: 100 * (d/prevDiff - 1), EpochDurationSec: prevDur,
			})
		}
		prevDiff = d
		prevDur = 0
		if e.HasTimes() {
			prevDur = e.LastTime - e.FirstTime
		}
	}
	snap := snapshot.Default()
	start := snap.Height / p.RetargetInterval() * p.RetargetInterval()
	var first int64
	for _, e := range epochs {
		if e.FirstHeight == start {
			first = e.FirstTime
		}
	}
	h.tip = Tip{Height: snap.Height, Time: snap.AsOf.UTC(), Bits: consensus.Bits(snap.Bits()), EpochFirstTime: first,
		FeesPerBlock: snap.FeesPerBlock(), FeesKnown: true, PriceUSD: snap.PriceUSD, PriceTime: snap.PriceAsOf.UTC(), BlocksBehind: -1,
		Source: "embedded snapshot " + snap.AsOf.Format("2006-01-02")}
	return h
}

// Tip implements History.
func (h *SnapshotHistory) Tip(context.Context) (Tip, error) { return h.tip, nil }

// Hashprice implements History; only every="epoch" is available.
func (h *SnapshotHistory) Hashprice(_ context.Context, from, to time.Time, every string) ([]HashpricePoint, error) {
	if every != "epoch" {
		return nil, fmt.Errorf("%w: %s", ErrNoData, "the embedded snapshot has one point per difficulty epoch: use every=epoch, or serve --db FILE for daily history")
	}
	var out []HashpricePoint
	for _, p := range h.points {
		if (!from.IsZero() && p.Time.Before(from)) || (!to.IsZero() && p.Time.After(to)) {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// Adjustments implements History.
func (h *SnapshotHistory) Adjustments(context.Context) ([]Adjustment, error) {
	return append([]Adjustment(nil), h.adj...), nil
}

// Pools implements History: the snapshot has no pool attribution.
func (h *SnapshotHistory) Pools(context.Context, time.Duration) ([]security.Share, int64, error) {
	return nil, 0, fmt.Errorf("%w: %s", ErrNoData, "pool shares need a chain store: run hashlab import blocks FILE (or ingest), then hashlab serve --db FILE")
}
