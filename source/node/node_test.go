package node

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/btcdtest"
)

func TestMain(m *testing.M) { os.Exit(btcdtest.Main(m)) }

// feeChain mines, on a fresh btcd regtest node, 101 empty blocks and then
// five blocks whose transactions pay known fees; it returns the node and
// the fees by height (the ground truth).
func feeChain(t *testing.T) (*btcdtest.Node, *btcdtest.Miner, map[int64]int64) {
	n := btcdtest.Start(t)
	m := btcdtest.NewMiner(t, n, "node-source")
	sink := btcdtest.NewKey(t, "node-sink")
	m.MineN(t, 101, btcdtest.BlockSpec{})
	fees := map[int64]int64{}
	for j := range 5 {
		fee := int64(1000*(j+1) + 3)
		tx := m.Spend(t, fee, sink.P2PKH)
		b := m.Mine(t, btcdtest.BlockSpec{Txs: []*wire.MsgTx{tx}, Fees: fee})
		h, err := btcdtest.BlockHeight(b)
		if err != nil {
			t.Fatal(err)
		}
		fees[h] = fee
	}
	return n, m, fees
}

func client(t *testing.T, url, user, pass string) *noderpc.Client {
	c, err := noderpc.NewClient(noderpc.Config{URL: url, User: user, Password: pass, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStateFromBtcdCoinbases runs against btcd in regtest, which has no
// getblockstats: the fees come from the serialized blocks' coinbases.
func TestStateFromBtcdCoinbases(t *testing.T) {
	n, m, fees := feeChain(t)
	src, err := New(Config{Client: client(t, n.RPCURL, n.User, n.Password), FeeWindowBlocks: 5})
	if err != nil {
		t.Fatal(err)
	}
	st, err := src.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkState(t, st.Network, st.Tip.Height, 106)
	var sum int64
	for _, f := range fees {
		sum += f
	}
	if st.Fees.Blocks != 5 || st.Fees.FromHeight != 102 || st.Fees.ToHeight != 106 || int64(st.Fees.PerBlock) != (sum+2)/5 {
		t.Errorf("fees = %+v, want 5 blocks 102..106 averaging %d sats", st.Fees, (sum+2)/5)
	}
	if st.Epoch.Bits != consensus.RegTest.PowLimitBits || st.Epoch.FirstHeight != 0 || st.Epoch.FirstTime.IsZero() {
		t.Errorf("epoch = %+v, want regtest's pow limit from height 0 with its time", st.Epoch)
	}
	w := st.Window
	wantReward := consensus.Sats(sum) + 5*consensus.BlockSubsidy(104, consensus.RegTest)
	if w == nil || w.RewardSats != wantReward || w.FeesSats != consensus.Sats(sum) || w.SpanSec <= 0 || w.WorkHashes != 5*float64(consensus.WorkFromBits(consensus.RegTest.PowLimitBits).Int64()) {
		t.Errorf("window = %+v, want reward %d, fees %d, work 5 blocks at the regtest limit", w, wantReward, sum)
	}
	if st.Tip.Source != Name || !strings.Contains(st.Tip.Detail, n.RPCURL) || st.Tip.Time.IsZero() || st.Price != nil {
		t.Errorf("tip provenance = %+v, price %v", st.Tip, st.Price)
	}
	if src.noStats != true {
		t.Error("btcd has no getblockstats, but the source did not record it")
	}

	// A coinbase that claims less than its subsidy has unknown fees.
	m.Mine(t, btcdtest.BlockSpec{UnderClaimSats: 1000})
	if _, err := src.State(context.Background()); err == nil || !strings.Contains(err.Error(), "less than its subsidy") || !strings.Contains(err.Error(), n.RPCURL) {
		t.Errorf("under-claiming block: err = %v, want one naming the node and the subsidy", err)
	}
}

func checkState(t *testing.T, network string, height, want int64) {
	t.Helper()
	if network != "regtest" || height != want {
		t.Errorf("state: network %q tip %d, want regtest %d", network, height, want)
	}
}

// coreStats answers getblockstats in Bitcoin Core's documented shape
// (https://developer.bitcoin.org/reference/rpc/getblockstats.html:
// amounts in satoshis; with a stats list only those keys) from the
// test's ground truth, and forwards every other call to btcd: the source
// must take the getblockstats path and never ask for a block.
func coreStats(t *testing.T, n *btcdtest.Node, fees map[int64]int64, hashes map[string]int64, getblocks, claimTip *atomic.Int64) *httptest.Server {
	target, _ := url.Parse(n.RPCURL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"getblock"`)) {
			getblocks.Add(1)
		}
		if tip := claimTip.Load(); tip > 0 && bytes.Contains(body, []byte(`"getblockchaininfo"`)) {
			var q struct {
				ID json.RawMessage `json:"id"`
			}
			json.Unmarshal(body, &q)
			json.NewEncoder(w).Encode(map[string]any{"id": q.ID, "error": nil, "result": map[string]any{"chain": "regtest", "blocks": tip}})
			return
		}
		if !bytes.Contains(body, []byte("getblockstats")) {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			proxy.ServeHTTP(w, r)
			return
		}
		var reqs []struct {
			ID     json.RawMessage `json:"id"`
			Params []any           `json:"params"`
		}
		if err := json.Unmarshal(body, &reqs); err != nil {
			t.Errorf("getblockstats outside a batch: %s", body)
			return
		}
		var out []map[string]any
		for _, q := range reqs {
			h := hashes[q.Params[0].(string)]
			out = append(out, map[string]any{"id": q.ID, "error": nil, "result": map[string]any{
				"blockhash": q.Params[0], "height": h, "subsidy": int64(consensus.BlockSubsidy(h, consensus.RegTest)), "totalfee": fees[h]}})
		}
		json.NewEncoder(w).Encode(out)
	}))
}

func TestStateFromGetblockstats(t *testing.T) {
	n, _, fees := feeChain(t)
	hashes := map[string]int64{}
	for h := int64(1); h <= 106; h++ {
		hash, err := n.RPC.BlockHash(context.Background(), h)
		if err != nil {
			t.Fatal(err)
		}
		hashes[hash] = h
	}
	var getblocks, claimTip atomic.Int64
	srv := coreStats(t, n, fees, hashes, &getblocks, &claimTip)
	defer srv.Close()
	src, err := New(Config{Client: client(t, srv.URL, n.User, n.Password), FeeWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	st, err := src.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkState(t, st.Network, st.Tip.Height, 106)
	// A one-hour window of regtest blocks mined just now holds them all
	// (1..106), and only the last five paid fees.
	var sum int64
	for _, f := range fees {
		sum += f
	}
	if st.Fees.Blocks != 106 || st.Fees.FromHeight != 1 || int64(st.Fees.PerBlock) != (sum+53)/106 {
		t.Errorf("fees = %+v, want 106 blocks from 1 averaging %d sats", st.Fees, (sum+53)/106)
	}
	if getblocks.Load() != 0 || src.noStats {
		t.Errorf("the source asked for %d serialized blocks (noStats %v) although the node answers getblockstats", getblocks.Load(), src.noStats)
	}

	// A fee that cannot be true is an error naming the node and the
	// block, never a state.
	fees[105] = -5
	if _, err := src.State(context.Background()); err == nil || !strings.Contains(err.Error(), srv.URL) || !strings.Contains(err.Error(), "getblockstats 105") {
		t.Errorf("negative totalfee: err = %v", err)
	}
	fees[105] = 1
	// A tip that goes backwards by more than a reorganisation's few
	// blocks is refused.
	claimTip.Store(90)
	if _, err := src.State(context.Background()); err == nil || !strings.Contains(err.Error(), "went backwards from height 106 to 90") {
		t.Errorf("tip going backwards: err = %v", err)
	}
}
