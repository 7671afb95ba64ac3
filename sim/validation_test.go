package sim

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/snapshot"
)

// episode is a real period replayed with the agents responding: the run
// starts at the first block of a real epoch with the real daily price and
// fees (Coin Metrics, test-only) and is compared with the real daily
// hashrate Coin Metrics estimates from blocks and difficulty.
type episode struct {
	name   string
	epoch  int64
	days   int
	event  string // the day the dip is measured from (YYYY-MM-DD)
	extras string // scenario lines (the calibration under test)
}

// episodeResult is what the validation compares.
type episodeResult struct {
	dates           []string
	real            []float64 // H/s, Coin Metrics
	p5, p50, p95    []float64 // simulated observed hashrate, H/s
	inside          float64   // share of days with real inside [p5, p95]
	realDip, simDip float64   // lowest 7-day mean after the event / 7-day mean before it, −1
	realRec, simRec int       // days from the event until the 7-day mean is back at its pre-event level (−1: never)
	// per-path quantiles of the simulated dip and recovery (recovery
	// 1<<20: not within the run)
	simDipP5, simDipP95 float64
	simRecP5, simRecP95 int
}

// observedHs is the hashrate Coin Metrics would estimate from the day:
// blocks × work per block / 86,400 s (HashRate = DiffMean·BlkCnt·2^32/86400).
var observedHs = Probe{Name: "observed_hashrate_hs", Unit: "H/s", Scale: Log,
	Fn: func(d *Day) float64 { return float64(d.Blocks) * hashprice.HashesPerBlock(d.Difficulty) / 86400 }}

func runEpisode(t *testing.T, ep episode, paths int) episodeResult {
	t.Helper()
	cm := coinMetrics(t)
	var e snapshot.Epoch
	for _, x := range snapshot.Epochs() {
		if x.Epoch == ep.epoch {
			e = x
		}
	}
	start := time.Unix(e.FirstTime, 0).UTC()
	var prices, fees []float64
	var res episodeResult
	for d := 0; d < ep.days; d++ {
		ds := start.AddDate(0, 0, d).Format(time.DateOnly)
		c, ok := cm[ds]
		if !ok || math.IsNaN(c.PriceUSD) {
			t.Fatalf("no Coin Metrics row for %s", ds)
		}
		prices = append(prices, c.PriceUSD)
		fees = append(fees, c.FeesBTC/c.Blocks)
		res.dates = append(res.dates, ds)
		res.real = append(res.real, c.HashRateTHs*1e12)
	}
	sc := epochStartScenario(t, e, cm, ep.extras)
	sc.Name = ep.name
	sc.Price.Model, sc.Price.Series, sc.Price.StartUSD = "replay", prices, prices[0]
	sc.Fees.Series = fees
	sc.Fees.BTCPerBlock = fees[0]
	years := float64(ep.days) / 365.25
	ev := 0
	for d, ds := range res.dates {
		if ds == ep.event {
			ev = d
		}
	}
	var dips []float64
	var recs []int
	sink := func(_ int, names []string, vals []float64) {
		j := len(names) - 1 // the probe
		x := make([]float64, 0, ep.days)
		for d := 0; d < ep.days && (d+1)*len(names) <= len(vals); d++ {
			x = append(x, vals[d*len(names)+j])
		}
		dip, rec := dipAndRecovery(x, ev)
		dips = append(dips, dip)
		if rec < 0 {
			rec = 1 << 20 // never: ranks last
		}
		recs = append(recs, rec)
	}
	r, err := Run(context.Background(), sc, Options{Paths: paths, Seed: 1, Years: years, Probes: []Probe{observedHs}, PathSink: sink})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Series(observedHs.Name)
	n := min(len(s.P5), ep.days)
	in := 0
	for d := 0; d < n; d++ {
		res.p5 = append(res.p5, float64(s.P5[d]))
		res.p50 = append(res.p50, float64(s.P50[d]))
		res.p95 = append(res.p95, float64(s.P95[d]))
		if res.real[d] >= res.p5[d] && res.real[d] <= res.p95[d] {
			in++
		}
	}
	res.real, res.dates = res.real[:n], res.dates[:n]
	res.inside = float64(in) / float64(n)
	res.realDip, res.realRec = dipAndRecovery(res.real, ev)
	sort.Float64s(dips)
	sort.Ints(recs)
	q := func(n int, f float64) int { return min(n-1, int(f*float64(n))) }
	res.simDip, res.simDipP5, res.simDipP95 = dips[q(len(dips), 0.5)], dips[q(len(dips), 0.05)], dips[q(len(dips), 0.95)]
	res.simRec, res.simRecP5, res.simRecP95 = recs[q(len(recs), 0.5)], recs[q(len(recs), 0.05)], recs[q(len(recs), 0.95)]
	return res
}

// dipAndRecovery measures a series around day ev: the dip is the lowest
// trailing 7-day mean in the 60 days after ev over the 7-day mean before
// ev, minus 1; the recovery is the days from ev until the trailing 7-day
// mean is back at the pre-event level after the dip (−1 if never).
func dipAndRecovery(x []float64, ev int) (dip float64, rec int) {
	mean7 := func(end int) float64 { // days end-6..end
		s := 0.0
		for i := end - 6; i <= end; i++ {
			s += x[i]
		}
		return s / 7
	}
	pre := mean7(ev - 1)
	low, lowDay := math.Inf(1), ev
	for d := ev + 6; d < min(len(x), ev+60); d++ {
		if m := mean7(d); m < low {
			low, lowDay = m, d
		}
	}
	rec = -1
	for d := lowDay; d < len(x); d++ {
		if mean7(d) >= pre {
			rec = d - ev
			break
		}
	}
	return low/pre - 1, rec
}

func (r episodeResult) report(t *testing.T, ep episode) {
	t.Logf("%s: real inside the simulated p5–p95 band on %.1f%% of %d days", ep.name, 100*r.inside, len(r.real))
	t.Logf("%s: dip after %s real %.1f%%, simulated p50 %.1f%% (p5 %.1f%%, p95 %.1f%%); recovery real %d days, simulated p50 %d (p5 %d, p95 %d) days",
		ep.name, ep.event, 100*r.realDip, 100*r.simDip, 100*r.simDipP5, 100*r.simDipP95, r.realRec, r.simRec, r.simRecP5, r.simRecP95)
	if os.Getenv("HASHLAB_VALIDATION_TABLE") != "" {
		for d := 0; d < len(r.real); d += 7 {
			fmt.Printf("%s %s real %.0f sim %.0f / %.0f / %.0f EH/s\n", ep.name, r.dates[d], r.real[d]/1e18, r.p5[d]/1e18, r.p50[d]/1e18, r.p95[d]/1e18)
		}
	}
}

// The episodes. The defaults under test (population.power_scale 1.3 and
// hysteresis 0.02) were fitted on the 2022 drawdown only
// (TestCalibrationIsTheBestFitOn2022 redoes the fit); the 2024 halving is
// out of sample.
var (
	drawdown2022 = episode{name: "drawdown-2022", epoch: 366, days: 200, event: "2022-06-13"}
	halving2024  = episode{name: "halving-2024", epoch: 414, days: 220, event: "2024-04-20"}
)

// Validation on the 2024 halving (out of sample): the run starts at the
// first block of epoch 414 (height 834,624, 2024-03-14, 37 days before
// block 840,000), replays the real daily price and mean fees per block
// (Coin Metrics) and lets the default population respond for 220 days.
// Criteria: the real daily hashrate (Coin Metrics, estimated from blocks ×
// difficulty, so the simulated series is estimated the same way from the
// simulated blocks) lies inside the simulated p5–p95 band on at least 80%
// of days; the median simulated post-halving dip (lowest 7-day mean in the
// 60 days after 2024-04-20 over the 7-day mean before it) is within 5
// percentage points of the real one, and the median recovery (days until
// the 7-day mean is back at the pre-halving level) within 45 days, with the
// real one inside the simulated p5–p95 of recoveries.
func TestValidationHalving2024(t *testing.T) {
	r := runEpisode(t, halving2024, 200)
	r.report(t, halving2024)
	checkEpisode(t, r, 0.80, 0.05, 45)
}

// The fitting episode: the June 2022 drawdown (Celsius, 3AC: BTC from
// $30,000 to under $20,000 on 2022-06-13..18), from the first block of
// epoch 366 (height 737,856, 2022-05-25) for 200 days. Real: the 7-day
// hashrate fell 16.6% and took 89 days to recover. The band criterion is
// weaker here (55%, a regression guard: the fit targets the dip and the
// recovery): the real network kept growing in autumn 2022 from machines
// ordered in the 2021 bull market, which the model's 90-day order lag
// does not carry (documented in docs/sim.md).
func TestValidationDrawdown2022(t *testing.T) {
	r := runEpisode(t, drawdown2022, 200)
	r.report(t, drawdown2022)
	checkEpisode(t, r, 0.55, 0.05, 45)
}

func checkEpisode(t *testing.T, r episodeResult, minInside, dipTol float64, recTol int) {
	t.Helper()
	if r.inside < minInside {
		t.Errorf("real hashrate inside the p5–p95 band on %.1f%% of days, want >= %.0f%%", 100*r.inside, 100*minInside)
	}
	if math.Abs(r.simDip-r.realDip) > dipTol {
		t.Errorf("simulated dip %.1f%%, real %.1f%% (tolerance %.0f points)", 100*r.simDip, 100*r.realDip, 100*dipTol)
	}
	if r.realRec < 0 || r.simRec > 1<<19 || abs(r.simRec-r.realRec) > recTol || r.realRec < r.simRecP5 || r.realRec > r.simRecP95 {
		t.Errorf("recovery: simulated %d days (p5 %d, p95 %d), real %d (tolerance %d days)", r.simRec, r.simRecP5, r.simRecP95, r.realRec, recTol)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
