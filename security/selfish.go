package security

import (
	"math"
)

func validAlphaGamma(alpha, gamma float64) error {
	if !(alpha >= 0 && alpha < 0.5) {
		return inputErr("alpha (attacker hashrate share)", alpha, "0 <= alpha < 0.5")
	}
	if !(gamma >= 0 && gamma <= 1) {
		return inputErr("gamma (share of honest miners that mine on the attacker's block in a tie)", gamma, "0 <= gamma <= 1")
	}
	return nil
}

// SM1Revenue is the relative revenue of Eyal & Sirer's selfish-mining
// strategy ("Majority is not enough", 2014, §4.3):
//
//	R = [α(1−α)²(4α + γ(1−2α)) − α³] / [1 − α(1 + (2−α)α)]
func SM1Revenue(alpha, gamma float64) (float64, error) {
	if err := validAlphaGamma(alpha, gamma); err != nil {
		return 0, err
	}
	a := alpha
	num := a*(1-a)*(1-a)*(4*a+gamma*(1-2*a)) - a*a*a
	den := 1 - a*(1+(2-a)*a)
	return num / den, nil
}

// SM1Threshold is the smallest α for which SM1 beats honest mining:
// (1−γ)/(3−2γ) (Eyal & Sirer 2014): 1/3 at γ=0, 1/4 at γ=1/2.
func SM1Threshold(gamma float64) (float64, error) {
	if err := validAlphaGamma(0, gamma); err != nil {
		return 0, err
	}
	return (1 - gamma) / (3 - 2*gamma), nil
}

// OptimalResult is the optimal selfish-mining revenue found by the MDP.
type OptimalResult struct {
	// Revenue is the attacker's relative revenue under the best policy of
	// the truncated MDP (a lower bound of the untruncated optimum, which
	// it approaches geometrically as T grows).
	Revenue float64 `json:"revenue"`
	// Truncation is the maximum fork length T.
	Truncation int `json:"truncation"`
	// TruncationError estimates how far Revenue is below the untruncated
	// optimum: the gain from truncation 3T/4 to T. Bisection error (the
	// tolerance) comes on top.
	TruncationError float64 `json:"truncation_error"`
	Tolerance       float64 `json:"tolerance"`
	// States is the number of MDP states.
	States int `json:"states"`
}

// mdp is the selfish-mining MDP of Sapirshtein, Sompolinsky & Zohar,
// "Optimal Selfish Mining Strategies in Bitcoin" (FC 2016), §3: states
// (a, h, fork) with a, h in [0, T] and fork ∈ {irrelevant, relevant,
// active}; actions adopt, override, match, wait.
type mdp struct {
	T     int
	n     int
	acts  [][]action // per state, feasible actions
	start int
}

type action struct {
	tr []transition
}

type transition struct {
	to     int32
	p      float64
	rA, rH float64
}

const (
	irrelevant = 0
	relevant   = 1
	active     = 2
)

func (m *mdp) idx(a, h, fork int) int32 { return int32((a*(m.T+1)+h)*3 + fork) }

// buildMDP lays out the transitions. Reaching a or h = T forces adopt or
// override (the paper's truncation), so the truncated optimum is a lower
// bound of the true one that increases with T.
func buildMDP(alpha, gamma float64, T int) *mdp {
	m := &mdp{T: T, n: (T + 1) * (T + 1) * 3}
	m.acts = make([][]action, m.n)
	m.start = int(m.idx(0, 0, irrelevant))
	for a := 0; a <= T; a++ {
		for h := 0; h <= T; h++ {
			for f := 0; f < 3; f++ {
				s := m.idx(a, h, f)
				fork := f
				if fork == active && a < h {
					// Unreachable (a match needs a >= h); give it the
					// relevant state's actions so every index is valid.
					fork = relevant
				}
				var acts []action
				// adopt
				acts = append(acts, action{tr: []transition{
					{m.idx(1, 0, irrelevant), alpha, 0, float64(h)},
					{m.idx(0, 1, relevant), 1 - alpha, 0, float64(h)},
				}})
				// override
				if a > h {
					acts = append(acts, action{tr: []transition{
						{m.idx(a-h, 0, irrelevant), alpha, float64(h + 1), 0},
						{m.idx(a-h-1, 1, relevant), 1 - alpha, float64(h + 1), 0},
					}})
				}
				atEdge := a == T || h == T
				if !atEdge {
					// match
					if fork == relevant && a >= h && h >= 1 {
						acts = append(acts, action{tr: []transition{
							{m.idx(a+1, h, active), alpha, 0, 0},
							{m.idx(a-h, 1, relevant), gamma * (1 - alpha), float64(h), 0},
							{m.idx(a, h+1, relevant), (1 - gamma) * (1 - alpha), 0, 0},
						}})
					}
					// wait
					if fork == active {
						acts = append(acts, action{tr: []transition{
							{m.idx(a+1, h, active), alpha, 0, 0},
							{m.idx(a-h, 1, relevant), gamma * (1 - alpha), float64(h), 0},
							{m.idx(a, h+1, relevant), (1 - gamma) * (1 - alpha), 0, 0},
						}})
					} else {
						acts = append(acts, action{tr: []transition{
							{m.idx(a+1, h, irrelevant), alpha, 0, 0},
							{m.idx(a, h+1, relevant), 1 - alpha, 0, 0},
						}})
					}
				}
				m.acts[s] = acts
			}
		}
	}
	return m
}

// gainSign runs relative value iteration for the reward (1−ρ)·r_A − ρ·r_H,
// warm-started from v (updated in place), until the sign of the optimal
// average gain per step is known or its bracket is narrower than tol. For
// any v, min_s(Tv−v)(s) <= g* <= max_s(Tv−v)(s) (Odoni's bounds), so the
// loop stops as soon as the bracket excludes zero. It returns the bracket.
func (m *mdp) gainSign(rho float64, v, next []float64, tol float64, maxIter int) (lo, hi float64) {
	for it := 0; it < maxIter; it++ {
		lo, hi = math.Inf(1), math.Inf(-1)
		for s := 0; s < m.n; s++ {
			best := math.Inf(-1)
			for _, ac := range m.acts[s] {
				val := 0.0
				for _, t := range ac.tr {
					val += t.p * ((1-rho)*t.rA - rho*t.rH + v[t.to])
				}
				best = max(best, val)
			}
			d := best - v[s]
			lo, hi = min(lo, d), max(hi, d)
			// Aperiodicity transform: move halfway, which keeps the
			// bounds valid and breaks periodic oscillation.
			next[s] = v[s] + 0.5*d
		}
		ref := next[m.start]
		for s := range next {
			v[s] = next[s] - ref
		}
		if lo > 0 || hi < 0 || hi-lo < tol {
			return lo, hi
		}
	}
	return lo, hi
}

// solveRatio finds ρ* with optimal gain 0 by bisection on ρ.
func (m *mdp) solveRatio(lo, hi, tol float64) float64 {
	v := make([]float64, m.n)
	next := make([]float64, m.n)
	for hi-lo > tol {
		mid := (lo + hi) / 2
		glo, ghi := m.gainSign(mid, v, next, tol/4, 200000)
		if glo+ghi > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// DefaultTruncation gives 1e-4 accuracy for α ≤ 0.45 (the revenue at
// T=40 is within 1e-4 of T=80 for α = 1/3, 0.4 and 0.45, γ = 0.5).
const DefaultTruncation = 40

// OptimalSelfishRevenue solves the selfish-mining MDP for α and γ with
// maximum fork length T and returns the optimal relative revenue, an upper
// bound, and their gap. tol is the bisection tolerance on the revenue
// (e.g. 1e-5).
func OptimalSelfishRevenue(alpha, gamma float64, T int, tol float64) (OptimalResult, error) {
	if err := validAlphaGamma(alpha, gamma); err != nil {
		return OptimalResult{}, err
	}
	if T < 2 || T > 400 {
		return OptimalResult{}, inputErr("truncation", T, "2 to 400")
	}
	if !(tol > 0 && tol < 0.01) {
		return OptimalResult{}, inputErr("tolerance", tol, "0 < tol < 0.01")
	}
	if alpha == 0 {
		return OptimalResult{Truncation: T}, nil
	}
	rev := max(buildMDP(alpha, gamma, T).solveRatio(alpha-tol, 1, tol), alpha) // honest mining is always available
	coarse := max(buildMDP(alpha, gamma, max(2, T*3/4)).solveRatio(alpha-tol, rev+tol, tol), alpha)
	return OptimalResult{Revenue: rev, Truncation: T, TruncationError: max(rev-coarse, 0), Tolerance: tol, States: (T + 1) * (T + 1) * 3}, nil
}

// OptimalSelfishRevenueAuto grows the truncation from DefaultTruncation
// by half each time until the estimated truncation error is below
// accuracy (at most T = 200), solving each with tolerance accuracy/10.
func OptimalSelfishRevenueAuto(alpha, gamma, accuracy float64) (OptimalResult, error) {
	if !(accuracy > 0 && accuracy < 0.01) {
		return OptimalResult{}, inputErr("accuracy", accuracy, "0 < accuracy < 0.01")
	}
	for T := DefaultTruncation; ; T += T / 2 {
		r, err := OptimalSelfishRevenue(alpha, gamma, T, accuracy/10)
		if err != nil || r.TruncationError < accuracy || T >= 200 {
			return r, err
		}
	}
}

// OptimalThreshold finds the smallest α at which the optimal policy earns
// more than α (beats honest mining) for γ, by bisection on α to within
// tol, using truncation T.
func OptimalThreshold(gamma float64, T int, tol float64) (float64, error) {
	if err := validAlphaGamma(0, gamma); err != nil {
		return 0, err
	}
	lo, hi := 0.0, 0.5
	for hi-lo > tol {
		mid := (lo + hi) / 2
		// Near the threshold the optimal policy beats honest mining by a
		// hair, so the revenue is solved much more finely than tol.
		r, err := OptimalSelfishRevenue(mid, gamma, T, 1e-7)
		if err != nil {
			return 0, err
		}
		if r.Revenue > mid+1e-6 {
			hi = mid
		} else {
			lo = mid
		}
	}
	return (lo + hi) / 2, nil
}

// SelfishComparison is an attacker's relative revenue for one (α, γ)
// under honest mining (α itself), Eyal and Sirer's SM1 and the optimal
// policy of the MDP: what `hashlab security selfish --json` and the API
// report.
type SelfishComparison struct {
	Alpha           float64 `json:"alpha"`
	Gamma           float64 `json:"gamma"`
	Honest          float64 `json:"honest"`
	SM1             float64 `json:"sm1"`
	Optimal         float64 `json:"optimal"`
	Truncation      int     `json:"truncation"`
	TruncationError float64 `json:"truncation_error"`
}

// CompareSelfish solves the optimal policy to the given accuracy
// (OptimalSelfishRevenueAuto) and sets it beside honest mining and SM1.
func CompareSelfish(alpha, gamma, accuracy float64) (SelfishComparison, error) {
	sm1, err := SM1Revenue(alpha, gamma)
	if err != nil {
		return SelfishComparison{}, err
	}
	opt, err := OptimalSelfishRevenueAuto(alpha, gamma, accuracy)
	if err != nil {
		return SelfishComparison{}, err
	}
	return SelfishComparison{Alpha: alpha, Gamma: gamma, Honest: alpha, SM1: sm1, Optimal: opt.Revenue,
		Truncation: opt.Truncation, TruncationError: opt.TruncationError}, nil
}
