package consensus

import (
	"fmt"
	"math/big"
)

// HeaderCtx is the little a retarget needs to know about a block: the
// caller supplies it (an in-memory header chain, a database row, a
// simulator state). Ancestor returns nil when the block is not known.
type HeaderCtx interface {
	Height() int64
	Bits() Bits
	Timestamp() int64
	Ancestor(height int64) HeaderCtx
}

// ClampTimespan limits an observed epoch timespan to [T/4, 4T], the 4x
// bound of Core's CalculateNextWorkRequired.
func ClampTimespan(actualSec int64, p *Params) int64 {
	lo, hi := p.TargetTimespanSec/4, p.TargetTimespanSec*4
	return min(max(actualSec, lo), hi)
}

// RetargetTarget returns the new target for the next epoch, given the
// target the epoch is based on and the observed timespan between the
// epoch's first and last block timestamps. It is Core's
// CalculateNextWorkRequired in target form: clamp, multiply, divide
// (integer, truncating), cap at powLimit. The arithmetic is 256-bit, as
// arith_uint256: an intermediate that overflows 256 bits wraps.
func RetargetTarget(base *big.Int, firstTime, lastTime int64, p *Params) *big.Int {
	span := ClampTimespan(lastTime-firstTime, p)
	t := new(big.Int).Mul(base, big.NewInt(span))
	t.And(t, mask256)
	t.Quo(t, big.NewInt(p.TargetTimespanSec))
	if t.Cmp(p.PowLimit) > 0 {
		t.Set(p.PowLimit)
	}
	return t
}

// NextBits computes the nBits of the first block of a new epoch from the
// previous epoch's bits and its first and last block timestamps (Unix
// seconds). This is the whole mainnet retarget rule; note that Core
// measures the timespan over 2015 intervals (first to last block of the
// epoch), not 2016. Invalid prevBits give an error.
func NextBits(prevBits Bits, firstTime, lastTime int64, p *Params) (Bits, error) {
	if p.NoRetargeting {
		return prevBits, nil
	}
	base := DecodeCompact(prevBits)
	if base.Negative || base.Overflow {
		return 0, fmt.Errorf("consensus: prev bits %s is not a valid target (negative=%v overflow=%v)", prevBits, base.Negative, base.Overflow)
	}
	return BitsFromTarget(RetargetTarget(base.Target, firstTime, lastTime, p)), nil
}

// IsRetargetHeight reports whether a block at height starts a new epoch.
func IsRetargetHeight(height int64, p *Params) bool {
	return height > 0 && height%p.RetargetInterval() == 0
}

// NextWorkRequired returns the nBits required of the block that follows
// last, with timestamp newTime, as Core's GetNextWorkRequired. It walks the
// chain through HeaderCtx: to the epoch's first block at a retarget, and,
// on networks with AllowMinDifficultyBlocks, back over min-difficulty
// blocks.
func NextWorkRequired(last HeaderCtx, newTime int64, p *Params) (Bits, error) {
	if last == nil {
		return p.PowLimitBits, nil // genesis
	}
	interval := p.RetargetInterval()
	if (last.Height()+1)%interval != 0 {
		if p.AllowMinDifficultyBlocks {
			// A block more than twice the spacing late may be min-difficulty.
			if newTime > last.Timestamp()+2*p.TargetSpacingSec {
				return p.PowLimitBits, nil
			}
			// Otherwise: the last block that was not a special
			// min-difficulty one.
			b := last
			for b.Height()%interval != 0 && b.Bits() == p.PowLimitBits {
				prev := b.Ancestor(b.Height() - 1)
				if prev == nil {
					break
				}
				b = prev
			}
			return b.Bits(), nil
		}
		return last.Bits(), nil
	}
	if p.NoRetargeting {
		return last.Bits(), nil
	}
	firstHeight := last.Height() - (interval - 1)
	first := last.Ancestor(firstHeight)
	if first == nil {
		return 0, fmt.Errorf("consensus: retarget after height %d needs the header at height %d", last.Height(), firstHeight)
	}
	baseBits := last.Bits()
	if p.EnforceBIP94 {
		baseBits = first.Bits()
	}
	return NextBits(baseBits, first.Timestamp(), last.Timestamp(), p)
}
