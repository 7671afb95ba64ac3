package history

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
)

// feeBlocks is a BlockReader over blocks in memory, ascending.
type feeBlocks []chain.BlockRecord

func (b feeBlocks) BlocksByTime(_ context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
	for _, r := range b {
		if r.Time >= from && r.Time < to {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}
func (feeBlocks) EpochBoundaries(context.Context, int64, func(chain.BlockRecord) error) error {
	return nil
}
func (b feeBlocks) LastBlock(context.Context) (chain.BlockRecord, bool, error) {
	return b[len(b)-1], len(b) > 0, nil
}

// dayFees is a PriceReader with imported daily fees.
type dayFees map[string]consensus.Sats

func (dayFees) Prices(context.Context) (map[string]float64, error) { return nil, nil }
func (d dayFees) DailyFeesPerBlock(context.Context) (map[string]consensus.Sats, error) {
	return d, nil
}

// TestFeeShare by hand at height 900,000 (subsidy 3.125 BTC): day 1 has
// two node blocks with 0.1 and 0.3 BTC of fees, share 0.4/(6.25+0.4);
// day 2 has a node block (0.2 BTC) and a CSV block whose fees come from
// the day's imported mean (0.05 BTC); day 3 has a CSV block with no
// imported fees, so its share is null.
func TestFeeShare(t *testing.T) {
	const day = 86400
	t0 := int64(1_750_000_000) / day * day
	bits := consensus.Bits(0x17021369)
	blocks := feeBlocks{
		{Height: 900000, Time: t0 + 10, Bits: bits, Source: "rpc", FeesSats: 10_000_000},
		{Height: 900001, Time: t0 + 20, Bits: bits, Source: "rpc", FeesSats: 30_000_000},
		{Height: 900002, Time: t0 + day + 10, Bits: bits, Source: "rpc", FeesSats: 20_000_000},
		{Height: 900003, Time: t0 + day + 20, Bits: bits, Source: "blocks-csv"},
		{Height: 900004, Time: t0 + 2*day + 20, Bits: bits, Source: "blocks-csv"},
	}
	d2 := date(t0 + day)
	got, err := FeeShare(context.Background(), blocks, dayFees{d2: 5_000_000}, consensus.MainNet, Range{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d days: %+v", len(got), got)
	}
	want := []float64{0.4 / 6.65, 0.25 / 6.5, math.NaN()}
	for i, w := range want {
		g := got[i]
		switch {
		case math.IsNaN(w) && g.FeeShare != nil:
			t.Errorf("%s: share %v, want null (fees unknown)", g.Date, *g.FeeShare)
		case !math.IsNaN(w) && (g.FeeShare == nil || math.Abs(*g.FeeShare-w) > 1e-15):
			t.Errorf("%s: share %v, want %v", g.Date, g.FeeShare, w)
		}
	}
	if got[1].FeeBlocks != 2 || got[1].FeesSats != 25_000_000 || got[2].FeeBlocks != 0 || got[2].SubsidySats != 312_500_000 {
		t.Errorf("days: %+v", got)
	}
	if _, err := FeeShare(context.Background(), feeBlocks{{Height: 1, Time: 5}}, nil, consensus.MainNet, Range{From: time0(100)}); err != ErrNoData {
		t.Errorf("empty range: %v, want ErrNoData", err)
	}
}

func time0(sec int64) time.Time { return time.Unix(sec, 0) }
