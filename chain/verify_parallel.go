package chain

import (
	"context"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashlab/hashlab/consensus"
)

// Run's pipeline (more than one worker). The calling goroutine reads the
// source into a ring of batches and checks them in order; every goroutine
// (the workers and the checking one) hashes them, a chunk of hashChunk
// headers at a time, claimed with a compare-and-swap on the batch's state
// word. The workers take the batches in order; the checking goroutine,
// when the oldest batch is not hashed yet, hashes what is left of it and
// then chunks of the next ones. So the cores share the hashing to within
// a chunk (a few microseconds), at the end of a file too, and no
// goroutine waits on a whole batch of another's. When nothing is left to
// claim and a chunk of the oldest batch is still in another goroutine's
// hands (on a loaded machine its thread may be off the CPU for
// milliseconds), the checking goroutine hashes that chunk again for
// itself instead of waiting, and sets the batch aside until its claimer
// is done with it; nor does Run wait for the workers to exit: the last
// one out returns the batches to the pool. A worker taken off the CPU
// thus costs the run a chunk hashed twice, not its time off the CPU.

// runBatchSize is the number of headers read and checked as one batch:
// the checking goroutine reads the source a batch at a time and hands no
// header to fn before its batch is hashed.
const runBatchSize = 256

// hashChunk is the number of headers a goroutine claims at once: enough
// that a claim (one compare-and-swap) costs little per header, few enough
// that the last chunk of a run ends close to the others.
const hashChunk = 16

// runBatchesPerWorker is the ring's depth per worker: how far reading
// runs ahead of checking.
const runBatchesPerWorker = 4

// maxRunWorkers bounds Run's hashing goroutines (VerifyOptions.Workers):
// beyond it the ring (30 kB a batch) only costs memory, since one
// checking goroutine cannot keep more busy.
const maxRunWorkers = 64

// hashBatch is a run of consecutive headers of the source, their hashes,
// and the source's error after the last one.
type hashBatch struct {
	raw  []byte // n·80 bytes
	off  []int64
	hash []consensus.Hash
	n    int
	// bad is the index of a header of the wrong length (n when none): it
	// and the headers after it are not hashed; Add reports it in order.
	bad int
	err error // src's error after the n headers (io.EOF at the end)
	// state is the batch's fill (its sequence number in the run, low 32
	// bits), the number of headers to hash (bad) and the next unclaimed
	// one: seq<<32 | toHash<<16 | next. A goroutine claims a chunk only
	// for the fill it means, so a stale claim never touches a refilled
	// batch.
	state atomic.Uint64
	// hashed counts the headers of this fill hashed so far; whoever
	// completes the fill sends on done (buffered: once per fill with at
	// least one header to hash, received by the checking goroutine).
	hashed atomic.Int32
	done   chan struct{}
	// chunks has bit k set once chunk k of this fill is hashed in hash.
	chunks atomic.Uint32
	// dup holds the checking goroutine's own hashes of the chunks it did
	// not wait for.
	dup []consensus.Hash
}

func packState(seq uint64, toHash, next int) uint64 {
	return seq<<32 | uint64(toHash)<<16 | uint64(next)
}

// claim takes the next chunk of fill seq: the headers [i, j) of the
// toHash to hash, or ok false when every header of that fill is claimed
// or the batch holds another fill.
func (b *hashBatch) claim(seq uint64) (i, j, toHash int, ok bool) {
	for {
		s := b.state.Load()
		if s>>32 != seq&0xffffffff {
			return 0, 0, 0, false
		}
		toHash, next := int(s>>16&0xffff), int(s&0xffff)
		if next >= toHash {
			return 0, 0, 0, false
		}
		end := min(next+hashChunk, toHash)
		if b.state.CompareAndSwap(s, packState(seq&0xffffffff, toHash, end)) {
			return next, end, toHash, true
		}
	}
}

// hashRange hashes headers [i, j) of a fill with toHash headers to hash,
// and signals done when that completes the fill.
func (b *hashBatch) hashRange(i, j, toHash int) {
	for k := i; k < j; k++ {
		b.hash[k] = consensus.HeaderHash(b.raw[k*consensus.HeaderSize : (k+1)*consensus.HeaderSize])
	}
	b.chunks.Or(1 << (i / hashChunk))
	if int(b.hashed.Add(int32(j-i))) == toHash {
		b.done <- struct{}{}
	}
}

// help hashes one chunk of fill seq; it reports whether there was one.
func (b *hashBatch) help(seq uint64) bool {
	i, j, toHash, ok := b.claim(seq)
	if ok {
		b.hashRange(i, j, toHash)
	}
	return ok
}

// workerClaimed, when set (by tests), is called by a worker between
// claiming a chunk and hashing it: a test makes it stall there, as a
// thread taken off the CPU would.
var workerClaimed func()

// batchPool keeps the batches of finished runs (about 40 kB each) so
// that verifying many files does not allocate them again.
var batchPool = sync.Pool{New: func() any {
	return &hashBatch{raw: make([]byte, runBatchSize*consensus.HeaderSize), off: make([]int64, runBatchSize),
		hash: make([]consensus.Hash, runBatchSize), dup: make([]consensus.Hash, runBatchSize), done: make(chan struct{}, 1)}
}}

func getBatch() *hashBatch { return batchPool.Get().(*hashBatch) }

// quiet reports whether no goroutine is hashing the batch's fill any more
// (every header of it is hashed, or there was none to hash); it then
// takes the fill's completion token, so the batch can be filled again.
func (b *hashBatch) quiet() bool {
	toHash := int(b.state.Load() >> 16 & 0xffff)
	if toHash == 0 {
		return true
	}
	if int(b.hashed.Load()) != toHash {
		return false
	}
	<-b.done // sent just after the last Add
	return true
}

// runPipeline is Run with workers goroutines hashing (workers-1 of them
// started here, and the calling goroutine, which also reads and checks).
func (v *Verifier) runPipeline(ctx context.Context, src HeaderSource, fn func(HeaderInfo) error, workers int) error {
	inflight := runBatchesPerWorker * workers
	// ring[seq%inflight] holds fill seq while seq >= the checking
	// goroutine's; set aside holds the batches it checked without waiting
	// for a chunk's claimer (the ring got another batch in their place).
	ring := make([]atomic.Pointer[hashBatch], inflight)
	for i := range ring {
		ring[i].Store(getBatch())
	}
	var aside []*hashBatch
	// published is the number of fills the workers may hash.
	var published atomic.Uint64
	wake := make(chan struct{}, workers-1) // a fill was published
	quit := make(chan struct{})
	// The last of the goroutines to leave (the workers and the checking
	// one) returns the batches to the pool: nobody touches them then.
	var refs atomic.Int32
	refs.Store(int32(workers))
	leave := func() {
		if refs.Add(-1) != 0 {
			return
		}
		for i := range ring {
			aside = append(aside, ring[i].Load())
		}
		for _, b := range aside {
			select { // a fill completed but never checked (an early stop)
			case <-b.done:
			default:
			}
			batchPool.Put(b)
		}
	}
	for range workers - 1 {
		go func() {
			defer leave()
			for seq := uint64(0); ; {
				select {
				case <-quit:
					return
				default:
				}
				if seq >= published.Load() {
					select {
					case <-wake:
						continue
					case <-quit:
						return
					}
				}
				b := ring[seq%uint64(inflight)].Load()
				for {
					i, j, toHash, ok := b.claim(seq)
					if !ok {
						break
					}
					if workerClaimed != nil {
						workerClaimed()
					}
					b.hashRange(i, j, toHash)
				}
				// The next fill in order; when this one was already
				// refilled (the checking goroutine ran ahead), seq
				// catches up one batch at a time at the cost of a load.
				seq++
			}
		}()
	}
	defer func() {
		close(quit)
		leave()
	}()

	bs, batched := src.(headerBatchSource)
	// fill reads the next batch from src as fill seq and publishes it; it
	// reports whether src ended (with an error or io.EOF).
	fill := func(b *hashBatch, seq uint64) bool {
		b.n, b.bad, b.err = 0, -1, nil
		b.raw = b.raw[:cap(b.raw)]
		for b.n < runBatchSize {
			var raw []byte
			var off int64
			var err error
			if batched {
				raw, off, err = bs.NextBatch(runBatchSize - b.n)
			} else {
				raw, off, err = src.Next()
			}
			if err != nil {
				b.err = err
				break
			}
			if len(raw) != consensus.HeaderSize && (!batched || len(raw)%consensus.HeaderSize != 0 || len(raw) == 0) {
				// Keep the header for Add's error, and stop reading.
				b.bad = b.n
				b.raw = append(b.raw[:b.n*consensus.HeaderSize], raw...)
				b.off[b.n] = off
				b.n++
				b.err = io.ErrUnexpectedEOF // never reached: Add fails first
				break
			}
			copy(b.raw[b.n*consensus.HeaderSize:], raw)
			for i := 0; i < len(raw); i += consensus.HeaderSize {
				b.off[b.n] = off + int64(i)
				b.n++
			}
		}
		if b.bad < 0 {
			b.bad = b.n
		}
		b.hashed.Store(0)
		b.chunks.Store(0)
		b.state.Store(packState(seq&0xffffffff, b.bad, 0)) // after the bytes: a claim sees them
		published.Store(seq + 1)
		for range workers - 1 { // wake the idle workers (a spare token costs a loop)
			select {
			case wake <- struct{}{}:
			default:
			}
		}
		return b.err != nil
	}
	ended := false
	var filled uint64
	for ; filled < uint64(inflight) && !ended; filled++ {
		ended = fill(ring[filled].Load(), filled)
	}
	n := int64(0)
	for seq := uint64(0); seq < filled; seq++ {
		slot := &ring[seq%uint64(inflight)]
		b := slot.Load()
		var dups uint32 // chunks whose hashes are in b.dup
		if b.bad > 0 {
			// Hash what is left of the oldest batch, then chunks of the
			// next ones until it is complete.
			for b.help(seq) {
			}
			for next := seq + 1; next < filled && int(b.hashed.Load()) != b.bad; {
				if !ring[next%uint64(inflight)].Load().help(next) {
					next++
				}
			}
			if int(b.hashed.Load()) != b.bad {
				// A chunk is still being hashed elsewhere: hash it here.
				have := b.chunks.Load()
				for k := 0; k*hashChunk < b.bad; k++ {
					if have&(1<<k) == 0 {
						for i := k * hashChunk; i < min((k+1)*hashChunk, b.bad); i++ {
							b.dup[i] = consensus.HeaderHash(b.raw[i*consensus.HeaderSize : (i+1)*consensus.HeaderSize])
						}
						dups |= 1 << k
					}
				}
			}
			if dups == 0 {
				<-b.done // every chunk is in: its completion token is sent
			}
		}
		for i := range b.n {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			raw := b.raw[i*consensus.HeaderSize : (i+1)*consensus.HeaderSize]
			var info HeaderInfo
			var err error
			if i == b.bad {
				info, err = v.badLength(b.raw[i*consensus.HeaderSize:], b.off[i])
			} else if dups&(1<<(i/hashChunk)) != 0 {
				info, err = v.add(raw, b.off[i], &b.dup[i])
			} else {
				info, err = v.add(raw, b.off[i], &b.hash[i])
			}
			if err != nil {
				return err
			}
			if fn != nil {
				if err := fn(info); err != nil {
					return err
				}
			}
			n++
		}
		if b.err != nil {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			return v.srcErr(n, b.err)
		}
		if !ended {
			if dups != 0 {
				// Its claimer may still write into b: set it aside, and
				// fill one that is quiet (set aside earlier) or new.
				var next *hashBatch
				for i, o := range aside {
					if o.quiet() {
						next = o
						aside[i] = aside[len(aside)-1]
						aside = aside[:len(aside)-1]
						break
					}
				}
				if next == nil {
					next = getBatch()
				}
				aside = append(aside, b)
				b = next
				slot.Store(b)
			}
			ended = fill(b, filled)
			filled++
		}
	}
	return nil
}
