package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/store"
)

// fakeNode is a scripted node: a set of chains (each a slice of blocks
// by height) of which one is active. Every block of every chain stays
// fetchable by hash, as on a real node. switchAt makes the node switch
// to another chain at a chosen moment, to reproduce reorganisations that
// happen between two RPC calls of the ingester.
type fakeNode struct {
	mu     sync.Mutex
	chains [][]*noderpc.Block
	active int
	// switchAt is called before every BlockHashes; it returns the chain
	// to make active (or -1 to keep).
	switchAt func(from, to int64) int
	calls    map[string]int
}

// fakeChain builds n blocks; blocks below forkFrom are shared with base
// (which may be nil). tag distinguishes the chains' hashes.
func fakeChain(base []*noderpc.Block, forkFrom, n int64, tag string) []*noderpc.Block {
	out := make([]*noderpc.Block, n)
	copy(out, base[:min(int64(len(base)), forkFrom)])
	for h := min(int64(len(base)), forkFrom); h < n; h++ {
		prev := chain.ZeroHash.String()
		if h > 0 {
			prev = out[h-1].Hash
		}
		hash := fmt.Sprintf("%s%062x", tag, h) // 64 hex digits
		value := "50.00000000"
		if h%7 == 3 {
			value = "50.00012345" // fees
		}
		if h == 9 {
			value = "49.99999999" // under-claims by one sat
		}
		cb := fmt.Sprintf(`{"txid":"%064x","vin":[{"coinbase":"01%02x0b2f66616b65706f6f6c2f"}],"vout":[{"value":%s,"n":0,"scriptPubKey":{"type":"witness_v0_keyhash","address":"bcrt1q%s"}}]}`,
			h, h%256, value, tag)
		out[h] = &noderpc.Block{
			Hash: hash, Height: h, Version: 0x20000000, Time: 1_700_000_000 + h*600,
			Nonce: uint64(h), Bits: "207fffff", PreviousHash: prev, Size: 250, StrippedSize: 250, Weight: 1000,
			Tx: []json.RawMessage{json.RawMessage(cb)},
		}
		if h == 0 {
			out[h].PreviousHash = ""
		}
	}
	return out
}

func newFakeNode(chains ...[]*noderpc.Block) *fakeNode {
	return &fakeNode{chains: chains, calls: map[string]int{}}
}

func (n *fakeNode) cur() []*noderpc.Block { return n.chains[n.active] }

// find looks a block up by hash in every chain (a node keeps stale
// blocks).
func (n *fakeNode) find(hash string) (*noderpc.Block, bool) {
	for _, c := range n.chains {
		for _, b := range c {
			if b.Hash == hash {
				return b, true
			}
		}
	}
	return nil, false
}

func (n *fakeNode) ChainInfo(ctx context.Context) (noderpc.ChainInfo, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls["getblockchaininfo"]++
	c := n.cur()
	return noderpc.ChainInfo{Chain: "regtest", Blocks: int64(len(c)) - 1, BestBlockHash: c[len(c)-1].Hash}, nil
}

func (n *fakeNode) hashLocked(h int64) (string, error) {
	c := n.cur()
	if h < 0 || h >= int64(len(c)) {
		return "", &noderpc.Error{Method: "getblockhash", Code: -8, Message: "Block height out of range"}
	}
	return c[h].Hash, nil
}

func (n *fakeNode) BlockHash(ctx context.Context, h int64) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls["getblockhash"]++
	return n.hashLocked(h)
}

func (n *fakeNode) BlockHashes(ctx context.Context, from, to int64) ([]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls["getblockhash-batch"]++
	if n.switchAt != nil {
		if c := n.switchAt(from, to); c >= 0 {
			n.active = c
		}
	}
	var out []string
	for h := from; h <= to; h++ {
		s, err := n.hashLocked(h)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (n *fakeNode) BlockHeader(ctx context.Context, hash string) (noderpc.Header, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls["getblockheader"]++
	b, ok := n.find(hash)
	if !ok {
		return noderpc.Header{}, &noderpc.Error{Method: "getblockheader", Code: -5, Message: "Block not found"}
	}
	return noderpc.Header{Hash: b.Hash, Height: b.Height, Time: b.Time, Bits: b.Bits, PreviousHash: b.PreviousHash}, nil
}

func (n *fakeNode) Block(ctx context.Context, hash string) (*noderpc.Block, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls["getblock"]++
	b, ok := n.find(hash)
	if !ok {
		return nil, &noderpc.Error{Method: "getblock", Code: -5, Message: "Block not found"}
	}
	c := *b
	return &c, nil
}

// recorder wraps a real store and keeps what was written, so tests can
// compare the database with the node.
type recorder struct {
	store.ChainWriter
	mu        sync.Mutex
	blocks    map[int64]chain.BlockRecord
	rollbacks []store.Reorg
	puts      int
}

func newRecorder(t testing.TB) *recorder {
	t.Helper()
	return &recorder{ChainWriter: openStore(t), blocks: map[int64]chain.BlockRecord{}}
}

// openStore opens a fresh SQLite database in a temporary directory.
func openStore(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "hashlab.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (r *recorder) PutBlocks(ctx context.Context, bs []chain.BlockRecord) error {
	if err := r.ChainWriter.PutBlocks(ctx, bs); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.puts++
	for _, b := range bs {
		r.blocks[b.Height] = b
	}
	return nil
}

func (r *recorder) Rollback(ctx context.Context, fork int64, ev store.Reorg) error {
	if err := r.ChainWriter.Rollback(ctx, fork, ev); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for h := range r.blocks {
		if h > fork {
			delete(r.blocks, h)
		}
	}
	r.rollbacks = append(r.rollbacks, ev)
	return nil
}

// checkMatches fails unless the database holds exactly the given chain
// from height lo to its tip, block for block.
func checkMatches(t *testing.T, r *recorder, c []*noderpc.Block, lo int64) {
	t.Helper()
	ctx := context.Background()
	tipH, tipHash, ok, err := r.Tip(ctx)
	if err != nil || !ok || tipH != int64(len(c))-1 || tipHash != c[len(c)-1].Hash {
		t.Fatalf("database tip %d %s %v %v, want %d %s", tipH, tipHash, ok, err, len(c)-1, c[len(c)-1].Hash)
	}
	for h := int64(0); h < int64(len(c)); h++ {
		got, ok, err := r.BlockHash(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if h < lo {
			if ok {
				t.Errorf("height %d below the start %d is stored", h, lo)
			}
			continue
		}
		if !ok || got != c[h].Hash {
			t.Errorf("height %d: stored %q (%v), node has %s", h, got, ok, c[h].Hash)
		}
		rec := r.blocks[h]
		if rec.Hash.String() != c[h].Hash || (h > 0 && rec.PrevHash == chain.ZeroHash) || rec.Time != c[h].Time {
			t.Errorf("height %d: recorded %+v", h, rec)
		}
	}
	if len(r.blocks) != len(c)-int(lo) {
		t.Errorf("%d blocks recorded, want %d", len(r.blocks), len(c)-int(lo))
	}
}

func TestRunFakeNodeBasics(t *testing.T) {
	a := fakeChain(nil, 0, 31, "aa")
	node := newFakeNode(a)
	db := newRecorder(t)
	var progress [][2]int64
	sum, err := Run(context.Background(), node, db, Options{Workers: 3, BatchSize: 7, OnProgress: func(w, total int64) {
		progress = append(progress, [2]int64{w, total})
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkMatches(t, db, a, 0)
	if sum.BlocksWritten != 31 || sum.Batches != 5 || sum.TipHeight != 30 || sum.Resumed || sum.UnderClaimed != 1 || sum.Network != "regtest" {
		t.Errorf("summary %+v", sum)
	}
	if last := progress[len(progress)-1]; last != [2]int64{31, 31} || len(progress) != 5 {
		t.Errorf("progress %v", progress)
	}
	// Fees: coinbase 50.00012345 at heights 3, 10, 17, 24.
	if got := db.blocks[10]; got.FeesSats != 12345 || got.SubsidySats != consensus.BlockSubsidy(10, consensus.RegTest) {
		t.Errorf("block 10: %+v", got)
	}
	if got := db.blocks[9]; !got.UnderClaimed || got.FeesSats != 0 || got.CoinbaseOutSats != 50*consensus.SatsPerBTC-1 {
		t.Errorf("block 9 (under-claims): %+v", got)
	}
	// Median time past, computed here because the node gives none:
	// times are 600 s apart, so the median of 11 is 5 blocks back.
	if got := db.blocks[20].MedianTime; got != a[15].Time {
		t.Errorf("MTP at 20 = %d, want %d", got, a[15].Time)
	}
	if got := db.blocks[3].MedianTime; got != a[2].Time { // 4 blocks: index 2 of the sorted times
		t.Errorf("MTP at 3 = %d, want %d", got, a[2].Time)
	}
	if db.blocks[5].Pool != "unknown" {
		t.Errorf("pool without attribution: %q", db.blocks[5].Pool)
	}

	// Idempotent: a second run writes nothing.
	sum, err = Run(context.Background(), node, db, Options{})
	if err != nil || sum.BlocksWritten != 0 || !sum.Resumed || sum.StartHeight != 31 {
		t.Errorf("second run: %+v, %v", sum, err)
	}
}

// TestRunResumeComputesMedianFromNode: a resumed run has no timestamps
// in memory and fetches the ten headers before its start.
func TestRunResumeComputesMedianFromNode(t *testing.T) {
	a := fakeChain(nil, 0, 40, "aa")
	node := newFakeNode(a[:25])
	db := newRecorder(t)
	if _, err := Run(context.Background(), node, db, Options{BatchSize: 10}); err != nil {
		t.Fatal(err)
	}
	node.chains[0] = a
	sum, err := Run(context.Background(), node, db, Options{BatchSize: 10, Attribute: func(tag string, addrs []string) (string, string) {
		if tag == "/fakepool/" && len(addrs) == 1 {
			return "fakepool", "Fake Pool"
		}
		return "", ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.StartHeight != 25 || sum.BlocksWritten != 15 || !sum.Resumed {
		t.Errorf("summary %+v", sum)
	}
	checkMatches(t, db, a, 0)
	for h := int64(25); h < 40; h++ {
		if got, want := db.blocks[h].MedianTime, a[h-5].Time; got != want {
			t.Errorf("MTP at %d = %d, want %d", h, got, want)
		}
		if db.blocks[h].Pool != "fakepool" {
			t.Errorf("pool at %d = %q", h, db.blocks[h].Pool)
		}
	}
	if node.calls["getblockheader"] != 10 {
		t.Errorf("%d getblockheader calls, want 10 (the window before height 25)", node.calls["getblockheader"])
	}
}

func TestRunFromHeight(t *testing.T) {
	a := fakeChain(nil, 0, 30, "aa")
	node := newFakeNode(a)
	db := newRecorder(t)
	sum, err := Run(context.Background(), node, db, Options{FromHeight: 12, BatchSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	checkMatches(t, db, a, 12)
	if sum.StartHeight != 12 || sum.BlocksWritten != 18 {
		t.Errorf("summary %+v", sum)
	}
	if got, want := db.blocks[12].MedianTime, a[7].Time; got != want {
		t.Errorf("MTP at 12 = %d, want %d", got, want)
	}
	if _, err := Run(context.Background(), newFakeNode(a), newRecorder(t), Options{FromHeight: 31}); err == nil {
		t.Error("from height above the node's tip: no error")
	}
}

// TestRunReorgBetweenBatches: the node switches chains while the
// database is at a tip of the old chain; the next tip check finds the
// fork, rolls back and re-ingests.
func TestRunReorgBetweenBatches(t *testing.T) {
	tests := []struct {
		name      string
		newLen    int64
		fork      int64 // last common height
		switchAt  int64 // switch when the ingester asks for this height
		wantDepth int64
	}{
		{"longer new chain", 40, 15, 20, 19 - 15},
		{"shorter new chain (more work)", 18, 15, 30, 29 - 15},
		{"fork at genesis+1", 35, 1, 20, 19 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fakeChain(nil, 0, 31, "aa")
			b := fakeChain(a, tt.fork+1, tt.newLen, "bb")
			node := newFakeNode(a, b)
			node.switchAt = func(from, to int64) int {
				if from == tt.switchAt {
					return 1
				}
				return -1
			}
			db := newRecorder(t)
			sum, err := Run(context.Background(), node, db, Options{Workers: 2, BatchSize: 10})
			if err != nil {
				t.Fatal(err)
			}
			checkMatches(t, db, b, 0)
			if len(sum.Reorgs) != 1 || len(db.rollbacks) != 1 {
				t.Fatalf("reorgs %+v, rollbacks %+v", sum.Reorgs, db.rollbacks)
			}
			ev := sum.Reorgs[0]
			if ev.ForkHeight != tt.fork || ev.Depth != tt.wantDepth || ev.OldTipHash != a[ev.OldTipHeight].Hash || ev.NewTipHash != b[len(b)-1].Hash {
				t.Errorf("reorg %+v, want fork %d depth %d", ev, tt.fork, tt.wantDepth)
			}
			if ev != db.rollbacks[0] {
				t.Errorf("summary reorg %+v != stored %+v", ev, db.rollbacks[0])
			}
		})
	}
}

// TestRunReorgBelowFirstStoredBlock: the database started at height 10
// and the node's new chain forks at 5: everything is rolled back and the
// new chain ingested from 10 again.
func TestRunReorgBelowFirstStoredBlock(t *testing.T) {
	a := fakeChain(nil, 0, 20, "aa")
	c := fakeChain(a, 5, 25, "cc")
	node := newFakeNode(a, c)
	db := newRecorder(t)
	if _, err := Run(context.Background(), node, db, Options{FromHeight: 10}); err != nil {
		t.Fatal(err)
	}
	node.active = 1
	sum, err := Run(context.Background(), node, db, Options{FromHeight: 10})
	if err != nil {
		t.Fatal(err)
	}
	checkMatches(t, db, c, 10)
	if len(sum.Reorgs) != 1 || sum.Reorgs[0].ForkHeight != 9 || sum.Reorgs[0].Depth != 10 {
		t.Errorf("reorgs %+v", sum.Reorgs)
	}
}

// TestRunChainChangesInsideBatch: the node switches chains between the
// tip check and the batch's getblockhash, so the batch does not link to
// the database tip; it must be discarded, not written.
func TestRunChainChangesInsideBatch(t *testing.T) {
	a := fakeChain(nil, 0, 31, "aa")
	b := fakeChain(a, 8, 33, "bb")
	node := newFakeNode(a, b)
	switched := false
	node.switchAt = func(from, to int64) int {
		if from == 10 && !switched {
			switched = true
			return 1
		}
		return -1
	}
	db := newRecorder(t)
	sum, err := Run(context.Background(), node, db, Options{BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	checkMatches(t, db, b, 0)
	if len(sum.Reorgs) != 1 || sum.Reorgs[0].ForkHeight != 7 || sum.Reorgs[0].Depth != 2 {
		t.Errorf("reorgs %+v", sum.Reorgs)
	}
	// Heights 10.. of chain a were never written.
	for h := int64(10); h < 31; h++ {
		if slices.ContainsFunc(a[10:], func(x *noderpc.Block) bool { return db.blocks[h].Hash.String() == x.Hash }) {
			t.Errorf("height %d holds a block of the abandoned chain", h)
		}
	}
}

func TestRunNetworkMismatchWritesNothing(t *testing.T) {
	node := newFakeNode(fakeChain(nil, 0, 5, "aa"))
	db := newRecorder(t)
	ctx := context.Background()
	if err := db.SetNetwork(ctx, "mainnet"); err != nil {
		t.Fatal(err)
	}
	_, err := Run(ctx, node, db, Options{})
	if !errors.Is(err, ErrNetworkMismatch) || !errors.Is(err, store.ErrNetworkMismatch) {
		t.Fatalf("error %v, want ErrNetworkMismatch", err)
	}
	if _, _, ok, _ := db.Tip(ctx); ok || db.puts != 0 {
		t.Error("blocks written despite the network mismatch")
	}
	if n, _ := db.Network(ctx); n != "mainnet" {
		t.Errorf("network changed to %q", n)
	}
}

func TestRunFollowStopsCleanly(t *testing.T) {
	a := fakeChain(nil, 0, 30, "aa")
	node := newFakeNode(a[:10])
	db := newRecorder(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	var sum Summary
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		sum, err = Run(ctx, node, db, Options{Follow: true, PollInterval: 1, OnProgress: func(w, total int64) {
			// Grow the node's chain after each write; stop once the
			// database has it all.
			node.mu.Lock()
			defer node.mu.Unlock()
			polls++
			if n := len(node.chains[0]); n < 30 {
				node.chains[0] = a[:n+5]
			} else {
				cancel()
			}
		}})
	}()
	<-done
	if err != nil {
		t.Fatalf("follow mode returned %v on cancel, want nil", err)
	}
	checkMatches(t, db, a, 0)
	if !sum.Interrupted || sum.BlocksWritten != 30 || polls < 5 {
		t.Errorf("summary %+v after %d batches", sum, polls)
	}
}

func TestRunInterruptedWithoutFollow(t *testing.T) {
	node := newFakeNode(fakeChain(nil, 0, 50, "aa"))
	db := newRecorder(t)
	ctx, cancel := context.WithCancel(context.Background())
	sum, err := Run(ctx, node, db, Options{BatchSize: 10, OnProgress: func(w, total int64) {
		if w >= 20 {
			cancel()
		}
	}})
	if !errors.Is(err, ErrInterrupted) || !sum.Interrupted || sum.BlocksWritten != 20 || sum.TipHeight != 19 {
		t.Errorf("summary %+v, err %v", sum, err)
	}
	// The next run completes it.
	sum, err = Run(context.Background(), node, db, Options{BatchSize: 10})
	if err != nil || sum.StartHeight != 20 || sum.TipHeight != 49 {
		t.Errorf("resume: %+v, %v", sum, err)
	}
}
