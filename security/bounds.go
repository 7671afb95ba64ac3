package security

import (
	"math"

	"github.com/hashlab/hashlab"
)

// Range is one input bound, defined once here and called by the library,
// the CLI and the HTTP API alike, so the three accept the same values and
// print the same allowed range. Lo and Hi are the ends; LoOpen and HiOpen
// exclude them. NaN and ±Inf are never in a Range.
type Range struct {
	Lo, Hi         float64
	LoOpen, HiOpen bool
	// Allowed says the range in words for error messages, with its unit.
	Allowed string
}

// Contains reports whether v is finite and inside r.
func (r Range) Contains(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	lo := v > r.Lo || (!r.LoOpen && v == r.Lo)
	hi := v < r.Hi || (!r.HiOpen && v == r.Hi)
	return lo && hi
}

// Check returns a *hashlab.InputError naming field when v is outside r.
func (r Range) Check(field string, v float64) error {
	if r.Contains(v) {
		return nil
	}
	return hashlab.Invalid(field, v, r.Allowed)
}

// The bounds of this package's inputs.
var (
	// AnyShare is an attacker's share of hashrate for the double-spend
	// probability, which is 1 from q = 0.5 on.
	AnyShare = Range{Lo: 0, Hi: 1, HiOpen: true, Allowed: "0 <= q < 1 (a fraction of hashrate)"}
	// MinorityShare is an attacker's share where a minority is required:
	// the confirmations needed (a majority attacker succeeds at any
	// depth) and the selfish miner's α.
	MinorityShare = Range{Lo: 0, Hi: 0.5, HiOpen: true, Allowed: "0 <= q < 0.5 (a minority share of hashrate)"}
	// ReportShare is the security report's attacker share at the start:
	// a positive minority.
	ReportShare = Range{Lo: 0, Hi: 0.5, LoOpen: true, HiOpen: true, Allowed: "0 < share < 0.5 (a fraction of hashrate)"}
	// Risk is an accepted double-spend success probability.
	Risk = Range{Lo: 0, Hi: 1, LoOpen: true, HiOpen: true, Allowed: "0 < risk < 1 (a probability)"}
	// Gamma is the share of honest miners that mine on the selfish
	// miner's block in a tie.
	Gamma = Range{Lo: 0, Hi: 1, Allowed: "0 <= gamma <= 1 (a fraction of honest hashrate)"}
	// Accuracy is the selfish-mining solver's requested accuracy, the
	// bound ValidSelfishAccuracy enforces (MinSelfishAccuracy to
	// MaxSelfishAccuracy), as a Range.
	Accuracy = Range{Lo: MinSelfishAccuracy, Hi: MaxSelfishAccuracy, Allowed: SelfishAccuracyAllowed}
)

// MaxConfirmations is the largest confirmation depth z the report and the
// double-spend tables accept.
const MaxConfirmations = 1000

// CheckConfirmations checks a confirmation depth: 0 to MaxConfirmations.
func CheckConfirmations(field string, z int) error {
	if z < 0 || z > MaxConfirmations {
		return hashlab.Invalid(field, z, "0 to 1000 blocks")
	}
	return nil
}
