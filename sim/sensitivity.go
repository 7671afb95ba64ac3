package sim

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/hashlab/hashlab"
)

// SensitivityParam is one behavioural parameter a sensitivity run moves:
// its scenario field and how to read and set it.
type SensitivityParam struct {
	Field string // as in the scenario file
	What  string
	get   func(*Scenario) float64
	set   func(*Scenario, float64)
}

// SensitivityParams are the behavioural parameters of a sensitivity run:
// hysteresis (shutdown and restart costs), the cost tail and the level of
// the cost curve, take-or-pay contracts, the expansion hurdle and the AI
// conversion economics.
var SensitivityParams = []SensitivityParam{
	{"population.hysteresis", "shutdown/restart margin", func(s *Scenario) float64 { return s.Population.Hysteresis }, func(s *Scenario, v float64) { s.Population.Hysteresis = v }},
	{"population.cost_tail.share", "share of operators on near-free power", func(s *Scenario) float64 { return s.Population.CostTail.Share }, func(s *Scenario, v float64) { s.Population.CostTail.Share = v }},
	{"population.power_scale", "level of the power-cost curve", func(s *Scenario) float64 { return s.Population.PowerScale }, func(s *Scenario, v float64) { s.Population.PowerScale = v }},
	{"population.contracts.share", "share of operators under take-or-pay contracts", func(s *Scenario) float64 { return s.Population.Contracts.Share }, func(s *Scenario, v float64) { s.Population.Contracts.Share = v }},
	{"expansion.hurdle", "yearly return new machines must beat", func(s *Scenario) float64 { return s.Expansion.Hurdle }, func(s *Scenario, v float64) { s.Expansion.Hurdle = v }},
	{"ai_demand.lease_usd_per_kw_month", "AI colocation rent", func(s *Scenario) float64 { return s.AIDemand.LeaseUSDPerKWMonth }, func(s *Scenario, v float64) { s.AIDemand.LeaseUSDPerKWMonth = v }},
	{"ai_demand.min_ratio", "AI premium over mining per kWh before converting", func(s *Scenario) float64 { return s.AIDemand.MinRatio }, func(s *Scenario, v float64) { s.AIDemand.MinRatio = v }},
	{"ai_demand.mw_per_year", "AI market's yearly absorption", func(s *Scenario) float64 { return s.AIDemand.MWPerYear }, func(s *Scenario, v float64) { s.AIDemand.MWPerYear = v }},
}

// SensitivityOutputs are the headline outputs compared, as daily series
// names: the mean of their daily medians (p50) over the horizon's last
// horizonDays days.
var SensitivityOutputs = []string{"hashrate_hs", "hashprice_usd_per_ph_day", "security_budget_usd", "nakamoto_operator"}

const horizonDays = 30

// SensitivityRow is one parameter moved down and up by the run's Delta,
// with the outputs at each end (same order as Outputs).
type SensitivityRow struct {
	Field string  `json:"field"`
	What  string  `json:"what"`
	Base  float64 `json:"base"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
	// OutLow and OutHigh are the outputs with the parameter at Low and
	// High; their differences from Sensitivity.Base are the tornado bars.
	OutLow  []Num `json:"out_low"`
	OutHigh []Num `json:"out_high"`
	// Swing is the largest |OutHigh−OutLow|/|Base| over the outputs.
	Swing float64 `json:"swing"`
	Note  string  `json:"note,omitempty"`
}

// Sensitivity is a one-at-a-time tornado over the behavioural parameters:
// each is moved by ±Delta (relative) with everything else at the
// scenario's values, on the same seed (common random numbers), and the
// headline outputs at the horizon are compared with the base run's. Rows
// are sorted by Swing, largest first.
type Sensitivity struct {
	Scenario string           `json:"scenario"`
	Paths    int              `json:"paths"`
	Seed     uint64           `json:"seed"`
	Years    float64          `json:"years"`
	Delta    float64          `json:"delta"`
	Date     string           `json:"date"` // the horizon's last day (outputs: mean p50 of the 30 days to it)
	Outputs  []string         `json:"outputs"`
	Base     []Num            `json:"base"`
	Rows     []SensitivityRow `json:"rows"`
}

// RunSensitivity runs the base scenario and two variants per parameter of
// SensitivityParams (2P+1 runs of opt.Paths each). delta must be in (0,
// 0.9]. A variant that moves a parameter out of its allowed range is
// clamped to the range's edge and says so in its Note.
func RunSensitivity(ctx context.Context, sc *Scenario, opt Options, delta float64) (*Sensitivity, error) {
	if !(delta > 0 && delta <= 0.9) {
		return nil, hashlab.Invalid("delta", delta, "0 < delta <= 0.9 (a relative change: 0.2 = ±20%)")
	}
	if len(sc.HashratePath) > 0 {
		return nil, sc.errf("hashrate_path", "set", "a scenario with the agent population (sensitivity moves behavioural parameters)")
	}
	opt.Probes, opt.PathSink, opt.Progress = nil, nil, nil
	headline := func(s *Scenario) ([]Num, string, error) {
		r, err := Run(ctx, s, opt)
		if err != nil {
			return nil, "", err
		}
		out := make([]Num, len(SensitivityOutputs))
		for i, name := range SensitivityOutputs {
			out[i] = Num(math.NaN())
			if ser := r.Series(name); ser != nil {
				// The mean of the daily medians over the last 30 days:
				// one day's blocks (and so its budget) are luck.
				n := min(horizonDays, len(ser.P50))
				sum := 0.0
				for _, v := range ser.P50[len(ser.P50)-n:] {
					sum += float64(v)
				}
				out[i] = Num(round6(sum / float64(n)))
			}
		}
		return out, r.Dates[len(r.Dates)-1], nil
	}
	base, date, err := headline(sc)
	if err != nil {
		return nil, err
	}
	res := &Sensitivity{Scenario: sc.Name, Paths: opt.Paths, Seed: opt.Seed, Delta: delta, Date: date,
		Outputs: SensitivityOutputs, Base: base}
	m, err := prepare(sc, &opt)
	if err != nil {
		return nil, err
	}
	res.Years = m.years()
	for _, p := range SensitivityParams {
		v := p.get(sc)
		row := SensitivityRow{Field: p.Field, What: p.What, Base: v}
		if v == 0 {
			row.Note = "0 in this scenario: a relative change leaves it at 0"
		}
		for k, f := range []float64{1 - delta, 1 + delta} {
			s := *sc
			want := v * f
			p.set(&s, want)
			if err := s.Validate(); err != nil {
				// Clamp into the allowed range: halve the step until valid.
				x := want
				for i := 0; i < 30 && s.Validate() != nil; i++ {
					x = (x + v) / 2
					p.set(&s, x)
				}
				row.Note = fmt.Sprintf("%g is outside the allowed range; clamped to %g", want, x)
			}
			out, _, err := headline(&s)
			if err != nil {
				return nil, err
			}
			if k == 0 {
				row.Low, row.OutLow = p.get(&s), out
			} else {
				row.High, row.OutHigh = p.get(&s), out
			}
		}
		for i := range base {
			d := float64(row.OutHigh[i] - row.OutLow[i])
			if base[i] != 0 && !math.IsNaN(d) {
				row.Swing = math.Max(row.Swing, math.Abs(d)/math.Abs(float64(base[i])))
			}
		}
		row.Swing = round6(row.Swing)
		res.Rows = append(res.Rows, row)
	}
	sort.SliceStable(res.Rows, func(i, j int) bool { return res.Rows[i].Swing > res.Rows[j].Swing })
	return res, nil
}
