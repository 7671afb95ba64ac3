package security

import (
	"math"

	"github.com/hashlab/hashlab"
	"gonum.org/v1/gonum/mathext"
)

// RaceConvention documents how AttackRace models a double-spend race.
const RaceConvention = "the attacker's hashrate is added to today's network, whose difficulty stays " +
	"set for the honest hashrate (honest blocks every target spacing on average); no pre-mining: the " +
	"attacker starts its private chain when the merchant's transaction starts being mined; the attack " +
	"succeeds at the first moment the honest chain holds at least z blocks (the merchant has seen z " +
	"confirmations) and the attacker's chain is strictly longer; difficulty does not change during the race"

// Race is the distribution of a double-spend race's duration.
//
// Every duration is in seconds from the start of the race (the moment
// the merchant's transaction starts being mined). Durations are
// conditional on success; with q ≥ 1/2 the attack succeeds with
// probability 1. A quantile is nil when it lies beyond the computed range
// (a heavy tail with q very close to 1/2), never a made-up number.
type Race struct {
	Q          float64 `json:"q"`
	Z          int     `json:"z"`
	SpacingSec float64 `json:"target_spacing_seconds"`
	// PSuccess is the probability the attacker ever wins the race.
	PSuccess float64 `json:"p_success"`
	// MeanBlocks is the expected number of blocks (both chains) mined
	// until success, given success; exact.
	MeanBlocks float64 `json:"mean_blocks"`
	// MeanSeconds is the expected duration given success, exact:
	// MeanBlocks / (total block rate).
	MeanSeconds float64 `json:"mean_seconds"`
	// P50, P90, P99 are quantiles of the duration given success, filled
	// by Distribution (nil before).
	P50Seconds *float64 `json:"p50_seconds"`
	P90Seconds *float64 `json:"p90_seconds"`
	P99Seconds *float64 `json:"p99_seconds"`
	// HonestConfirmationSeconds is the expected time for the z honest
	// confirmations alone (z target spacings); the attack never ends
	// sooner than the merchant's z-th confirmation.
	HonestConfirmationSeconds float64 `json:"honest_confirmation_seconds"`
	Convention                string  `json:"convention"`

	pmf        []float64 // P(N = n, success) for n < len(pmf)
	cum        []float64 // cum[n] = Σ_{i<n} pmf[i]
	massInPMF  float64
	totalRate  float64
	successTot float64
}

// maxRaceBlocks caps the block-count distribution; past it the tail is
// left out and quantiles that fall there are reported as nil.
const maxRaceBlocks = 4_000_000

// ValidateRace checks the race inputs: the one definition of their bounds
// used by the CLI and the API.
func ValidateRace(q float64, z int) error {
	if !(q > 0 && q < 1) || q == 0.5 {
		return hashlab.Invalid("q (attacker share)", q, "0 < q < 1 and q != 0.5 (at one half the expected duration is infinite)")
	}
	if z < 0 || z > 1000 {
		return hashlab.Invalid("z (confirmations)", z, "0 to 1000")
	}
	return nil
}

// AttackRace computes the duration of a double-spend race for an
// attacker holding share q of the hashrate (after adding its own) against
// z confirmations, with honest blocks every spacingSec seconds on average
// (600 on mainnet). See RaceConvention for the model.
//
// Method (exact, no simulation): the sequence of blocks is a Bernoulli
// sequence (attacker's with probability q) on a Poisson process of total
// rate λ = 1/(spacing·(1−q)). The number of attacker blocks k mined
// before the z-th honest block is negative binomial,
// P(k) = C(z+k−1, k)·p^z·q^k. If k > z the attacker wins at the z-th
// honest block (N = z+k blocks). Otherwise it must climb m = z+1−k steps
// in a ±1 random walk with up-probability q; the first-passage time τ_m
// has P(τ_m = j) = (m/j)·C(j, (j+m)/2)·q^((j+m)/2)·p^((j−m)/2) (Feller,
// An Introduction to Probability Theory, vol. I, ch. III.7), with total
// mass min(1, (q/p)^m) and mean m/|2q−1| given success. Then
// E[N] = Σ_k P(k)·(z+k + 1{k≤z}·E[τ_{z+1−k} | τ<∞]) and E[T] = E[N]/λ.
// Quantiles of T mix Gamma(n, λ) over the exact pmf of N.
func AttackRace(q float64, z int, spacingSec float64) (Race, error) {
	if err := ValidateRace(q, z); err != nil {
		return Race{}, err
	}
	if !(spacingSec > 0) || math.IsInf(spacingSec, 0) {
		return Race{}, hashlab.Invalid("target spacing (s)", spacingSec, "> 0")
	}
	p := 1 - q
	r := Race{Q: q, Z: z, SpacingSec: spacingSec, Convention: RaceConvention,
		HonestConfirmationSeconds: float64(z) * spacingSec}
	lam := 1 / (spacingSec * p)
	r.totalRate = lam

	lq, lp := math.Log(q), math.Log(p)
	climbMean := func(m int) float64 { return float64(m) / math.Abs(2*q-1) }

	// Every success branch in log space, so neither a tiny P(success)
	// (a minority attacker at depth) nor the tail k > z (summed directly,
	// never as 1 − Σ_{k≤z}) loses precision: branch k ≤ z has weight
	// P(k)·min(1, (q/p)^m) and N = z+k+E[τ_m | τ_m < ∞]; branch k > z
	// has weight P(k) and N = z+k.
	lnNegbin := func(k int) float64 { return lnNegBinomial(q, z, k) }
	lnRatio := math.Min(0, lq-lp)
	type branch struct{ lw, n float64 }
	var bs []branch
	for k := 0; k <= z; k++ {
		m := z + 1 - k
		bs = append(bs, branch{lnNegbin(k) + float64(m)*lnRatio, float64(z+k) + climbMean(m)})
	}
	peak := math.Inf(-1)
	for k := z + 1; z > 0; k++ {
		lw := lnNegbin(k)
		bs = append(bs, branch{lw, float64(z + k)})
		peak = math.Max(peak, lw)
		// Terms fall by a factor → q per step past the mode.
		if float64(k) > float64(z)*q/p+10 && lw < peak-50 {
			break
		}
	}
	top := math.Inf(-1)
	for _, b := range bs {
		top = math.Max(top, b.lw)
	}
	var sum, sumN float64
	for _, b := range bs {
		w := math.Exp(b.lw - top)
		sum += w
		sumN += w * b.n
	}
	pSucc := math.Exp(top) * sum
	r.PSuccess = math.Min(pSucc, 1)
	r.successTot = pSucc
	r.MeanBlocks = sumN / sum
	r.MeanSeconds = r.MeanBlocks / lam
	return r, nil
}

// lnNegBinomial is ln P(k), the log-probability that the attacker (share
// q) mines k blocks before the z-th honest block: ln[C(z+k−1, k)·p^z·q^k];
// for z = 0 the attacker has mined none (−Inf for k > 0).
func lnNegBinomial(q float64, z, k int) float64 {
	if z == 0 {
		if k == 0 {
			return 0
		}
		return math.Inf(-1)
	}
	lg1, _ := math.Lgamma(float64(z + k))
	lg2, _ := math.Lgamma(float64(k + 1))
	lg3, _ := math.Lgamma(float64(z))
	return lg1 - lg2 - lg3 + float64(z)*math.Log(1-q) + float64(k)*math.Log(q)
}

// Distribution computes the duration's quantiles (P50, P90, P99) from
// the exact pmf of the number of blocks and enables PSuccessWithin. It
// costs a few milliseconds to tens of milliseconds (more as q nears 1/2);
// AttackRace alone gives the exact mean and P(success) in O(z).
func (r *Race) Distribution() {
	if r.cum != nil {
		return
	}
	if !(r.successTot > 1e-280) {
		// Success is too improbable for a pmf in float64: quantiles stay
		// nil and PSuccessWithin is 0.
		r.cum = []float64{0}
		return
	}
	r.pmf, r.massInPMF = racePMF(r.Q, r.Z, r.successTot)
	r.cum = make([]float64, len(r.pmf)+1)
	for n, w := range r.pmf {
		r.cum[n+1] = r.cum[n] + w
	}
	r.P50Seconds = r.quantile(0.50)
	r.P90Seconds = r.quantile(0.90)
	r.P99Seconds = r.quantile(0.99)
}

// racePMF returns P(N = n, success) for n = 0.. until the success mass is
// covered to 1e-10 or maxRaceBlocks is reached.
func racePMF(q float64, z int, pSucc float64) ([]float64, float64) {
	negbin := func(k int) float64 { return math.Exp(lnNegBinomial(q, z, k)) }
	p := 1 - q
	lq := math.Log(q)
	pmf := make([]float64, 0, 1024)
	add := func(n int, v float64) {
		for len(pmf) <= n {
			pmf = append(pmf, 0)
		}
		pmf[n] += v
	}
	var covered float64
	// k > z: N = z+k with weight negbin(k); sum until negligible.
	for k := z + 1; ; k++ {
		w := negbin(k)
		add(z+k, w)
		covered += w
		if (w < 1e-16 && float64(k) > float64(z)*q/p+10) || z+k >= maxRaceBlocks {
			break
		}
	}
	// k ≤ z: N = z+k+τ_m, m = z+1−k.
	type branch struct {
		w float64
		m int
		n int // offset z+k
	}
	var bs []branch
	for k := 0; k <= z; k++ {
		bs = append(bs, branch{negbin(k), z + 1 - k, z + k})
	}
	// f[i] holds P(τ_m = j) for branch i at its current j; the
	// recurrence f(j+2) = f(j)·j(j+1)pq / ((u+1)(d+1)), u = (j+m)/2,
	// d = (j−m)/2, follows from the closed form and starts at
	// f(m) = q^m.
	f := make([]float64, len(bs))
	for i, b := range bs {
		f[i] = math.Exp(float64(b.m) * lq)
	}
	for j := 1; covered < pSucc*(1-1e-10) && j < maxRaceBlocks; j++ {
		for i, b := range bs {
			if j < b.m || (j-b.m)%2 != 0 || b.w == 0 {
				continue
			}
			if j > b.m {
				jj := float64(j - 2)
				u, d := float64((j-2+b.m)/2), float64((j-2-b.m)/2)
				f[i] *= jj * (jj + 1) * p * q / ((u + 1) * (d + 1))
			}
			v := b.w * f[i]
			add(b.n+j, v)
			covered += v
		}
	}
	return pmf, covered
}

// cdfSeconds is P(T ≤ t, success) computed over the pmf of N.
func (r *Race) cdfSeconds(t float64) float64 {
	if t <= 0 {
		return 0
	}
	x := r.totalRate * t
	// Gamma(n, λ) puts P(T ≤ t) = P(Poisson(x) ≥ n): 1 for n well below
	// x, 0 well above; only a window of ±12 standard deviations needs the
	// incomplete gamma function.
	lo := max(1, int(x-12*math.Sqrt(x)-12))
	hi := min(len(r.pmf)-1, int(x+12*math.Sqrt(x)+12))
	s := r.cum[min(lo, len(r.pmf))]
	for n := lo; n <= hi; n++ {
		if w := r.pmf[n]; w != 0 {
			s += w * mathext.GammaIncReg(float64(n), x)
		}
	}
	return s
}

// quantile returns the duration t with P(T ≤ t | success) = f, or nil
// when f lies beyond the computed part of the distribution.
func (r *Race) quantile(f float64) *float64 {
	target := f * r.successTot
	if target > r.massInPMF {
		return nil
	}
	lo, hi := 0.0, float64(len(r.pmf)+1)/r.totalRate*2+1
	for i := 0; i < 60 && hi-lo > 1e-6*hi; i++ {
		mid := (lo + hi) / 2
		if r.cdfSeconds(mid) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	v := (lo + hi) / 2
	return &v
}

// PSuccessWithin is the probability that the attack succeeds within
// budgetSec seconds (unconditional: it includes the chance of never
// succeeding when q < 1/2). It calls Distribution if needed.
func (r *Race) PSuccessWithin(budgetSec float64) float64 {
	r.Distribution()
	return math.Min(r.cdfSeconds(budgetSec), 1)
}
