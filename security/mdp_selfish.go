package security

import (
	"context"
)

// Fork flags of Sapirshtein, Sompolinsky & Zohar (FC 2016), §3.
const (
	irrelevant = 0 // the last block was the attacker's: no match possible
	relevant   = 1 // the last block was honest and the attacker may match it
	active     = 2 // the attacker has matched: honest miners are split
)

// selfishLayout numbers the states (a, h, fork), 0 ≤ a, h ≤ T, in
// decreasing order of a + h (longer forks first), which is the order in
// which a Gauss–Seidel sweep carries values backwards through a fork.
type selfishLayout struct {
	T   int
	idx []int32 // (a*(T+1)+h)*3+fork -> state number
}

func newSelfishLayout(T int) *selfishLayout {
	l := &selfishLayout{T: T, idx: make([]int32, (T+1)*(T+1)*3)}
	n := int32(0)
	for lev := 2 * T; lev >= 0; lev-- {
		for a := max(0, lev-T); a <= min(T, lev); a++ {
			h := lev - a
			for f := 0; f < 3; f++ {
				l.idx[(a*(T+1)+h)*3+f] = n
				n++
			}
		}
	}
	return l
}

func (l *selfishLayout) at(a, h, f int) int32 { return l.idx[(a*(l.T+1)+h)*3+f] }

// winBound is the largest probability, over all strategies, that the
// attacker wins the current fork (overrides, or takes the tie through a
// match) from lead d = a − h with fork flag f, h ≥ 1. Ahead (d ≥ 1) it can
// override at once: 1. Behind, winning needs the lead to climb back to 0,
// which the attacker's blocks (probability α each) do with probability
// r^|d| for r = α/(1−α) (gambler's ruin); at d = 0 after its own block it
// then needs one more block first, and after an honest block it may match
// and win with the γ share of honest miners:
//
//	P(0, irrelevant) = r, P(d < 0) = r^(|d|+1),
//	P(0, relevant or active) = α + γ(1−α) + (1−γ)(1−α)·r².
func winBound(alpha, gamma float64, d, f int) float64 {
	r := alpha / (1 - alpha)
	switch {
	case d >= 1:
		return 1
	case d == 0 && f == irrelevant:
		return r
	case d == 0:
		return alpha + gamma*(1-alpha) + (1-gamma)*(1-alpha)*r*r
	}
	p := r
	for i := 0; i < -d && p > 0; i++ {
		p *= r
	}
	return p
}

// Selfish-mining MDP forms built by buildSelfish.
const (
	// upperForm relaxes the truncation edge so that its optimal ratio is
	// an upper bound of the untruncated optimum.
	upperForm = iota
	// shiftForm is a real strategy of the untruncated game: a policy of
	// the upper form played with the same shifts, every shift settled
	// with its exact expected value (bonuses filled in by settleShifts).
	shiftForm
)

// Action kinds, so a policy of one form can be played in the other.
const (
	actAdopt = iota
	actOverride
	actMatch
	actWait
)

// Transition settlement, for the probability that a fork ends in the
// attacker's favour.
const (
	goOn = iota
	settleWin
	settleLose
)

// selfishMDP is a ratioMDP with what buildSelfish knows about each action
// and transition.
type selfishMDP struct {
	*ratioMDP
	kind   []uint8 // per action
	settle []uint8 // per transition
	shift  []int32 // per transition: blocks shifted off both chains
	// baseA, baseH are the actions' rewards without shift bonuses.
	baseA, baseH []float64
}

// buildSelfish lays out the selfish-mining MDP of Sapirshtein, Sompolinsky
// & Zohar (FC 2016, §3) on the states (a, h, fork), 0 ≤ a, h ≤ T, in one
// of two forms. Both differ from the paper's only at the edge a = T or
// h = T, where the paper forces adopt or override (which costs a block of
// lead every time a long race reaches the edge, so its revenue converges
// slowly in T near α = ½).
//
// The dynamics depend on a and h only through the lead a − h (and h ≥ 1
// for a match): only the settlement of the fork depends on h. So a
// transition into an edge state can be redirected to the state with both
// chains shortened by k blocks, (a−k, h−k), provided the k blocks are
// settled later with the fork: to the attacker if it wins the fork (it
// overrides, or the γ share of honest miners extends its branch after a
// match), to honest miners if it adopts. With v the optimal relative
// values for the reward rA − ρ(rA + rH), a strategy copied from the
// longer state gives v(a, h) ≤ v(a−k, h−k) + k·(P_win − ρ), P_win ≤
// winBound.
//
//   - h = T, a ≥ 1: k = min(a, T−1); a = T, h ≥ 2: k = h − 1.
//   - a = 0, h = T: the attacker has no block; it must adopt.
//   - a = T, h ≤ 1 (a lead of T − 1 or more): in the shift form the
//     attacker must override, as in the paper; in the upper form the
//     transition goes to a = T − 1 with the bonus 1 + ρ·(1−α)/(1−2α) − ρ:
//     one more block of lead is worth at most that block plus the honest
//     blocks mined while the lead falls by one (expected (1−α)/(1−2α)).
//     This edge has stationary probability of order (α/(1−α))^T.
//
// upperForm uses the bound k·(winBound − ρ) and lets the attacker at
// (0, T) collect T·winBound besides. Replacing the optimal values of the
// untruncated game by these upper estimates can only raise the Bellman
// operator, so its gain is at least the untruncated one at every ρ and its
// optimal ratio is an upper bound (Puterman, Markov Decision Processes,
// Theorem 8.5.5's comparison argument; it assumes, as every selfish-mining
// analysis does, that the optimal strategy settles each fork with
// probability 1).
//
// shiftForm is a strategy of the real game: beyond the edge it plays as
// in the shortened state. Its shifts are settled with the exact
// probabilities W and L that the current fork ends in the attacker's or
// honest miners' favour (settleShifts), so its ratio is the exact revenue
// of that strategy: a lower bound of the optimum.
func buildSelfish(ctx context.Context, alpha, gamma float64, T int, l *selfishLayout, form int) (*selfishMDP, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := (T + 1) * (T + 1) * 3
	m := &selfishMDP{ratioMDP: &ratioMDP{
		actStart: make([]int32, 0, n+1),
		trStart:  make([]int32, 1, 4*n+1),
		rA:       make([]float64, 0, 4*n),
		rH:       make([]float64, 0, 4*n),
		to:       make([]int32, 0, 10*n),
		p:        make([]float64, 0, 10*n),
		live:     make([]bool, n),
	}}
	// At most 4 actions (adopt, override, match, wait) and 10
	// transitions per state: the slices are never regrown.
	m.kind = make([]uint8, 0, 4*n)
	m.baseA, m.baseH = make([]float64, 0, 4*n), make([]float64, 0, 4*n)
	m.settle = make([]uint8, 0, 10*n)
	m.shift = make([]int32, 0, 10*n)
	m.ref = int(l.at(0, 0, irrelevant))
	upper := form == upperForm
	edge := func(a, h int) bool { return a == T || h == T }
	mlead := (1 - alpha) / (1 - 2*alpha)
	// Scratch for one action's transitions.
	var bA, bH float64
	// add appends a transition into (a, h, f), redirected at the edge.
	add := func(a, h, f int, prob float64, settle uint8) {
		if prob == 0 {
			return
		}
		s, k := l.at(a, h, f), int32(0)
		if edge(a, h) && settle == goOn {
			switch {
			case h == T && a >= 1:
				k = int32(min(a, T-1))
			case a == T && h >= 2:
				k = int32(h - 1)
			case a == T && upper: // h <= 1: the lead edge
				s = l.at(a-1, h, f)
				bA += prob
				bH -= prob * mlead
			}
			if k > 0 {
				s = l.at(a-int(k), h-int(k), f)
				if upper {
					pw := winBound(alpha, gamma, a-h, f)
					bA += prob * float64(k) * pw
					bH += prob * float64(k) * (1 - pw)
				}
			}
		}
		m.to = append(m.to, s)
		m.p = append(m.p, prob)
		m.settle = append(m.settle, settle)
		m.shift = append(m.shift, k)
		m.live[s] = true
	}
	flush := func(kind uint8, rA, rH float64) {
		m.baseA = append(m.baseA, rA)
		m.baseH = append(m.baseH, rH)
		m.rA = append(m.rA, rA+bA)
		m.rH = append(m.rH, rH+bH)
		m.trStart = append(m.trStart, int32(len(m.to)))
		m.kind = append(m.kind, kind)
		bA, bH = 0, 0
	}
	ha := 1 - alpha
	for lev := 2 * T; lev >= 0; lev-- {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for a := max(0, lev-T); a <= min(T, lev); a++ {
			h := lev - a
			fh := float64(h)
			for f := 0; f < 3; f++ {
				m.addState()
				fork := f
				if fork == active && a < h {
					fork = relevant // unreachable; keep every index valid
				}
				// adopt: the attacker takes the honest chain; h blocks to
				// honest miners.
				add(1, 0, irrelevant, alpha, settleLose)
				add(0, 1, relevant, ha, settleLose)
				if upper && a == 0 && h == T {
					bonus := fh * winBound(alpha, gamma, -h, f)
					flush(actAdopt, bonus, fh-bonus)
				} else {
					flush(actAdopt, 0, fh)
				}
				// override: publish h+1 blocks; h+1 to the attacker.
				if a > h {
					add(a-h, 0, irrelevant, alpha, settleWin)
					add(a-h-1, 1, relevant, ha, settleWin)
					flush(actOverride, fh+1, 0)
				}
				if edge(a, h) {
					continue
				}
				// match (relevant, a ≥ h ≥ 1) and wait when active share
				// the race: the γ share of honest miners extends the
				// attacker's branch, which then wins h blocks.
				race := func(kind uint8) {
					add(a+1, h, active, alpha, goOn)
					add(a-h, 1, relevant, gamma*ha, settleWin)
					add(a, h+1, relevant, (1-gamma)*ha, goOn)
					flush(kind, gamma*ha*fh, 0)
				}
				if fork == relevant && a >= h && h >= 1 {
					race(actMatch)
				}
				if fork == active {
					race(actWait)
				} else {
					add(a+1, h, irrelevant, alpha, goOn)
					add(a, h+1, relevant, ha, goOn)
					flush(actWait, 0, 0)
				}
			}
		}
	}
	m.finish()
	m.live[m.ref] = true
	return m, nil
}

// mapPolicy plays pol, a policy of another form on the same layout, in
// m: the same kind of action where m has it, else (and in states the
// other form never enters: its edge) override if possible, else adopt.
func (m *selfishMDP) mapPolicy(from *selfishMDP, pol []int32) []int32 {
	out := make([]int32, m.n)
	for s := 0; s < m.n; s++ {
		want := uint8(actOverride)
		if from.live[s] {
			want = from.kind[pol[s]]
		}
		choice := int32(-1)
		for k := m.actStart[s]; k < m.actStart[s+1]; k++ {
			if m.kind[k] == want {
				choice = k
				break
			}
			if m.kind[k] == actOverride || choice < 0 {
				choice = k
			}
		}
		out[s] = choice
	}
	return out
}

// settleShifts computes, under policy pol, lower estimates W(s) of the
// probability that the fork in progress at s ends in the attacker's
// favour, and sets every shifted transition's bonus to k·W of its target
// for the attacker and k·(1 − W) for honest miners.
//
// W is the least non-negative solution of W = P_win + P W, so Gauss–Seidel
// sweeps from W = 0 increase to it and never exceed it; the sweeps stop
// when they change W by less than tol. With W ≤ the true probability and
// 1 − W ≥ the true probability L that honest miners win the fork (W + L ≤
// 1), the k shifted blocks are credited to the attacker no more and to all
// miners together no less than in the real game, so the ratio computed
// with these bonuses is at most the strategy's exact revenue: still a
// proven lower bound, however early the sweeps stop. (Stopping early only
// loosens it.)
func (m *selfishMDP) settleShifts(ctx context.Context, pol []int32, tol float64, maxSweeps int, sweeps *int) error {
	W, ok, err := m.settleStart(ctx, pol, 1e-13, min(maxSweeps, 2000), sweeps)
	if err != nil {
		return err
	}
	if !ok {
		W = make([]float64, m.n)
	}
	for it := 0; it < maxSweeps; it++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		*sweeps++
		delta := 0.0
		for s := 0; s < m.n; s++ {
			if s&(1<<14-1) == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if !m.live[s] {
				continue
			}
			k := pol[s]
			w := 0.0
			for i := m.trStart[k]; i < m.trStart[k+1]; i++ {
				switch m.settle[i] {
				case settleWin:
					w += m.p[i]
				case settleLose:
				default:
					w += m.p[i] * W[m.to[i]]
				}
			}
			delta = max(delta, w-W[s])
			W[s] = w
		}
		if delta < tol {
			break
		}
	}
	for s := 0; s < m.n; s++ {
		for k := m.actStart[s]; k < m.actStart[s+1]; k++ {
			bA, bH := 0.0, 0.0
			for i := m.trStart[k]; i < m.trStart[k+1]; i++ {
				if m.shift[i] > 0 {
					w := min(W[m.to[i]], 1)
					bA += m.p[i] * float64(m.shift[i]) * w
					bH += m.p[i] * float64(m.shift[i]) * (1 - w)
				}
			}
			m.rA[k], m.rH[k] = m.baseA[k]+bA, m.baseH[k]+bH
		}
	}
	return nil
}
