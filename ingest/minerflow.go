package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/minerflow"
	"github.com/hashlab/hashlab/store"
)

// MinerFlow turns on miner-flow tracking (package minerflow): every
// coinbase output, the transactions that spend them, one hop further the
// outputs those pay to a pool's known payout address, and their spends,
// written with the blocks in the same transaction. It needs serialized
// blocks (getblock verbosity 0, which Bitcoin Core, Knots and btcd answer)
// and no address index.
type MinerFlow struct {
	// IsPayout says whether an address is a pool's known payout address
	// (chain.Pools.IsPayoutAddress-like; from the pools list). nil
	// watches coinbase outputs only.
	IsPayout func(address string) bool
}

// ErrMinerFlowNeedsRaw is returned when miner flow is asked of a source
// or database that cannot do it.
var ErrMinerFlowNeedsRaw = errors.New("ingest: miner flow needs serialized blocks (getblock verbosity 0) and a database that stores it")

// flowState is the ingester's miner-flow state: the unspent watched coins
// as of height loaded, and the decoded blocks of the batch being fetched.
type flowState struct {
	opt    MinerFlow
	db     store.MinerFlowStore
	loaded int64 // the database height unspent reflects; -2: reload
	// unspent maps an outpoint to its watched coins (one per pool).
	unspent map[minerflow.OutPoint][]minerflow.Coin
	mu      sync.Mutex
	blocks  map[int64]*wire.MsgBlock
}

// initFlow sets up miner flow when opt.MinerFlow asks for it.
func (r *runner) initFlow() error {
	if r.opt.MinerFlow == nil {
		return nil
	}
	_, raw := r.src.(RawSource)
	fdb, ok := r.db.(store.MinerFlowStore)
	if !raw || r.opt.Verbosity != 0 || !ok {
		return ErrMinerFlowNeedsRaw
	}
	r.flow = &flowState{opt: *r.opt.MinerFlow, db: fdb, loaded: -2, blocks: map[int64]*wire.MsgBlock{}}
	r.sum.MinerFlow = &MinerFlowSummary{}
	if r.opt.BatchSize > MinerFlowMaxBatch {
		r.log.Info("miner flow keeps a batch's decoded blocks in memory; writing smaller batches", "batch", MinerFlowMaxBatch, "asked", r.opt.BatchSize)
		r.opt.BatchSize = MinerFlowMaxBatch
	}
	return nil
}

// MinerFlowMaxBatch bounds the batch size with miner flow: a batch's
// decoded blocks stay in memory until it is written (on mainnet about
// 2-4 MB each, so some 300 MB at this bound).
const MinerFlowMaxBatch = 100

// decodeRaw is chain.BlockFromRaw, keeping the decoded block for the
// miner-flow scan when it is on. Workers call it concurrently.
func (r *runner) decodeRaw(raw []byte, height int64) (chain.BlockRecord, error) {
	rec, err := chain.BlockFromRaw(raw, height, r.params)
	if err != nil || r.flow == nil {
		return rec, err
	}
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw)); err != nil {
		return rec, fmt.Errorf("ingest: block %d: %w", height, err)
	}
	r.flow.mu.Lock()
	r.flow.blocks[height] = &b
	r.flow.mu.Unlock()
	return rec, nil
}

// putBlocks writes a checked batch: with miner flow, its blocks are
// scanned in height order and their flow is written in the same
// transaction.
func (r *runner) putBlocks(ctx context.Context, recs []chain.BlockRecord) error {
	f := r.flow
	if f == nil {
		return r.db.PutBlocks(ctx, recs)
	}
	f.mu.Lock()
	blocks := f.blocks
	f.blocks = map[int64]*wire.MsgBlock{}
	f.mu.Unlock()
	if f.loaded != recs[0].Height-1 {
		if err := f.load(ctx); err != nil {
			return err
		}
	}
	ov := &overlay{base: f.unspent, added: map[minerflow.OutPoint][]minerflow.Coin{}, spent: map[minerflow.OutPoint]bool{}}
	var all minerflow.BlockFlow
	for _, rec := range recs {
		b := blocks[rec.Height]
		if b == nil || b.BlockHash() != rec.Hash {
			return fmt.Errorf("ingest: miner flow: block %d (%s) was not decoded", rec.Height, rec.Hash)
		}
		bf := minerflow.ScanBlock(b, minerflow.BlockInfo{Height: rec.Height, Time: rec.Time, Pool: rec.Pool, Network: r.params.Name}, ov, f.opt.IsPayout)
		ov.apply(bf)
		all.Coins = append(all.Coins, bf.Coins...)
		all.Spends = append(all.Spends, bf.Spends...)
		all.Dests = append(all.Dests, bf.Dests...)
	}
	if err := f.db.PutBlocksFlow(ctx, recs, all); err != nil {
		f.loaded = -2
		return err
	}
	ov.commit()
	f.loaded = recs[len(recs)-1].Height
	r.sum.MinerFlow.Coins += int64(len(all.Coins))
	r.sum.MinerFlow.Spends += int64(len(all.Spends))
	r.sum.MinerFlow.Dests += int64(len(all.Dests))
	return nil
}

// MinerFlowSummary counts the miner-flow rows a run wrote.
type MinerFlowSummary struct {
	Coins  int64 `json:"coins"`
	Spends int64 `json:"spends"`
	Dests  int64 `json:"destinations"`
}

// load reads the unspent watched coins from the database (at the start,
// after a rollback, or after a failed write).
func (f *flowState) load(ctx context.Context) error {
	f.unspent = map[minerflow.OutPoint][]minerflow.Coin{}
	f.loaded = -2
	if err := f.db.UnspentMinerCoins(ctx, func(c minerflow.Coin) error {
		f.unspent[c.OutPoint] = append(f.unspent[c.OutPoint], c)
		return nil
	}); err != nil {
		return err
	}
	return nil
}

// overlay is the watched set during a batch: the set at its start, plus
// what the batch's blocks created and spent so far. commit folds it in
// once the batch is written.
type overlay struct {
	base  map[minerflow.OutPoint][]minerflow.Coin
	added map[minerflow.OutPoint][]minerflow.Coin
	spent map[minerflow.OutPoint]bool
}

func (o *overlay) Watched(op minerflow.OutPoint) []minerflow.Coin {
	if o.spent[op] {
		return nil
	}
	if c, ok := o.added[op]; ok {
		return c
	}
	return o.base[op]
}

func (o *overlay) apply(bf minerflow.BlockFlow) {
	for _, c := range bf.Coins {
		o.added[c.OutPoint] = append(o.added[c.OutPoint], c)
	}
	for _, s := range bf.Spends {
		o.spent[s.OutPoint] = true
	}
}

func (o *overlay) commit() {
	for op, cs := range o.added {
		if !o.spent[op] {
			o.base[op] = cs
		}
	}
	for op := range o.spent {
		delete(o.base, op)
	}
}

// PayoutSet returns MinerFlow.IsPayout for the payout addresses the pools
// list carries.
func PayoutSet(ps *chain.Pools) func(string) bool {
	set := map[string]bool{}
	for _, p := range ps.List() {
		for _, a := range p.Addresses {
			if a != "" {
				set[a] = true
			}
		}
	}
	return func(a string) bool { return set[a] }
}
