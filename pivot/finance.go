package pivot

import (
	"errors"
	"fmt"
	"math"

	"github.com/hashlab/hashlab"
)

// ErrNoIRR is returned when cash flows have no internal rate of return.
var ErrNoIRR = errors.New("pivot: no internal rate of return")

// inputErr returns the one input-error type, *hashlab.InputError
// (errors.Is(err, hashlab.ErrInput) holds).
func inputErr(field string, value any, allowed string) error {
	return hashlab.Invalid(field, value, allowed)
}

// NPV discounts yearly cash flows at rate; flows[0] is at t=0 (not
// discounted), flows[t] at the end of year t.
func NPV(rate float64, flows []float64) float64 {
	v, d := 0.0, 1.0
	for _, f := range flows {
		v += f / d
		d *= 1 + rate
	}
	return v
}

// IRR returns the rate r > -1 with NPV(r, flows) = 0. Flows must change
// sign; all-negative or all-positive flows give ErrNoIRR. With several
// sign changes there may be several roots: IRR returns the smallest root
// above −99% found by scanning, and documents that choice.
func IRR(flows []float64) (float64, error) {
	if len(flows) < 2 {
		return 0, fmt.Errorf("%w: need at least 2 cash flows, got %d", ErrNoIRR, len(flows))
	}
	pos, neg := false, false
	for _, f := range flows {
		pos = pos || f > 0
		neg = neg || f < 0
	}
	if !pos || !neg {
		return 0, fmt.Errorf("%w: cash flows never change sign (all %s)", ErrNoIRR, map[bool]string{true: "non-negative", false: "non-positive"}[pos])
	}
	// Scan for a bracket on a log-ish grid, then bisect.
	prevR := -0.99
	prevV := NPV(prevR, flows)
	for r := -0.98; r <= 100; r += max(0.01, math.Abs(r)*0.05) {
		v := NPV(r, flows)
		if prevV == 0 {
			return prevR, nil
		}
		if math.Signbit(v) != math.Signbit(prevV) {
			lo, hi := prevR, r
			for range 200 {
				mid := (lo + hi) / 2
				if math.Signbit(NPV(mid, flows)) == math.Signbit(prevV) {
					lo = mid
				} else {
					hi = mid
				}
			}
			return (lo + hi) / 2, nil
		}
		prevR, prevV = r, v
	}
	return 0, fmt.Errorf("%w: no root between -99%% and 10,000%%", ErrNoIRR)
}

// Payback returns the time in years until cumulative undiscounted cash
// flow turns non-negative, interpolating within the year; ok is false if
// it never does.
func Payback(flows []float64) (years float64, ok bool) {
	cum := 0.0
	for t, f := range flows {
		prev := cum
		cum += f
		if cum >= 0 && (t == 0 || prev < 0) {
			if t == 0 {
				return 0, true
			}
			return float64(t-1) + -prev/f, true
		}
	}
	return 0, false
}
