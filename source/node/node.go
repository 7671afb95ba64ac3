package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
)

// Name is the source's kind in provenance and --source.
const Name = "node"

// DefaultFeeWindowBlocks is the fee window when none is given: one day of
// blocks, the Hashrate Index convention.
const DefaultFeeWindowBlocks = 144

// MaxFeeWindowBlocks bounds a window of blocks or of time (one retarget
// period of mainnet blocks).
const MaxFeeWindowBlocks = 2016

// Config configures a Source.
type Config struct {
	// Client talks to the node (required).
	Client *noderpc.Client
	// FeeWindowBlocks averages the fees of the last N blocks (1 to
	// MaxFeeWindowBlocks); 0 means DefaultFeeWindowBlocks unless
	// FeeWindow is set.
	FeeWindowBlocks int64
	// FeeWindow, when > 0, averages the fees of the blocks whose header
	// time is within FeeWindow of the tip's instead (at least the tip, at
	// most MaxFeeWindowBlocks blocks).
	FeeWindow time.Duration
	// Price prices the state; nil leaves State.Price nil. A price source
	// that fails fails State: nothing is silently left out.
	Price netstate.PriceSource
}

// Source is a node's JSON-RPC as a netstate.Source. It remembers the
// highest tip it has seen and refuses one that goes backwards by more
// than a reorganisation's few blocks.
type Source struct {
	c      *noderpc.Client
	blocks int64
	span   time.Duration
	price  netstate.PriceSource

	mu         sync.Mutex
	lastHeight int64
	noStats    bool // the node answered getblockstats with "method not found"
}

// New returns a Source over cfg.Client.
func New(cfg Config) (*Source, error) {
	if cfg.Client == nil {
		return nil, errors.New("node: no RPC client")
	}
	if cfg.FeeWindowBlocks < 0 || cfg.FeeWindowBlocks > MaxFeeWindowBlocks {
		return nil, fmt.Errorf("node: fee window of %d blocks (allowed: 1 to %d)", cfg.FeeWindowBlocks, MaxFeeWindowBlocks)
	}
	if cfg.FeeWindow < 0 {
		return nil, fmt.Errorf("node: fee window %s is negative", cfg.FeeWindow)
	}
	n := cfg.FeeWindowBlocks
	if n == 0 {
		n = DefaultFeeWindowBlocks
	}
	return &Source{c: cfg.Client, blocks: n, span: cfg.FeeWindow, price: cfg.Price}, nil
}

// Name returns "node".
func (s *Source) Name() string { return Name }

// URL is the node's RPC URL without credentials.
func (s *Source) URL() string { return s.c.URL() }

func (s *Source) errorf(format string, args ...any) error {
	return fmt.Errorf("node %s: "+format, append([]any{s.c.URL()}, args...)...)
}

// header is what the source keeps of each block of the window.
type header struct {
	height int64
	hash   string
	time   int64
	bits   consensus.Bits
}

// State reads the node's state now.
func (s *Source) State(ctx context.Context) (*netstate.State, error) {
	ci, err := s.c.ChainInfo(ctx)
	if err != nil {
		return nil, s.errorf("getblockchaininfo: %w", err)
	}
	netName, err := noderpc.NetworkName(ci.Chain)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	p, err := consensus.ParamsByName(netName)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	tipH := ci.Blocks
	if tipH < 1 {
		return nil, s.errorf("the node has no block after genesis (height %d)", tipH)
	}
	s.mu.Lock()
	last := s.lastHeight
	s.mu.Unlock()
	if tipH < last-6 {
		return nil, s.errorf("the tip went backwards from height %d to %d", last, tipH)
	}

	// The window's headers, newest first, plus the block before the
	// window (for its span) and the epoch's first block.
	n := s.blocks
	if s.span > 0 {
		n = MaxFeeWindowBlocks
	}
	if n > tipH {
		n = tipH // genesis pays nothing spendable and is left out
	}
	hs, err := s.headers(ctx, tipH-n, tipH)
	if err != nil {
		return nil, err
	}
	tip := hs[len(hs)-1]
	win := hs[1:]
	if s.span > 0 {
		cut := tip.time - int64(s.span/time.Second)
		i := len(win) - 1
		for i > 0 && win[i-1].time > cut {
			i--
		}
		win = win[i:]
	}
	before := hs[len(hs)-len(win)-1]

	fees, reward, err := s.fees(ctx, win, p)
	if err != nil {
		return nil, err
	}
	prov := netstate.Provenance{Source: Name, Detail: "node " + s.c.URL(), AsOf: time.Unix(tip.time, 0).UTC()}
	st := &netstate.State{Network: netName, Tip: netstate.Tip{Height: tip.height, Hash: tip.hash, Time: prov.AsOf, Provenance: prov}}

	// The epoch the next block belongs to and the bits in force for it.
	interval := p.RetargetInterval()
	first := (tip.height + 1) / interval * interval
	st.Epoch = netstate.Epoch{FirstHeight: first, Bits: tip.bits, Provenance: prov}
	if first <= tip.height {
		fh, err := s.headers(ctx, first, first)
		if err != nil {
			return nil, err
		}
		st.Epoch.FirstTime = time.Unix(fh[0].time, 0).UTC()
	} else if !p.NoRetargeting {
		// The next block starts a new epoch: its bits follow from the
		// epoch that ends at the tip.
		fh, err := s.headers(ctx, tip.height-(interval-1), tip.height-(interval-1))
		if err != nil {
			return nil, err
		}
		base := tip.bits
		if p.EnforceBIP94 {
			base = fh[0].bits
		}
		nb, err := consensus.NextBits(base, fh[0].time, tip.time, p)
		if err != nil {
			return nil, s.errorf("retarget after height %d: %w", tip.height, err)
		}
		st.Epoch.Bits = nb
	}

	var total consensus.Sats
	var work big.Float
	for i, h := range win {
		total += fees[i]
		w := new(big.Float).SetInt(consensus.WorkFromBits(h.bits))
		work.Add(&work, w)
	}
	nb := int64(len(win))
	st.Fees = netstate.Fees{PerBlock: consensus.Sats((int64(total) + nb/2) / nb), Blocks: nb, FromHeight: win[0].height, ToHeight: tip.height, Provenance: prov}
	wf, _ := work.Float64()
	st.Window = &netstate.Window{Blocks: nb, FromHeight: win[0].height, ToHeight: tip.height, SpanSec: tip.time - before.time,
		RewardSats: reward, FeesSats: total, WorkHashes: wf}
	if st.Window.SpanSec < 0 {
		st.Window.SpanSec = 0
	}
	if s.price != nil {
		pr, err := s.price.Price(ctx)
		if err != nil {
			return nil, fmt.Errorf("node: price from %s: %w", s.price.Name(), err)
		}
		st.Price = pr
	}
	s.mu.Lock()
	if tip.height > s.lastHeight {
		s.lastHeight = tip.height
	}
	s.mu.Unlock()
	return st, nil
}

// headers reads the headers of heights from..to (inclusive) in two
// batches (getblockhash, getblockheader) and checks that they link.
func (s *Source) headers(ctx context.Context, from, to int64) ([]header, error) {
	hashes, err := s.c.BlockHashes(ctx, from, to)
	if err != nil {
		return nil, s.errorf("getblockhash %d..%d: %w", from, to, err)
	}
	hdrs := make([]noderpc.Header, len(hashes))
	calls := make([]noderpc.BatchCall, len(hashes))
	for i, h := range hashes {
		calls[i] = noderpc.BatchCall{Method: "getblockheader", Params: []any{h, true}, Result: &hdrs[i]}
	}
	if err := s.c.Batch(ctx, calls); err != nil {
		return nil, s.errorf("getblockheader: %w", err)
	}
	out := make([]header, len(hashes))
	for i := range calls {
		if calls[i].Err != nil {
			return nil, s.errorf("getblockheader %s: %w", hashes[i], calls[i].Err)
		}
		h := hdrs[i]
		if h.Height != from+int64(i) || h.Hash != hashes[i] {
			return nil, s.errorf("getblockheader %s: the node says height %d hash %s (asked for height %d)", hashes[i], h.Height, h.Hash, from+int64(i))
		}
		if i > 0 && h.PreviousHash != out[i-1].hash {
			return nil, s.errorf("block %d does not follow block %d (the chain changed while reading; try again)", h.Height, h.Height-1)
		}
		bits, err := consensus.ParseBits(h.Bits)
		if err != nil {
			return nil, s.errorf("block %d: %w", h.Height, err)
		}
		out[i] = header{height: h.Height, hash: h.Hash, time: h.Time, bits: bits}
	}
	return out, nil
}

// blockStats is the part of Core's getblockstats answer the source uses
// (amounts in satoshis).
type blockStats struct {
	Height    int64  `json:"height"`
	BlockHash string `json:"blockhash"`
	Subsidy   int64  `json:"subsidy"`
	TotalFee  int64  `json:"totalfee"`
}

// methodNotFound is JSON-RPC's code for an unknown method (Core and btcd).
const methodNotFound = -32601

// fees returns each window block's fees and the window's total reward
// (subsidy + fees): from getblockstats, or from the serialized blocks'
// coinbases on a node without it.
func (s *Source) fees(ctx context.Context, win []header, p *consensus.Params) ([]consensus.Sats, consensus.Sats, error) {
	s.mu.Lock()
	noStats := s.noStats
	s.mu.Unlock()
	if !noStats {
		fees, reward, err := s.feesFromStats(ctx, win, p)
		var re *noderpc.Error
		if errors.As(err, &re) && re.Code == methodNotFound {
			s.mu.Lock()
			s.noStats = true
			s.mu.Unlock()
		} else {
			return fees, reward, err
		}
	}
	return s.feesFromBlocks(ctx, win, p)
}

// feesFromStats asks getblockstats for totalfee and subsidy.
func (s *Source) feesFromStats(ctx context.Context, win []header, p *consensus.Params) ([]consensus.Sats, consensus.Sats, error) {
	stats := make([]blockStats, len(win))
	calls := make([]noderpc.BatchCall, len(win))
	for i, h := range win {
		calls[i] = noderpc.BatchCall{Method: "getblockstats", Params: []any{h.hash, []string{"height", "blockhash", "subsidy", "totalfee"}}, Result: &stats[i]}
	}
	if err := s.c.Batch(ctx, calls); err != nil {
		return nil, 0, err
	}
	fees := make([]consensus.Sats, len(win))
	var reward consensus.Sats
	for i, h := range win {
		if err := calls[i].Err; err != nil {
			var re *noderpc.Error
			if errors.As(err, &re) && re.Code == methodNotFound {
				return nil, 0, re
			}
			return nil, 0, s.errorf("getblockstats %d: %w", h.height, err)
		}
		st := stats[i]
		if st.Height != h.height || (st.BlockHash != "" && st.BlockHash != h.hash) {
			return nil, 0, s.errorf("getblockstats %s: the node answered for height %d, block %s", h.hash, st.Height, st.BlockHash)
		}
		if st.TotalFee < 0 || st.TotalFee > maxSats || st.Subsidy != int64(consensus.BlockSubsidy(h.height, p)) {
			return nil, 0, s.errorf("getblockstats %d: totalfee %d sats, subsidy %d sats (allowed: fees 0 to 21M BTC, the consensus subsidy %d)", h.height, st.TotalFee, st.Subsidy, consensus.BlockSubsidy(h.height, p))
		}
		fees[i] = consensus.Sats(st.TotalFee)
		reward += fees[i] + consensus.Sats(st.Subsidy)
	}
	return fees, reward, nil
}

const maxSats = 21_000_000 * consensus.SatsPerBTC

// feesFromBlocks reads each block serialized (getblock HASH 0) and takes
// its fees from the coinbase: outputs minus subsidy. A coinbase that
// claims less than the subsidy has unknown fees and is refused.
func (s *Source) feesFromBlocks(ctx context.Context, win []header, p *consensus.Params) ([]consensus.Sats, consensus.Sats, error) {
	const batch = 16
	fees := make([]consensus.Sats, len(win))
	var reward consensus.Sats
	for lo := 0; lo < len(win); lo += batch {
		hi := min(lo+batch, len(win))
		hexes := make([]string, hi-lo)
		calls := make([]noderpc.BatchCall, hi-lo)
		for i := range calls {
			calls[i] = noderpc.BatchCall{Method: "getblock", Params: []any{win[lo+i].hash, 0}, Result: &hexes[i]}
		}
		if err := s.c.Batch(ctx, calls); err != nil {
			return nil, 0, s.errorf("getblock: %w", err)
		}
		for i := range calls {
			h := win[lo+i]
			if calls[i].Err != nil {
				return nil, 0, s.errorf("getblock %s 0: %w", h.hash, calls[i].Err)
			}
			raw, err := hex.DecodeString(hexes[i])
			if err != nil {
				return nil, 0, s.errorf("getblock %s 0: %w", h.hash, err)
			}
			rec, err := chain.BlockFromRaw(raw, h.height, p)
			if err != nil {
				return nil, 0, s.errorf("%w", err)
			}
			if rec.Hash.String() != h.hash {
				return nil, 0, s.errorf("getblock %s 0: the serialized block hashes to %s", h.hash, rec.Hash)
			}
			if rec.UnderClaimed {
				return nil, 0, s.errorf("block %d claims %s, less than its subsidy %s: its fees are unknown from the coinbase", h.height, rec.CoinbaseOutSats, rec.SubsidySats)
			}
			fees[lo+i] = rec.FeesSats
			reward += rec.CoinbaseOutSats
		}
	}
	return fees, reward, nil
}
