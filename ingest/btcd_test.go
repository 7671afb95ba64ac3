package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/btcdtest"
	"github.com/hashlab/hashlab/internal/pgtest"
	"github.com/hashlab/hashlab/store"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childDBEnv); path != "" {
		os.Exit(ingestChild(path)) // the process TestIngestKillNineResumes kills
	}
	os.Exit(btcdtest.Main(m))
}

// minedBlock is a block the test built, with what it put in it: the
// ground truth the database is checked against.
type minedBlock struct {
	height  int64
	blk     *wire.MsgBlock
	tag     string
	payouts []string
	fees    int64 // fees of the block's transactions
	under   int64 // sats left unclaimed
}

// mineScenario mines a regtest chain that exercises every field: pool
// tags, P2WPKH and P2PKH payouts, blocks with fee-paying transactions
// (after coinbase maturity), an under-claiming coinbase, and the regtest
// halving at height 150.
func mineScenario(t testing.TB, n *btcdtest.Node) []minedBlock {
	m := btcdtest.NewMiner(t, n, "scenario-miner")
	pool := btcdtest.NewKey(t, "scenario-pool")
	sink := btcdtest.NewKey(t, "scenario-sink")
	tags := []string{"/Foundry USA Pool #dropgold/", "Mined by AntPool", "/ViaBTC/Mined by hashlab/", ""}
	var out []minedBlock
	mine := func(spec btcdtest.BlockSpec) {
		b := m.Mine(t, spec)
		payouts := spec.Payouts
		if len(payouts) == 0 {
			payouts = []address.Address{m.Key.P2PKH}
		}
		var addrs []string
		for _, a := range payouts {
			if s := a.EncodeAddress(); !slices.Contains(addrs, s) {
				addrs = append(addrs, s)
			}
		}
		out = append(out, minedBlock{height: int64(len(out) + 1), blk: b, tag: spec.Tag, payouts: addrs, fees: spec.Fees, under: spec.UnderClaimSats})
	}
	for i := 1; i <= 110; i++ {
		spec := btcdtest.BlockSpec{Tag: tags[i%len(tags)]}
		if i%3 == 0 {
			// The miner's own address first (its coin stays
			// spendable), then the pool's segwit address.
			spec.Payouts = []address.Address{m.Key.P2PKH, pool.P2WPKH}
		}
		mine(spec)
	}
	for j := range 6 {
		var txs []*wire.MsgTx
		var fees int64
		for k := 0; k <= j%3; k++ {
			fee := int64(1000*(j+1) + 7*k)
			txs = append(txs, m.Spend(t, fee, sink.P2PKH))
			fees += fee
		}
		spec := btcdtest.BlockSpec{Tag: tags[j%len(tags)], Txs: txs, Fees: fees}
		if j == 4 {
			// Claims 1,000 sats less than the subsidy although the
			// block has fees: flagged as under-claimed.
			spec.UnderClaimSats = fees + 1000
		}
		mine(spec)
	}
	for i := len(out) + 1; i <= 155; i++ {
		mine(btcdtest.BlockSpec{Tag: tags[i%len(tags)]})
	}
	return out
}

// expectedRecord is what the database must hold for a block we built,
// computed from the block itself rather than from the node's answers.
func expectedRecord(t *testing.T, mb minedBlock, times []int64) chain.BlockRecord {
	b := mb.blk
	var out consensus.Sats
	for _, o := range b.Transactions[0].TxOut {
		out += consensus.Sats(o.Value)
	}
	subsidy := consensus.BlockSubsidy(mb.height, consensus.RegTest)
	want := chain.BlockRecord{
		Height:          mb.height,
		Hash:            b.BlockHash(),
		PrevHash:        b.Header.PrevBlock,
		Time:            b.Header.Timestamp.Unix(),
		MedianTime:      chain.MedianTimePast(times),
		Bits:            consensus.Bits(b.Header.Bits),
		Version:         b.Header.Version,
		Nonce:           b.Header.Nonce,
		TxCount:         int64(len(b.Transactions)),
		SizeBytes:       int64(b.SerializeSize()),
		WeightWU:        int64(b.SerializeSizeStripped()*3 + b.SerializeSize()),
		CoinbaseOutSats: out,
		SubsidySats:     subsidy,
		CoinbaseTag:     mb.tag,
		PayoutAddresses: mb.payouts,
		Source:          "rpc",
	}
	if out != subsidy+consensus.Sats(mb.fees-mb.under) {
		t.Fatalf("height %d: the test built a coinbase of %s, want %s", mb.height, out, subsidy+consensus.Sats(mb.fees-mb.under))
	}
	if out >= subsidy {
		want.FeesSats = out - subsidy
	} else {
		want.UnderClaimed = true
	}
	want.Pool = "unknown"
	if slug, _ := chain.Attribute(want.CoinbaseTag, want.PayoutAddresses); slug != "" {
		want.Pool = slug
	}
	return want
}

// backendDB is a new database of one backend: its name and what
// store.Open takes (a file path or a PostgreSQL URL).
type backendDB struct{ backend, db string }

// backendDBs gives a new database on each backend: an SQLite file and a
// PostgreSQL database in a cluster of its own (pgtest; left out, with a
// log line, when PostgreSQL is not installed and HASHLAB_REQUIRE_PG is
// unset).
func backendDBs(t *testing.T) []backendDB {
	t.Helper()
	out := []backendDB{{"sqlite", filepath.Join(t.TempDir(), "hashlab.db")}}
	if pgtest.Installed() || os.Getenv(pgtest.RequireEnv) != "" {
		return append(out, backendDB{"postgres", pgtest.Start(t)})
	}
	t.Log("PostgreSQL is not installed: only the SQLite backend runs (apt-get install postgresql, or ./scripts/test.sh)")
	return out
}

// openStoreAt opens the database name, closed when the test ends.
func openStoreAt(t testing.TB, name string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newRecorderAt(t testing.TB, name string) *recorder {
	return &recorder{ChainWriter: openStoreAt(t, name), blocks: map[int64]chain.BlockRecord{}}
}

func TestIngestFromBtcd(t *testing.T) {
	n := btcdtest.Start(t)
	mined := mineScenario(t, n)
	for _, b := range backendDBs(t) {
		t.Run(b.backend, func(t *testing.T) { testIngestFromBtcd(t, n, mined, b.db) })
	}
}

func testIngestFromBtcd(t *testing.T, n *btcdtest.Node, mined []minedBlock, name string) {
	ctx := context.Background()
	db := newRecorderAt(t, name)
	sum, err := Run(ctx, n.RPC, db, Options{Workers: 3, BatchSize: 16, Attribute: chain.Attribute})
	if err != nil {
		t.Fatal(err)
	}
	tip := int64(len(mined))
	if sum.TipHeight != tip || sum.BlocksWritten != tip+1 || sum.UnderClaimed != 1 || sum.Network != "regtest" || len(sum.Reorgs) != 0 {
		t.Errorf("summary %+v", sum)
	}

	// Genesis: only the node can say.
	genesisHash, _ := n.RPC.BlockHash(ctx, 0)
	g := db.blocks[0]
	if g.Hash.String() != genesisHash || g.Hash.String() != consensus.RegTest.GenesisHash || g.PrevHash != chain.ZeroHash || g.CoinbaseOutSats != 50*consensus.SatsPerBTC || g.FeesSats != 0 {
		t.Errorf("genesis %+v", g)
	}
	times := []int64{g.Time}
	for _, mb := range mined {
		times = append(times, mb.blk.Header.Timestamp.Unix())
		want := expectedRecord(t, mb, times[max(0, len(times)-11):])
		got := db.blocks[mb.height]
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("height %d:\n got %+v\nwant %+v", mb.height, got, want)
		}
		checkAgainstNode(t, n, got)
	}
	// What was written is what the database gives back, field for field.
	sdb := db.ChainWriter.(*store.DB)
	for h, want := range db.blocks {
		got, ok, err := sdb.Block(ctx, h)
		if err != nil || !ok || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("height %d read back from the database:\n got %+v\nwant %+v (%v)", h, got, want, err)
		}
	}
	// btcd computes median time past itself: it must agree at the tip.
	info, err := n.RPC.ChainInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if db.blocks[tip].MedianTime != info.MedianTime {
		t.Errorf("tip median time %d, btcd says %d", db.blocks[tip].MedianTime, info.MedianTime)
	}
	// Spot checks that the scenario did what it says.
	if r := db.blocks[150]; r.SubsidySats != 25*consensus.SatsPerBTC {
		t.Errorf("regtest halving: subsidy at 150 is %d", r.SubsidySats)
	}
	if r := db.blocks[115]; !r.UnderClaimed || r.FeesSats != 0 || r.CoinbaseOutSats != r.SubsidySats-1000 {
		t.Errorf("under-claiming block: %+v", r)
	}
	if r := db.blocks[113]; r.TxCount != 4 || r.FeesSats != 3000+3007+3014 {
		t.Errorf("block with three fee-paying transactions: %+v", r)
	}

	// The records above came from serialized blocks (getblock <hash> 0,
	// the default); the node's own decoding (verbosity 2), in btcd's
	// dialect and in Core's, must give the same records.
	for name, src := range map[string]Source{"btcd verbosity 2": n.RPC, "core-shaped verbosity 2": coreShaped{n.RPC}} {
		t.Run(name+" gives the same records", func(t *testing.T) {
			db2 := newRecorder(t) // SQLite: the records are compared, not the backend
			if _, err := Run(ctx, src, db2, Options{Workers: 2, BatchSize: 50, Attribute: chain.Attribute, Verbosity: 2}); err != nil {
				t.Fatal(err)
			}
			for h := int64(0); h <= tip; h++ {
				if a, b := fmt.Sprintf("%+v", db.blocks[h]), fmt.Sprintf("%+v", db2.blocks[h]); a != b {
					t.Errorf("height %d:\nraw       %s\nverbose   %s", h, a, b)
				}
			}
		})
	}
}

// checkAgainstNode compares a stored record with getblockheader and
// getblock (verbosity 1) of the node.
func checkAgainstNode(t *testing.T, n *btcdtest.Node, got chain.BlockRecord) {
	t.Helper()
	ctx := context.Background()
	hash, err := n.RPC.BlockHash(ctx, got.Height)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := n.RPC.BlockHeader(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	var v1 struct {
		Size   int64    `json:"size"`
		Weight int64    `json:"weight"`
		Tx     []string `json:"tx"`
	}
	n.Call(t, "getblock", &v1, hash, 1)
	bits, _ := strconv.ParseUint(hdr.Bits, 16, 32)
	if got.Hash.String() != hash || got.PrevHash.String() != hdr.PreviousHash || got.Time != hdr.Time || got.Bits != consensus.Bits(bits) ||
		got.Version != hdr.Version || uint64(got.Nonce) != hdr.Nonce || got.Height != hdr.Height ||
		got.SizeBytes != v1.Size || got.WeightWU != v1.Weight || got.TxCount != int64(len(v1.Tx)) {
		t.Errorf("height %d: stored %+v, node header %+v, block size %d weight %d tx %d", got.Height, got, hdr, v1.Size, v1.Weight, len(v1.Tx))
	}
}

// coreShaped serves btcd's answers reshaped the way Bitcoin Core prints
// them: transactions under "tx", "nTx", no "addresses" lists. It checks
// that the ingester reads both dialects of real data alike.
type coreShaped struct{ *noderpc.Client }

func (c coreShaped) Block(ctx context.Context, hash string) (*noderpc.Block, error) {
	b, err := c.Client.Block(ctx, hash)
	if err != nil {
		return nil, err
	}
	b.NTx = int64(len(b.Tx))
	for i, raw := range b.Tx {
		var tx map[string]any
		if err := json.Unmarshal(raw, &tx); err != nil {
			return nil, err
		}
		for _, o := range tx["vout"].([]any) {
			spk := o.(map[string]any)["scriptPubKey"].(map[string]any)
			delete(spk, "addresses")
			delete(spk, "reqSigs")
		}
		if b.Tx[i], err = json.Marshal(tx); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// TestIngestReorgTwoBtcdNodes: two btcd nodes share 5 blocks, then mine
// apart (A: 3 blocks, B: 5) without being connected. The database
// ingests A; then A connects to B, reorganises to B's chain (more work),
// and the next ingest rolls back to the fork and records the reorg.
func TestIngestReorgTwoBtcdNodes(t *testing.T) {
	a := btcdtest.Start(t)
	b := btcdtest.Start(t)
	ma := btcdtest.NewMiner(t, a, "node-a")
	mb := btcdtest.NewMiner(t, b, "node-b")
	ma.MineN(t, 5, btcdtest.BlockSpec{Tag: "/common/"})
	btcdtest.CopyChain(t, a, b)
	if a.BestHash(t) != b.BestHash(t) {
		t.Fatal("nodes do not share the prefix")
	}
	forkHash := a.BestHash(t)
	ma.MineN(t, 3, btcdtest.BlockSpec{Tag: "/Foundry USA Pool #dropgold/"})
	mb.MineN(t, 5, btcdtest.BlockSpec{Tag: "Mined by AntPool"})
	oldTip := a.BestHash(t)

	ctx := context.Background()
	// One database per backend, each ingesting A, then the reorganised A.
	bdbs := backendDBs(t)
	dbs := make([]*recorder, len(bdbs))
	for i, bd := range bdbs {
		dbs[i] = newRecorderAt(t, bd.db)
		sum, err := Run(ctx, a.RPC, dbs[i], Options{BatchSize: 4, Attribute: chain.Attribute})
		if err != nil {
			t.Fatal(err)
		}
		if sum.TipHeight != 8 || sum.TipHash != oldTip {
			t.Fatalf("%s: first ingest: %+v", bd.backend, sum)
		}
	}

	a.Connect(t, b)
	newTip := b.BestHash(t)
	a.WaitForBest(t, newTip, 60*time.Second)

	for i, bd := range bdbs {
		t.Run(bd.backend, func(t *testing.T) { checkReorgIngest(t, a, b, dbs[i], forkHash, oldTip, newTip) })
	}
}

func checkReorgIngest(t *testing.T, a, b *btcdtest.Node, db *recorder, forkHash, oldTip, newTip string) {
	ctx := context.Background()
	sum, err := Run(ctx, a.RPC, db, Options{BatchSize: 4, Attribute: chain.Attribute})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Reorgs) != 1 {
		t.Fatalf("reorgs %+v", sum.Reorgs)
	}
	ev := sum.Reorgs[0]
	if ev.ForkHeight != 5 || ev.Depth != 3 || ev.OldTipHeight != 8 || ev.OldTipHash != oldTip || ev.NewTipHash != newTip || ev.DetectedAt == 0 {
		t.Errorf("reorg %+v, want fork 5 depth 3 old %s new %s", ev, oldTip, newTip)
	}
	if len(db.rollbacks) != 1 || db.rollbacks[0] != ev {
		t.Errorf("stored reorgs %+v", db.rollbacks)
	}
	if rs, err := db.ChainWriter.(*store.DB).Reorgs(ctx); err != nil || len(rs) != 1 || rs[0] != ev {
		t.Errorf("reorgs read back from the database: %+v %v", rs, err)
	}
	if sum.TipHeight != 10 || sum.TipHash != newTip || sum.BlocksWritten != 5 {
		t.Errorf("after the reorg: %+v", sum)
	}
	if db.blocks[5].Hash.String() != forkHash {
		t.Errorf("fork block changed: %s", db.blocks[5].Hash)
	}
	for h := int64(0); h <= 10; h++ {
		want, _ := b.RPC.BlockHash(ctx, h)
		if db.blocks[h].Hash.String() != want {
			t.Errorf("height %d: %s, winning chain has %s", h, db.blocks[h].Hash, want)
		}
		if h > 5 && db.blocks[h].CoinbaseTag != "Mined by AntPool" {
			t.Errorf("height %d: tag %q of the losing chain", h, db.blocks[h].CoinbaseTag)
		}
	}
}

// TestIngestFollowBtcd follows a btcd node while blocks arrive and a
// reorg happens (invalidateblock on the tip, then a longer branch), and
// stops cleanly when its context is cancelled.
func TestIngestFollowBtcd(t *testing.T) {
	n := btcdtest.Start(t)
	m := btcdtest.NewMiner(t, n, "follow")
	m.MineN(t, 10, btcdtest.BlockSpec{Tag: "/first/"})
	// One follower per backend, side by side on the same node.
	bdbs := backendDBs(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		sum Summary
		err error
	}
	dbs := make([]*recorder, len(bdbs))
	done := make([]chan result, len(bdbs))
	for i, bd := range bdbs {
		dbs[i] = newRecorderAt(t, bd.db)
		done[i] = make(chan result, 1)
		go func() {
			s, err := Run(ctx, n.RPC, dbs[i], Options{Follow: true, PollInterval: 20 * time.Millisecond, BatchSize: 5})
			done[i] <- result{s, err}
		}()
	}
	waitTip := func(hash string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for i, db := range dbs {
			for {
				_, h, ok, err := db.Tip(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if ok && h == hash {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: database tip %s never became %s", bdbs[i].backend, h, hash)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	waitTip(n.BestHash(t))
	m.MineN(t, 4, btcdtest.BlockSpec{Tag: "/second/"})
	waitTip(n.BestHash(t))
	stale := n.BestHash(t)
	staleParent, _ := n.RPC.BlockHash(context.Background(), 13)
	n.Call(t, "invalidateblock", nil, staleParent)
	m.MineN(t, 3, btcdtest.BlockSpec{Tag: "/branch/"})
	waitTip(n.BestHash(t))
	cancel()
	for i, bd := range bdbs {
		t.Run(bd.backend, func(t *testing.T) {
			res := <-done[i]
			if res.err != nil {
				t.Fatalf("follow returned %v", res.err)
			}
			s := res.sum
			if !s.Interrupted || s.TipHeight != 15 || len(s.Reorgs) != 1 {
				t.Fatalf("summary %+v", s)
			}
			ev := s.Reorgs[0]
			if ev.ForkHeight != 12 || ev.Depth != 2 || ev.OldTipHash != stale {
				t.Errorf("reorg %+v", ev)
			}
			for h := int64(13); h <= 15; h++ {
				if dbs[i].blocks[h].CoinbaseTag != "/branch/" {
					t.Errorf("height %d tag %q", h, dbs[i].blocks[h].CoinbaseTag)
				}
			}
		})
	}
}

// BenchmarkIngestRegtest measures the RPC ingest rate from a local btcd
// and splits the time between the node (RPC round trips and JSON
// decoding) and the database writes.
func BenchmarkIngestRegtest(b *testing.B) {
	n := btcdtest.Start(b)
	m := btcdtest.NewMiner(b, n, "bench")
	const blocks = 1000
	m.MineN(b, blocks, btcdtest.BlockSpec{Tag: "/Foundry USA Pool #dropgold/"})
	type setup struct{ workers, batch, verbosity int }
	for _, c := range []setup{{1, 100, 0}, {1, 500, 0}, {4, 100, 0}, {4, 500, 0}, {1, 500, 2}, {4, 500, 2}} {
		workers, batch := c.workers, c.batch
		{
			b.Run(fmt.Sprintf("workers=%d/batch=%d/verbosity=%d", workers, batch, c.verbosity), func(b *testing.B) {
				var rpcTime, dbTime time.Duration
				for b.Loop() {
					b.StopTimer()
					timed := &timedSink{ChainWriter: openStore(b)}
					b.StartTimer()
					start := time.Now()
					sum, err := Run(context.Background(), n.RPC, timed, Options{Workers: workers, BatchSize: batch, Attribute: chain.Attribute, Verbosity: c.verbosity})
					total := time.Since(start)
					if err != nil {
						b.Fatal(err)
					}
					if sum.BlocksWritten != blocks+1 {
						b.Fatalf("wrote %d blocks", sum.BlocksWritten)
					}
					dbTime += timed.d
					rpcTime += total - timed.d
				}
				secs := b.Elapsed().Seconds()
				b.ReportMetric(float64(b.N*(blocks+1))/secs, "blocks/s")
				b.ReportMetric(100*dbTime.Seconds()/(dbTime+rpcTime).Seconds(), "%db")
			})
		}
	}
}

// timedSink adds up the time spent in database writes.
type timedSink struct {
	store.ChainWriter
	d time.Duration
}

func (s *timedSink) PutBlocks(ctx context.Context, bs []chain.BlockRecord) error {
	t0 := time.Now()
	err := s.ChainWriter.PutBlocks(ctx, bs)
	s.d += time.Since(t0)
	return err
}
