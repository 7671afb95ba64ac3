package chain

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"runtime"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/snapshot"
)

// HeaderInfo is one verified header with its height and cumulative work.
type HeaderInfo struct {
	Height  int64
	Offset  int64 // byte offset in the header stream
	Hash    consensus.Hash
	Prev    consensus.Hash
	Time    int64 // Unix seconds
	Bits    consensus.Bits
	Version int32
	Nonce   uint32
	// Chainwork is the cumulative work up to and including this header
	// (relative to the verifier's base), a fixed-width value: copying a
	// HeaderInfo allocates nothing.
	Chainwork Chainwork
}

// Record returns the header's fields as a BlockRecord of source
// "headers", with the subsidy at its height on network p.
func (h HeaderInfo) Record(p *consensus.Params) BlockRecord {
	return BlockRecord{Height: h.Height, Hash: h.Hash, PrevHash: h.Prev, Time: h.Time, Bits: h.Bits,
		Version: h.Version, Nonce: h.Nonce, SubsidySats: consensus.BlockSubsidy(h.Height, p), Source: "headers"}
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

// ErrNoHeaders is the cause of the input error Run returns for a source
// without a single header.
var ErrNoHeaders = errors.New("chain: no headers")

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
	BitsSkipped       int64      `json:"in_epoch_bits_unchecked,omitempty"`
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
	// Epochs, when set, supplies the first block (time and bits) of
	// epochs whose first header is not in the file, so their retargets
	// can be checked. It must be the table of the verifier's network
	// (snapshot.Epochs() is mainnet's), and not be modified while the
	// verifier is in use.
	Epochs []snapshot.Epoch
	// MaxMismatches bounds the mismatches kept in the report (all are
	// counted); 0 means 100.
	MaxMismatches int
	// SkipChecks only parses: heights, hashes and chainwork are computed,
	// no consensus rule is checked (an import with --no-verify).
	SkipChecks bool
	// Workers is the number of goroutines Run hashes on (at most 64); 0
	// means GOMAXPROCS, 1 reads, hashes and checks one header at a time.
	Workers int
}

// Verifier checks headers one at a time, in file order, against the
// consensus rules of its network: proof of work; prev-hash links where
// heights are consecutive; and the nBits of every header whose
// predecessor is known, as consensus.NextWorkRequired (Core's
// GetNextWorkRequired) computes it: every retarget bit for bit (BIP94 on
// testnet4 included) when the ended epoch's first block is known (from the
// file or the epoch table), and inside an epoch the unchanged bits, or on
// testnet3/testnet4 the 20-minute minimum-difficulty rule and the walk
// back over minimum-difficulty blocks. It also sums chainwork.
//
// The Verifier is the consensus.HeaderCtx of the headers it has seen: it
// keeps the current and the previous epoch's headers (height, bits,
// time), which is all the rules ever look at. A Verifier is not safe for
// concurrent use; distinct Verifiers are independent.
type Verifier struct {
	p        *consensus.Params
	opt      VerifyOptions
	interval int64
	n        int64
	prev     prevHeader
	hasPrev  bool
	// prev's epoch and its position in the epoch (height%interval).
	prevEpoch, prevPos int64
	// win[e%2] holds epoch e's headers by height%interval (an entry
	// whose h1 is not its height+1 is unknown: left from an older epoch,
	// or never set); winEpoch says which epoch each half holds. Together
	// they are the current and the previous epoch.
	win      [2][]winEntry
	winEpoch [2]int64
	// fullWin: the window keeps every header of the two epochs, as the
	// minimum-difficulty rule's walk back needs. Without that rule the
	// checks only ever ask for the header before (prev) and the first
	// header of an epoch, so the window keeps those alone (win[h][0]).
	fullWin bool
	// lookup hands out the window's headers in these slots, in turn: a
	// check holds at most three at once (the last header, the ended
	// epoch's first, and that first again for a message).
	slots    [4]ctxHeader
	nextSlot int
	tbl      map[int64]snapshot.Epoch // see tableEpoch
	tblState int8
	tblHdr   ctxHeader // the epoch-table header Ancestor returns last
	targets  map[consensus.Bits]consensus.Target32
	works    map[consensus.Bits][4]uint64
	// The bits of the previous header, with its target and work: bits
	// change once an epoch, so the maps are asked once an epoch.
	lastBits   consensus.Bits
	lastOK     bool // lastTarget is valid (the bits decode)
	haveLast   bool
	lastTarget [4]uint64 // little-endian limbs
	lastWork   [4]uint64
	cw         Chainwork
	// Set by ctxHeader.Ancestor during one NextWorkRequired call.
	missed, fromTable bool
	rep               VerifyReport
}

// prevHeader is what the checks of the next header need of the one
// before it (its chainwork is the verifier's cw).
type prevHeader struct {
	Height int64
	Hash   consensus.Hash
	Bits   consensus.Bits
	Time   int64
}

// winEntry is one header of the window: no pointer, so the window is
// neither scanned by the garbage collector nor cleared between epochs.
type winEntry struct {
	h1   int64  // height+1; 0 for an empty entry
	time uint32 // a header's time is 32 bits
	bits consensus.Bits
}

// ctxHeader is one header as consensus.HeaderCtx sees it.
type ctxHeader struct {
	v      *Verifier
	height int64
	bits   consensus.Bits
	time   int64
}

func (c *ctxHeader) Height() int64        { return c.height }
func (c *ctxHeader) Bits() consensus.Bits { return c.bits }
func (c *ctxHeader) Timestamp() int64     { return c.time }

// Ancestor returns a header of the window, or the first block of an
// epoch from the epoch table; nil (and a note that the check could not be
// made) when neither knows it.
func (c *ctxHeader) Ancestor(height int64) consensus.HeaderCtx {
	v := c.v
	if height > c.height || height < 0 {
		return nil
	}
	if h := v.lookup(height); h != nil {
		return h
	}
	if height%v.interval == 0 {
		if e, ok := v.tableEpoch(height / v.interval); ok {
			v.fromTable = true
			v.tblHdr = ctxHeader{v: v, height: height, bits: consensus.Bits(e.Bits), time: e.FirstTime}
			return &v.tblHdr
		}
	}
	v.missed = true
	return nil
}

// NewVerifier returns a verifier for params p.
func NewVerifier(p *consensus.Params, opt VerifyOptions) *Verifier {
	if opt.MaxMismatches == 0 {
		opt.MaxMismatches = 100
	}
	interval := p.RetargetInterval()
	v := &Verifier{p: p, opt: opt, interval: interval, winEpoch: [2]int64{-1, -1},
		fullWin: p.AllowMinDifficultyBlocks,
		targets: map[consensus.Bits]consensus.Target32{},
		works:   map[consensus.Bits][4]uint64{}}
	if opt.BaseChainwork != nil {
		v.cw = ChainworkFromBig(opt.BaseChainwork)
	}
	n := int64(1)
	if v.fullWin {
		n = interval
	}
	v.win = [2][]winEntry{make([]winEntry, n), make([]winEntry, n)}
	v.rep.Layout, v.rep.Network = opt.Layout.String(), p.Name
	return v
}

// tableEpoch returns epoch e's row of the epoch table when it has the
// first block's time and bits. A table of every epoch in order from 0
// (snapshot.Epochs()) is indexed as it is; any other is put in a map
// (the last row of an epoch wins), on first use: most files never ask.
func (v *Verifier) tableEpoch(e int64) (snapshot.Epoch, bool) {
	es := v.opt.Epochs
	if v.tblState == tblUnknown {
		v.tblState = tblIndexed
		for i := range es {
			if es[i].Epoch != int64(i) {
				v.tblState = tblMap
				break
			}
		}
		if v.tblState == tblMap {
			v.tbl = map[int64]snapshot.Epoch{}
			for _, x := range es {
				if x.FirstTime != 0 && x.Bits != 0 {
					v.tbl[x.Epoch] = x
				}
			}
		}
	}
	if v.tblState == tblMap {
		x, ok := v.tbl[e]
		return x, ok
	}
	if e < 0 || e >= int64(len(es)) {
		return snapshot.Epoch{}, false
	}
	x := es[e]
	return x, x.FirstTime != 0 && x.Bits != 0
}

const (
	tblUnknown = iota
	tblIndexed
	tblMap
)

func (v *Verifier) fail(h, off int64, check, format string, args ...any) {
	v.rep.MismatchCount++
	if len(v.rep.Mismatches) < v.opt.MaxMismatches {
		v.rep.Mismatches = append(v.rep.Mismatches, Mismatch{Height: h, Offset: off, Check: check, Detail: fmt.Sprintf(format, args...)})
	}
}

// setBits makes bits the cached bits: their target (for proof of work)
// and work (zero for invalid bits), from the maps or computed once.
func (v *Verifier) setBits(bits consensus.Bits) {
	if v.haveLast && bits == v.lastBits {
		return
	}
	v.haveLast, v.lastBits = true, bits
	w, ok := v.works[bits]
	if !ok {
		w = words256(consensus.WorkFromBits(bits))
		v.works[bits] = w
	}
	v.lastWork = w
	tg, ok := v.targets[bits]
	v.lastOK = ok
	if !ok {
		if t, err := consensus.TargetFromBits(bits, v.p.PowLimit); err == nil {
			tg = consensus.NewTarget32(t)
			v.targets[bits] = tg
			v.lastOK = true
		}
	}
	for i := range 4 {
		v.lastTarget[i] = binary.LittleEndian.Uint64(tg[8*i:])
	}
}

// Add verifies the next header of the file. raw must be 80 bytes; offset is
// its byte offset, used in error messages. A failed check is recorded (see
// Report and Err) and Add still returns the header's info, so one bad
// header does not hide the rest; Add returns an error only for input it
// cannot interpret. Add allocates nothing unless a check fails.
func (v *Verifier) Add(raw []byte, offset int64) (HeaderInfo, error) {
	if len(raw) != consensus.HeaderSize {
		return v.badLength(raw, offset)
	}
	hash := consensus.HeaderHash(raw)
	return v.add(raw, offset, &hash)
}

func (v *Verifier) badLength(raw []byte, offset int64) (HeaderInfo, error) {
	h := v.opt.Layout.HeightAt(v.n, v.opt.StartHeight, v.interval)
	_, err := consensus.ParseHeader(raw)
	return HeaderInfo{}, fmt.Errorf("chain: height %d (byte offset %d): %w", h, offset, err)
}

// add is Add with the header's hash already computed (by Run's hashing
// workers); raw is 80 bytes.
func (v *Verifier) add(raw []byte, offset int64, hash *consensus.Hash) (HeaderInfo, error) {
	var info HeaderInfo
	err := v.addInto(&info, raw, offset, hash)
	return info, err
}

// addInto is add writing the header's info into *info (Run reuses one).
func (v *Verifier) addInto(info *HeaderInfo, raw []byte, offset int64, hash *consensus.Hash) error {
	h := v.opt.Layout.HeightAt(v.n, v.opt.StartHeight, v.interval)
	// Every field is set (field by field: no temporary to copy).
	info.Height, info.Offset, info.Hash = h, offset, *hash
	info.Time, info.Bits = int64(binary.LittleEndian.Uint32(raw[68:72])), consensus.Bits(binary.LittleEndian.Uint32(raw[72:76]))
	info.Version, info.Nonce = int32(binary.LittleEndian.Uint32(raw[0:4])), binary.LittleEndian.Uint32(raw[76:80])
	copy(info.Prev[:], raw[4:36])
	p := &v.prev
	if v.hasPrev && h <= p.Height {
		return fmt.Errorf("chain: height %d (byte offset %d) does not follow height %d", h, offset, p.Height)
	}
	// The epoch and the position in it, without a division for the
	// next height.
	next := v.hasPrev && h == p.Height+1
	epoch, pos := v.prevEpoch, v.prevPos+1
	if !next {
		epoch, pos = h/v.interval, h%v.interval
	} else if pos == v.interval {
		epoch, pos = epoch+1, 0
	}
	v.n++
	v.rep.Headers++
	if v.n == 1 {
		v.rep.FirstHeight = h
	}
	if !v.haveLast || info.Bits != v.lastBits {
		v.setBits(info.Bits)
	}
	if !v.opt.SkipChecks {
		if !v.lastOK || !hashMeets(&info.Hash, &v.lastTarget) {
			v.checkPoW(info) // records the failure
		}
		switch {
		case next && pos != 0 && !v.p.AllowMinDifficultyBlocks:
			// The common case, inside an epoch without the
			// minimum-difficulty rule: NextWorkRequired would return
			// the bits of the header before, which is p.
			v.rep.Links++
			if !sameHash(&info.Prev, &p.Hash) {
				v.fail(h, offset, "link", "prev hash %s, but block %d is %s", info.Prev, p.Height, p.Hash)
			}
			v.rep.BitsUnchanged++
			if info.Bits != p.Bits {
				v.fail(h, offset, "bits", "bits %s inside the epoch starting at %d, consensus requires %s", info.Bits, h-pos, p.Bits)
			}
		case v.hasPrev:
			if next {
				v.rep.Links++
				if info.Prev != p.Hash {
					v.fail(h, offset, "link", "prev hash %s, but block %d is %s", info.Prev, p.Height, p.Hash)
				}
			}
			v.checkBits(info, p)
		}
	}
	// Chainwork: the blocks between p and h carry h's bits (same
	// epoch), or h is the only block of its epoch since p. The first
	// header's epoch predecessors are unknown unless it starts at 0 or a
	// base was given.
	if next {
		v.cw.add(&v.lastWork)
	} else if v.hasPrev {
		v.cw.addMul(&v.lastWork, uint64(h-p.Height))
	} else {
		v.cw.addMul(&v.lastWork, 1)
	}
	info.Chainwork = v.cw
	v.remember(info, epoch, pos)
	return nil
}

// checkPoW checks the hash against the target of the header's bits
// (setBits has cached it).
func (v *Verifier) checkPoW(info *HeaderInfo) {
	if !v.lastOK {
		_, err := consensus.TargetFromBits(info.Bits, v.p.PowLimit)
		v.fail(info.Height, info.Offset, "pow", "%v", err)
		return
	}
	if !hashMeets(&info.Hash, &v.lastTarget) {
		v.fail(info.Height, info.Offset, "pow", "hash %s is above the target of bits %s", info.Hash, info.Bits)
	}
}

// sameHash is a == b by 64-bit words.
func sameHash(a, b *consensus.Hash) bool {
	return binary.LittleEndian.Uint64(a[0:]) == binary.LittleEndian.Uint64(b[0:]) &&
		binary.LittleEndian.Uint64(a[8:]) == binary.LittleEndian.Uint64(b[8:]) &&
		binary.LittleEndian.Uint64(a[16:]) == binary.LittleEndian.Uint64(b[16:]) &&
		binary.LittleEndian.Uint64(a[24:]) == binary.LittleEndian.Uint64(b[24:])
}

// hashMeets reports whether a hash (little-endian, as stored) is at most
// the target, comparing 64-bit limbs from the most significant.
func hashMeets(h *consensus.Hash, target *[4]uint64) bool {
	for i := 3; i >= 0; i-- {
		if w := binary.LittleEndian.Uint64(h[8*i:]); w != target[i] {
			return w < target[i]
		}
	}
	return true
}

// checkBits compares the header's bits with consensus.NextWorkRequired
// over the headers seen so far.
func (v *Verifier) checkBits(cur *HeaderInfo, p *prevHeader) {
	h := cur.Height
	retarget := h%v.interval == 0
	var last consensus.HeaderCtx
	if l := v.lookup(h - 1); l != nil {
		last = l
	} else if !retarget && !v.p.AllowMinDifficultyBlocks && p.Height/v.interval == h/v.interval {
		// Bits are constant inside an epoch without the
		// minimum-difficulty rule: any earlier header of the epoch
		// stands for the one before h.
		last = v.lookup(p.Height)
	}
	if last == nil {
		if retarget {
			v.rep.RetargetsSkipped++
		} else {
			v.rep.BitsSkipped++
		}
		return
	}
	v.missed, v.fromTable = false, false
	want, err := consensus.NextWorkRequired(last, cur.Time, v.p)
	switch {
	case v.missed && retarget:
		v.rep.RetargetsSkipped++ // the ended epoch's first block is unknown
		return
	case v.missed:
		v.rep.BitsSkipped++ // the walk back left the known headers
		return
	case retarget:
		v.rep.Retargets++
		if v.fromTable {
			v.rep.RetargetsFromTbl++
		}
	default:
		v.rep.BitsUnchanged++
	}
	check := "bits"
	if retarget {
		check = "retarget"
	}
	switch {
	case err != nil:
		v.fail(h, cur.Offset, check, "%v", err)
	case want != cur.Bits && retarget:
		first := last.Ancestor(h - v.interval)
		v.fail(h, cur.Offset, check, "bits %s, consensus requires %s (epoch %d from %d to %d)", cur.Bits, want, h/v.interval-1, first.Timestamp(), last.Timestamp())
	case want != cur.Bits:
		v.fail(h, cur.Offset, check, "bits %s inside the epoch starting at %d, consensus requires %s", cur.Bits, h/v.interval*v.interval, want)
	}
}

// lookup returns the header at height from the window, or nil.
func (v *Verifier) lookup(height int64) *ctxHeader {
	if height < 0 {
		return nil
	}
	if !v.fullWin && v.hasPrev && height == v.prev.Height {
		return v.slot(height, v.prev.Bits, v.prev.Time)
	}
	e := height / v.interval
	half := e % 2
	if v.winEpoch[half] != e {
		return nil
	}
	pos := height % v.interval
	if !v.fullWin && pos != 0 {
		return nil
	}
	if !v.fullWin {
		pos = 0
	}
	en := &v.win[half][pos]
	if en.h1 != height+1 {
		return nil
	}
	return v.slot(height, en.bits, int64(en.time))
}

// slot hands out a header in the next of lookup's slots.
func (v *Verifier) slot(height int64, bits consensus.Bits, time int64) *ctxHeader {
	c := &v.slots[v.nextSlot&3]
	v.nextSlot++
	*c = ctxHeader{v: v, height: height, bits: bits, time: time}
	return c
}

// remember keeps info as the newest header, and in the window, where its
// epoch replaces the one two epochs before.
func (v *Verifier) remember(info *HeaderInfo, epoch, pos int64) {
	v.prev, v.hasPrev = prevHeader{Height: info.Height, Hash: info.Hash, Bits: info.Bits, Time: info.Time}, true
	v.prevEpoch, v.prevPos = epoch, pos
	half := epoch & 1
	// The half's entries of two epochs ago stay, unknown by their h1.
	v.winEpoch[half] = epoch
	if v.fullWin {
		v.win[half][pos] = winEntry{h1: info.Height + 1, time: uint32(info.Time), bits: info.Bits}
	} else if pos == 0 {
		v.win[half][0] = winEntry{h1: info.Height + 1, time: uint32(info.Time), bits: info.Bits}
	}
}

// CompareChainwork records a check of the current tip's chainwork against
// an expected value (e.g. from a node or a CSV).
func (v *Verifier) CompareChainwork(info HeaderInfo, want *big.Int) {
	v.rep.ChainworkCompared++
	if info.Chainwork.Cmp(want) != 0 {
		v.fail(info.Height, info.Offset, "chainwork", "chainwork %064x, expected %064x", info.Chainwork.Big(), want)
	}
}

// Report returns the counts so far.
func (v *Verifier) Report() VerifyReport {
	r := v.rep
	r.Mismatches = append([]Mismatch(nil), v.rep.Mismatches...)
	if v.hasPrev {
		r.TipHeight, r.TipHash = v.prev.Height, v.prev.Hash.String()
		r.TipChainwork = fmt.Sprintf("%064x", v.cw.Big())
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

// HeaderSource yields raw 80-byte headers in file order with their byte
// offsets, and io.EOF after the last; chainfile.HeaderReader is one. The
// returned slice may be reused by the next call.
type HeaderSource interface {
	Next() (raw []byte, offset int64, err error)
}

// Run is the one header-verification loop (verify-chain and the header
// import both use it): it feeds every header of src to v in order and
// calls fn, when non-nil, with each header's info. It stops at the first
// error of src (naming the height the header would have had: in the
// field of an input error such as a truncated file, else as a prefix), of
// Add, or of fn (returned as is), and when ctx is cancelled (checked
// every 4096 headers). A source without a single header is a
// *hashlab.InputError (field "headers", cause ErrNoHeaders). Mismatches
// do not stop the run: read them from Report and Err afterwards.
//
// With more than one worker (VerifyOptions.Workers, by default
// GOMAXPROCS) the hashing, which is independent per header, is shared by
// the workers and the calling goroutine in chunks of 16 headers, while
// the calling goroutine reads the source and checks links, proof of work,
// bits and chainwork in order on the results (verify_parallel.go): the
// reports, infos, errors and calls of fn are those of the one-at-a-time
// loop (tested on every shared header file, and with workers that
// stall). It may read up to a few thousand headers past the one whose fn
// or Add failed, and its workers may end just after it returns.
func (v *Verifier) Run(ctx context.Context, src HeaderSource, fn func(HeaderInfo) error) error {
	workers := v.opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		return v.runSequential(ctx, src, fn)
	}
	return v.runPipeline(ctx, src, fn, min(workers, maxRunWorkers))
}

// headerBatchSource is a HeaderSource that also hands out several
// headers at once from its buffer (chainfile.HeaderReader): Run then reads
// without copying each header. raw is whole headers, or Next's answer.
type headerBatchSource interface {
	HeaderSource
	NextBatch(max int) (raw []byte, offset int64, err error)
}

// runSequential reads, hashes and checks one header at a time.
func (v *Verifier) runSequential(ctx context.Context, src HeaderSource, fn func(HeaderInfo) error) error {
	bs, batched := src.(headerBatchSource)
	var info HeaderInfo
	for n := int64(0); ; {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var raw []byte
		var off int64
		var err error
		if batched {
			raw, off, err = bs.NextBatch(runBatchSize)
		} else {
			raw, off, err = src.Next()
		}
		if err != nil {
			return v.srcErr(n, err)
		}
		if len(raw) != consensus.HeaderSize && (!batched || len(raw)%consensus.HeaderSize != 0 || len(raw) == 0) {
			_, err := v.badLength(raw, off)
			return err
		}
		for i := 0; i < len(raw); i += consensus.HeaderSize {
			if i > 0 && n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			one := raw[i : i+consensus.HeaderSize]
			info.Hash = consensus.HeaderHash(one)
			if err := v.addInto(&info, one, off+int64(i), &info.Hash); err != nil {
				return err
			}
			if fn != nil {
				if err := fn(info); err != nil {
					return err
				}
			}
			n++
		}
	}
}

// srcErr turns the error src returned for the n-th header (0-based) into
// Run's result: nil at the end of a non-empty source.
func (v *Verifier) srcErr(n int64, err error) error {
	if errors.Is(err, io.EOF) {
		if n == 0 {
			return hashlab.Invalidf("headers", "0 headers", "at least one 80-byte block header", ErrNoHeaders)
		}
		return nil
	}
	h := v.opt.Layout.HeightAt(n, v.opt.StartHeight, v.interval)
	if ie, ok := hashlab.AsInput(err); ok {
		// Bad bytes: name the height they were to be.
		ie.Field = fmt.Sprintf("height %d at %s", h, ie.Field)
		return ie
	}
	return fmt.Errorf("chain: header %d (height %d): %w", n+1, h, err)
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
					fail(e, "bits", "epoch %d has bits %s but epoch %d's next_bits is %s", e.Epoch, consensus.Bits(e.Bits), prev.Epoch, consensus.Bits(prev.NextBits))
				}
			}
		}
		if e.HasTimes() && e.NextBits != 0 {
			r.Retargets++
			got, err := consensus.NextBits(consensus.Bits(e.Bits), e.FirstTime, e.LastTime, p)
			if err != nil || got != consensus.Bits(e.NextBits) {
				fail(e, "retarget", "epoch %d: consensus gives %s (%v), table says %s", e.Epoch, got, err, consensus.Bits(e.NextBits))
			}
		}
	}
	return r
}
