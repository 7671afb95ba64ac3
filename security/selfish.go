package security

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
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

// Accuracy bounds of the optimal selfish-mining solver: one definition,
// used by the CLI (--accuracy) and the API (accuracy=).
const (
	MinSelfishAccuracy     = 1e-9
	MaxSelfishAccuracy     = 0.1
	DefaultSelfishAccuracy = 1e-4
	// MaxSelfishTruncation is the largest fork length T the solver will
	// build: 3(T+1)² states, about 60 MB for both forms at T = 300.
	MaxSelfishTruncation = 300
)

// SelfishAccuracyAllowed is the allowed range of the accuracy, as printed
// in input errors.
const SelfishAccuracyAllowed = "1e-9 <= accuracy <= 0.1"

// ValidSelfishAccuracy returns an input error unless MinSelfishAccuracy ≤
// accuracy ≤ MaxSelfishAccuracy.
func ValidSelfishAccuracy(accuracy float64) error {
	if !(accuracy >= MinSelfishAccuracy && accuracy <= MaxSelfishAccuracy) {
		return inputErr("accuracy", accuracy, SelfishAccuracyAllowed)
	}
	return nil
}

// SelfishLimits bounds the work of one solve. DefaultSelfishLimits gives
// the limits the CLI and the API use.
type SelfishLimits struct {
	// MaxTruncation is the largest fork length T tried (2 ≤ T ≤
	// MaxSelfishTruncation).
	MaxTruncation int
	// MaxSweeps caps the Gauss–Seidel sweeps of each solve at one T.
	MaxSweeps int
}

// DefaultSelfishLimits: T up to MaxSelfishTruncation, 20,000 sweeps.
func DefaultSelfishLimits() SelfishLimits {
	return SelfishLimits{MaxTruncation: MaxSelfishTruncation, MaxSweeps: 20000}
}

// OptimalResult is the optimal selfish-mining revenue with a proven
// bracket: Lower is the exact relative revenue of a concrete strategy,
// Upper the optimum of a relaxed MDP that dominates the untruncated game
// (see OptimalSelfish). The optimum lies in [Lower, Upper].
type OptimalResult struct {
	// Revenue is (Lower + Upper)/2, the attacker's share of the main
	// chain's blocks, within ErrorBound/2 of the optimum.
	Revenue float64 `json:"revenue"`
	Lower   float64 `json:"lower"`
	Upper   float64 `json:"upper"`
	// ErrorBound is Upper − Lower.
	ErrorBound float64 `json:"error_bound"`
	// Accuracy is the ErrorBound asked for; Converged says it was met.
	Accuracy  float64 `json:"accuracy"`
	Converged bool    `json:"converged"`
	// Truncation is the largest fork length T solved, States the number
	// of states (a, h, fork) of one form at that T, Sweeps the
	// Gauss–Seidel sweeps and Krylov passes (each one pass over the
	// states) over all T.
	Truncation int `json:"truncation"`
	States     int `json:"states"`
	Sweeps     int `json:"sweeps"`
}

// initialTruncation is the first fork length tried: races last about
// 1/(1−2α) blocks, so T grows with it: 3/(1−2α) (15 at α = 0.4, 30 at
// 0.45), but at most 50 (reached from α = 0.47 on): small truncations
// are cheap (3(T+1)² states) and their solution is the warm start of the
// next, so near α = ½ starting low saves the cold policy iteration at a
// large T (150 at α = 0.49).
func initialTruncation(alpha float64, maxT int) int {
	return max(2, min(maxT, 50, int(math.Ceil(3/(1-2*alpha)))))
}

// OptimalSelfish solves for the optimal relative revenue of a selfish
// miner with hashrate share α when a share γ of honest miners mines on the
// attacker's block in a tie, to within accuracy (an upper minus lower
// bound), growing the fork length T from initialTruncation
// (nextTruncation) until the bound is met or lim is reached.
//
// Model: Sapirshtein, Sompolinsky & Zohar, "Optimal Selfish Mining
// Strategies in Bitcoin" (FC 2016), states (a, h, fork) and actions adopt,
// override, match and wait, with the objective the ratio of the attacker's
// blocks to all blocks in the main chain. Method:
//
//   - The ratio is optimised directly (Dinkelbach's method: ρ ← the
//     current policy's ratio, then the greedy policy for the reward
//     rA − ρ(rA + rH)), first by policy iteration whose evaluations are
//     GMRES solves over the states where races start (policyIterate:
//     states are numbered longest fork first, so one pass computes every
//     other value from those), then by Gauss–Seidel modified policy
//     iteration from its values, which proves the bounds (solveRatio).
//     Each truncation warm-starts from the last; transitions are stored
//     sparsely. This replaces SSZ's bisection over ρ (and Bar-Zur, Eyal &
//     Tamar's (AFT 2020) probabilistic termination, whose error ~1/H
//     needs long horizons near α = ½).
//   - Truncation: instead of SSZ's forced adopt/override at a = T or
//     h = T, a race reaching the edge is shifted down by k blocks on both
//     chains (the dynamics depend only on the lead a − h) with the k
//     blocks settled when the fork settles (buildSelfish). With an
//     optimistic settlement (the attacker wins with the largest
//     probability any strategy has) the relaxed MDP's optimum is Upper;
//     the strategy it finds, played in the real game with the same
//     shifts, has its exact revenue computed with the exact settlement
//     probabilities: Lower (near the asked accuracy, also a strategy
//     polished in the shift form, whichever is higher). Both are also
//     bounded by honest mining and SM1 (Lower ≥ max(α, SM1)) and by the
//     bounds of earlier T.
//
// Converged is false when the bracket is wider than accuracy at
// lim.MaxTruncation or a solve ran out of sweeps; the bracket is still
// valid. Errors: an *hashlab.InputError for α outside [0, 0.5), γ outside
// [0, 1], accuracy outside [MinSelfishAccuracy, MaxSelfishAccuracy] or bad
// limits; ctx's error, wrapped, when ctx ends (checked every 16,384
// states of a sweep).
func OptimalSelfish(ctx context.Context, alpha, gamma, accuracy float64, lim SelfishLimits) (OptimalResult, error) {
	if err := validAlphaGamma(alpha, gamma); err != nil {
		return OptimalResult{}, err
	}
	if err := ValidSelfishAccuracy(accuracy); err != nil {
		return OptimalResult{}, err
	}
	if lim.MaxTruncation < 2 || lim.MaxTruncation > MaxSelfishTruncation {
		return OptimalResult{}, inputErr("max truncation", lim.MaxTruncation, fmt.Sprintf("2 to %d", MaxSelfishTruncation))
	}
	if lim.MaxSweeps < 1 {
		return OptimalResult{}, inputErr("max sweeps", lim.MaxSweeps, ">= 1")
	}
	sm1, _ := SM1Revenue(alpha, gamma)
	res := OptimalResult{Lower: max(alpha, sm1), Upper: 1, Accuracy: accuracy}
	finish := func() OptimalResult {
		res.Upper = max(res.Upper, res.Lower)
		res.ErrorBound = res.Upper - res.Lower
		res.Revenue = (res.Lower + res.Upper) / 2
		res.Converged = res.ErrorBound <= accuracy
		return res
	}
	if alpha == 0 {
		res.Lower, res.Upper = 0, 0
		return finish(), nil
	}
	// Each bound may lose this much to unfinished iteration.
	budget := max(accuracy/20, 1e-13)
	var warm selfishWarm
	prevT, prevGap := 0, 0.0
	for T := initialTruncation(alpha, lim.MaxTruncation); ; {
		lo, hi, err := solveSelfishAt(ctx, alpha, gamma, T, budget, accuracy, lim.MaxSweeps, &res.Sweeps, &warm)
		if err != nil {
			return finish(), fmt.Errorf("security: selfish-mining solve at α=%g, γ=%g, T=%d: %w", alpha, gamma, T, err)
		}
		res.Truncation, res.States = T, 3*(T+1)*(T+1)
		if selfishTrace != nil {
			selfishTrace(T, lo, hi, res.Sweeps)
		}
		if !math.IsNaN(lo) && !math.IsNaN(hi) { // never, but a NaN must not spread
			res.Lower, res.Upper = max(res.Lower, lo), min(res.Upper, hi)
		}
		gap := res.Upper - res.Lower
		if gap <= accuracy || T >= lim.MaxTruncation {
			return finish(), nil
		}
		T, prevT, prevGap = nextTruncation(T, gap, prevT, prevGap, accuracy, lim.MaxTruncation), T, gap
	}
}

// selfishTrace, when set (by tests), sees each truncation's bounds and
// the sweeps so far.
var selfishTrace func(T int, lo, hi float64, sweeps int)

// nextTruncation grows T by half, or, once two truncations have shown how
// fast the gap falls (about geometrically in T: races longer than T are
// geometrically rare), to the T where the gap should reach accuracy/4
// (the fall slows as T grows),
// but by at least an eighth and at most a half.
func nextTruncation(T int, gap float64, prevT int, prevGap, accuracy float64, maxT int) int {
	next := T + T/2
	if prevT > 0 && prevGap > gap && gap > 0 {
		rate := math.Log(prevGap/gap) / float64(T-prevT) // per unit of T
		want := T + int(math.Ceil(math.Log(gap/(accuracy/4))/rate))
		next = max(T+max(1, T/8), min(next, want))
	}
	return min(maxT, next)
}

// selfishWarm carries the relaxed MDP's solution from one truncation to
// the next as a starting point.
type selfishWarm struct {
	T      int
	l      *selfishLayout
	vA, vB []float64
	rho    float64
}

// start fills vA, vB for layout l from the previous solution: a state
// inside the old square takes its old values; a longer fork takes the
// values of the state shortened by k blocks on both chains (the same
// shift as buildSelfish), plus k settled blocks, and a longer lead the
// values at the old edge.
func (w *selfishWarm) start(alpha, gamma float64, l *selfishLayout, vA, vB []float64) (rho float64, ok bool) {
	if w.l == nil {
		return 0, false
	}
	old := w.T - 1 // largest interior a or h of the old truncation
	for a := 0; a <= l.T; a++ {
		for h := 0; h <= l.T; h++ {
			oa, oh, k := a, h, 0
			if oh > old {
				k = min(oh-1, oa)
				oa, oh = oa-k, oh-k
			}
			if oa > old && oh >= 2 {
				k2 := min(oh-1, oa-old)
				oa, oh, k = oa-k2, oh-k2, k+k2
			}
			oa, oh = min(oa, old), min(oh, old)
			for f := 0; f < 3; f++ {
				src := w.l.at(oa, oh, f)
				dst := l.at(a, h, f)
				pw := winBound(alpha, gamma, a-h, f)
				vA[dst] = w.vA[src] + float64(k)*pw
				vB[dst] = w.vB[src] + float64(k)
			}
		}
	}
	return w.rho, true
}

// solveSelfishAt solves the upper form at fork length T and evaluates its
// strategy exactly in the shift form: the bounds [lo, hi] on the optimum.
// When hi − lo is above accuracy but within ten times it, it also
// polishes the strategy once in the shift form and keeps the better
// lower bound. Both solves start from Dinkelbach policy iteration
// (policyIterate) and are then proven by solveRatio's residuals.
// warm, if not empty, is the solution at a shorter truncation to start
// from; it receives this one.
func solveSelfishAt(ctx context.Context, alpha, gamma float64, T int, budget, accuracy float64, maxSweeps int, sweeps *int, warm *selfishWarm) (lo, hi float64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	l := newSelfishLayout(T)
	// The shift form is built on the other core while the upper form is
	// solved (the channel is buffered: an early return leaks nothing).
	type built struct {
		m   *selfishMDP
		err error
	}
	shift := make(chan built, 1)
	go func() {
		m, err := buildSelfish(ctx, alpha, gamma, T, l, shiftForm)
		shift <- built{m, err}
	}()
	up, err := buildSelfish(ctx, alpha, gamma, T, l, upperForm)
	if err != nil {
		return 0, 0, err
	}
	vA, vB, pol := make([]float64, up.n), make([]float64, up.n), make([]int32, up.n)
	for s := range pol {
		pol[s] = up.actStart[s] // adopt everywhere to start
	}
	rho0 := alpha
	if r, ok := warm.start(alpha, gamma, l, vA, vB); ok {
		rho0 = r
		if _, err := up.improve(ctx, rho0, vA, vB, make([]float64, up.n), pol, 0); err != nil {
			return 0, 0, err
		}
	}
	if r, err := up.policyIterate(ctx, vA, vB, pol, false, budget, maxSweeps, sweeps); err != nil {
		return 0, 0, err
	} else if !math.IsNaN(r) {
		rho0 = r
	}
	// Upper: the relaxed MDP's optimum, proven by its Bellman residual.
	// A solve that runs out of sweeps still gives valid bounds.
	rho, hi, err := up.solveRatio(ctx, rho0, vA, vB, pol, false, budget, maxSweeps, sweeps)
	if err != nil && !errors.Is(err, errNoConvergence) {
		return 0, 0, err
	}
	*warm = selfishWarm{T: T, l: l, vA: vA, vB: vB, rho: rho}

	// Lower: the same strategy played in the real game (shift form), its
	// revenue proven from below by its own residual.
	b := <-shift
	sf, err := b.m, b.err
	if err != nil {
		return 0, 0, err
	}
	spol := sf.mapPolicy(up, pol)
	up = nil
	if err := sf.settleShifts(ctx, spol, budget, maxSweeps, sweeps); err != nil {
		return 0, 0, err
	}
	// The relaxed solution's values are a close start for the strategy's.
	eA, eB := slices.Clone(vA), slices.Clone(vB)
	srho, err := sf.policyIterate(ctx, eA, eB, spol, true, budget, maxSweeps, sweeps)
	if err != nil {
		return 0, 0, err
	}
	if math.IsNaN(srho) {
		srho = rho
	}
	_, lo, err = sf.solveRatio(ctx, srho, eA, eB, spol, true, budget, maxSweeps, sweeps)
	if err != nil && !errors.Is(err, errNoConvergence) {
		return 0, 0, err
	}
	if gap := hi - lo; gap <= accuracy || gap > 10*accuracy {
		return lo, hi, nil // met already, or too far for the polish to meet it
	}
	// Polish: the relaxed strategy is optimistic near the edge, and
	// played in the real game it loses there. One round of policy
	// iteration in the shift form, with the settlement bonuses of that
	// strategy, gives another strategy of the real game; its own
	// settlement and exact revenue are computed as above, and the better
	// of the two revenues is the lower bound (both are proven).
	pol2 := slices.Clone(spol)
	if _, err := sf.policyIterate(ctx, eA, eB, pol2, false, budget, maxSweeps, sweeps); err != nil {
		return 0, 0, err
	}
	if err := sf.settleShifts(ctx, pol2, budget, maxSweeps, sweeps); err != nil {
		return 0, 0, err
	}
	r2, err := sf.policyIterate(ctx, eA, eB, pol2, true, budget, maxSweeps, sweeps)
	if err != nil {
		return 0, 0, err
	}
	if math.IsNaN(r2) {
		return lo, hi, nil
	}
	_, lo2, err := sf.solveRatio(ctx, r2, eA, eB, pol2, true, budget, maxSweeps, sweeps)
	if err != nil && !errors.Is(err, errNoConvergence) {
		return 0, 0, err
	}
	return max(lo, lo2), hi, nil
}

// SelfishThreshold is the smallest α at which the optimal strategy earns
// more than honest mining, for a γ: it lies in [Lower, Upper].
type SelfishThreshold struct {
	Gamma float64 `json:"gamma"`
	// Alpha is (Lower + Upper)/2.
	Alpha     float64 `json:"optimal_threshold"`
	Lower     float64 `json:"lower"`
	Upper     float64 `json:"upper"`
	Tolerance float64 `json:"tolerance"`
	Converged bool    `json:"converged"`
}

// OptimalThreshold finds the smallest α at which the optimal selfish
// strategy beats honest mining for γ, by bisection on α over [0, SM1's
// threshold (1−γ)/(3−2γ)] until the bracket is narrower than tol
// (1e-7 ≤ tol ≤ 0.01). At each α the revenue is solved to 1e-9 and α is
// judged profitable when the lower bound, the exact revenue of a concrete
// strategy, exceeds α; otherwise the upper bound is within 1e-9 of α, so
// the threshold is placed to within about 1e-9 divided by the slope of
// revenue − α (of order 1). Errors as OptimalSelfish.
func OptimalThreshold(ctx context.Context, gamma, tol float64, lim SelfishLimits) (SelfishThreshold, error) {
	if err := validAlphaGamma(0, gamma); err != nil {
		return SelfishThreshold{}, err
	}
	if !(tol >= 1e-7 && tol <= 0.01) {
		return SelfishThreshold{}, inputErr("tolerance", tol, "1e-7 <= tolerance <= 0.01")
	}
	sm1, _ := SM1Threshold(gamma)
	out := SelfishThreshold{Gamma: gamma, Lower: 0, Upper: sm1, Tolerance: tol, Converged: true}
	for out.Upper-out.Lower > tol {
		mid := (out.Lower + out.Upper) / 2
		r, err := OptimalSelfish(ctx, mid, gamma, MinSelfishAccuracy, lim)
		if err != nil {
			return SelfishThreshold{}, err
		}
		if !r.Converged {
			out.Converged = false
		}
		if r.Lower > mid+1e-12 {
			out.Upper = mid
		} else {
			out.Lower = mid
		}
	}
	out.Alpha = (out.Lower + out.Upper) / 2
	return out, nil
}

// SelfishComparison is an attacker's relative revenue for one (α, γ)
// under honest mining (α itself), Eyal and Sirer's SM1 and the optimal
// policy of the MDP: what `hashlab security selfish --json` and the API
// report. Optimal is OptimalResult.Revenue, in [Lower, Upper];
// TruncationError repeats ErrorBound under its old name.
type SelfishComparison struct {
	Alpha           float64 `json:"alpha"`
	Gamma           float64 `json:"gamma"`
	Honest          float64 `json:"honest"`
	SM1             float64 `json:"sm1"`
	Optimal         float64 `json:"optimal"`
	Lower           float64 `json:"lower"`
	Upper           float64 `json:"upper"`
	ErrorBound      float64 `json:"error_bound"`
	Accuracy        float64 `json:"accuracy"`
	Converged       bool    `json:"converged"`
	Truncation      int     `json:"truncation"`
	States          int     `json:"states"`
	TruncationError float64 `json:"truncation_error"`
}

// CompareSelfish solves the optimal policy to the given accuracy
// (OptimalSelfish with DefaultSelfishLimits) and sets it beside honest
// mining and SM1. Errors as OptimalSelfish.
func CompareSelfish(ctx context.Context, alpha, gamma, accuracy float64) (SelfishComparison, error) {
	sm1, err := SM1Revenue(alpha, gamma)
	if err != nil {
		return SelfishComparison{}, err
	}
	opt, err := OptimalSelfish(ctx, alpha, gamma, accuracy, DefaultSelfishLimits())
	if err != nil {
		return SelfishComparison{}, err
	}
	return SelfishComparison{Alpha: alpha, Gamma: gamma, Honest: alpha, SM1: sm1, Optimal: opt.Revenue,
		Lower: opt.Lower, Upper: opt.Upper, ErrorBound: opt.ErrorBound, Accuracy: accuracy, Converged: opt.Converged,
		Truncation: opt.Truncation, States: opt.States, TruncationError: opt.ErrorBound}, nil
}
