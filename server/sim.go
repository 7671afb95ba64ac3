package server

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

// Bounds of one simulator request: the server shares two cores with
// everything else, so runs stay interactive.
const (
	MaxSimPaths = 5000
	MaxSimYears = 10
	// maxChartPoints is how many days a chart series keeps (evenly
	// spaced, first and last day included).
	maxChartPoints = 400
)

// simRunner runs the sim package's scenarios.
type simRunner struct{}

// NewSimRunner returns the SimRunner of the sim package: shipped scenarios
// by name or a scenario inline, with bounded paths and years.
func NewSimRunner() SimRunner { return simRunner{} }

func (simRunner) Scenarios() []SimScenario {
	var out []SimScenario
	for _, name := range sim.Scenarios() {
		sc, err := sim.LoadShipped(name)
		if err != nil {
			continue
		}
		out = append(out, SimScenario{Name: name, Description: sc.Description})
	}
	return out
}

// SimRequest is the body of POST /api/v1/sim/jobs.
type SimRequest struct {
	// Scenario names a shipped scenario; Inline is a scenario document
	// instead (the format of the scenario files). Exactly one is set.
	Scenario string    `yaml:"scenario"`
	Inline   yaml.Node `yaml:"scenario_file"`
	Paths    int       `yaml:"paths"`
	Years    float64   `yaml:"years"`
	// Seed is nil when not given: service.DefaultSeed, as on the CLI.
	Seed *uint64 `yaml:"seed"`
}

func (simRunner) Prepare(body []byte) (SimRun, error) {
	var req SimRequest
	dec := yaml.NewDecoder(bytes.NewReader(body))
	dec.KnownFields(true)
	if err := dec.Decode(&req); err != nil {
		return nil, badRequest("simulation request: %v (allowed fields: scenario, scenario_file, paths, years, seed)", err)
	}
	if req.Paths == 0 {
		req.Paths = 200
	}
	if req.Paths < 1 || req.Paths > MaxSimPaths {
		return nil, badParam("paths", fmt.Sprint(req.Paths), "is out of range", fmt.Sprintf("1 to %d", MaxSimPaths))
	}
	if !(req.Years >= 0 && req.Years <= MaxSimYears) {
		return nil, badParam("years", fmt.Sprint(req.Years), "is out of range", fmt.Sprintf("0 (the scenario's horizon) to %d", MaxSimYears))
	}
	inline := req.Inline.Kind != 0
	var sc *sim.Scenario
	var err error
	switch {
	case req.Scenario != "" && inline:
		return nil, badParam("scenario", req.Scenario, "is given with scenario_file", "one of scenario or scenario_file")
	case req.Scenario != "":
		if sc, err = sim.LoadShipped(req.Scenario); err != nil {
			return nil, badParam("scenario", req.Scenario, "is not a shipped scenario", strings.Join(sim.Scenarios(), ", "))
		}
	case inline:
		doc, err := yaml.Marshal(&req.Inline)
		if err != nil {
			return nil, badRequest("scenario_file: %v", err)
		}
		if sc, err = sim.ParseScenario(doc); err != nil {
			return nil, badRequest("scenario_file: %v", err)
		}
		if sc.Price.ReturnsFile != "" || sc.Price.SeriesFile != "" {
			return nil, badParam("scenario_file.price", sc.Price.ReturnsFile+sc.Price.SeriesFile, "names a file, which the API does not read", "returns or series inline")
		}
	default:
		return nil, badParam("scenario", "", "is missing", strings.Join(sim.Scenarios(), ", ")+", or a scenario_file")
	}
	years := req.Years
	if years == 0 {
		years = sc.Years
	}
	if years > MaxSimYears {
		return nil, badParam("years", fmt.Sprint(years), "(the scenario's horizon) is out of range", fmt.Sprintf("at most %d", MaxSimYears))
	}
	seed := service.DefaultSeed
	if req.Seed != nil {
		seed = *req.Seed
	}
	run := &simRun{sc: sc, paths: req.Paths, years: years, seed: seed}
	// One path must stay short: the simulator checks for cancellation
	// between paths (budget.go, simMaxPathUnits).
	if c := run.Cost(); c.PathUnits > simMaxPathUnits {
		maxOps := int64(simMaxPathUnits / simUnitsPerOperatorDay / float64(c.Days))
		field, value := "scenario_file.population.operators", fmt.Sprint(c.Operators)
		if !inline {
			field, value = "years", fmt.Sprint(years)
		}
		return nil, badParam(field, value, fmt.Sprintf("makes one path %s work units (%s operators × %s days; 1 unit = 1 µs of CPU), above the %s a path may take so that a cancel acts within a second",
			thousands(c.PathUnits), thousands(int64(c.Operators)), thousands(int64(c.Days)), thousands(simMaxPathUnits)),
			fmt.Sprintf("operators × days ≤ %s: at most %s operators over %s days", thousands(int64(math.Floor(simMaxPathUnits/simUnitsPerOperatorDay))), thousands(maxOps), thousands(int64(c.Days))))
	}
	return run, nil
}

// Cost is the run's work estimate: operators × paths × days
// (simUnitsPerOperatorDay each).
func (r *simRun) Cost() simCost {
	ops := r.sc.Population.Operators
	if ops <= 0 {
		ops = 1000
	}
	days := int(math.Ceil(r.years * 365.25))
	path := units(float64(ops) * float64(days) * simUnitsPerOperatorDay)
	return simCost{Units: units(float64(path) * float64(r.paths)), PathUnits: path, Paths: r.paths, Days: days, Operators: ops}
}

type simRun struct {
	sc    *sim.Scenario
	paths int
	years float64
	seed  uint64
}

func (r *simRun) Describe() map[string]any {
	return map[string]any{"scenario": r.sc.Name, "paths": r.paths, "years": r.years, "seed": r.seed}
}

func (r *simRun) Run(ctx context.Context, progress func(done, total int)) (SimOutput, error) {
	progress(0, r.paths)
	res, err := sim.Run(ctx, r.sc, sim.Options{Paths: r.paths, Seed: r.seed, Years: r.years, Progress: progress})
	if err != nil {
		return SimOutput{}, err
	}
	return simOutput(res), nil
}

// chartSpec says how one of the simulator's daily series is charted.
type chartSpec struct {
	name, title, unit string
	scale             float64
	log               bool
}

var simCharts = []chartSpec{
	{"hashrate_hs", "Network hashrate", "EH/s", 1e-18, false},
	{"hashprice_usd_per_ph_day", "Hashprice", "USD/PH/day", 1, false},
	{"block_interval_s", "Mean block interval", "minutes", 1.0 / 60, false},
	{"security_budget_usd", "Security budget (paid to miners)", "million USD/day", 1e-6, false},
	{"price_usd", "BTC price", "USD", 1, false},
	{"difficulty", "Difficulty", "T (10^12)", 1e-12, false},
	{"converted_hs", "Capacity converted to AI (cumulative)", "EH/s", 1e-18, false},
	{"curtailed_hs", "Capacity curtailed", "EH/s", 1e-18, false},
	{"miner_btc_sold", "BTC sold by miners", "BTC/day", 1, false},
	{"hhi_pool", "Pool concentration (HHI)", "HHI, 0–1", 1, false},
	{"nakamoto_pool", "Nakamoto coefficient by pool", "pools for >50%", 1, false},
	{"small_miner_revenue_share", "Small and garage miners' share of revenue", "fraction", 1, false},
}

// simOutput turns a sim.Result into chart series (downsampled to at most
// maxChartPoints days), headline medians and the result without its daily
// arrays (those are in the series).
func simOutput(res *sim.Result) SimOutput {
	out := SimOutput{Summary: map[string]float64{}}
	step := 1
	if res.Days > maxChartPoints {
		step = (res.Days + maxChartPoints - 1) / maxChartPoints
	}
	var idx []int
	for d := 0; d < res.Days; d += step {
		idx = append(idx, d)
	}
	if res.Days > 0 && idx[len(idx)-1] != res.Days-1 {
		idx = append(idx, res.Days-1)
	}
	start := ""
	if len(res.Dates) > 0 {
		start = res.Dates[0]
	}
	for _, c := range simCharts {
		s := res.Series(c.name)
		if s == nil {
			continue
		}
		ser := SimSeries{Name: c.name, Title: c.title, Unit: c.unit, Start: start, Log: c.log}
		pick := func(v []sim.Num) Values {
			o := make(Values, len(idx))
			for i, d := range idx {
				o[i] = math.NaN()
				if d < len(v) {
					o[i] = float64(v[d]) * c.scale
				}
			}
			return o
		}
		for _, d := range idx {
			ser.Days = append(ser.Days, float64(d))
		}
		ser.P5, ser.P25, ser.P50, ser.P75, ser.P95 = pick(s.P5), pick(s.P25), pick(s.P50), pick(s.P75), pick(s.P95)
		out.Series = append(out.Series, ser)
	}
	for _, st := range res.Summary {
		key := st.Name
		if st.Unit != "" {
			key += " (" + st.Unit + ")"
		}
		if v := float64(st.Q.P50); !math.IsNaN(v) {
			out.Summary[key] = v
		}
	}
	trimmed := *res
	trimmed.Daily, trimmed.Dates = nil, nil
	out.Result = &trimmed
	return out
}
