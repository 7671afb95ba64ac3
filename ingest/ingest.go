package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/store"
)

// Source is what the ingester asks of a node. *noderpc.Client is one;
// every call is answered by Bitcoin Core, Knots and btcd alike.
type Source interface {
	ChainInfo(ctx context.Context) (noderpc.ChainInfo, error)
	BlockHash(ctx context.Context, height int64) (string, error)
	BlockHashes(ctx context.Context, from, to int64) ([]string, error)
	BlockHeader(ctx context.Context, hash string) (noderpc.Header, error)
	Block(ctx context.Context, hash string) (*noderpc.Block, error)
}

// RawSource is a Source that also serves serialized blocks (getblock
// <hash> 0); *noderpc.Client is one.
type RawSource interface {
	RawBlock(ctx context.Context, hash string) ([]byte, error)
}

// AttributeFunc names the pool that mined a block from its coinbase tag
// and payout addresses (chain.Attribute).
type AttributeFunc func(coinbaseTag string, payoutAddresses []string) (slug, name string)

// Defaults for Options fields left zero.
const (
	DefaultWorkers      = 4
	DefaultBatchSize    = 500
	DefaultPollInterval = 5 * time.Second
)

// Options control a run. The zero value ingests from height 0 to the
// node's tip once, with the defaults above.
type Options struct {
	// Workers is the number of blocks fetched concurrently.
	Workers int
	// BatchSize is the number of blocks written per database
	// transaction; a crash loses at most one batch of work.
	BatchSize int
	// FromHeight is where an empty database starts. It is ignored once
	// the database holds blocks (the run continues after its tip).
	FromHeight int64
	// Follow keeps polling the node for new blocks until ctx is done.
	Follow       bool
	PollInterval time.Duration
	// Attribute names the pool of each block; nil leaves Pool "unknown".
	Attribute AttributeFunc
	// Verbosity is the getblock verbosity used to read blocks: 0 (the
	// default) fetches the serialized block and decodes it here
	// (chain.BlockFromRaw) when the source can (RawSource); 2 asks the
	// node to decode every transaction (noderpc.BlockFromRPC), several
	// times more work for the node and the wire on mainnet. Both give
	// the same records.
	Verbosity int
	// WaitForLock waits while another ingester writes the database
	// (ingest/lock.go); otherwise Run fails naming it.
	WaitForLock bool
	// Now stamps reorg records; nil means time.Now.
	Now func() time.Time
	// Logger receives reorgs and retried errors; nil discards.
	Logger *slog.Logger
	// MinerFlow, when set, tracks miners' coins from coinbase outputs
	// (ingest/minerflow.go); it needs Verbosity 0 and a RawSource.
	MinerFlow *MinerFlow
	// OnProgress is called after every batch written, with the number of
	// blocks written this run and the number there are to write up to
	// the node's current tip. It is called from Run's goroutine.
	OnProgress func(written, total int64)
}

// NodeTipRecorder is implemented by a database that keeps the height of
// the node's best block (*store.DB does). Run records it each time it asks
// the node, so a reader can show how far the database is behind.
type NodeTipRecorder interface {
	SetNodeTip(ctx context.Context, height int64, at time.Time) error
}

var _ NodeTipRecorder = (*store.DB)(nil)

// nodeTipEvery is how often an unchanged node tip is recorded again, so
// that readers see the record is fresh while a run follows the tip.
const nodeTipEvery = time.Minute

// Summary says what a run did.
type Summary struct {
	Network string `json:"network"`
	// StartHeight is the first height this run wanted (the database tip
	// + 1 when resuming).
	StartHeight int64 `json:"start_height"`
	// Resumed is true when the database already held blocks.
	Resumed       bool    `json:"resumed"`
	BlocksWritten int64   `json:"blocks_written"`
	Batches       int64   `json:"batches"`
	UnderClaimed  int64   `json:"under_claimed_blocks"`
	TipHeight     int64   `json:"tip_height"` // -1 when the database is empty
	TipHash       string  `json:"tip_hash,omitempty"`
	NodeHeight    int64   `json:"node_height"`
	NodeBestHash  string  `json:"node_best_hash"`
	Seconds       float64 `json:"seconds"`
	BlocksPerSec  float64 `json:"blocks_per_second"`
	// Reorgs are the reorganisations this run found and rolled back.
	Reorgs []store.Reorg `json:"reorgs"`
	// Interrupted is true when ctx ended the run.
	Interrupted bool `json:"interrupted"`
	// MinerFlow counts the miner-flow rows this run wrote (nil when
	// miner flow is off).
	MinerFlow *MinerFlowSummary `json:"miner_flow,omitempty"`
}

var (
	// ErrNetworkMismatch is wrapped when the node is on another network
	// than the database. It wraps store.ErrNetworkMismatch.
	ErrNetworkMismatch = fmt.Errorf("ingest: %w", store.ErrNetworkMismatch)
	// ErrInterrupted is returned (with the summary) when ctx ends a run
	// that is not following the tip.
	ErrInterrupted = errors.New("ingest: interrupted; run again to continue")
)

// Run copies blocks from src into db: from the database tip (or
// opt.FromHeight for an empty database) up to the node's tip, in batches
// of opt.BatchSize blocks, each written in one transaction, fetching
// opt.Workers blocks at a time. Before each batch it checks that the
// node still has the database tip; if not, it finds the highest height
// where both agree, rolls the database back to it (recording the reorg)
// and continues from there. A batch is written only if each block links
// to the one before it, so a node that reorganises during a batch never
// leaves a broken chain in the database.
//
// Nothing is written before the node's network has been checked against
// the database's. With opt.Follow, Run keeps polling until ctx is done
// and then returns the summary and a nil error; otherwise a cancelled
// ctx returns ErrInterrupted.
func Run(ctx context.Context, src Source, db store.ChainWriter, opt Options) (Summary, error) {
	r, err := newRunner(src, db, opt)
	if err != nil {
		return Summary{TipHeight: -1}, err
	}
	unlock, err := lockWriter(ctx, db, opt)
	if err != nil {
		return Summary{TipHeight: -1}, err
	}
	defer unlock()
	return r.run(ctx)
}

type timeAt struct {
	height int64
	hash   string
	time   int64
}

type runner struct {
	src    Source
	db     store.ChainWriter
	opt    Options
	params *consensus.Params
	log    *slog.Logger

	info    noderpc.ChainInfo
	have    bool // database holds blocks
	tipH    int64
	tipHash string
	// recent are the timestamps of the last (up to 10) blocks of the
	// database, for median time past when the node does not give it.
	recent []timeAt
	// from is where an empty database starts.
	from  int64
	races int
	// tipRec records the node's tip (nil when db cannot); tipRecH and
	// tipRecAt are the last height recorded and when.
	tipRec   NodeTipRecorder
	tipRecH  int64
	tipRecAt time.Time
	sum      Summary
	start    time.Time
	flow     *flowState // miner flow; nil when off
	total    int64
}

func newRunner(src Source, db store.ChainWriter, opt Options) (*runner, error) {
	if opt.Workers <= 0 {
		opt.Workers = DefaultWorkers
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = DefaultPollInterval
	}
	if opt.FromHeight < 0 {
		return nil, fmt.Errorf("ingest: from height %d is negative (allowed: >= 0)", opt.FromHeight)
	}
	if opt.Verbosity != 0 && opt.Verbosity != 2 {
		return nil, fmt.Errorf("ingest: getblock verbosity %d (allowed: 0, 2)", opt.Verbosity)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &runner{src: src, db: db, opt: opt, log: log, tipRecH: -1}
	r.tipRec, _ = db.(NodeTipRecorder)
	if err := r.initFlow(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *runner) run(ctx context.Context) (Summary, error) {
	r.start = r.opt.Now()
	r.sum.TipHeight = -1
	if err := r.prepare(ctx); err != nil {
		return r.finish(), err
	}
	for {
		if ctx.Err() != nil {
			return r.stopped()
		}
		if r.have {
			if err := r.checkTip(ctx); err != nil {
				if ctx.Err() != nil {
					return r.stopped()
				}
				if errors.Is(err, errRace) {
					if err := r.race(err); err != nil {
						return r.finish(), err
					}
					continue
				}
				return r.finish(), err
			}
		}
		next := r.next()
		if next > r.info.Blocks {
			if !r.opt.Follow {
				return r.finish(), nil
			}
			if err := r.wait(ctx); err != nil {
				return r.stopped()
			}
			continue
		}
		end := min(next+int64(r.opt.BatchSize)-1, r.info.Blocks)
		err := r.batch(ctx, next, end)
		switch {
		case err == nil:
			r.races = 0
		case ctx.Err() != nil:
			return r.stopped()
		case errors.Is(err, errRace):
			// The node's chain moved under us; refresh and re-check.
			if err := r.race(err); err != nil {
				return r.finish(), err
			}
			if err := r.refresh(ctx); err != nil {
				return r.finish(), err
			}
		case r.opt.Follow && errors.Is(err, noderpc.ErrUnreachable):
			r.log.Warn("node unreachable; retrying", "err", err)
			if err := r.wait(ctx); err != nil {
				return r.stopped()
			}
		default:
			return r.finish(), err
		}
	}
}

// prepare checks the node and the database agree on the network and finds
// where to start. It writes nothing but the network name of an empty
// database.
func (r *runner) prepare(ctx context.Context) error {
	info, err := r.src.ChainInfo(ctx)
	if err != nil {
		return err
	}
	net, err := noderpc.NetworkName(info.Chain)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	p, err := consensus.ParamsByName(net)
	if err != nil {
		return err
	}
	r.params, r.info, r.sum.Network = p, info, net
	dbNet, err := r.db.Network(ctx)
	if err != nil {
		return err
	}
	if dbNet != "" && dbNet != net {
		return fmt.Errorf("%w: the node is on %s but the database holds %s blocks (use another database for %s)", ErrNetworkMismatch, net, dbNet, net)
	}
	tipH, tipHash, ok, err := r.db.Tip(ctx)
	if err != nil {
		return err
	}
	r.have, r.tipH, r.tipHash = ok, tipH, tipHash
	r.sum.Resumed = ok
	if ok {
		r.sum.StartHeight = tipH + 1
		if r.opt.FromHeight != 0 && r.opt.FromHeight != tipH+1 {
			r.log.Info("database already holds blocks; continuing after its tip, not from the requested height", "tip", tipH, "from_height", r.opt.FromHeight)
		}
	} else {
		r.sum.StartHeight = r.opt.FromHeight
		r.from = r.opt.FromHeight
		if r.opt.FromHeight > info.Blocks && !r.opt.Follow {
			return fmt.Errorf("ingest: from height %d is above the node's tip %d (allowed: 0..%d, or use follow mode to wait)", r.opt.FromHeight, info.Blocks, info.Blocks)
		}
	}
	if dbNet == "" {
		if err := r.db.SetNetwork(context.WithoutCancel(ctx), net); err != nil {
			return err
		}
	}
	r.total = max(0, info.Blocks-r.next()+1)
	r.recordNodeTip(ctx)
	return nil
}

func (r *runner) next() int64 {
	if r.have {
		return r.tipH + 1
	}
	return r.from
}

func (r *runner) refresh(ctx context.Context) error {
	info, err := r.src.ChainInfo(ctx)
	if err != nil {
		return err
	}
	r.info = info
	r.total = max(r.total, r.sum.BlocksWritten+info.Blocks-r.next()+1)
	r.recordNodeTip(ctx)
	return nil
}

// recordNodeTip writes the node's tip height to the database when it
// changed or nodeTipEvery has passed. A failure is logged, not returned:
// the record only informs readers.
func (r *runner) recordNodeTip(ctx context.Context) {
	if r.tipRec == nil || ctx.Err() != nil {
		return
	}
	now := r.opt.Now()
	if r.info.Blocks == r.tipRecH && now.Sub(r.tipRecAt) < nodeTipEvery {
		return
	}
	if err := r.tipRec.SetNodeTip(ctx, r.info.Blocks, now); err != nil {
		r.log.Warn("recording the node's tip failed", "height", r.info.Blocks, "err", err)
		return
	}
	r.tipRecH, r.tipRecAt = r.info.Blocks, now
}

// wait sleeps one poll interval and refreshes the node's state. In follow
// mode an unreachable node is logged and waited out.
func (r *runner) wait(ctx context.Context) error {
	for {
		t := time.NewTimer(r.opt.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		err := r.refresh(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.log.Warn("polling the node failed; retrying", "err", err)
	}
}

func (r *runner) stopped() (Summary, error) {
	s := r.finish()
	s.Interrupted = true
	if r.opt.Follow {
		return s, nil
	}
	return s, ErrInterrupted
}

func (r *runner) finish() Summary {
	s := r.sum
	s.Reorgs = append([]store.Reorg{}, s.Reorgs...)
	if r.have {
		s.TipHeight, s.TipHash = r.tipH, r.tipHash
	} else {
		s.TipHeight, s.TipHash = -1, ""
	}
	s.NodeHeight, s.NodeBestHash = r.info.Blocks, r.info.BestBlockHash
	if !r.start.IsZero() {
		s.Seconds = r.opt.Now().Sub(r.start).Seconds()
		if s.Seconds > 0 {
			s.BlocksPerSec = float64(s.BlocksWritten) / s.Seconds
		}
	}
	return s
}

// errRace means the node's chain changed between two calls (a block
// vanished or stopped linking); the loop re-reads the node and checks the
// tip again.
var errRace = errors.New("ingest: the node's chain changed during the batch")

// maxRaces bounds consecutive batches spoiled by the node's chain
// changing; more means the node answers inconsistently.
const maxRaces = 20

func (r *runner) race(err error) error {
	r.races++
	if r.races > maxRaces {
		return fmt.Errorf("ingest: giving up after %d attempts: %w", maxRaces, err)
	}
	r.log.Info("node's chain changed during a batch; retrying", "err", err)
	return nil
}

// nodeHash is getblockhash, reporting a height above the node's tip as a
// race rather than a failure.
func (r *runner) nodeHash(ctx context.Context, h int64) (string, error) {
	hash, err := r.src.BlockHash(ctx, h)
	if err == nil {
		return hash, nil
	}
	var rerr *noderpc.Error
	if errors.As(err, &rerr) {
		if n, err2 := r.src.ChainInfo(ctx); err2 == nil && n.Blocks < h {
			r.info = n
			r.recordNodeTip(ctx)
			return "", errRace
		}
	}
	return "", err
}

// checkTip verifies the node still has the database tip and, if not,
// rolls the database back to the fork point.
func (r *runner) checkTip(ctx context.Context) error {
	if r.tipH <= r.info.Blocks {
		h, err := r.nodeHash(ctx, r.tipH)
		if err != nil {
			return err
		}
		if h == r.tipHash {
			return nil
		}
	}
	fork, forkHash, err := r.findFork(ctx)
	if err != nil {
		return err
	}
	ev := store.Reorg{
		DetectedAt:   r.opt.Now().Unix(),
		ForkHeight:   fork,
		OldTipHeight: r.tipH,
		OldTipHash:   r.tipHash,
		NewTipHash:   r.info.BestBlockHash,
		Depth:        r.tipH - fork,
	}
	if err := r.db.Rollback(context.WithoutCancel(ctx), fork, ev); err != nil {
		return err
	}
	r.log.Warn("reorg: rolled back", "fork_height", fork, "depth", ev.Depth, "old_tip", ev.OldTipHash, "new_tip", ev.NewTipHash)
	r.sum.Reorgs = append(r.sum.Reorgs, ev)
	if forkHash == "" {
		// The fork is below the first block we hold: the database is
		// now empty and restarts from its old first height.
		r.have, r.tipHash = false, ""
		r.from = fork + 1
	} else {
		r.tipH, r.tipHash = fork, forkHash
	}
	for len(r.recent) > 0 && r.recent[len(r.recent)-1].height > fork {
		r.recent = r.recent[:len(r.recent)-1]
	}
	r.total += ev.Depth
	return nil
}

// findFork walks down from the lower of the two tips, in chunks of
// getblockhash batches, to the highest height where the database and the
// node agree. forkHash is "" when no stored block agrees (fork is then
// one below the lowest stored height).
func (r *runner) findFork(ctx context.Context) (fork int64, forkHash string, err error) {
	const chunk = 100
	top := min(r.tipH, r.info.Blocks)
	for top >= 0 {
		lo := max(0, top-chunk+1)
		theirs, err := r.src.BlockHashes(ctx, lo, top)
		if err != nil {
			if n, err2 := r.src.ChainInfo(ctx); err2 == nil && n.Blocks < top {
				r.info = n
				r.recordNodeTip(ctx)
				return 0, "", errRace
			}
			return 0, "", err
		}
		for h := top; h >= lo; h-- {
			ours, ok, err := r.db.BlockHash(ctx, h)
			if err != nil {
				return 0, "", err
			}
			if !ok {
				return h, "", nil
			}
			if ours == theirs[h-lo] {
				return h, ours, nil
			}
		}
		top = lo - 1
	}
	return -1, "", nil
}

// batch fetches heights from..to, checks they form a chain on top of the
// database tip, completes them and writes them in one transaction.
func (r *runner) batch(ctx context.Context, from, to int64) error {
	hashes, err := r.src.BlockHashes(ctx, from, to)
	if err != nil {
		var rerr *noderpc.Error
		if errors.As(err, &rerr) {
			if n, err2 := r.src.ChainInfo(ctx); err2 == nil && n.Blocks < to {
				r.info = n
				r.recordNodeTip(ctx)
				return errRace
			}
		}
		return err
	}
	recs, err := r.fetch(ctx, from, hashes)
	if err != nil {
		return err
	}
	prev := r.tipHash
	for i, rec := range recs {
		if rec.Height != from+int64(i) || rec.Hash.String() != hashes[i] {
			return fmt.Errorf("%w: getblock %s answered block %s at height %d, want height %d", errRace, hashes[i], rec.Hash, rec.Height, from+int64(i))
		}
		if (i > 0 || r.have) && rec.PrevHash.String() != prev {
			return fmt.Errorf("%w: block %d (%s) does not build on %s", errRace, rec.Height, rec.Hash, prev)
		}
		prev = rec.Hash.String()
	}
	if err := r.completeMedianTimes(ctx, from, recs); err != nil {
		return err
	}
	for i := range recs {
		rec := &recs[i]
		rec.Pool = "unknown"
		if r.opt.Attribute != nil {
			if slug, _ := r.opt.Attribute(rec.CoinbaseTag, rec.PayoutAddresses); slug != "" {
				rec.Pool = slug
			}
		}
	}
	// Written even if ctx was cancelled meanwhile: the batch is complete
	// and consistent, and the transaction is short.
	if err := r.putBlocks(context.WithoutCancel(ctx), recs); err != nil {
		return err
	}
	last := recs[len(recs)-1]
	r.have, r.tipH, r.tipHash = true, last.Height, last.Hash.String()
	for _, rec := range recs {
		r.recent = append(r.recent, timeAt{rec.Height, rec.Hash.String(), rec.Time})
		if rec.UnderClaimed {
			r.sum.UnderClaimed++
		}
	}
	if len(r.recent) > 10 {
		r.recent = append(r.recent[:0], r.recent[len(r.recent)-10:]...)
	}
	r.sum.BlocksWritten += int64(len(recs))
	r.sum.Batches++
	if r.opt.OnProgress != nil {
		r.opt.OnProgress(r.sum.BlocksWritten, max(r.total, r.sum.BlocksWritten))
	}
	return nil
}

// fetch calls getblock for each hash (of heights from, from+1, ...) with
// opt.Workers calls in flight and returns the records in order.
func (r *runner) fetch(ctx context.Context, from int64, hashes []string) ([]chain.BlockRecord, error) {
	recs := make([]chain.BlockRecord, len(hashes))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	idx := make(chan int)
	for range min(r.opt.Workers, len(hashes)) {
		wg.Go(func() {
			for i := range idx {
				rec, err := r.fetchOne(ctx, hashes[i], from+int64(i))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					continue
				}
				recs[i] = rec
			}
		})
	}
feed:
	for i := range hashes {
		select {
		case idx <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(idx)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return recs, nil
}

func (r *runner) fetchOne(ctx context.Context, hash string, height int64) (chain.BlockRecord, error) {
	// batch checks that each record is the block asked for (its hash
	// and height) and builds on the one before.
	var err error
	if raw, ok := r.src.(RawSource); ok && r.opt.Verbosity == 0 {
		var b []byte
		if b, err = raw.RawBlock(ctx, hash); err == nil {
			return r.decodeRaw(b, height)
		}
	} else {
		var b *noderpc.Block
		if b, err = r.src.Block(ctx, hash); err == nil {
			return noderpc.BlockFromRPC(b, r.params)
		}
	}
	var rerr *noderpc.Error
	if errors.As(err, &rerr) {
		// A block that was just reorganised away can still be fetched
		// by hash on Core and btcd; an error here is real.
		return chain.BlockRecord{}, fmt.Errorf("ingest: getblock %s: %w", hash, err)
	}
	return chain.BlockRecord{}, err
}

// completeMedianTimes fills MedianTime for nodes that do not report it
// (btcd), from the timestamps of the ten blocks before each one.
func (r *runner) completeMedianTimes(ctx context.Context, from int64, recs []chain.BlockRecord) error {
	need := false
	for _, rec := range recs {
		if rec.MedianTime == 0 {
			need = true
			break
		}
	}
	if !need {
		return nil
	}
	window, lastHash, err := r.timesBefore(ctx, from)
	if err != nil {
		return err
	}
	if lastHash != "" && recs[0].PrevHash.String() != lastHash {
		return fmt.Errorf("%w: block %d (%s) does not build on %s", errRace, recs[0].Height, recs[0].Hash, lastHash)
	}
	for i := range recs {
		window = append(window, recs[i].Time)
		if len(window) > 11 {
			window = window[len(window)-11:]
		}
		if recs[i].MedianTime == 0 {
			recs[i].MedianTime = chain.MedianTimePast(window)
		}
	}
	return nil
}

// timesBefore returns the timestamps of heights max(0, from-10)..from-1,
// from memory when the last written blocks are known, else from the node
// (checking that the node's block at from-1 is the database tip).
func (r *runner) timesBefore(ctx context.Context, from int64) (times []int64, lastHash string, err error) {
	lo := max(0, from-10)
	if from == lo {
		return nil, "", nil
	}
	if n := len(r.recent); n > 0 && r.recent[n-1].height == from-1 && r.recent[n-1].hash == r.tipHash && r.recent[0].height <= lo {
		var out []int64
		for _, t := range r.recent {
			if t.height >= lo {
				out = append(out, t.time)
			}
		}
		return out, r.tipHash, nil
	}
	hashes, err := r.src.BlockHashes(ctx, lo, from-1)
	if err != nil {
		return nil, "", err
	}
	last := hashes[len(hashes)-1]
	if r.have && last != r.tipHash {
		return nil, "", fmt.Errorf("%w: node's block %d is %s, database tip is %s", errRace, from-1, hashes[len(hashes)-1], r.tipHash)
	}
	r.recent = r.recent[:0]
	out := make([]int64, len(hashes))
	for i, h := range hashes {
		hdr, err := r.src.BlockHeader(ctx, h)
		if err != nil {
			return nil, "", err
		}
		out[i] = hdr.Time
		r.recent = append(r.recent, timeAt{lo + int64(i), h, hdr.Time})
	}
	return out, last, nil
}
