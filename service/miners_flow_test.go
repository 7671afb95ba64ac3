package service

import (
	"context"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/minerflow"
)

type fakeFlow struct {
	data minerflow.Stored
	err  error
}

func (f fakeFlow) MinerFlow(context.Context) (minerflow.Stored, error) { return f.data, f.err }
func (f fakeFlow) Prices(context.Context) (map[string]float64, error) {
	return map[string]float64{"2023-11-14": 40000}, nil
}

// TestMinersFlowInputs: a store without miner flow, or whose tracked
// range holds no block yet (after a rollback below its start), is bad
// input naming the database; an unknown pool names the known ones.
func TestMinersFlowInputs(t *testing.T) {
	ctx := context.Background()
	for _, f := range []fakeFlow{{err: minerflow.ErrNotTracked}, {data: minerflow.Stored{FromHeight: 3, TipHeight: -1}}} {
		_, err := MinersFlow(ctx, f, nil, MinersFlowQuery{})
		if ie, ok := hashlab.AsInput(err); !ok || ie.Field != "database" || !strings.Contains(err.Error(), "--miner-flow") {
			t.Errorf("%+v: %v", f, err)
		}
	}
	t0 := int64(1_699_920_000) // 2023-11-14
	f := fakeFlow{data: minerflow.Stored{FromHeight: 1, FirstTime: t0, TipHeight: 1, TipTime: t0,
		Coins: []minerflow.Tracked{{Coin: minerflow.Coin{OutPoint: minerflow.OutPoint{TxID: "c"}, Pool: "a", Kind: minerflow.KindCoinbase, Sats: 5e8, Height: 1, Time: t0, MinedTime: t0}, Spent: true, SpendTime: t0 + 60, SpendTxID: "s"}}}}
	a, err := MinersFlow(ctx, f, nil, MinersFlowQuery{})
	if err != nil || len(a.Total.Days) != 1 || a.Total.Days[0].OutflowUSD == nil || float64(*a.Total.Days[0].OutflowUSD) != 5*40000 || len(a.Notes) != len(MinersFlowNotes) {
		t.Fatalf("%+v %v", a, err)
	}
	if _, err := MinersFlow(ctx, f, nil, MinersFlowQuery{Pool: "zz"}); err == nil || !strings.Contains(err.Error(), "(a)") {
		t.Errorf("unknown pool: %v", err)
	}
}
