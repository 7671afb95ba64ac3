package sim

import (
	"fmt"
	"math"
	"testing"
)

// The calibration, redone: on the fitting episode only (the 2022
// drawdown), a grid over population.power_scale × population.hysteresis
// scored by the distance of the simulated median dip and recovery to the
// real ones, each over its tolerance (5 points, 45 days). The defaults
// must be the grid's best; the 2024 halving is never looked at here.
func TestCalibrationIsTheBestFitOn2022(t *testing.T) {
	if testing.Short() {
		t.Skip("refits the calibration (24 runs)")
	}
	def := DefaultScenario().Population
	best, bestScore := "", math.Inf(1)
	for _, ps := range []float64{1, 1.1, 1.2, 1.3, 1.4, 1.6} {
		for _, h := range []float64{0, 0.02, 0.05, 0.1} {
			ep := drawdown2022
			ep.extras = fmt.Sprintf("population: {power_scale: %g, hysteresis: %g}\n", ps, h)
			r := runEpisode(t, ep, 200)
			rec := float64(r.simRec)
			if r.simRec > 1<<19 {
				rec = math.Inf(1)
			}
			score := math.Abs(r.simDip-r.realDip)/0.05 + math.Abs(rec-float64(r.realRec))/45
			t.Logf("power_scale %.1f hysteresis %.2f: dip %.1f%% recovery %d days inside %.1f%% score %.3f", ps, h, 100*r.simDip, r.simRec, 100*r.inside, score)
			if score < bestScore {
				best, bestScore = fmt.Sprintf("%g/%g", ps, h), score
			}
		}
	}
	if want := fmt.Sprintf("%g/%g", def.PowerScale, def.Hysteresis); best != want {
		t.Errorf("best fit on 2022 is power_scale/hysteresis %s (score %.3f), defaults are %s", best, bestScore, want)
	}
}
