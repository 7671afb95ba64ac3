package chain

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// Chainwork is a cumulative amount of work (expected hashes), exact and
// fixed-width so that a verifier can carry it per header without
// allocating: the value is over·2²⁵⁶ + w, w in little-endian 64-bit limbs.
// All of Bitcoin's work so far is below 2⁹⁶, so w holds any real chain;
// over takes what a hostile file of maximal-work headers adds above
// 2²⁵⁶ (one header's work times its gap is below 2³¹⁹, so over stays
// exact for any file shorter than 2⁶⁰ headers).
type Chainwork struct {
	w    [4]uint64
	over uint64
}

// ChainworkFromBig converts a non-negative integer below 2³²⁰ (a
// verifier's base chainwork: all of Bitcoin's is below 2⁹⁶); a negative
// one is taken as its absolute value, and only the low 320 bits of a
// larger one are kept.
func ChainworkFromBig(x *big.Int) Chainwork {
	var c Chainwork
	var buf [40]byte
	abs := new(big.Int).Abs(x)
	b := abs.Bytes()
	if len(b) > len(buf) {
		b = b[len(b)-len(buf):] // beyond 2^320: not a chainwork
	}
	copy(buf[len(buf)-len(b):], b)
	c.over = binary.BigEndian.Uint64(buf[0:8])
	for i := range 4 {
		c.w[i] = binary.BigEndian.Uint64(buf[32-8*i : 40-8*i])
	}
	return c
}

// Big returns the chainwork as a new big.Int.
func (c Chainwork) Big() *big.Int {
	var buf [40]byte
	binary.BigEndian.PutUint64(buf[0:8], c.over)
	for i := range 4 {
		binary.BigEndian.PutUint64(buf[32-8*i:40-8*i], c.w[i])
	}
	return new(big.Int).SetBytes(buf[:])
}

// Cmp compares the chainwork with y as big.Int.Cmp does.
func (c Chainwork) Cmp(y *big.Int) int { return c.Big().Cmp(y) }

// String prints the chainwork as 64 hex digits (more when it is wider),
// as getblockheader does.
func (c Chainwork) String() string {
	s := c.Big().Text(16)
	if len(s) < 64 {
		s = "0000000000000000000000000000000000000000000000000000000000000000"[len(s):] + s
	}
	return s
}

// add adds w, a 256-bit value in little-endian limbs.
func (c *Chainwork) add(w *[4]uint64) {
	var cc uint64
	c.w[0], cc = bits.Add64(c.w[0], w[0], 0)
	c.w[1], cc = bits.Add64(c.w[1], w[1], cc)
	c.w[2], cc = bits.Add64(c.w[2], w[2], cc)
	c.w[3], cc = bits.Add64(c.w[3], w[3], cc)
	c.over += cc
}

// addMul adds w·k, w a 256-bit value in little-endian limbs.
func (c *Chainwork) addMul(w *[4]uint64, k uint64) {
	if k == 1 {
		c.add(w)
		return
	}
	var cc uint64
	var carry uint64
	for i := range 4 {
		hi, lo := bits.Mul64(w[i], k)
		lo, cl := bits.Add64(lo, carry, 0)
		carry = hi + cl
		c.w[i], cc = bits.Add64(c.w[i], lo, cc)
	}
	c.over += carry + cc
}

// words256 converts a value below 2²⁵⁶ (a header's work) to little-endian
// limbs.
func words256(x *big.Int) [4]uint64 {
	var buf [32]byte
	x.FillBytes(buf[:])
	var w [4]uint64
	for i := range 4 {
		w[i] = binary.BigEndian.Uint64(buf[24-8*i : 32-8*i])
	}
	return w
}
