package history

import (
	"context"

	"github.com/hashlab/hashlab/consensus"
)

// FeeShareDay is the share of fees in what miners earned on one UTC day:
// fees / (subsidy + fees) over the day's blocks.
type FeeShareDay struct {
	Date        string         `json:"date"`
	Blocks      int64          `json:"blocks"`
	SubsidySats consensus.Sats `json:"subsidy_sats"`
	// FeesSats sums the fees of the day's blocks whose fees are known
	// (their own when ingested from a node, else the day's imported mean);
	// FeeBlocks counts those blocks.
	FeesSats  consensus.Sats `json:"fees_sats"`
	FeeBlocks int64          `json:"fee_blocks"`
	// FeeShare is FeesSats / (SubsidySats + FeesSats); nil unless every
	// block's fees are known.
	FeeShare *float64 `json:"fee_share"`
}

// FeeShare returns the fee share of miner revenue per UTC day for the
// blocks in rg, from the same block groups as Hashprice (rollups when the
// store keeps them), with fees as Hashprice counts them: a block's own
// when ingested from a node, else its day's imported mean per block (when
// pr is a DailyFeeReader), else unknown, and the day's share nil.
func FeeShare(ctx context.Context, r BlockReader, pr PriceReader, p *consensus.Params, rg Range) ([]FeeShareDay, error) {
	var dayFees map[string]consensus.Sats
	if fr, ok := pr.(DailyFeeReader); ok && pr != nil {
		var err error
		if dayFees, err = fr.DailyFeesPerBlock(ctx); err != nil {
			return nil, err
		}
	}
	from, to := rg.bounds()
	gs, err := dayGroups(ctx, r, p, from, to)
	if err != nil {
		return nil, err
	}
	var out []FeeShareDay
	for _, g := range gs {
		day := date(g.Day)
		if len(out) == 0 || out[len(out)-1].Date != day {
			out = append(out, FeeShareDay{Date: day})
		}
		d := &out[len(out)-1]
		d.Blocks += g.Blocks
		d.SubsidySats += g.SubsidySats * consensus.Sats(g.Blocks)
		d.FeesSats += g.NodeFeesSats
		d.FeeBlocks += g.NodeBlocks
		if other := g.Blocks - g.NodeBlocks; other > 0 {
			if f, ok := dayFees[day]; ok {
				d.FeesSats += f * consensus.Sats(other)
				d.FeeBlocks += other
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrNoData
	}
	for i := range out {
		d := &out[i]
		if d.FeeBlocks == d.Blocks && d.SubsidySats+d.FeesSats > 0 {
			v := float64(d.FeesSats) / float64(d.SubsidySats+d.FeesSats)
			d.FeeShare = &v
		}
	}
	return out, nil
}
