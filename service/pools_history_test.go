package service

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
)

// blockList is a history.BlockReader over blocks in memory.
type blockList []chain.BlockRecord

func (b blockList) BlocksByTime(_ context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
	for _, r := range b {
		if r.Time >= from && r.Time < to {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}
func (b blockList) EpochBoundaries(context.Context, int64, func(chain.BlockRecord) error) error {
	return nil
}
func (b blockList) LastBlock(context.Context) (chain.BlockRecord, bool, error) {
	if len(b) == 0 {
		return chain.BlockRecord{}, false, nil
	}
	return b[len(b)-1], true, nil
}

// TestPoolsHistoryOf counts by hand: week 1 (Mon 2024-01-01) has a×3,
// b×1; week 2 has a×1, b×1, c×1, unknown×1, with a header time stepping
// back into week 1 kept in week 1.
func TestPoolsHistoryOf(t *testing.T) {
	mon := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	day := int64(86400)
	blocks := blockList{
		{Height: 1, Time: mon + 10, Pool: "a"}, {Height: 2, Time: mon + day, Pool: "a"}, {Height: 3, Time: mon + 2*day, Pool: "b"},
		{Height: 4, Time: mon + 7*day, Pool: "a"}, {Height: 5, Time: mon + 7*day - 5, Pool: "a"}, // steps back into week 1
		{Height: 6, Time: mon + 8*day, Pool: "b"}, {Height: 7, Time: mon + 9*day, Pool: "c"}, {Height: 8, Time: mon + 10*day, Pool: ""},
	}
	names := func(s string) string {
		if s == "a" {
			return "Pool A"
		}
		return ""
	}
	h, err := PoolsHistoryOf(context.Background(), blocks, names, PoolsHistoryQuery{Every: "week", Top: 2})
	if err != nil {
		t.Fatal(err)
	}
	if h.Blocks != 8 || len(h.Periods) != 2 || len(h.Pools) != 2 || h.Pools[0].Name != "Pool A" || h.Pools[1].Slug != "b" {
		t.Fatalf("%+v", h)
	}
	if got := h.Series; len(got) != 4 || got[2] != "other" || got[3] != "unknown" {
		t.Errorf("series %v", got)
	}
	w1, w2 := h.Periods[0], h.Periods[1]
	if w1.Start != "2024-01-01" || w1.Blocks != 4 || w1.Shares[0] != 0.75 || w1.LargestName != "Pool A" || w1.LargestShare != 0.75 || w1.Nakamoto50 != 1 {
		t.Errorf("week 1: %+v", w1)
	}
	if math.Abs(w1.HHI-(0.75*0.75+0.25*0.25)) > 1e-12 {
		t.Errorf("week 1 HHI %v", w1.HHI)
	}
	// Week 2: a, b, c one each and one unknown (left out of the entities):
	// HHI 3 × 0.25², Nakamoto(50%) 3 (0.25+0.25 = 0.5 is not more than half).
	if w2.Start != "2024-01-08" || w2.Blocks != 4 || w2.Shares[2] != 0.25 || w2.Shares[3] != 0.25 || w2.Nakamoto50 != 3 || math.Abs(w2.HHI-3*0.0625) > 1e-12 {
		t.Errorf("week 2: %+v", w2)
	}
	if w1.Complete || w2.Complete {
		t.Error("the first and last periods are partial")
	}
	if _, err := PoolsHistoryOf(context.Background(), blocks, nil, PoolsHistoryQuery{Every: "day", Top: 2}); err == nil {
		t.Error("every=day accepted")
	}
	m, err := PoolsHistoryOf(context.Background(), blocks, nil, PoolsHistoryQuery{Every: "month", Top: 8})
	if err != nil || len(m.Periods) != 1 || m.Periods[0].Start != "2024-01-01" || len(m.Pools) != 3 {
		t.Errorf("month: %+v %v", m, err)
	}
}
