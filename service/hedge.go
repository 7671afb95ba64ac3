package service

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hedge"
	"github.com/hashlab/hashlab/sim"
)

// Hedge defaults shared by `hashlab hedge` and POST /api/v1/hedge.
const (
	// DefaultHedgeTermMonths is the forward's term.
	DefaultHedgeTermMonths = 6
	// DefaultHedgePaths is the number of simulator paths.
	DefaultHedgePaths = 1000
	// DefaultHedgeEfficiencyJPerTH is the efficiency behind the default
	// cost: a current S21-class machine (the middle of
	// BreakevenEfficienciesJPerTH).
	DefaultHedgeEfficiencyJPerTH = 17.5
	// DefaultHedgeScenario is the shipped scenario valued when none is
	// named.
	DefaultHedgeScenario = "baseline"
	// MaxHedgePaths bounds the simulator paths of one valuation: every
	// path's term is kept in memory (paths × days × 16 bytes: 350 MB at
	// 20,000 paths over 36 months).
	MaxHedgePaths = 20_000
)

// HedgeQuery asks for the value of a hashprice forward (or swap) under a
// simulator scenario's paths. Nil pointers take the defaults: the fair
// forward as strike, the minimum-variance hedge ratio, and a cost of
// DefaultHedgeEfficiencyJPerTH at DefaultPowerUSDPerKWh.
type HedgeQuery struct {
	// Scenario is the simulator scenario (required).
	Scenario *sim.Scenario
	// TermMonths is the term, 1 to hedge.MaxTermMonths months of
	// 365.25/12 days.
	TermMonths int
	// StrikeUSDPerPHDay is the forward's fixed price (nil: the fair
	// forward).
	StrikeUSDPerPHDay *float64
	// HedgeRatio is the fraction of production sold forward, 0 to 1 (nil:
	// the minimum-variance ratio).
	HedgeRatio *float64
	// CostUSDPerPHDay is the all-in cost; when nil the cost is
	// EfficiencyJPerTH × 24 × PowerUSDPerKWh (hedge.CostUSDPerPHDay).
	CostUSDPerPHDay  *float64
	PowerUSDPerKWh   *float64
	EfficiencyJPerTH *float64
	// Curtail switches off (and avoids the cost) on days whose hashprice
	// is below the cost.
	Curtail bool
	// Paths, Seed and Workers are the simulator's (Workers never changes
	// the result).
	Paths   int
	Seed    uint64
	Workers int
	// Progress, when set, is called after each finished path.
	Progress func(done, total int)
	// StartSource names where the scenario's start block came from (""
	// means the scenario's own fixed start).
	StartSource string
}

// Hedge is `hashlab hedge --json` and POST /api/v1/hedge: the inputs and
// the valuation (hedge.Result). PowerPrice and Efficiency are null when
// an all-in cost was given.
type Hedge struct {
	Scenario string `json:"scenario"`
	// StartHeight and StartTime are the block the simulated term starts
	// from (the "now" of the valuation) and StartSource where it came
	// from: the scenario's fixed start, or a state source with --start now.
	StartHeight int64     `json:"start_height"`
	StartTime   time.Time `json:"start_time"`
	StartSource string    `json:"start_source"`
	// StartAgeSeconds is the start's age at the service's clock (null
	// when the clock is not set).
	StartAgeSeconds *int64   `json:"start_age_seconds"`
	Seed            uint64   `json:"seed"`
	TermMonths      int      `json:"term_months"`
	StartDate       string   `json:"start_date"`
	PowerPrice      *float64 `json:"power_price_usd_per_kwh"`
	Efficiency      *float64 `json:"efficiency_j_per_th"`
	*hedge.Result
}

// hedgeInputs are the checked contract and simulator options of q.
type hedgeInputs struct {
	contract hedge.Contract
	opt      sim.Options
	power    *float64
	eff      *float64
}

// CheckHedgeQuery validates q (all but the scenario) without running
// anything. Errors are hashlab.InputError naming the field
// (term_months, strike, hedge_ratio, cost, power_price, efficiency,
// paths, seed, workers).
func CheckHedgeQuery(q HedgeQuery) error {
	_, err := q.inputs()
	return err
}

func (q HedgeQuery) inputs() (hedgeInputs, error) {
	var in hedgeInputs
	termDays, err := hedge.TermDays(q.TermMonths)
	if err != nil {
		return in, hashlab.Invalid("term_months", q.TermMonths, fmt.Sprintf("1 to %d", hedge.MaxTermMonths))
	}
	c := hedge.Contract{TermDays: termDays, StrikeUSDPerPHDay: math.NaN(), HedgeRatio: math.NaN(), Curtail: q.Curtail}
	if q.StrikeUSDPerPHDay != nil {
		if v := *q.StrikeUSDPerPHDay; !(v >= 0 && v <= 1e6) {
			return in, hashlab.Invalid("strike", v, "0 to 1,000,000 USD/PH/day (omit it for the fair forward)")
		}
		c.StrikeUSDPerPHDay = *q.StrikeUSDPerPHDay
	}
	if q.HedgeRatio != nil {
		if v := *q.HedgeRatio; !(v >= 0 && v <= 1) {
			return in, hashlab.Invalid("hedge_ratio", v, "0 to 1 (omit it for the minimum-variance ratio)")
		}
		c.HedgeRatio = *q.HedgeRatio
	}
	if q.CostUSDPerPHDay != nil {
		if q.PowerUSDPerKWh != nil || q.EfficiencyJPerTH != nil {
			return in, hashlab.Invalid("cost", *q.CostUSDPerPHDay, "the all-in cost alone, without power_price or efficiency")
		}
		if v := *q.CostUSDPerPHDay; !(v >= 0 && v <= 1e6) {
			return in, hashlab.Invalid("cost", v, "0 to 1,000,000 USD/PH/day")
		}
		c.CostUSDPerPHDay = *q.CostUSDPerPHDay
	} else {
		power, eff := DefaultPowerUSDPerKWh, DefaultHedgeEfficiencyJPerTH
		if q.PowerUSDPerKWh != nil {
			power = *q.PowerUSDPerKWh
		}
		if q.EfficiencyJPerTH != nil {
			eff = *q.EfficiencyJPerTH
		}
		if !(power >= 0 && power <= 10) {
			return in, hashlab.Invalid("power_price", power, "0 to 10 USD/kWh")
		}
		if !(eff > 0 && eff <= 1000) {
			return in, hashlab.Invalid("efficiency", eff, "0 < J/TH <= 1000")
		}
		c.CostUSDPerPHDay = hedge.CostUSDPerPHDay(power, eff)
		in.power, in.eff = &power, &eff
	}
	if q.Paths < 1 || q.Paths > MaxHedgePaths {
		return in, hashlab.Invalid("paths", q.Paths, fmt.Sprintf("1 to %d (each path's term is kept in memory)", MaxHedgePaths))
	}
	opt := sim.Options{Paths: q.Paths, Seed: q.Seed, Years: float64(termDays) / 365.25, Workers: q.Workers, Progress: q.Progress}
	if err := opt.Validate(); err != nil {
		return in, err
	}
	in.contract, in.opt = c, opt
	return in, nil
}

// Hedge runs the scenario's simulator for the term and values the
// contract on its paths (hedge.Value). It stops with ctx. Errors:
// hashlab.InputError for a bad query, else the simulator's.
func (s *Service) Hedge(ctx context.Context, q HedgeQuery) (*Hedge, error) {
	if q.Scenario == nil {
		return nil, hashlab.Invalid("scenario", "", "a shipped scenario ("+fmt.Sprint(sim.Scenarios())+") or a scenario file")
	}
	in, err := q.inputs()
	if err != nil {
		return nil, err
	}
	p, res, err := HedgePaths(ctx, q.Scenario, in.opt, in.contract.TermDays)
	if err != nil {
		return nil, err
	}
	v, err := hedge.Value(p, in.contract)
	if err != nil {
		return nil, err
	}
	src := q.StartSource
	if src == "" {
		src = "scenario " + q.Scenario.Name + " (its fixed start block)"
	}
	start := time.Unix(q.Scenario.Start.Time, 0).UTC()
	out := &Hedge{Scenario: q.Scenario.Name, StartHeight: q.Scenario.Start.Height, StartTime: start, StartSource: src,
		Seed: q.Seed, TermMonths: q.TermMonths, PowerPrice: in.power, Efficiency: in.eff, Result: v}
	if now := s.now(); now.Unix() > 0 {
		age := int64(now.Sub(start).Seconds())
		out.StartAgeSeconds = &age
	}
	if len(res.Dates) > 0 {
		out.StartDate = res.Dates[0]
	}
	return out, nil
}

// HedgePaths runs the simulator and keeps each path's first termDays
// days of hashprice (USD/PH/day) and BTC price (USD), indexed
// [path][day].
func HedgePaths(ctx context.Context, sc *sim.Scenario, opt sim.Options, termDays int) (hedge.Paths, *sim.Result, error) {
	p := hedge.Paths{HashpriceUSDPerPHDay: make([][]float64, opt.Paths), PriceUSD: make([][]float64, opt.Paths)}
	var mu sync.Mutex
	var sinkErr error
	opt.PathSink = func(path int, names []string, vals []float64) {
		hp, px := -1, -1
		for i, n := range names {
			switch n {
			case "hashprice_usd_per_ph_day":
				hp = i
			case "price_usd":
				px = i
			}
		}
		mu.Lock()
		defer mu.Unlock()
		nm := len(names)
		if hp < 0 || px < 0 || len(vals) < termDays*nm {
			sinkErr = fmt.Errorf("hedge: path %d has %d days of %v; want %d days with hashprice_usd_per_ph_day and price_usd", path, len(vals)/max(nm, 1), names, termDays)
			return
		}
		h, x := make([]float64, termDays), make([]float64, termDays)
		for d := range termDays {
			h[d], x[d] = vals[d*nm+hp], vals[d*nm+px]
		}
		p.HashpriceUSDPerPHDay[path], p.PriceUSD[path] = h, x
	}
	res, err := sim.Run(ctx, sc, opt)
	if err != nil {
		return p, nil, err
	}
	if sinkErr != nil {
		return p, nil, sinkErr
	}
	return p, res, nil
}
