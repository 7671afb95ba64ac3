package store

import (
	"context"
	"errors"
	"testing"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/minerflow"
)

// TestMinerFlowRollback: a coin mined at 5 and spent at 7, a payout coin
// made at 7; rolling back to 6 unspends the coin and deletes the payout
// coin and the destination; rolling back to 2 (below the tracked start)
// empties the tables and moves the start to 3. Writing the same batch
// twice changes nothing. On SQLite and PostgreSQL.
func TestMinerFlowRollback(t *testing.T) { backends(t, testMinerFlowRollback) }

func testMinerFlowRollback(t *testing.T, name string) {
	ctx := context.Background()
	db, _ := openAt(t, name)
	if _, err := db.MinerFlow(ctx); !errors.Is(err, minerflow.ErrNotTracked) {
		t.Fatalf("empty database: %v", err)
	}
	var blocks []chain.BlockRecord
	for h := int64(5); h <= 7; h++ {
		blocks = append(blocks, chain.BlockRecord{Height: h, Hash: consensus.Hash{byte(h)}, PrevHash: consensus.Hash{byte(h - 1)}, Time: 1000 * h, Source: "rpc", Pool: "p"})
	}
	flow := minerflow.BlockFlow{
		Coins: []minerflow.Coin{
			{OutPoint: minerflow.OutPoint{TxID: "cb5"}, Pool: "p", Kind: minerflow.KindCoinbase, Sats: 50e8, Height: 5, Time: 5000, MinedTime: 5000, Address: "a"},
			{OutPoint: minerflow.OutPoint{TxID: "s7"}, Pool: "p", Kind: minerflow.KindPayout, Sats: 20e8, Height: 7, Time: 7000, MinedTime: 5000, Address: "pay"},
		},
		Spends: []minerflow.Spend{{OutPoint: minerflow.OutPoint{TxID: "cb5"}, Pool: "p", Height: 7, Time: 7000, SpendTxID: "s7"}},
		Dests:  []minerflow.Dest{{SpendTxID: "s7", N: 1, Height: 7, Time: 7000, Address: "x", Sats: 30e8 - 1000}},
	}
	for range 2 {
		if err := db.PutBlocksFlow(ctx, blocks, flow); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := db.CountMinerFlow(ctx); c != (MinerFlowCounts{Coins: 2, Spends: 1, Dests: 1}) {
		t.Fatalf("after writing twice: %+v", c)
	}
	unspent := func() []string {
		var out []string
		if err := db.UnspentMinerCoins(ctx, func(c minerflow.Coin) error { out = append(out, c.TxID); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if u := unspent(); len(u) != 1 || u[0] != "s7" {
		t.Fatalf("unspent %v", u)
	}
	data, err := db.MinerFlow(ctx)
	if err != nil || data.FromHeight != 5 || data.FirstTime != 5000 || data.TipHeight != 7 || len(data.Coins) != 2 || !data.Coins[0].Spent || data.Coins[0].SpendHeight != 7 {
		t.Fatalf("%+v %v", data, err)
	}
	if err := db.Rollback(ctx, 6, Reorg{ForkHeight: 6, OldTipHeight: 7, Depth: 1}); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.CountMinerFlow(ctx); c != (MinerFlowCounts{Coins: 1}) {
		t.Fatalf("after the rollback to 6: %+v", c)
	}
	if u := unspent(); len(u) != 1 || u[0] != "cb5" {
		t.Fatalf("unspent after the rollback %v", u)
	}
	if err := db.Rollback(ctx, 2, Reorg{ForkHeight: 2, OldTipHeight: 6, Depth: 4}); err != nil {
		t.Fatal(err)
	}
	if from, ok, err := db.MinerFlowFrom(ctx); err != nil || !ok || from != 3 {
		t.Fatalf("tracked from %d %v %v, want 3", from, ok, err)
	}
	if c, _ := db.CountMinerFlow(ctx); c != (MinerFlowCounts{}) {
		t.Fatalf("after the rollback to 2: %+v", c)
	}
}
