package chainstore

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/store"
)

// Name is the source's kind in provenance and --source.
const Name = "db"

// Config configures a Source.
type Config struct {
	DB *store.DB
	// FeeWindowBlocks averages the last N blocks' fees (1 to 2016; 0:
	// 144) unless FeeWindow > 0, which averages the blocks within that
	// time of the tip.
	FeeWindowBlocks int64
	FeeWindow       time.Duration
}

// Source is the chain store as a netstate.Source.
type Source struct {
	db     *store.DB
	blocks int64
	span   time.Duration
}

// New returns a Source over cfg.DB.
func New(cfg Config) (*Source, error) {
	if cfg.DB == nil {
		return nil, errors.New("db: no database")
	}
	if cfg.FeeWindowBlocks < 0 || cfg.FeeWindowBlocks > 2016 {
		return nil, fmt.Errorf("db: fee window of %d blocks (allowed: 1 to 2016)", cfg.FeeWindowBlocks)
	}
	n := cfg.FeeWindowBlocks
	if n == 0 {
		n = 144
	}
	return &Source{db: cfg.DB, blocks: n, span: cfg.FeeWindow}, nil
}

// Name returns "db".
func (s *Source) Name() string { return Name }

func (s *Source) errorf(format string, args ...any) error {
	return fmt.Errorf("db %s: "+format, append([]any{s.db.Path()}, args...)...)
}

// feesKnown reports whether a stored block's fees are known: it was
// ingested from a node and its coinbase claimed at least the subsidy.
func feesKnown(b chain.BlockRecord) bool { return b.Source == store.SourceRPC && !b.UnderClaimed }

// State reads the store's state.
func (s *Source) State(ctx context.Context) (*netstate.State, error) {
	netName, err := s.db.Network(ctx)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	if netName == "" {
		netName = consensus.MainNet.Name
	}
	p, err := consensus.ParamsByName(netName)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	tip, ok, err := s.db.LastBlock(ctx)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	if !ok {
		return nil, s.errorf("no blocks: run `hashlab ingest` or `hashlab import headers|blocks` first")
	}
	if tip.Bits == 0 {
		return nil, s.errorf("block %d has no bits", tip.Height)
	}
	prov := netstate.Provenance{Source: Name, Detail: "db " + s.db.Path(), AsOf: time.Unix(tip.Time, 0).UTC()}
	st := &netstate.State{Network: netName, Tip: netstate.Tip{Height: tip.Height, Time: prov.AsOf, Provenance: prov}}
	if tip.Hash != (consensus.Hash{}) {
		st.Tip.Hash = tip.Hash.String()
	}

	interval := p.RetargetInterval()
	first := (tip.Height + 1) / interval * interval
	st.Epoch = netstate.Epoch{FirstHeight: first, Bits: tip.Bits, Provenance: prov}
	if first <= tip.Height {
		if fb, ok, err := s.db.Block(ctx, first); err != nil {
			return nil, s.errorf("%w", err)
		} else if ok {
			st.Epoch.FirstTime = time.Unix(fb.Time, 0).UTC()
		}
	} else if !p.NoRetargeting {
		fb, ok, err := s.db.Block(ctx, tip.Height-(interval-1))
		if err != nil {
			return nil, s.errorf("%w", err)
		}
		if !ok {
			return nil, s.errorf("the next block retargets, but block %d (the epoch's first) is not stored", tip.Height-(interval-1))
		}
		base := tip.Bits
		if p.EnforceBIP94 {
			base = fb.Bits
		}
		if st.Epoch.Bits, err = consensus.NextBits(base, fb.Time, tip.Time, p); err != nil {
			return nil, s.errorf("retarget after block %d: %w", tip.Height, err)
		}
	}

	if err := s.fees(ctx, st, tip, prov); err != nil {
		return nil, err
	}

	date, usd, ok, err := s.db.NewestPrice(ctx)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	if ok {
		day, _ := time.Parse(time.DateOnly, date)
		// A daily close is the price at the end of its UTC day.
		asOf := day.Add(24*time.Hour - time.Second)
		st.Price = &netstate.Price{USD: usd, Provenance: netstate.Provenance{Source: Name, Detail: "db " + s.db.Path() + ", imported close of " + date, AsOf: asOf}}
	}
	return st, nil
}

// fees fills st.Fees (and st.Window when every block of the window has
// known fees).
func (s *Source) fees(ctx context.Context, st *netstate.State, tip chain.BlockRecord, prov netstate.Provenance) error {
	from := tip.Height - s.blocks + 1
	if s.span > 0 {
		from = tip.Height - 2015
	}
	from = max(from, 1)
	var win []chain.BlockRecord
	var before *chain.BlockRecord
	err := s.db.BlocksByHeight(ctx, from-1, tip.Height, func(b chain.BlockRecord) error {
		if b.Height == from-1 {
			before = &b
			return nil
		}
		if s.span > 0 && b.Time <= tip.Time-int64(s.span/time.Second) && b.Height != tip.Height {
			c := b
			before = &c
			return nil
		}
		win = append(win, b)
		return nil
	})
	if err != nil {
		return s.errorf("%w", err)
	}
	var known, total, reward int64
	var work big.Float
	all := true
	for _, b := range win {
		if !feesKnown(b) {
			all = false
			continue
		}
		known++
		total += int64(b.FeesSats)
		reward += int64(b.CoinbaseOutSats)
		work.Add(&work, new(big.Float).SetInt(consensus.WorkFromBits(b.Bits)))
	}
	if known > 0 {
		st.Fees = netstate.Fees{PerBlock: consensus.Sats((total + known/2) / known), Blocks: known, FromHeight: win[0].Height, ToHeight: tip.Height, Provenance: prov}
		if all && len(win) > 0 && int64(len(win)) == tip.Height-win[0].Height+1 {
			wf, _ := work.Float64()
			w := &netstate.Window{Blocks: known, FromHeight: win[0].Height, ToHeight: tip.Height, RewardSats: consensus.Sats(reward), FeesSats: consensus.Sats(total), WorkHashes: wf}
			if before != nil && tip.Time > before.Time {
				w.SpanSec = tip.Time - before.Time
			}
			st.Window = w
		}
		return nil
	}
	df, ok, err := s.db.NewestDailyFees(ctx)
	if err != nil {
		return s.errorf("%w", err)
	}
	if !ok {
		return s.errorf("no fees known: none of blocks %d..%d was ingested from a node and no daily fees were imported (run `hashlab ingest`, or `hashlab import fees --from mempool`; or give --fees-btc)", from, tip.Height)
	}
	day, _ := time.Parse(time.DateOnly, df.Date)
	st.Fees = netstate.Fees{PerBlock: df.PerBlockSats, Provenance: netstate.Provenance{Source: Name,
		Detail: fmt.Sprintf("db %s, imported mean fees of %s (from %s)", s.db.Path(), df.Date, df.Source), AsOf: day.Add(24*time.Hour - time.Second)}}
	return nil
}
