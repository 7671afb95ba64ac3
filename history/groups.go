package history

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
)

// BlockGroup is the stored blocks of one UTC day, one difficulty epoch,
// one nBits and one subsidy: the unit daily, weekly and per-epoch history
// is summed over. Within a group every block has the same difficulty and
// subsidy, so its hashvalue is one product of an exact integer sum of
// rewards, and its work one product of a count; a period's figures are
// sums over its groups in (Day, Epoch, Bits, SubsidySats) order. The same
// blocks give the same groups, whether a store keeps them as rollups
// (GroupReader) or history builds them from the blocks, so both give the
// same history to the last bit.
type BlockGroup struct {
	// Day is the UTC day's 00:00 in Unix seconds.
	Day int64
	// Epoch is height / the retarget interval.
	Epoch       int64
	Bits        consensus.Bits
	SubsidySats consensus.Sats
	Blocks      int64
	FirstHeight int64
	LastHeight  int64
	// NodeBlocks counts the group's blocks ingested from a node (source
	// "rpc"), whose fees are their own; NodeFeesSats is their sum.
	NodeBlocks   int64
	NodeFeesSats consensus.Sats
}

// GroupReader is implemented by a store that keeps BlockGroups as
// rollups (*store.DB does): Hashprice and Hashrate then read a few rows
// per day instead of every block.
type GroupReader interface {
	// BlockGroups calls fn for every group of the stored blocks whose
	// time t has from <= t < to (both multiples of 86400), with epochs of
	// epochBlocks blocks, ordered by Day, Epoch, Bits, SubsidySats. ok is
	// false (and fn is not called) when the store cannot answer for that
	// epoch length.
	BlockGroups(ctx context.Context, epochBlocks, from, to int64, fn func(BlockGroup) error) (ok bool, err error)
	// HeightRuns calls fn for every maximal run first..last of
	// consecutive stored heights, ascending.
	HeightRuns(ctx context.Context, fn func(first, last int64) error) error
}

// groupKey orders groups as GroupReader does.
type groupKey struct {
	day, epoch int64
	bits       consensus.Bits
	subsidy    consensus.Sats
}

func compareGroups(a, b BlockGroup) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Epoch, b.Epoch), cmp.Compare(a.Bits, b.Bits), cmp.Compare(a.SubsidySats, b.SubsidySats))
}

// groupBlocks reads the blocks with from <= time < to and groups them as
// a GroupReader would. The subsidy is the consensus subsidy of the height
// (as hashprice.Compute takes it).
func groupBlocks(ctx context.Context, r BlockReader, p *consensus.Params, from, to int64, visit func(chain.BlockRecord)) ([]BlockGroup, error) {
	interval := p.RetargetInterval()
	m := map[groupKey]*BlockGroup{}
	err := r.BlocksByTime(ctx, from, to, func(b chain.BlockRecord) error {
		if visit != nil {
			visit(b)
		}
		k := groupKey{floorDay(b.Time), b.Height / interval, b.Bits, consensus.BlockSubsidy(b.Height, p)}
		g := m[k]
		if g == nil {
			g = &BlockGroup{Day: k.day, Epoch: k.epoch, Bits: k.bits, SubsidySats: k.subsidy, FirstHeight: b.Height, LastHeight: b.Height}
			m[k] = g
		}
		g.Blocks++
		g.FirstHeight = min(g.FirstHeight, b.Height)
		g.LastHeight = max(g.LastHeight, b.Height)
		if b.Source == "rpc" {
			g.NodeBlocks++
			g.NodeFeesSats += b.FeesSats
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]BlockGroup, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	slices.SortFunc(out, compareGroups)
	return out, nil
}

// storedGroups reads the groups of [from, to) from gr when it can answer
// for p (day-aligned bounds, p's retarget interval and, when
// checkSubsidy, subsidies that are p's); ok is false otherwise.
func storedGroups(ctx context.Context, gr GroupReader, p *consensus.Params, from, to int64, checkSubsidy bool) (gs []BlockGroup, ok bool, err error) {
	if (from != math.MinInt64 && from%86400 != 0) || (to != math.MaxInt64 && to%86400 != 0) {
		return nil, false, nil
	}
	ok, err = gr.BlockGroups(ctx, p.RetargetInterval(), from, to, func(g BlockGroup) error {
		gs = append(gs, g)
		return nil
	})
	if err != nil || !ok {
		return nil, false, err
	}
	for _, g := range gs {
		if !checkSubsidy {
			break
		}
		// The subsidy falls with height, so equal subsidies at both ends
		// mean every block between has the consensus subsidy.
		if consensus.BlockSubsidy(g.FirstHeight, p) != g.SubsidySats || consensus.BlockSubsidy(g.LastHeight, p) != g.SubsidySats {
			return nil, false, nil
		}
	}
	return gs, true, nil
}

// checkBits fails like the per-block scans do on the lowest block without
// bits among gs.
func checkBits(gs []BlockGroup) error {
	lowest := int64(-1)
	for _, g := range gs {
		if g.Bits == 0 && (lowest < 0 || g.FirstHeight < lowest) {
			lowest = g.FirstHeight
		}
	}
	if lowest >= 0 {
		return fmt.Errorf("history: block %d has no bits (import its header, or the blocks CSV for mainnet)", lowest)
	}
	return nil
}

// groupDifficulty is the difficulty of a group's bits, checked as
// hashprice.Compute checks it.
func groupDifficulty(g BlockGroup) (float64, error) {
	d := consensus.Difficulty(g.Bits)
	if !(d > 0) || math.IsInf(d, 0) {
		return 0, fmt.Errorf("history: block %d: %w", g.FirstHeight, hashprice.Inputs{Difficulty: d}.Validate())
	}
	return d, nil
}

// heightRuns holds runs of consecutive stored heights, ascending.
type heightRuns struct{ first, last []int64 }

// covers reports whether heights lo..hi are all stored.
func (r *heightRuns) covers(lo, hi int64) bool {
	i, found := slices.BinarySearch(r.first, lo)
	if !found {
		i--
	}
	return i >= 0 && r.first[i] <= lo && r.last[i] >= hi
}
