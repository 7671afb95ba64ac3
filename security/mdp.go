package security

import (
	"context"
	"errors"
	"math"
)

// ratioMDP is a finite Markov decision process whose objective is the
// long-run ratio E[rA] / E[rA + rH] (an "average reward ratio" MDP in the
// words of Bar-Zur, Eyal & Tamar, AFT 2020). It is stored sparsely in
// compressed rows: state s has actions actStart[s]..actStart[s+1]-1, action
// k has expected rewards rA[k], rH[k] (blocks) and transitions
// trStart[k]..trStart[k+1]-1 to states to[i] with probability p[i].
//
// States are numbered in the order a Gauss–Seidel sweep visits them; the
// selfish-mining layout puts the states of longer forks first, so that one
// sweep carries a value through a whole fork.
type ratioMDP struct {
	n        int
	actStart []int32
	trStart  []int32
	rA, rH   []float64
	to       []int32
	p        []float64
	// live marks the states some transition enters (and the reference):
	// only these are swept and count in the bounds.
	live []bool
	ref  int // the state whose relative value is pinned to 0
}

func (m *ratioMDP) addState() {
	m.actStart = append(m.actStart, int32(len(m.rA)))
}

// addAction appends an action to the last state added.
func (m *ratioMDP) addAction(rA, rH float64, to []int32, p []float64) {
	m.rA = append(m.rA, rA)
	m.rH = append(m.rH, rH)
	m.to = append(m.to, to...)
	m.p = append(m.p, p...)
	m.trStart = append(m.trStart, int32(len(m.to)))
}

func (m *ratioMDP) finish() {
	m.n = len(m.actStart)
	m.actStart = append(m.actStart, int32(len(m.rA)))
}

// q is the value of action k for the reward rA − ρ(rA + rH) and the
// relative values v.
func (m *ratioMDP) q(k int32, rho float64, v []float64) float64 {
	val := m.rA[k] - rho*(m.rA[k]+m.rH[k])
	for i := m.trStart[k]; i < m.trStart[k+1]; i++ {
		val += m.p[i] * v[m.to[i]]
	}
	return val
}

// pass is one Gauss–Seidel sweep of modified policy iteration for the
// ratio: every state picks its best action for the reward rA − ρ(rA + rH)
// under the relative values vA − ρ·vB, and vA, vB become that action's
// expected rA and rA + rH plus the successors' values (already updated in
// this sweep for states visited earlier). Afterwards both are shifted so
// that the reference state is 0; the shifts, cA and cB, are the rewards
// gained per sweep, whose quotient converges to the policy's ratio
// (renewal–reward theorem on the sweep's embedded chain).
func (m *ratioMDP) pass(ctx context.Context, rho float64, vA, vB []float64, pol []int32, fixed bool, eps float64) (cA, cB, span float64, changed int, err error) {
	dmin, dmax := math.Inf(1), math.Inf(-1)
	for s := 0; s < m.n; s++ {
		if s&(1<<14-1) == 0 {
			if err := ctx.Err(); err != nil {
				return 0, 0, 0, 0, err
			}
		}
		if !m.live[s] {
			continue // never entered: its value is never read
		}
		var bestA, bestB float64
		if fixed {
			k := pol[s]
			bestA, bestB = m.rA[k], m.rA[k]+m.rH[k]
			for i := m.trStart[k]; i < m.trStart[k+1]; i++ {
				bestA += m.p[i] * vA[m.to[i]]
				bestB += m.p[i] * vB[m.to[i]]
			}
		} else {
			best, arg := math.Inf(-1), int32(-1)
			for k := m.actStart[s]; k < m.actStart[s+1]; k++ {
				a, b := m.rA[k], m.rA[k]+m.rH[k]
				for i := m.trStart[k]; i < m.trStart[k+1]; i++ {
					a += m.p[i] * vA[m.to[i]]
					b += m.p[i] * vB[m.to[i]]
				}
				// Keep the current action unless another is better by
				// more than eps, so that near-ties do not make the policy
				// flicker (the bounds use the exact maximum).
				q := a - rho*b
				if arg < 0 || q > best+eps || (k == pol[s] && q >= best-eps) {
					best, arg, bestA, bestB = q, k, a, b
				}
			}
			if pol[s] != arg {
				changed++
				pol[s] = arg
			}
		}
		d := bestA - vA[s] - rho*(bestB-vB[s])
		dmin, dmax = min(dmin, d), max(dmax, d)
		vA[s], vB[s] = bestA, bestB
	}
	cA, cB = vA[m.ref], vB[m.ref]
	for s := range vA {
		vA[s] -= cA
		vB[s] -= cB
	}
	return cA, cB, dmax - dmin, changed, nil
}

// errNoConvergence says an iteration hit its sweep limit.
var errNoConvergence = errors.New("iteration limit reached before convergence")

// solveRatio runs modified policy iteration for the ratio (pass) from the
// warm start vA, vB, pol and ρ0, and returns the current policy's ratio ρ
// and a proven bound: with fixed (evaluate pol only) a lower bound of
// pol's ratio, otherwise an upper bound of the MDP's optimal ratio.
//
// The bound comes from the Bellman residual of v = vA − ρ·vB, valid for
// any v (Odoni 1969; Puterman, Markov Decision Processes, Theorem 8.5.5):
// g*(ρ) ≤ max(Tv − v) and g_π(ρ) ≥ min(T_π v − v). A policy that settles
// b blocks per step with ratio ρ' has gain b(ρ' − ρ) at ρ; in the
// selfish-mining game every honest block extends a longest chain, so
// b ≥ 1 − α > ½ under any strategy and ρ' lies within 2·|residual| of ρ.
// The iteration stops when that margin and the residual's spread (how far
// ρ may still be from the ratio) are both below budget, checked when the
// policy and ρ have settled and every 64 sweeps; or with errNoConvergence
// after maxSweeps (the bound still valid, only looser). Near-ties within
// budget/100 keep the current action (pass's eps). Once the policy is
// fixed the sweeps are extrapolated (extrapolator). It checks ctx every
// 16,384 states.
func (m *ratioMDP) solveRatio(ctx context.Context, rho0 float64, vA, vB []float64, pol []int32, fixed bool, budget float64, maxSweeps int, sweeps *int) (rho, bound float64, err error) {
	rho = rho0
	v := make([]float64, m.n)
	// certify returns the bound and the residual's spread: when the spread
	// is small the residual is nearly the gain, so ρ is nearly the ratio
	// and the bound is tight, not merely valid.
	certify := func() (float64, float64) {
		for s := range v {
			v[s] = vA[s] - rho*vB[s]
		}
		if fixed {
			lo, hi := m.policyResidual(rho, v, pol)
			return rho - 2*max(-lo, 0), hi - lo
		}
		lo, hi := m.residual(rho, v, nil)
		return rho + 2*max(hi, 0), hi - lo
	}
	var ex extrapolator
	stable, jumped := 0, false
	for it := 0; ; it++ {
		if err := ctx.Err(); err != nil {
			return rho, 0, err
		}
		if it >= maxSweeps {
			b, _ := certify()
			return rho, b, errNoConvergence
		}
		cA, cB, span, changed, err := m.pass(ctx, rho, vA, vB, pol, fixed, budget/100)
		if err != nil {
			return rho, 0, err
		}
		*sweeps++
		if changed == 0 {
			stable++
		} else {
			stable = 0
		}
		afterJump := jumped
		jumped = ex.step(stable, span, vA, vB, m.live)
		if afterJump {
			continue // this sweep's gains measure the jump, not the policy
		}
		next := rho
		if cB > 0 {
			next = cA / cB
		}
		// At a fixed point every state's value moves by the same amount
		// in a sweep: span, the spread of the moves, measures how far the
		// relative values still are from it.
		steady := math.Abs(next-rho) < budget/10
		settled := changed == 0 && steady && span < budget
		rho = next
		if settled || (steady && it%64 == 63) {
			b, spread := certify()
			*sweeps++
			if math.Abs(b-rho) <= budget && spread <= budget {
				return rho, b, nil
			}
		}
	}
}

// policyResidual returns min and max over live states of (T_π v − v)(s)
// for the policy pol and the reward rA − ρ(rA + rH).
func (m *ratioMDP) policyResidual(rho float64, v []float64, pol []int32) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for s := 0; s < m.n; s++ {
		if m.live[s] {
			d := m.q(pol[s], rho, v) - v[s]
			lo, hi = min(lo, d), max(hi, d)
		}
	}
	return lo, hi
}

// residual returns min and max over live states of (Tv − v)(s), where T is
// the Bellman operator for the reward rA − ρ(rA + rH) (one Jacobi
// application, values not changed). For any v these bracket the optimal
// gain: min ≤ g* ≤ max (Odoni 1969; Puterman, Markov Decision Processes,
// Theorem 8.5.5).
func (m *ratioMDP) residual(rho float64, v []float64, pol []int32) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for s := 0; s < m.n; s++ {
		if !m.live[s] {
			continue
		}
		best := math.Inf(-1)
		for k := m.actStart[s]; k < m.actStart[s+1]; k++ {
			best = max(best, m.q(k, rho, v))
		}
		d := best - v[s]
		lo, hi = min(lo, d), max(hi, d)
	}
	return lo, hi
}

// extrapolator accelerates the sweeps once the policy is fixed. Then each
// sweep is a linear map whose error shrinks by its dominant eigenvalue λ
// (about 0.99 near α = ½: one sweep is one race segment, and the lead
// mixes slowly across races), so v_n ≈ v_∞ + c·λⁿ·u and
// v_∞ ≈ v_n + (v_n − v_{n−1})·λ/(1−λ), with λ measured as the ratio of two
// successive changes (Aitken's Δ², vector form). Every extrapolatePeriod
// sweeps it records two changes and jumps; if the next sweep's spread of
// changes did not at least halve, it goes back to v_{n−1} and waits
// longer. The bounds do not rely on it: they come from the residual of
// whatever values result.
type extrapolator struct {
	sA, sB []float64 // v_{n−1}
	d1     float64   // size of the first recorded change
	phase  int
	span   float64 // the spread of changes before the last jump
	check  bool
	wait   int // periods to skip after a failed jump
}

const extrapolatePeriod = 40

// step reports whether it moved the values (a jump, not an undo).
func (e *extrapolator) step(stable int, span float64, vA, vB []float64, live []bool) bool {
	if e.check {
		e.check = false
		if !(span < e.span/2) {
			copy(vA, e.sA) // undo: back to v_{n−1}
			copy(vB, e.sB)
			e.wait = min(2*e.wait+1, 16)
			e.phase = 0
			return false
		}
		e.wait = 0
	}
	if stable < 3 {
		e.phase = 0
		return false
	}
	e.phase++
	start := extrapolatePeriod * (1 + e.wait)
	switch e.phase {
	case start - 2: // remember v_{n-2}
		if e.sA == nil {
			e.sA, e.sB = make([]float64, len(vA)), make([]float64, len(vB))
		}
		copy(e.sA, vA)
		copy(e.sB, vB)
	case start - 1: // first change, then remember v_{n-1}
		e.d1 = 0
		for s := range vA {
			if live[s] {
				e.d1 += (vA[s] - e.sA[s]) * (vA[s] - e.sA[s])
			}
		}
		copy(e.sA, vA)
		copy(e.sB, vB)
	case start: // second change: λ, then jump
		e.phase = 0
		d2 := 0.0
		for s := range vA {
			if live[s] {
				d2 += (vA[s] - e.sA[s]) * (vA[s] - e.sA[s])
			}
		}
		if !(e.d1 > 0 && d2 > 0) {
			return false
		}
		lambda := math.Sqrt(d2 / e.d1)
		if !(lambda > 0.5 && lambda < 0.99995) {
			return false
		}
		f := lambda / (1 - lambda)
		for s := range vA {
			if live[s] {
				vA[s] += f * (vA[s] - e.sA[s])
				vB[s] += f * (vB[s] - e.sB[s])
			}
		}
		e.span, e.check = span, true
		return true
	}
	return false
}
