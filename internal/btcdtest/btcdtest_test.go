package btcdtest

import (
	"context"
	"os"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// TestMinerBlocksAreAccepted mines tagged blocks, matures a coinbase,
// spends it with a fee and under-claims once, and checks what btcd
// reports back for each.
func TestMinerBlocksAreAccepted(t *testing.T) {
	n := Start(t)
	m := NewMiner(t, n, "miner")
	pool := NewKey(t, "pool")
	m.MineN(t, 101, BlockSpec{Tag: "/btcdtest/"})
	if got := n.Height(t); got != 101 {
		t.Fatalf("height %d, want 101", got)
	}
	const fee = 12_345
	tx := m.Spend(t, fee, pool.P2PKH)
	blk := m.Mine(t, BlockSpec{Tag: "/Foundry USA Pool #dropgold/", Txs: []*wire.MsgTx{tx}, Fees: fee,
		Payouts: []address.Address{pool.P2WPKH, pool.P2PKH}})
	m.Mine(t, BlockSpec{Tag: "/under/", UnderClaimSats: 1})

	ctx := context.Background()
	hash, err := n.RPC.BlockHash(ctx, 102)
	if err != nil {
		t.Fatal(err)
	}
	if hash != blk.BlockHash().String() {
		t.Fatalf("node's block 102 is %s, we mined %s", hash, blk.BlockHash())
	}
	rb, err := n.RPC.Block(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := noderpc.BlockFromRPC(rb, consensus.RegTest)
	if err != nil {
		t.Fatal(err)
	}
	if rec.FeesSats != fee || rec.TxCount != 2 || rec.UnderClaimed {
		t.Errorf("block 102: fees %d tx %d under %v, want %d 2 false", rec.FeesSats, rec.TxCount, rec.UnderClaimed, fee)
	}
	if rec.CoinbaseTag != "/Foundry USA Pool #dropgold/" {
		t.Errorf("tag %q", rec.CoinbaseTag)
	}
	want := []string{pool.P2WPKH.EncodeAddress(), pool.P2PKH.EncodeAddress()}
	if len(rec.PayoutAddresses) != 2 || rec.PayoutAddresses[0] != want[0] || rec.PayoutAddresses[1] != want[1] {
		t.Errorf("payouts %v, want %v", rec.PayoutAddresses, want)
	}
	hash, _ = n.RPC.BlockHash(ctx, 103)
	rb, _ = n.RPC.Block(ctx, hash)
	rec, err = noderpc.BlockFromRPC(rb, consensus.RegTest)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.UnderClaimed || rec.CoinbaseOutSats != rec.SubsidySats-1 {
		t.Errorf("block 103: under %v out %d subsidy %d", rec.UnderClaimed, rec.CoinbaseOutSats, rec.SubsidySats)
	}
}
