package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/minerflow"
	"github.com/hashlab/hashlab/sim"
)

// MinerFlowReader is what the miners' reserves history needs of a chain
// store (*store.DB is one).
type MinerFlowReader interface {
	// MinerFlow returns the tracked flow, or minerflow.ErrNotTracked.
	MinerFlow(ctx context.Context) (minerflow.Stored, error)
	// Prices returns daily BTC prices in USD by UTC date.
	Prices(ctx context.Context) (map[string]float64, error)
}

// MinersFlowQuery asks for the miners' reserves history.
type MinersFlowQuery struct {
	// From and To are whole UTC days, half-open; zero is open.
	From, To time.Time
	// Pool keeps one pool's series (its slug); "" keeps every pool.
	Pool string
	// Labels maps addresses to entities (a labels file); nil for none.
	Labels map[string]string
}

// MinersFlowAnswer is the daily series of miners' coins per pool and in
// total, with what they can and cannot see.
type MinersFlowAnswer struct {
	// TrackedFromHeight is the first block scanned for miner flow.
	TrackedFromHeight int64 `json:"tracked_from_height"`
	TipHeight         int64 `json:"tip_height"`
	minerflow.Series
	LabelledAddresses int    `json:"labelled_addresses"`
	MPIDefinition     string `json:"mpi_definition"`
	// Notes are the limits of the series, always the same sentences.
	Notes []string `json:"notes"`
	// BesideSim is the simulator's BTC-sold band beside the outflow when
	// asked for (history miners --compare-sim).
	BesideSim *BesideSim `json:"beside_sim,omitempty"`
}

// MinersFlowNotes are the limits every answer states.
var MinersFlowNotes = []string{
	"Coins are followed from coinbase outputs and, one hop further, to outputs paid to a pool's known payout address (the pools list) by a transaction that spends coinbase outputs; whatever else leaves them is outflow (fees included).",
	"Outflow is not the same as selling: pool payouts to miners, moves to a miner's own wallets and exchange deposits all count. A miner that consolidates through its own wallets first shows that move as outflow, and its later sale is not seen.",
	"Exchange deposits are named only through a labels file (CSV address,entity; --labels), and only among the 20 largest outputs of each spending transaction: without one, nothing is labelled.",
	"Only blocks ingested with --miner-flow are scanned (from tracked_from_height on): coins mined before are not counted, and their spends are not seen.",
	"MPI is null on a day without a price, or unless each of the 365 days ending that day is tracked and priced.",
}

// MinersFlowNeed is what the miners' reserves history needs of a
// database: the Allowed of the *hashlab.InputError (field "database",
// empty Value: the caller names the database, a path or URL, and Err the
// cause) MinersFlow returns for one without miner flow.
const MinersFlowNeed = "a database ingested from a node with hashlab ingest --miner-flow, holding blocks from its tracking height on"

// MinersFlow computes the miners' reserves history from a store.
// poolName names a pool slug for display (nil keeps slugs).
func MinersFlow(ctx context.Context, r MinerFlowReader, poolName func(string) string, q MinersFlowQuery) (MinersFlowAnswer, error) {
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return MinersFlowAnswer{}, hashlab.Invalid("from", q.From.Format(time.DateOnly), "a day before to")
	}
	data, err := r.MinerFlow(ctx)
	if err != nil {
		if errors.Is(err, minerflow.ErrNotTracked) {
			return MinersFlowAnswer{}, hashlab.Invalidf("database", "", MinersFlowNeed, err)
		}
		return MinersFlowAnswer{}, err
	}
	if data.TipHeight < max(data.FromHeight, 1) {
		return MinersFlowAnswer{}, hashlab.Invalidf("database", "", MinersFlowNeed,
			fmt.Errorf("no block tracked yet: tracking starts at height %d, the tip is %d", data.FromHeight, data.TipHeight))
	}
	prices, err := r.Prices(ctx)
	if err != nil {
		return MinersFlowAnswer{}, err
	}
	in := minerflow.Input{Coins: data.Coins, Dests: data.Dests, Labels: q.Labels, Prices: prices, FirstTime: data.FirstTime, LastTime: data.TipTime, PoolName: poolName}
	if !q.From.IsZero() {
		in.From = q.From.Unix()
	}
	if !q.To.IsZero() {
		in.To = q.To.Unix()
	}
	s := minerflow.Compute(in)
	if q.Pool != "" {
		i := slices.IndexFunc(s.Pools, func(p minerflow.PoolSeries) bool { return p.Pool == q.Pool })
		if i < 0 {
			var slugs []string
			for _, p := range s.Pools {
				slugs = append(slugs, p.Pool)
			}
			return MinersFlowAnswer{}, hashlab.Invalid("pool", q.Pool, fmt.Sprintf("a pool with tracked coins (%s)", strings.Join(slugs, ", ")))
		}
		s.Pools = s.Pools[i : i+1]
	}
	return MinersFlowAnswer{
		TrackedFromHeight: data.FromHeight, TipHeight: data.TipHeight, Series: s,
		LabelledAddresses: len(q.Labels), MPIDefinition: minerflow.MPIDefinition, Notes: MinersFlowNotes,
	}, nil
}

// SimSoldMetric is the simulator's daily series of BTC sold by miners.
const SimSoldMetric = "miner_btc_sold"

// BesideSim puts the simulator's "BTC sold by miners" band beside the
// measured outflow, day by day, on the days both cover.
type BesideSim struct {
	Scenario string `json:"scenario"`
	Paths    int    `json:"paths"`
	Seed     uint64 `json:"seed"`
	// SimFirstDay and SimLastDay are the simulated days.
	SimFirstDay string         `json:"sim_first_day"`
	SimLastDay  string         `json:"sim_last_day"`
	Days        []BesideSimDay `json:"days"`
	Note        string         `json:"note"`
}

// BesideSimDay is one day both series cover.
type BesideSimDay struct {
	Date string `json:"date"`
	// MeasuredOutflowBTC is the day's outflow of all tracked pools.
	MeasuredOutflowBTC float64 `json:"measured_outflow_btc"`
	// SimSoldBTC* are the simulator's p5, p50 and p95 of BTC sold by
	// miners that day (null where the band is undefined).
	SimSoldBTCP5  hashlab.Num `json:"sim_sold_btc_p5"`
	SimSoldBTCP50 hashlab.Num `json:"sim_sold_btc_p50"`
	SimSoldBTCP95 hashlab.Num `json:"sim_sold_btc_p95"`
}

// besideSimNote says how the two series differ.
const besideSimNote = "The measured outflow is an upper bound on miners' sales (it includes pool payouts to miners and moves to their own wallets) over the tracked pools only; the simulator's band is what its operators sell to cover power and overheads, for the whole network."

// MinersBesideSim compares the answer's total outflow with a simulator
// result's miner_btc_sold band on the dates both cover (none when they do
// not overlap: the days list is empty and the note says so).
func MinersBesideSim(a MinersFlowAnswer, res *sim.Result) (*BesideSim, error) {
	s := res.Series(SimSoldMetric)
	if s == nil {
		return nil, fmt.Errorf("service: the simulator result has no %s series", SimSoldMetric)
	}
	b := &BesideSim{Scenario: res.Scenario, Paths: res.Paths, Seed: res.Seed, Days: []BesideSimDay{}, Note: besideSimNote}
	if len(res.Dates) > 0 {
		b.SimFirstDay, b.SimLastDay = res.Dates[0], res.Dates[len(res.Dates)-1]
	}
	idx := map[string]int{}
	for i, d := range res.Dates {
		idx[d] = i
	}
	for _, d := range a.Total.Days {
		i, ok := idx[d.Date]
		if !ok || i >= len(s.P50) {
			continue
		}
		b.Days = append(b.Days, BesideSimDay{Date: d.Date, MeasuredOutflowBTC: float64(d.OutflowSats) / 1e8, SimSoldBTCP5: s.P5[i], SimSoldBTCP50: s.P50[i], SimSoldBTCP95: s.P95[i]})
	}
	if len(b.Days) == 0 {
		b.Note = fmt.Sprintf("No day in common: the simulation covers %s to %s, the measured series %s to %s (replay a scenario that starts in the tracked range, e.g. sim run --start now, or a shipped replay over a tracked period). ", b.SimFirstDay, b.SimLastDay, a.FirstDay, a.LastDay) + besideSimNote
	}
	return b, nil
}
