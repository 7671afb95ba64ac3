package consensus

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// HeaderSize is the size of a serialised block header.
const HeaderSize = 80

// Hash is a block hash in internal (little-endian) byte order, as
// chainhash.Hash; String prints display order.
type Hash = chainhash.Hash

// ParseHeader decodes an 80-byte serialised block header.
func ParseHeader(raw []byte) (*wire.BlockHeader, error) {
	if len(raw) != HeaderSize {
		return nil, fmt.Errorf("consensus: header is %d bytes, want %d", len(raw), HeaderSize)
	}
	h := &wire.BlockHeader{
		Version:   int32(binary.LittleEndian.Uint32(raw[0:4])),
		Timestamp: time.Unix(int64(binary.LittleEndian.Uint32(raw[68:72])), 0),
		Bits:      binary.LittleEndian.Uint32(raw[72:76]),
		Nonce:     binary.LittleEndian.Uint32(raw[76:80]),
	}
	copy(h.PrevBlock[:], raw[4:36])
	copy(h.MerkleRoot[:], raw[36:68])
	return h, nil
}

// HeaderHash returns SHA256d of a serialised header (internal byte order).
func HeaderHash(raw []byte) Hash {
	first := sha256.Sum256(raw)
	return Hash(sha256.Sum256(first[:]))
}

// HashToBig interprets a block hash as the 256-bit number compared with the
// target (the internal byte order is little-endian).
func HashToBig(h *Hash) *big.Int {
	var be [32]byte
	for i := range 32 {
		be[i] = h[31-i]
	}
	return new(big.Int).SetBytes(be[:])
}

// CheckProofOfWork reports whether hash satisfies bits under p, as Core's
// CheckProofOfWork: the target must be valid (DeriveTarget) and the hash
// not above it.
func CheckProofOfWork(hash *Hash, bits Bits, p *Params) error {
	target, err := TargetFromBits(bits, p.PowLimit)
	if err != nil {
		return err
	}
	if HashToBig(hash).Cmp(target) > 0 {
		return fmt.Errorf("%w: hash %s, bits %s", ErrHighHash, hash, bits)
	}
	return nil
}

// hashAtMost compares a little-endian hash with a target without
// allocating: it is the hot path of header verification.
func hashAtMost(h *Hash, target *[32]byte) bool {
	for i := 31; i >= 0; i-- {
		if h[i] != target[i] {
			return h[i] < target[i]
		}
	}
	return true
}

// Target32 holds a target as 32 little-endian bytes, for allocation-free
// comparison with hashes.
type Target32 [32]byte

// NewTarget32 converts a target of at most 256 bits.
func NewTarget32(t *big.Int) Target32 {
	var out Target32
	b := t.Bytes()
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}

// HashMeets reports whether h <= target.
func (t *Target32) HashMeets(h *Hash) bool { return hashAtMost(h, (*[32]byte)(t)) }
