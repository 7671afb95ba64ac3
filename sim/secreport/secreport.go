package security

import (
	"fmt"
	"math"

	"github.com/hashlab/hashlab/sim"
)

// ReportConfig sets up the security metrics computed along simulator paths
// (hashlab security report). DefaultReportConfig fills it.
type ReportConfig struct {
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
	Method Method `json:"method"`
	// Gamma is the selfish miner's tie-breaking share.
	Gamma float64 `json:"gamma"`
	// Every computes the metrics every Every days.
	Every int `json:"every"`
	// StartHashrateHs is the network hashrate at the start (the
	// simulation's; sets the attacker's fixed hashrate).
	StartHashrateHs float64 `json:"start_hashrate_hs"`
}

// DefaultReportConfig: a 6-confirmation double spend by an attacker with
// 10% of the start hashrate, 0.1% accepted risk, the exact formula, γ = 0,
// weekly.
func DefaultReportConfig(startHashrateHs float64) ReportConfig {
	return ReportConfig{Z: 6, AttackerShare: 0.1, Risk: 0.001, Method: Exact, Every: 7, StartHashrateHs: startHashrateHs}
}

// ReportMetric names one series of the security report.
type ReportMetric struct {
	Name, Unit, Description string
}

// ReportMetrics lists the series ReportProbes adds, in order.
var ReportMetrics = []ReportMetric{
	{"attacker_share", "", "share of a fixed-hashrate attacker (AttackerShare at the start)"},
	{"double_spend_probability", "", "probability that attacker catches up from Z confirmations"},
	{"confirmations_needed", "blocks", "confirmations for a double-spend risk below Risk against that attacker"},
	{"majority_attack_hs", "H/s", "hashrate for a 51% majority over the honest network"},
	{"attack_cost_usd", "USD", "cost of a Z-confirmation majority double spend, cheapest source (buy, rent, re-activate idle)"},
	{"max_safe_value_usd", "USD", "largest payment safe at Z confirmations (Budish: attack cost >= value)"},
	{"selfish_threshold_hs", "H/s", "hashrate above which selfish mining (SM1) pays, at Gamma"},
	{"top2_pool_majority_probability", "", "probability the two largest pools mine a majority of a day's 144 blocks"},
	{"censorship_delay_p95_s", "s", "95th percentile wait of a transaction censored by the largest pool"},
}

// ReportProbes returns simulator probes that compute every security metric
// of this package along each Monte Carlo path, so their quantile bands
// show how security changes over a scenario.
//
// Per simulated day: the attacker of share AttackerShare at the start keeps
// its hashrate A, so its share is A/(A+H(t)); attack cost uses
// AttackCostFor with the network before the exodus N = H(t) + converted(t)
// and the converted capacity as the exodus (its machines are the idle ones
// an attacker can re-activate), at the day's hashprice; the selfish-mining
// threshold is Eyal–Sirer's α(γ) scaled to hashrate; the cartel and
// censorship figures use the day's pool shares.
func ReportProbes(cfg ReportConfig) ([]sim.Probe, error) {
	if cfg.Z < 0 || cfg.Z > 1000 {
		return nil, inputErr("z", cfg.Z, "0 to 1000")
	}
	if !(cfg.AttackerShare > 0 && cfg.AttackerShare < 0.5) {
		return nil, inputErr("attacker_share", cfg.AttackerShare, "0 < share < 0.5")
	}
	if !(cfg.Risk > 0 && cfg.Risk < 1) {
		return nil, inputErr("risk", cfg.Risk, "0 < risk < 1")
	}
	if cfg.Every < 1 {
		return nil, inputErr("every", cfg.Every, ">= 1 day")
	}
	if !(cfg.StartHashrateHs > 0) {
		return nil, inputErr("start_hashrate_hs", cfg.StartHashrateHs, "> 0")
	}
	if _, err := ParseMethod(string(cfg.Method)); err != nil {
		return nil, err
	}
	alpha, err := SM1Threshold(cfg.Gamma)
	if err != nil {
		return nil, err
	}
	attackerHs := cfg.StartHashrateHs * cfg.AttackerShare / (1 - cfg.AttackerShare)
	share := func(d *sim.Day) float64 { return AttackerShare(attackerHs, d.HashrateHs) }
	attack := func(d *sim.Day) (AttackCost, bool) {
		if d.HashrateHs <= 0 {
			return AttackCost{}, false
		}
		n := d.HashrateHs + d.ConvertedHs
		in := DefaultAttackInputs(n, d.HashpriceUSDPerPHDay)
		in.ExodusFraction = d.ConvertedHs / n
		c, err := AttackCostFor(in, cfg.Z)
		return c, err == nil
	}
	nan := math.NaN()
	fns := []func(d *sim.Day) float64{
		share,
		func(d *sim.Day) float64 {
			p, err := DoubleSpendProbability(share(d), cfg.Z, cfg.Method)
			if err != nil {
				return nan
			}
			return p
		},
		func(d *sim.Day) float64 {
			z, err := ConfirmationsFor(share(d), cfg.Risk, cfg.Method)
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
				return c.MaxSafeValueUSD
			}
			return nan
		},
		func(d *sim.Day) float64 { return d.HashrateHs * alpha / (1 - alpha) },
		func(d *sim.Day) float64 {
			if len(d.PoolShares) < 2 {
				return nan
			}
			p, err := ProbMajorityOfBlocks(d.PoolShares[0]+d.PoolShares[1], 144, 0.5)
			if err != nil {
				return nan
			}
			return p
		},
		func(d *sim.Day) float64 {
			if len(d.PoolShares) < 1 || d.PoolShares[0] >= 1 {
				return nan
			}
			c, err := CensoredDelay(d.PoolShares[0], 600)
			if err != nil {
				return nan
			}
			return c.P95Sec
		},
	}
	if len(fns) != len(ReportMetrics) {
		panic(fmt.Sprintf("security: %d report functions for %d metrics", len(fns), len(ReportMetrics)))
	}
	out := make([]sim.Probe, len(fns))
	for i, f := range fns {
		m := ReportMetrics[i]
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
