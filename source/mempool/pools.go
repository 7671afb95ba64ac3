package mempool

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source"
)

// PoolPeriods are the windows /v1/mining/pools/:timePeriod accepts.
var PoolPeriods = []string{"24h", "3d", "1w", "1m", "3m", "6m", "1y", "2y", "3y"}

// PoolBlocks is one pool's blocks in a window, as mempool attributes
// them (coinbase tags and payout addresses of mempool/mining-pools).
type PoolBlocks struct {
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	Blocks int64  `json:"blocks"`
}

// PoolShares is the blocks per pool over a window ending now.
type PoolShares struct {
	Period string       `json:"period"`
	Blocks int64        `json:"blocks"`
	Pools  []PoolBlocks `json:"pools"`
	netstate.Provenance
}

// PoolShares returns the blocks each pool mined over period (one of
// PoolPeriods), from GET {base}/v1/mining/pools/:timePeriod (documented
// at https://mempool.space/docs/api/rest, "Get Mining Pools": an object
// {pools: [{poolId, name, link, blockCount, rank, emptyBlocks, slug,
// ...}], blockCount, lastEstimatedHashrate}). Pools are sorted by blocks,
// most first; mempool's "unknown" pool keeps its slug so that callers
// report it apart. A negative count, or pools that add up to more blocks
// than the window's total, is an ErrImplausible error naming the URL.
// Provenance.AsOf is the time of the answer.
func (s *Source) PoolShares(ctx context.Context, period string) (*PoolShares, error) {
	if !slices.Contains(PoolPeriods, period) {
		return nil, hashlab.Invalid("window", period, strings.Join(PoolPeriods, ", "))
	}
	u := s.base + "/v1/mining/pools/" + period
	var ans struct {
		Pools []struct {
			Name       *string `json:"name"`
			Slug       *string `json:"slug"`
			BlockCount *int64  `json:"blockCount"`
		} `json:"pools"`
		BlockCount *int64 `json:"blockCount"`
	}
	if _, err := s.c.GetJSON(ctx, u, &ans); err != nil {
		return nil, err
	}
	if ans.BlockCount == nil || ans.Pools == nil {
		return nil, s.c.Fail(u, source.ErrMalformed, "the answer has no pools or blockCount")
	}
	if *ans.BlockCount <= 0 {
		return nil, s.c.Fail(u, source.ErrImplausible, "blockCount is %d (allowed: > 0)", *ans.BlockCount)
	}
	out := &PoolShares{Period: period, Blocks: *ans.BlockCount, Provenance: s.prov(s.now().UTC().Truncate(time.Second))}
	var sum int64
	for i, p := range ans.Pools {
		if p.Name == nil || p.Slug == nil || p.BlockCount == nil {
			return nil, s.c.Fail(u, source.ErrMalformed, "pools[%d] has no name, slug or blockCount", i)
		}
		if *p.BlockCount < 0 {
			return nil, s.c.Fail(u, source.ErrImplausible, "pools[%d] (%s) has blockCount %d (allowed: >= 0)", i, *p.Slug, *p.BlockCount)
		}
		sum += *p.BlockCount
		if *p.BlockCount > 0 {
			out.Pools = append(out.Pools, PoolBlocks{Slug: *p.Slug, Name: *p.Name, Blocks: *p.BlockCount})
		}
	}
	if sum > out.Blocks {
		return nil, s.c.Fail(u, source.ErrImplausible, "the pools' blocks add up to %d, more than the window's %d", sum, out.Blocks)
	}
	if sum < out.Blocks {
		// Blocks mempool counts but lists under no pool: unattributed.
		i := slices.IndexFunc(out.Pools, func(p PoolBlocks) bool { return p.Slug == "unknown" })
		if i < 0 {
			out.Pools = append(out.Pools, PoolBlocks{Slug: "unknown", Name: "Unknown"})
			i = len(out.Pools) - 1
		}
		out.Pools[i].Blocks += out.Blocks - sum
	}
	slices.SortStableFunc(out.Pools, func(a, b PoolBlocks) int { return int(b.Blocks - a.Blocks) })
	return out, nil
}
