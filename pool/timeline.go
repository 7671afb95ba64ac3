package pool

import (
	"math"
	"sort"

	"github.com/hashlab/hashlab/consensus"
)

// two32 is 2^32: one difficulty-1 share is expected every 2^32 hashes.
const two32 = 4294967296.0

// Regime is what a block pays and how hard it is to find, in force from
// FromUnix until the next regime of a Timeline.
type Regime struct {
	FromUnix int64          `json:"from_unix"`
	Bits     consensus.Bits `json:"bits"`
	Subsidy  consensus.Sats `json:"subsidy_sats"`
}

// Timeline is the sequence of regimes, ascending by FromUnix: a new one
// begins at the header time of the first block of each difficulty epoch
// and of each halving.
type Timeline []Regime

// Observe extends tl with a block at header time t (Unix s) whose nBits
// and subsidy are bits and subsidy, in height order: a regime starts
// when either differs from the last one. A timestamp earlier than the
// last regime's start (header times are not monotonic) is clamped to it.
func (tl Timeline) Observe(t int64, bits consensus.Bits, subsidy consensus.Sats) Timeline {
	if n := len(tl); n > 0 {
		last := tl[n-1]
		if last.Bits == bits && last.Subsidy == subsidy {
			return tl
		}
		if t < last.FromUnix {
			t = last.FromUnix
		}
	}
	return append(tl, Regime{FromUnix: t, Bits: bits, Subsidy: subsidy})
}

// EpochTimes is one difficulty epoch as the epoch table holds it:
// heights, nBits and the header times of its first and last blocks
// (LastTime 0 when unknown).
type EpochTimes struct {
	FirstHeight, LastHeight int64
	Bits                    consensus.Bits
	FirstTime, LastTime     int64
}

// TimelineFromEpochs builds a timeline from an epoch table, for when the
// blocks themselves are not at hand: each epoch's regime starts at its
// first block's time; a halving inside an epoch is placed at the time
// interpolated linearly between the epoch's first and last block times
// (at the target spacing when the last time is unknown). Epochs without
// a first time are skipped.
func TimelineFromEpochs(epochs []EpochTimes, p *consensus.Params) Timeline {
	if p == nil {
		p = consensus.MainNet
	}
	es := append([]EpochTimes(nil), epochs...)
	sort.Slice(es, func(i, j int) bool { return es[i].FirstHeight < es[j].FirstHeight })
	var tl Timeline
	for _, e := range es {
		if e.FirstTime == 0 {
			continue
		}
		tl = tl.Observe(e.FirstTime, e.Bits, consensus.BlockSubsidy(e.FirstHeight, p))
		for h := consensus.NextHalvingHeight(e.FirstHeight, p); h <= e.LastHeight && h > e.FirstHeight; h = consensus.NextHalvingHeight(h, p) {
			var t int64
			if e.LastTime > e.FirstTime && e.LastHeight > e.FirstHeight {
				t = e.FirstTime + (h-e.FirstHeight)*(e.LastTime-e.FirstTime)/(e.LastHeight-e.FirstHeight)
			} else {
				t = e.FirstTime + (h-e.FirstHeight)*p.TargetSpacingSec
			}
			tl = tl.Observe(t, e.Bits, consensus.BlockSubsidy(h, p))
		}
	}
	return tl
}

// Span is a stretch of time at one regime.
type Span struct {
	Seconds float64
	Regime
}

// Spans cuts [from, to) (Unix s) into the regimes in force; ok is false
// when from is before the first regime (the difficulty is unknown
// there). The last regime lasts for ever.
func (tl Timeline) Spans(from, to int64) (spans []Span, ok bool) {
	if len(tl) == 0 || from < tl[0].FromUnix {
		return nil, false
	}
	i := sort.Search(len(tl), func(i int) bool { return tl[i].FromUnix > from }) - 1
	for t := from; t < to && i < len(tl); i++ {
		end := to
		if i+1 < len(tl) && tl[i+1].FromUnix < end {
			end = tl[i+1].FromUnix
		}
		if end > t {
			spans = append(spans, Span{Seconds: float64(end - t), Regime: tl[i]})
			t = end
		}
	}
	return spans, true
}

// BlocksPerHash is the expected number of blocks one hash finds at bits:
// 1/(D × 2^32).
func BlocksPerHash(bits consensus.Bits) float64 {
	return 1 / (consensus.Difficulty(bits) * two32)
}

// ExpectedBlocks is the number of blocks hashrateHs is expected to find
// over [from, to): Σ hashrate × seconds / (D × 2^32) over the spans. It is
// NaN when the timeline does not cover from.
func (tl Timeline) ExpectedBlocks(hashrateHs float64, from, to int64) float64 {
	spans, ok := tl.Spans(from, to)
	if !ok {
		return math.NaN()
	}
	sum := 0.0
	for _, s := range spans {
		sum += hashrateHs * s.Seconds * BlocksPerHash(s.Bits)
	}
	return sum
}

// Hashvalue is what 1 PH/s is expected to earn over [from, to), in sats,
// split into subsidy and fees (feesPerBlock on every block). Both are
// NaN when the timeline does not cover from.
func (tl Timeline) Hashvalue(from, to int64, feesPerBlock consensus.Sats) (subsidySats, feeSats float64) {
	spans, ok := tl.Spans(from, to)
	if !ok {
		return math.NaN(), math.NaN()
	}
	for _, s := range spans {
		blocks := 1e15 * s.Seconds * BlocksPerHash(s.Bits)
		subsidySats += blocks * float64(s.Subsidy)
		feeSats += blocks * float64(feesPerBlock)
	}
	return subsidySats, feeSats
}
