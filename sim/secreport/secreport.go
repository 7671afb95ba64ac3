// Package secreport computes the security metrics of package security
// along the simulator's Monte Carlo paths (hashlab security report): a
// fixed-hashrate attacker's share, double-spend risk and confirmations
// needed, majority-attack cost, the optimal selfish-mining threshold, and the
// cartel and censorship figures of the day's pool shares. It lives next
// to the simulator so that package security depends on consensus alone.
//
// The package is pure: no I/O, no clock. It must not import os, net,
// database/sql or any hashlab adapter package.
package secreport

import (
	"context"
	"fmt"
	"math"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/sim"
)

// Config sets up the security metrics computed along simulator paths
// (hashlab security report). DefaultConfig fills it.
type Config struct {
	// Z is the confirmation depth of the double spend whose risk and cost
	// are tracked.
	Z int `json:"z"`
	// AttackerShare is the attacker's share of hashrate at the start. The
	// attacker keeps its hashrate fixed, so its share grows as honest
	// miners leave.
	AttackerShare float64 `json:"attacker_share"`
	// Risk is the double-spend probability a merchant accepts, for the
	// confirmations-needed series.
	Risk float64 `json:"risk"`
	// Method is the double-spend formula.
	Method security.Method `json:"method"`
	// Gamma is the selfish miner's tie-breaking share.
	Gamma float64 `json:"gamma"`
	// Every computes the metrics every Every days.
	Every int `json:"every"`
	// StartHashrateHs is the network hashrate at the start (the
	// simulation's; sets the attacker's fixed hashrate).
	StartHashrateHs float64 `json:"start_hashrate_hs"`
	// Params is the network whose target spacing sets the blocks per day
	// and the censorship delay (nil: mainnet).
	Params *consensus.Params `json:"-"`
}

// DefaultConfig: a 6-confirmation double spend by an attacker with
// 10% of the start hashrate, 0.1% accepted risk, the exact formula, γ = 0,
// weekly.
func DefaultConfig(startHashrateHs float64) Config {
	return Config{Z: 6, AttackerShare: 0.1, Risk: 0.001, Method: security.Exact, Every: 7, StartHashrateHs: startHashrateHs}
}

// Validate checks every field against the bounds of package security
// (security.ReportShare, security.Risk, security.Gamma,
// security.CheckConfirmations), naming the field as the CLI and the API
// spell it; errors are *hashlab.InputError.
func (cfg Config) Validate() error {
	if err := security.CheckConfirmations("z", cfg.Z); err != nil {
		return err
	}
	if err := security.ReportShare.Check("attacker_share", cfg.AttackerShare); err != nil {
		return err
	}
	if err := security.Risk.Check("risk", cfg.Risk); err != nil {
		return err
	}
	if err := security.Gamma.Check("gamma", cfg.Gamma); err != nil {
		return err
	}
	if cfg.Every < 1 {
		return hashlab.Invalid("every", cfg.Every, ">= 1 day")
	}
	if !(cfg.StartHashrateHs > 0) || math.IsInf(cfg.StartHashrateHs, 0) {
		return hashlab.Invalid("start_hashrate_hs", cfg.StartHashrateHs, "> 0 H/s and finite")
	}
	if _, err := security.ParseMethod(string(cfg.Method)); err != nil {
		return err
	}
	return nil
}

// Metric names one series of the security report.
type Metric struct {
	Name, Unit, Description string
}

// Metrics lists the series Probes adds, in order.
var Metrics = []Metric{
	{"attacker_share", "", "share of a fixed-hashrate attacker (AttackerShare at the start)"},
	{"double_spend_probability", "", "probability that attacker catches up from Z confirmations"},
	{"confirmations_needed", "blocks", "confirmations for a double-spend risk below Risk against that attacker"},
	{"majority_attack_hs", "H/s", "hashrate for a 51% majority over the honest network"},
	{"attack_cost_usd", "USD", "cost of a Z-confirmation majority double spend, cheapest source (buy, rent, re-activate idle)"},
	{"max_safe_value_usd", "USD", "largest payment safe at Z confirmations (Budish: attack cost >= value)"},
	{"selfish_threshold_hs", "H/s", "hashrate above which optimal selfish mining pays, at Gamma"},
	{"top2_pool_majority_probability", "", "probability the two largest pools mine a majority of a day's 144 blocks"},
	{"censorship_delay_p95_s", "s", "95th percentile wait of a transaction censored by the largest pool"},
}

// SelfishThresholdTolerance is the width of the bracket to which the
// report's optimal selfish-mining threshold is found.
const SelfishThresholdTolerance = 1e-4

// Probes is ProbesContext without cancellation.
func Probes(cfg Config) ([]sim.Probe, error) {
	return ProbesContext(context.Background(), cfg)
}

// ProbesContext returns simulator probes that compute every security metric
// of this package along each Monte Carlo path, so their quantile bands
// show how security changes over a scenario.
//
// Per simulated day: the attacker of share AttackerShare at the start keeps
// its hashrate A, so its share is A/(A+H(t)); attack cost uses
// AttackCostFor with the network before the exodus N = H(t) + converted(t)
// and the converted capacity as the exodus (its machines are the idle ones
// an attacker can re-activate), at the day's hashprice; the selfish-mining
// threshold is the optimal strategy's α(γ) scaled to hashrate; the cartel and
// censorship figures use the day's pool shares.
//
// The selfish-mining threshold is the optimal strategy's
// (security.OptimalThreshold, the MDP of Sapirshtein, Sompolinsky &
// Zohar, to SelfishThresholdTolerance), scaled to hashrate: it depends on
// Gamma only, so it is solved once here, not per day; ctx stops that
// solve (its error is returned, wrapped). Where the solve did not
// converge the bracket's upper end is used (the threshold is at most it).
func ProbesContext(ctx context.Context, cfg Config) ([]sim.Probe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	params := cfg.Params
	if params == nil {
		params = consensus.MainNet
	}
	// The cartel figure counts a day's blocks at the target spacing (144
	// on mainnet).
	blocksPerDay := int(hashprice.SecondsPerDay / params.TargetSpacingSec)
	spacing := float64(params.TargetSpacingSec)
	th, err := security.OptimalThreshold(ctx, cfg.Gamma, SelfishThresholdTolerance, security.DefaultSelfishLimits())
	if err != nil {
		return nil, fmt.Errorf("secreport: selfish-mining threshold at gamma=%g: %w", cfg.Gamma, err)
	}
	alpha := th.Alpha
	if !th.Converged {
		alpha = th.Upper
	}
	attackerHs := cfg.StartHashrateHs * cfg.AttackerShare / (1 - cfg.AttackerShare)
	share := func(d *sim.Day) float64 { return security.AttackerShare(attackerHs, d.HashrateHs) }
	attack := func(d *sim.Day) (security.AttackCost, bool) {
		if d.HashrateHs <= 0 {
			return security.AttackCost{}, false
		}
		n := d.HashrateHs + d.ConvertedHs
		in := security.DefaultAttackInputs(n, d.HashpriceUSDPerPHDay)
		in.ExodusFraction = d.ConvertedHs / n
		c, err := security.AttackCostFor(in, cfg.Z)
		return c, err == nil
	}
	nan := math.NaN()
	fns := []func(d *sim.Day) float64{
		share,
		func(d *sim.Day) float64 {
			p, err := security.DoubleSpendProbability(share(d), cfg.Z, cfg.Method)
			if err != nil {
				return nan
			}
			return p
		},
		func(d *sim.Day) float64 {
			z, err := security.ConfirmationsFor(share(d), cfg.Risk, cfg.Method)
			if err != nil {
				return math.Inf(1) // the attacker has a majority: no depth is safe
			}
			return float64(z)
		},
		func(d *sim.Day) float64 {
			if c, ok := attack(d); ok {
				return c.AttackerHs
			}
			return nan
		},
		func(d *sim.Day) float64 {
			if c, ok := attack(d); ok {
				return c.CheapestUSD
			}
			return nan
		},
		func(d *sim.Day) float64 {
			if c, ok := attack(d); ok {
				if c.MaxSafeValueUSD == nil {
					return math.Inf(1) // no finite bound; bands print it as null
				}
				return *c.MaxSafeValueUSD
			}
			return nan
		},
		func(d *sim.Day) float64 { return d.HashrateHs * alpha / (1 - alpha) },
		func(d *sim.Day) float64 {
			if len(d.PoolShares) < 2 {
				return nan
			}
			p, err := security.ProbMajorityOfBlocks(d.PoolShares[0]+d.PoolShares[1], blocksPerDay, 0.5)
			if err != nil {
				return nan
			}
			return p
		},
		func(d *sim.Day) float64 {
			if len(d.PoolShares) < 1 || d.PoolShares[0] >= 1 {
				return nan
			}
			c, err := security.CensoredDelay(d.PoolShares[0], spacing)
			if err != nil {
				return nan
			}
			return c.P95Sec
		},
	}
	if len(fns) != len(Metrics) {
		panic(fmt.Sprintf("secreport: %d report functions for %d metrics", len(fns), len(Metrics)))
	}
	out := make([]sim.Probe, len(fns))
	for i, f := range fns {
		m := Metrics[i]
		sc, w := sim.Log, 0.0
		switch m.Name {
		case "confirmations_needed":
			sc, w = sim.Count, 1
		case "attacker_share", "top2_pool_majority_probability":
			sc, w = sim.Linear, 0.0005
		}
		out[i] = sim.Probe{Name: m.Name, Unit: m.Unit, Scale: sc, Width: w, Every: cfg.Every, Fn: f}
	}
	return out, nil
}
