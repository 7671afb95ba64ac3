package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/internal/btcdtest"
	"github.com/hashlab/hashlab/internal/webreplay"
)

// TestSourceNode runs overview and hashprice against btcd in regtest
// (which has no getblockstats: the fees come from the blocks'
// coinbases), configured as ingest is, through BITCOIN_RPC_*.
func TestSourceNode(t *testing.T) {
	n := btcdtest.Start(t)
	m := btcdtest.NewMiner(t, n, "cli-node-source")
	sink := btcdtest.NewKey(t, "cli-node-sink")
	m.MineN(t, 101, btcdtest.BlockSpec{})
	var sum int64
	for j := range 3 {
		fee := int64(20_000 * (j + 1))
		m.Mine(t, btcdtest.BlockSpec{Txs: []*wire.MsgTx{m.Spend(t, fee, sink.P2PKH)}, Fees: fee})
		sum += fee
	}
	vars := map[string]string{"HOME": t.TempDir(), "BITCOIN_RPC_URL": n.RPCURL, "BITCOIN_RPC_USER": n.User, "BITCOIN_RPC_PASSWORD": n.Password}

	code, out, stderr := runEnv(t, vars, "overview", "--source", "node", "--fee-window", "3", "--price", "90000")
	if code != 0 {
		t.Fatalf("overview --source node: exit %d\n%s%s", code, out, stderr)
	}
	// The node's tip, its bits and the mean fees of its last three blocks
	// (20,000, 40,000 and 60,000 sats: 0.0004 BTC).
	for _, want := range []string{"node " + n.RPCURL, "104", "0x207fffff", "0.0004 BTC", "mean of the last 3 blocks, blocks 102..104"} {
		if !strings.Contains(out, want) {
			t.Errorf("overview --source node lacks %q:\n%s", want, out)
		}
	}
	if stderr != "" {
		t.Errorf("a fresh node state warns: %s", stderr)
	}
	if strings.Contains(out, "9,223,372,036,854,775,808") {
		t.Error("a regtest hashprice overflowed int64 in the text output")
	}
	t.Logf("hashlab overview --source node --fee-window 3 --price 90000:\n%s", out)

	// The price from the exchanges' recorded answers (replay server).
	kr := webreplay.New(t, webreplay.ExchangeDir(t, "kraken"), webreplay.Options{Date: webreplay.ExchangeDate})
	code, out, stderr = runEnv(t, vars, "hashprice", "--source", "node", "--exchanges", "kraken", "--exchange-urls", "kraken="+kr.URL, "--json")
	if code != 0 {
		t.Fatalf("hashprice --source node --json: exit %d\n%s%s", code, out, stderr)
	}
	var h struct {
		Source          string    `json:"source"`
		AsOf            time.Time `json:"as_of"`
		FeeWindowBlocks *int64    `json:"fee_window_blocks"`
		Height          int64     `json:"height"`
		Fees            int64     `json:"fees_per_block_sats"`
		Price           float64   `json:"price_usd"`
		Method          struct{ Fees, Difficulty string }
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	// The default window is 144 blocks, more than the chain has after
	// genesis: all 104 blocks.
	if h.Source != "node" || time.Since(h.AsOf) > time.Hour || h.FeeWindowBlocks == nil || *h.FeeWindowBlocks != 104 || h.Height != 104 || h.Fees != (sum+52)/104 || h.Price != 78415 || h.Method.Difficulty != "in-force" {
		t.Errorf("hashprice --source node --json = %+v\n%s", h, out)
	}

	t.Logf("hashlab hashprice --source node --json:\n%s", out)
	// The realised method over the node's last 3 blocks.
	code, out, stderr = runEnv(t, vars, "hashprice", "--source", "node", "--fee-window", "3", "--difficulty-method", "realised", "--price", "90000")
	if code != 0 || !strings.Contains(out, "realised") || !strings.Contains(out, "3 blocks 102..104") {
		t.Errorf("realised: exit %d\n%s%s", code, out, stderr)
	}

	// An explicit node that does not answer is exit 1 naming it; no
	// fallback.
	vars["BITCOIN_RPC_URL"] = "http://127.0.0.1:1"
	code, out, stderr = runEnv(t, vars, "hashprice", "--source", "node", "--price", "1")
	if code != 1 || out != "" || !strings.Contains(stderr, "source node") || !strings.Contains(stderr, "127.0.0.1:1") {
		t.Errorf("unreachable node: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}
