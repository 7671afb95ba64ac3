package server

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/minerflow"
	"github.com/hashlab/hashlab/store"
)

// minerFlowStore writes a small chain store with miner flow: blocks 1-3 a
// day apart, two coinbases of 50 BTC (pools a and b), a's spent on day 3
// with 20 BTC back to a payout address.
func minerFlowStore(t *testing.T) *store.DB {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "mf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t0 := int64(1_700_000_000) / 86400 * 86400
	blocks := make([]chain.BlockRecord, 3)
	for i := range blocks {
		blocks[i] = chain.BlockRecord{Height: int64(i + 1), Hash: consensus.Hash{byte(i + 1)}, PrevHash: consensus.Hash{byte(i)}, Time: t0 + int64(i)*86400 + 60, Bits: 0x207fffff, Source: "rpc", Pool: "a"}
	}
	coin := func(txid string, pool string, h int) minerflow.Coin {
		return minerflow.Coin{OutPoint: minerflow.OutPoint{TxID: txid}, Pool: pool, Kind: minerflow.KindCoinbase, Sats: 50e8, Height: int64(h), Time: blocks[h-1].Time, MinedTime: blocks[h-1].Time}
	}
	flow := minerflow.BlockFlow{
		Coins: []minerflow.Coin{coin("c1", "a", 1), coin("c2", "b", 2),
			{OutPoint: minerflow.OutPoint{TxID: "s1"}, Pool: "a", Kind: minerflow.KindPayout, Sats: 20e8, Height: 3, Time: blocks[2].Time, MinedTime: blocks[0].Time}},
		Spends: []minerflow.Spend{{OutPoint: minerflow.OutPoint{TxID: "c1"}, Pool: "a", Height: 3, Time: blocks[2].Time, SpendTxID: "s1"}},
	}
	if err := db.PutBlocksFlow(ctx, blocks, flow); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMinersFlowRoute(t *testing.T) {
	db := minerFlowStore(t)
	_, ts := newTest(t, Config{History: NewChainHistory(db, ChainHistoryOptions{Source: "chain store mf.db"})})
	r := do(t, "GET", ts.URL+"/api/v1/history/miners", "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var a struct {
		Total struct {
			Days []struct {
				Mined   int64 `json:"mined_sats"`
				Outflow int64 `json:"outflow_sats"`
				Balance int64 `json:"balance_sats"`
			} `json:"days"`
		} `json:"total"`
		Pools []struct {
			Pool string `json:"pool"`
		} `json:"pools"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal(r.body, &a); err != nil {
		t.Fatal(err)
	}
	d := a.Total.Days
	if len(d) != 3 || d[0].Mined != 50e8 || d[1].Balance != 100e8 || d[2].Outflow != 30e8 || d[2].Balance != 70e8 || len(a.Pools) != 2 || len(a.Notes) == 0 {
		t.Errorf("answer %s", r.body)
	}
	if r := do(t, "GET", ts.URL+"/api/v1/history/miners?pool=b&from=2023-11-15&to=2023-11-15", ""); r.status != 200 || strings.Count(string(r.body), `"date"`) != 2 {
		t.Errorf("one pool, one day: %d %s", r.status, r.body)
	}
	// A block written meanwhile (as ingest --follow does) shows at once:
	// the cached answer belongs to the store's previous generation.
	t0 := int64(1_700_000_000) / 86400 * 86400
	b4 := chain.BlockRecord{Height: 4, Hash: consensus.Hash{4}, PrevHash: consensus.Hash{3}, Time: t0 + 3*86400 + 60, Bits: 0x207fffff, Source: "rpc", Pool: "b"}
	c4 := minerflow.Coin{OutPoint: minerflow.OutPoint{TxID: "c4"}, Pool: "b", Kind: minerflow.KindCoinbase, Sats: 25e8, Height: 4, Time: b4.Time, MinedTime: b4.Time}
	if err := db.PutBlocksFlow(context.Background(), []chain.BlockRecord{b4}, minerflow.BlockFlow{Coins: []minerflow.Coin{c4}}); err != nil {
		t.Fatal(err)
	}
	if r := do(t, "GET", ts.URL+"/api/v1/history/miners", ""); r.status != 200 || strings.Count(string(r.body), `"date"`) != 3*4 || !strings.Contains(string(r.body), `"balance_sats":9500000000`) {
		t.Errorf("after a new block: %d %s", r.status, r.body)
	}
	for _, q := range []string{"from=yesterday", "pool=nosuch", "to=2020-01-01&from=2021-01-01", "frm=2021-01-01"} {
		if r := do(t, "GET", ts.URL+"/api/v1/history/miners?"+q, ""); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
	// Without a chain store, or with one that has no miner flow: 404.
	_, snap := newTest(t, Config{})
	if r := do(t, "GET", snap.URL+"/api/v1/history/miners", ""); r.status != 404 {
		t.Errorf("snapshot: %d %s", r.status, r.body)
	}
	plain, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	_, pts := newTest(t, Config{History: NewChainHistory(plain, ChainHistoryOptions{})})
	if r := do(t, "GET", pts.URL+"/api/v1/history/miners", ""); r.status != 404 || !strings.Contains(string(r.body), "--miner-flow") ||
		!strings.Contains(string(r.body), "the served database") || strings.Contains(string(r.body), `= \"`) {
		t.Errorf("no miner flow: %d %s", r.status, r.body)
	}
}
