package chain

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/snapshot"
)

// HeaderInfo is one verified header with its height and cumulative work.
type HeaderInfo struct {
	Height  int64
	Offset  int64 // byte offset in the header stream
	Hash    consensus.Hash
	Prev    consensus.Hash
	Time    int64
	Bits    uint32
	Version int32
	Nonce   uint32
	// Chainwork is the cumulative work up to and including this header
	// (relative to the verifier's base). Do not modify it.
	Chainwork *big.Int
}

// Mismatch is one failed check.
type Mismatch struct {
	Height int64  `json:"height"`
	Offset int64  `json:"byte_offset"`
	Check  string `json:"check"` // pow, link, retarget, bits, chainwork
	Detail string `json:"detail"`
}

func (m Mismatch) Error() string {
	return fmt.Sprintf("chain: %s check failed at height %d (byte offset %d): %s", m.Check, m.Height, m.Offset, m.Detail)
}

// ErrMismatch is wrapped by the error Verifier.Err returns when any check
// failed.
var ErrMismatch = errors.New("chain: header verification failed")

// VerifyReport counts what was checked.
type VerifyReport struct {
	Layout            string     `json:"layout"`
	Network           string     `json:"network"`
	Headers           int64      `json:"headers_checked"`
	Links             int64      `json:"links_checked"`
	Retargets         int64      `json:"retargets_checked"`
	RetargetsFromTbl  int64      `json:"retargets_checked_with_epoch_table"`
	RetargetsSkipped  int64      `json:"retargets_unchecked"`
	BitsUnchanged     int64      `json:"in_epoch_bits_checked"`
	ChainworkCompared int64      `json:"chainwork_compared"`
	MismatchCount     int64      `json:"mismatches"`
	Mismatches        []Mismatch `json:"mismatch_list,omitempty"`
	FirstHeight       int64      `json:"first_height"`
	TipHeight         int64      `json:"tip_height"`
	TipHash           string     `json:"tip_hash"`
	TipChainwork      string     `json:"tip_chainwork"` // 64 hex digits, like getblockheader
}

// VerifyOptions configure a Verifier.
type VerifyOptions struct {
	Layout      Layout
	StartHeight int64 // first height of a contiguous file
	// BaseChainwork is the chainwork of the block before the first header
	// (nil: zero, so chainwork is relative unless the file starts at 0).
	BaseChainwork *big.Int
	// Epochs, when set, supplies the first-block timestamp of epochs whose
	// first header is not in the file, so their retargets can be checked.
	Epochs []snapshot.Epoch
	// MaxMismatches bounds the mismatches kept in the report (all are
	// counted); 0 means 100.
	MaxMismatches int
}

// Verifier checks headers one at a time, in file order, against the
// consensus rules: proof of work, prev-hash links where heights are
// consecutive, every retarget recomputed bit for bit when the previous
// epoch's first and last timestamps are known, unchanged bits inside an
// epoch (networks without min-difficulty blocks), and cumulative chainwork.
type Verifier struct {
	p        *consensus.Params
	opt      VerifyOptions
	n        int64
	prev     *HeaderInfo
	firstTS  map[int64]int64 // epoch -> first block time, seen in the file
	tblFirst map[int64]int64 // epoch -> first block time, from the table
	targets  map[uint32]consensus.Target32
	works    map[uint32]*big.Int
	cw       *big.Int
	rep      VerifyReport
}

// NewVerifier returns a verifier for params p.
func NewVerifier(p *consensus.Params, opt VerifyOptions) *Verifier {
	if opt.MaxMismatches == 0 {
		opt.MaxMismatches = 100
	}
	v := &Verifier{p: p, opt: opt, firstTS: map[int64]int64{}, tblFirst: map[int64]int64{},
		targets: map[uint32]consensus.Target32{}, works: map[uint32]*big.Int{}, cw: new(big.Int)}
	if opt.BaseChainwork != nil {
		v.cw.Set(opt.BaseChainwork)
	}
	for _, e := range opt.Epochs {
		if e.FirstTime != 0 {
			v.tblFirst[e.Epoch] = e.FirstTime
		}
	}
	v.rep.Layout, v.rep.Network = opt.Layout.String(), p.Name
	return v
}

func (v *Verifier) fail(h, off int64, check, format string, args ...any) {
	v.rep.MismatchCount++
	if len(v.rep.Mismatches) < v.opt.MaxMismatches {
		v.rep.Mismatches = append(v.rep.Mismatches, Mismatch{Height: h, Offset: off, Check: check, Detail: fmt.Sprintf(format, args...)})
	}
}

// work returns the cached work of bits (zero for invalid bits).
func (v *Verifier) work(bits uint32) *big.Int {
	w, ok := v.works[bits]
	if !ok {
		w = consensus.WorkFromBits(consensus.Bits(bits))
		v.works[bits] = w
	}
	return w
}

var bigGap = new(big.Int)

// Add verifies the next header of the file. raw must be 80 bytes; offset is
// its byte offset, used in error messages. A failed check is recorded (see
// Report and Err) and Add still returns the header's info, so one bad
// header does not hide the rest; Add returns an error only for input it
// cannot interpret.
func (v *Verifier) Add(raw []byte, offset int64) (HeaderInfo, error) {
	interval := v.p.RetargetInterval()
	h := v.opt.Layout.HeightAt(v.n, v.opt.StartHeight, interval)
	hdr, err := consensus.ParseHeader(raw)
	if err != nil {
		return HeaderInfo{}, fmt.Errorf("chain: height %d (byte offset %d): %w", h, offset, err)
	}
	info := HeaderInfo{Height: h, Offset: offset, Hash: consensus.HeaderHash(raw), Prev: hdr.PrevBlock,
		Time: hdr.Timestamp.Unix(), Bits: hdr.Bits, Version: hdr.Version, Nonce: hdr.Nonce}
	v.n++
	v.rep.Headers++
	if v.n == 1 {
		v.rep.FirstHeight = h
	}

	// Proof of work, with the target cached per bits value.
	tg, ok := v.targets[hdr.Bits]
	if !ok {
		t, err := consensus.TargetFromBits(consensus.Bits(hdr.Bits), v.p.PowLimit)
		if err != nil {
			v.fail(h, offset, "pow", "%v", err)
		} else {
			tg = consensus.NewTarget32(t)
			v.targets[hdr.Bits] = tg
			ok = true
		}
	}
	if ok && !tg.HashMeets(&info.Hash) {
		v.fail(h, offset, "pow", "hash %s is above the target of bits 0x%08x", info.Hash, hdr.Bits)
	}

	epoch := h / interval
	if h%interval == 0 {
		v.firstTS[epoch] = info.Time
	}
	if p := v.prev; p != nil {
		if h <= p.Height {
			return info, fmt.Errorf("chain: height %d (byte offset %d) does not follow height %d", h, offset, p.Height)
		}
		consecutive := h == p.Height+1
		if consecutive {
			v.rep.Links++
			if info.Prev != p.Hash {
				v.fail(h, offset, "link", "prev hash %s, but block %d is %s", info.Prev, p.Height, p.Hash)
			}
		}
		sameEpoch := p.Height/interval == epoch
		switch {
		case consecutive && h%interval == 0 && !v.p.NoRetargeting:
			v.checkRetarget(info, *p, epoch-1)
		case sameEpoch && !v.p.AllowMinDifficultyBlocks:
			v.rep.BitsUnchanged++
			if info.Bits != p.Bits {
				v.fail(h, offset, "bits", "bits 0x%08x inside the epoch starting at %d, which has 0x%08x", info.Bits, epoch*interval, p.Bits)
			}
		}
		// Chainwork: the blocks between p and h carry h's bits (same
		// epoch), or h is the only block of its epoch since p.
		bigGap.SetInt64(h - p.Height)
		v.cw.Add(v.cw, bigGap.Mul(bigGap, v.work(info.Bits)))
	} else {
		// First header: chainwork of the blocks before it in its epoch is
		// unknown unless it starts at 0 or a base was given.
		v.cw.Add(v.cw, v.work(info.Bits))
	}
	info.Chainwork = new(big.Int).Set(v.cw)
	v.prev = &info
	return info, nil
}

// checkRetarget recomputes the bits of the first block of a new epoch.
func (v *Verifier) checkRetarget(cur, last HeaderInfo, prevEpoch int64) {
	first, ok := v.firstTS[prevEpoch]
	fromTable := false
	if !ok {
		first, ok = v.tblFirst[prevEpoch]
		fromTable = ok
	}
	if !ok {
		v.rep.RetargetsSkipped++
		return
	}
	base := last.Bits
	if v.p.EnforceBIP94 {
		v.rep.RetargetsSkipped++ // needs the first block's bits; not tracked here
		return
	}
	want, err := consensus.NextBits(consensus.Bits(base), first, last.Time, v.p)
	v.rep.Retargets++
	if fromTable {
		v.rep.RetargetsFromTbl++
	}
	switch {
	case err != nil:
		v.fail(cur.Height, cur.Offset, "retarget", "%v", err)
	case want != consensus.Bits(cur.Bits):
		v.fail(cur.Height, cur.Offset, "retarget", "bits 0x%08x, consensus requires %s (epoch %d from %d to %d)", cur.Bits, want, prevEpoch, first, last.Time)
	}
}

// CompareChainwork records a check of the current tip's chainwork against
// an expected value (e.g. from a node or a CSV).
func (v *Verifier) CompareChainwork(info HeaderInfo, want *big.Int) {
	v.rep.ChainworkCompared++
	if info.Chainwork.Cmp(want) != 0 {
		v.fail(info.Height, info.Offset, "chainwork", "chainwork %064x, expected %064x", info.Chainwork, want)
	}
}

// Report returns the counts so far.
func (v *Verifier) Report() VerifyReport {
	r := v.rep
	r.Mismatches = append([]Mismatch(nil), v.rep.Mismatches...)
	if v.prev != nil {
		r.TipHeight, r.TipHash = v.prev.Height, v.prev.Hash.String()
		r.TipChainwork = fmt.Sprintf("%064x", v.prev.Chainwork)
	}
	return r
}

// Err returns nil when every check passed, else an error wrapping
// ErrMismatch that names the first failure's height and byte offset.
func (v *Verifier) Err() error {
	if v.rep.MismatchCount == 0 {
		return nil
	}
	m := v.rep.Mismatches[0]
	return fmt.Errorf("%w: %d mismatches; first: %s at height %d (byte offset %d): %s", ErrMismatch, v.rep.MismatchCount, m.Check, m.Height, m.Offset, m.Detail)
}

// EpochTableReport is the result of VerifyEpochTable.
type EpochTableReport struct {
	Rows          int64      `json:"rows"`
	Retargets     int64      `json:"retargets_checked"`
	Links         int64      `json:"next_bits_links_checked"`
	MismatchCount int64      `json:"mismatches"`
	Mismatches    []Mismatch `json:"mismatch_list,omitempty"`
}

// VerifyEpochTable recomputes every retarget of an epoch table whose row
// has both timestamps, checks that each row's bits equal the previous
// row's next_bits, and that heights are contiguous.
func VerifyEpochTable(es []snapshot.Epoch, p *consensus.Params) EpochTableReport {
	var r EpochTableReport
	fail := func(e snapshot.Epoch, check, format string, args ...any) {
		r.MismatchCount++
		if len(r.Mismatches) < 100 {
			r.Mismatches = append(r.Mismatches, Mismatch{Height: e.FirstHeight, Offset: -1, Check: check, Detail: fmt.Sprintf(format, args...)})
		}
	}
	interval := p.RetargetInterval()
	for i, e := range es {
		r.Rows++
		if e.FirstHeight != e.Epoch*interval || e.LastHeight != e.FirstHeight+interval-1 {
			fail(e, "heights", "epoch %d spans %d..%d, want %d..%d", e.Epoch, e.FirstHeight, e.LastHeight, e.Epoch*interval, e.Epoch*interval+interval-1)
		}
		if i > 0 {
			prev := es[i-1]
			if prev.Epoch+1 != e.Epoch {
				fail(e, "heights", "epoch %d follows epoch %d", e.Epoch, prev.Epoch)
			}
			if prev.NextBits != 0 {
				r.Links++
				if prev.NextBits != e.Bits {
					fail(e, "bits", "epoch %d has bits 0x%08x but epoch %d's next_bits is 0x%08x", e.Epoch, e.Bits, prev.Epoch, prev.NextBits)
				}
			}
		}
		if e.HasTimes() && e.NextBits != 0 {
			r.Retargets++
			got, err := consensus.NextBits(consensus.Bits(e.Bits), e.FirstTime, e.LastTime, p)
			if err != nil || got != consensus.Bits(e.NextBits) {
				fail(e, "retarget", "epoch %d: consensus gives %s (%v), table says 0x%08x", e.Epoch, got, err, e.NextBits)
			}
		}
	}
	return r
}
