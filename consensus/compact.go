package consensus

import (
	"errors"
	"fmt"
	"math/big"
)

// Sentinel errors for targets that Bitcoin Core's DeriveTarget rejects.
var (
	ErrNegativeTarget = errors.New("consensus: compact target is negative")
	ErrOverflowTarget = errors.New("consensus: compact target overflows 256 bits")
	ErrZeroTarget     = errors.New("consensus: compact target is zero")
	ErrAbovePowLimit  = errors.New("consensus: target is above the proof-of-work limit")
	ErrHighHash       = errors.New("consensus: block hash is above its target")
)

var (
	bigOne     = big.NewInt(1)
	twoTo256   = new(big.Int).Lsh(bigOne, 256)
	mask256    = new(big.Int).Sub(twoTo256, bigOne)
	diff1Bits  = Bits(0x1d00ffff)
	diff1Targ  = mustTarget(diff1Bits)
	diff1Float = func() float64 { f, _ := new(big.Float).SetInt(diff1Targ).Float64(); return f }()
)

func mustTarget(bits Bits) *big.Int {
	t, err := TargetFromBits(bits, nil)
	if err != nil {
		panic(err)
	}
	return t
}

// Compact is a decoded nBits value with Bitcoin Core's flags.
type Compact struct {
	// Target is the 256-bit value, truncated to 256 bits as arith_uint256
	// would hold it. It is the magnitude only; see Negative.
	Target *big.Int
	// Negative is Core's pfNegative: the sign bit 0x00800000 is set and the
	// mantissa is non-zero.
	Negative bool
	// Overflow is Core's pfOverflow: the value does not fit in 256 bits.
	Overflow bool
}

// DecodeCompact decodes nBits exactly as arith_uint256::SetCompact.
func DecodeCompact(bits Bits) Compact {
	size := uint32(bits) >> 24
	word := uint32(bits) & 0x007fffff
	t := new(big.Int)
	if size <= 3 {
		t.SetUint64(uint64(word >> (8 * (3 - size))))
	} else {
		t.SetUint64(uint64(word))
		t.Lsh(t, uint(8*(size-3)))
		t.And(t, mask256) // arith_uint256 shifts bits out of the top
	}
	if size <= 3 {
		word >>= 8 * (3 - size) // Core tests the flags on the shifted word
	}
	return Compact{
		Target:   t,
		Negative: word != 0 && uint32(bits)&0x00800000 != 0,
		Overflow: word != 0 && (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32)),
	}
}

// EncodeCompact encodes a non-negative value exactly as
// arith_uint256::GetCompact(fNegative). Values wider than 256 bits are
// truncated to 256 bits first, as arith_uint256 would.
func EncodeCompact(n *big.Int, negative bool) Bits {
	v := n
	if v.Sign() < 0 || v.BitLen() > 256 {
		v = new(big.Int).And(new(big.Int).Abs(n), mask256)
	}
	size := uint32((v.BitLen() + 7) / 8)
	var compact uint32
	if size <= 3 {
		compact = uint32(v.Uint64() << (8 * (3 - size)))
	} else {
		compact = uint32(new(big.Int).Rsh(v, uint(8*(size-3))).Uint64())
	}
	// The 0x00800000 bit denotes the sign, so if it is already set, divide
	// the mantissa by 256 and increase the exponent.
	if compact&0x00800000 != 0 {
		compact >>= 8
		size++
	}
	compact |= size << 24
	if negative && compact&0x007fffff != 0 {
		compact |= 0x00800000
	}
	return Bits(compact)
}

// BitsFromTarget is EncodeCompact for a non-negative target.
func BitsFromTarget(target *big.Int) Bits { return EncodeCompact(target, false) }

// TargetFromBits decodes nBits into a target and validates it as Bitcoin
// Core's DeriveTarget does: negative, zero and overflowing targets are
// rejected, and so is a target above powLimit when powLimit is non-nil.
func TargetFromBits(bits Bits, powLimit *big.Int) (*big.Int, error) {
	c := DecodeCompact(bits)
	switch {
	case c.Negative:
		return nil, fmt.Errorf("%w: bits %s", ErrNegativeTarget, bits)
	case c.Overflow:
		return nil, fmt.Errorf("%w: bits %s", ErrOverflowTarget, bits)
	case c.Target.Sign() == 0:
		return nil, fmt.Errorf("%w: bits %s", ErrZeroTarget, bits)
	case powLimit != nil && c.Target.Cmp(powLimit) > 0:
		return nil, fmt.Errorf("%w: bits %s, limit %s", ErrAbovePowLimit, bits, BitsFromTarget(powLimit))
	}
	return c.Target, nil
}

// Difficulty returns the difficulty of nBits as a float64, computed exactly
// as Bitcoin Core's GetDifficulty (rpc/blockchain.cpp): 0xffff divided by
// the mantissa, scaled by powers of 256 toward exponent 29.
func Difficulty(bits Bits) float64 {
	shift := int((uint32(bits) >> 24) & 0xff)
	mant := float64(uint32(bits) & 0x00ffffff)
	if mant == 0 {
		return 0
	}
	d := float64(0x0000ffff) / mant
	for shift < 29 {
		d *= 256.0
		shift++
	}
	for shift > 29 {
		d /= 256.0
		shift--
	}
	return d
}

// DifficultyRat returns the exact difficulty of a target: the mainnet
// difficulty-1 target (bits 0x1d00ffff) divided by target.
func DifficultyRat(target *big.Int) *big.Rat {
	if target.Sign() <= 0 {
		return new(big.Rat)
	}
	return new(big.Rat).SetFrac(diff1Targ, target)
}

// TargetFromDifficulty returns the target whose difficulty is d, rounded
// down (a harder target). It returns an error for d <= 0 or non-finite d.
func TargetFromDifficulty(d float64) (*big.Int, error) {
	if !(d > 0) || d > 1e300 {
		return nil, fmt.Errorf("consensus: difficulty %v out of range (must be > 0 and finite)", d)
	}
	num := new(big.Float).SetPrec(512).SetInt(diff1Targ)
	num.Quo(num, new(big.Float).SetPrec(512).SetFloat64(d))
	t, _ := num.Int(nil)
	if t.Sign() == 0 {
		t.SetInt64(1)
	}
	return t, nil
}

// Diff1Target returns the difficulty-1 target (bits 0x1d00ffff).
func Diff1Target() *big.Int { return new(big.Int).Set(diff1Targ) }

// Work returns the expected number of hashes to find a block at target:
// 2^256 / (target+1), as Core's GetBlockProof. A zero or negative target
// yields zero work.
func Work(target *big.Int) *big.Int {
	if target.Sign() <= 0 {
		return new(big.Int)
	}
	return new(big.Int).Quo(twoTo256, new(big.Int).Add(target, bigOne))
}

// WorkFromBits is Work for an nBits value; invalid bits (negative, overflow
// or zero) yield zero work, as GetBlockProof does.
func WorkFromBits(bits Bits) *big.Int {
	c := DecodeCompact(bits)
	if c.Negative || c.Overflow || c.Target.Sign() == 0 {
		return new(big.Int)
	}
	return Work(c.Target)
}
