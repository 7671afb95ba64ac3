package security

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Method selects the double-spend probability formula.
type Method string

const (
	// Nakamoto is the whitepaper's §11 formula: the attacker's progress
	// while the merchant waits for z blocks is approximated as Poisson with
	// mean z·q/p.
	Nakamoto Method = "nakamoto"
	// Exact is the closed form of Grunspan & Pérez-Marco, "Double spend
	// races" (2018): P = I_{4pq}(z, 1/2), the regularized incomplete beta
	// function. It accounts for the attacker's progress exactly (negative
	// binomial), and Nakamoto's formula underestimates it.
	Exact Method = "exact"
)

// ParseMethod reads a method name.
func ParseMethod(s string) (Method, error) {
	switch Method(s) {
	case Nakamoto, Exact:
		return Method(s), nil
	}
	return "", inputErr("method", s, "nakamoto or exact")
}

func validQZ(q float64, z int) error {
	if err := AnyShare.Check("q", q); err != nil {
		return err
	}
	if z < 0 {
		return inputErr("z (confirmations)", z, ">= 0")
	}
	return nil
}

// DoubleSpendProbability returns the probability that an attacker with
// hashrate share q ever catches up from z confirmations behind.
func DoubleSpendProbability(q float64, z int, m Method) (float64, error) {
	if err := validQZ(q, z); err != nil {
		return 0, err
	}
	if q >= 0.5 {
		return 1, nil
	}
	if q == 0 {
		if z == 0 {
			return 1, nil
		}
		return 0, nil
	}
	switch m {
	case Nakamoto:
		return nakamotoP(q, z), nil
	case Exact:
		return exactP(q, z), nil
	}
	return 0, inputErr("method", string(m), "nakamoto or exact")
}

// nakamotoP is the whitepaper's AttackerSuccessProbability, computed in
// the same order as its C code.
func nakamotoP(q float64, z int) float64 {
	p := 1 - q
	lambda := float64(z) * (q / p)
	sum := 1.0
	for k := 0; k <= z; k++ {
		poisson := math.Exp(-lambda)
		for i := 1; i <= k; i++ {
			poisson *= lambda / float64(i)
		}
		sum -= poisson * (1 - math.Pow(q/p, float64(z-k)))
	}
	return max(sum, 0)
}

// exactP is Grunspan & Pérez-Marco's P(z) = I_{4pq}(z, 1/2), with P(0)=1.
func exactP(q float64, z int) float64 {
	if z == 0 {
		return 1
	}
	p := 1 - q
	return mathext.RegIncBeta(float64(z), 0.5, 4*p*q)
}

// ConfirmationsFor returns the smallest z with DoubleSpendProbability(q, z)
// < risk. It fails for q >= 0.5 (no number of confirmations suffices) and
// when more than maxZ would be needed.
func ConfirmationsFor(q, risk float64, m Method) (int, error) {
	const maxZ = 100000
	if err := MinorityShare.Check("q", q); err != nil {
		return 0, err
	}
	if err := Risk.Check("risk", risk); err != nil {
		return 0, err
	}
	// P(z) decreases in z: exponential search, then bisection.
	lo, hi := 0, 1
	for {
		p, err := DoubleSpendProbability(q, hi, m)
		if err != nil {
			return 0, err
		}
		if p < risk {
			break
		}
		lo = hi
		hi *= 2
		if hi > maxZ {
			return 0, inputErr("risk", risk, "a value reachable within 100,000 confirmations at this q")
		}
	}
	for lo+1 < hi {
		mid := (lo + hi) / 2
		if p, _ := DoubleSpendProbability(q, mid, m); p < risk {
			hi = mid
		} else {
			lo = mid
		}
	}
	if p, _ := DoubleSpendProbability(q, lo, m); p < risk {
		return lo, nil
	}
	return hi, nil
}

// RiskOverTime evaluates the double-spend probability at z confirmations
// for each attacker share of a path (e.g. a fixed attacker as honest
// hashrate leaves: share_t = A / (A + H_t)).
func RiskOverTime(shares []float64, z int, m Method) ([]float64, error) {
	out := make([]float64, len(shares))
	for i, q := range shares {
		p, err := DoubleSpendProbability(q, z, m)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// AttackerShare is the share an attacker with attackerHs holds against
// honestHs.
func AttackerShare(attackerHs, honestHs float64) float64 {
	if attackerHs <= 0 {
		return 0
	}
	return attackerHs / (attackerHs + honestHs)
}
