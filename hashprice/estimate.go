package hashprice

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hashlab/hashlab/consensus"
)

// Estimate is a network-hashrate estimate with a two-sided confidence
// interval.
type Estimate struct {
	HashrateHs float64 `json:"hashrate_hs"`
	LowerHs    float64 `json:"lower_hs"`
	UpperHs    float64 `json:"upper_hs"`
	// Confidence is the interval's coverage, e.g. 0.95.
	Confidence float64 `json:"confidence"`
	// Blocks and Seconds are the observation the estimate rests on.
	Blocks  int64   `json:"blocks"`
	Seconds float64 `json:"seconds"`
}

// EstimateHashrate estimates network hashrate from n blocks observed over
// seconds, whose expected work sums to work (hashes; the chainwork
// difference over the window). Block arrivals are a Poisson process, so the
// time to n blocks is Gamma(n, rate): the point estimate is work/seconds
// (the standard "chainwork over time" estimator, which is what explorers
// show) and the exact interval for the rate multiplies it by the
// Gamma(n,1) quantiles divided by n. n counts block intervals: for a window
// from block a to block b, n = b - a and work is the work of blocks a+1..b.
func EstimateHashrate(work float64, n int64, seconds float64, confidence float64) (Estimate, error) {
	switch {
	case n < 1:
		return Estimate{}, inputErr("blocks", n, ">= 1")
	case !(seconds > 0):
		return Estimate{}, inputErr("seconds", seconds, "> 0")
	case !(work > 0):
		return Estimate{}, inputErr("work", work, "> 0")
	case !(confidence > 0 && confidence < 1):
		return Estimate{}, inputErr("confidence", confidence, "0 < c < 1")
	}
	point := work / seconds
	lo, hi := PoissonRateFactors(n, confidence)
	return Estimate{HashrateHs: point, LowerHs: point * lo, UpperHs: point * hi, Confidence: confidence, Blocks: n, Seconds: seconds}, nil
}

// PoissonRateFactors returns (lo, hi) such that [lo, hi] times the point
// estimate n/T is an equal-tailed confidence interval for a Poisson rate
// observed as the waiting time T for n events: Gamma(n,1) quantiles / n.
func PoissonRateFactors(n int64, confidence float64) (lo, hi float64) {
	g := distuv.Gamma{Alpha: float64(n), Beta: 1}
	a := (1 - confidence) / 2
	return g.Quantile(a) / float64(n), g.Quantile(1-a) / float64(n)
}

// Projection is the expected outcome of the current epoch's retarget.
type Projection struct {
	EpochStartHeight int64 `json:"epoch_start_height"`
	RetargetHeight   int64 `json:"retarget_height"`
	BlocksMined      int64 `json:"blocks_mined"`
	BlocksRemaining  int64 `json:"blocks_remaining"`
	// ExpectedChange is the expected relative difficulty change (0.05 =
	// +5%) if the observed block rate continues; LowChange and HighChange
	// bound it at the given confidence.
	ExpectedChange float64 `json:"expected_change"`
	LowChange      float64 `json:"low_change"`
	HighChange     float64 `json:"high_change"`
	Confidence     float64 `json:"confidence"`
	// ExpectedRetargetUnix is the expected time of the retarget block, and
	// EarliestUnix/LatestUnix its interval.
	ExpectedRetargetUnix int64 `json:"expected_retarget_unix"`
	EarliestUnix         int64 `json:"earliest_unix"`
	LatestUnix           int64 `json:"latest_unix"`
	// MeanIntervalSec is the observed mean block interval this epoch.
	MeanIntervalSec float64 `json:"mean_interval_sec"`
}

// RetargetInputs is the epoch in progress that ProjectRetarget projects:
// where it began, where the tip is, and the network whose retarget
// interval (2016 blocks on mainnet) and target spacing (600 s) apply.
type RetargetInputs struct {
	// EpochStartHeight is the height of the epoch's first block and
	// EpochFirstTimeUnix its timestamp (Unix seconds).
	EpochStartHeight   int64
	EpochFirstTimeUnix int64
	// TipHeight and TipTimeUnix are the tip, inside the epoch.
	TipHeight   int64
	TipTimeUnix int64
	// Confidence is the coverage of the interval, 0 < c < 1 (e.g. 0.9).
	Confidence float64
	// Params is the network; nil means mainnet.
	Params *consensus.Params
}

// ProjectRetarget projects the adjustment at the end of the epoch in in.
// The block rate is estimated from the epoch so far, with a Poisson
// interval; the remaining blocks arrive at that rate. The returned change
// includes the 4x clamp. Errors are *hashlab.InputError (a tip outside the
// epoch, a confidence outside (0, 1)).
func ProjectRetarget(in RetargetInputs) (Projection, error) {
	params := in.Params
	if params == nil {
		params = consensus.MainNet
	}
	epochStart, firstTime, tipHeight, tipTime, confidence := in.EpochStartHeight, in.EpochFirstTimeUnix, in.TipHeight, in.TipTimeUnix, in.Confidence
	interval, spacingSec := params.RetargetInterval(), params.TargetSpacingSec
	if tipHeight < epochStart || tipHeight >= epochStart+interval {
		return Projection{}, inputErr("tip height", tipHeight, fmt.Sprintf("in the epoch [%d, %d)", epochStart, epochStart+interval))
	}
	if !(confidence > 0 && confidence < 1) {
		return Projection{}, inputErr("confidence", confidence, "0 < c < 1")
	}
	mined := tipHeight - epochStart // intervals observed since the first block
	remaining := epochStart + interval - 1 - tipHeight
	p := Projection{EpochStartHeight: epochStart, RetargetHeight: epochStart + interval, BlocksMined: mined + 1, BlocksRemaining: remaining + 1, Confidence: confidence}
	target := float64(interval * spacingSec)
	elapsed := float64(tipTime - firstTime)
	mean := float64(spacingSec)
	if mined > 0 && elapsed > 0 {
		mean = elapsed / float64(mined)
	}
	p.MeanIntervalSec = mean
	// futureSec(q) is the q-quantile of the time the remaining intervals
	// take. With n observed intervals over T and m to come at the same
	// unknown rate, (S/m)/(T/n) ~ F(2m, 2n) exactly (a ratio of Gammas), so
	// the interval covers both the rate estimate's error and the luck of the
	// blocks still to come. Before any interval is observed the target
	// spacing is assumed and only the luck of future blocks counts.
	futureSec := func(m int64, q float64) float64 {
		if m == 0 {
			return 0
		}
		if mined > 0 && elapsed > 0 {
			f := distuv.F{D1: float64(2 * m), D2: float64(2 * mined)}
			return mean * float64(m) * f.Quantile(q)
		}
		g := distuv.Gamma{Alpha: float64(m), Beta: 1 / mean}
		return g.Quantile(q)
	}
	change := func(future float64) float64 {
		span := min(max(elapsed+future, target/4), target*4)
		return target/span - 1
	}
	a := (1 - confidence) / 2
	p.ExpectedChange = change(mean * float64(remaining))
	p.HighChange = change(futureSec(remaining, a)) // fast blocks: larger increase
	p.LowChange = change(futureSec(remaining, 1-a))
	// The retarget block itself comes one interval after the epoch's last.
	p.ExpectedRetargetUnix = tipTime + int64(math.Round(float64(remaining+1)*mean))
	p.EarliestUnix = tipTime + int64(math.Round(futureSec(remaining+1, a)))
	p.LatestUnix = tipTime + int64(math.Round(futureSec(remaining+1, 1-a)))
	return p, nil
}
