package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/internal/btcdtest"
	"github.com/hashlab/hashlab/minerflow"
	"github.com/hashlab/hashlab/store"
)

// The miner-flow scenario's actors: a pool whose coinbases pay its listed
// payout address, a solo farm whose coinbases pay an unlisted address,
// miners the pool pays, and an exchange deposit address (labelled).
type mfActors struct {
	pool, solo, minerA, minerB, minerC, minerD, exchange *btcdtest.Key
	pools                                                *chain.Pools
}

func newMFActors(t testing.TB) *mfActors {
	a := &mfActors{}
	for _, k := range []struct {
		dst  **btcdtest.Key
		seed string
	}{{&a.pool, "mf-pool"}, {&a.solo, "mf-solo"}, {&a.minerA, "mf-miner-a"}, {&a.minerB, "mf-miner-b"}, {&a.minerC, "mf-miner-c"}, {&a.minerD, "mf-miner-d"}, {&a.exchange, "mf-exchange"}} {
		*k.dst = btcdtest.NewKey(t, k.seed)
	}
	def := fmt.Sprintf(`[{"id":1,"name":"Test Pool","addresses":[%q],"tags":["/TestPool/"],"link":""},
		{"id":2,"name":"Solo Farm","addresses":[],"tags":["/SoloFarm/"],"link":""}]`, a.pool.P2PKH.EncodeAddress())
	ps, err := chain.ParsePools(strings.NewReader(def))
	if err != nil {
		t.Fatal(err)
	}
	a.pools = ps
	return a
}

func (a *mfActors) options(batch int) Options {
	return Options{Workers: 2, BatchSize: batch, Attribute: a.pools.Attribute, MinerFlow: &MinerFlow{IsPayout: PayoutSet(a.pools)}}
}

// mfCoin is an output the test can spend: its outpoint, value, script and
// key.
type mfCoin struct {
	op    wire.OutPoint
	value int64
	pk    []byte
	key   *btcdtest.Key
}

// mfSpend builds and signs a transaction spending ins (P2PKH) to outs.
func mfSpend(t testing.TB, ins []mfCoin, outs []*wire.TxOut) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	for _, c := range ins {
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: c.op, Sequence: wire.MaxTxInSequenceNum})
	}
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	for i, c := range ins {
		sig, err := txscript.SignatureScript(tx, i, c.pk, txscript.SigHashAll, c.key.Priv, true)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[i].SignatureScript = sig
	}
	return tx
}

func payTo(t testing.TB, a address.Address, v int64) *wire.TxOut {
	pk, err := txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return wire.NewTxOut(v, pk)
}

func outCoin(tx *wire.MsgTx, i uint32, key *btcdtest.Key) mfCoin {
	return mfCoin{wire.OutPoint{Hash: tx.TxHash(), Index: i}, tx.TxOut[i].Value, tx.TxOut[i].PkScript, key}
}

const btc = int64(100_000_000)

// mfScenario mines the chain: 110 blocks alternating the pool (even
// heights) and the solo farm (odd), then
//
//	111: tx1 spends the pool's coinbase of height 2: 30 BTC back to the
//	     pool's payout address (watched one hop further), the rest to
//	     miner A (a pool payout);
//	112: tx3 spends tx1's 30 BTC: 10 to miner B, the rest to the exchange;
//	     tx4 spends the coinbases of heights 4 (pool) and 3 (solo): 60 BTC
//	     to the pool's address (30 from each), the rest to miner C;
//	     tx5 spends tx4's 60 BTC in the same block, to miner D;
//	113: tx2 spends the solo coinbase of height 1 to the exchange
//	     (the spend the reorg removes);
//	114, 115: empty.
//
// It returns the coinbase values by height and the hash of block 113.
func mfScenario(t testing.TB, n *btcdtest.Node, a *mfActors) (cb map[int64]mfBlock, cbTx map[int64]*wire.MsgTx, fork string) {
	m := btcdtest.NewMiner(t, n, "mf-miner")
	cb, cbTx = map[int64]mfBlock{}, map[int64]*wire.MsgTx{}
	mine := func(h int64, txs []*wire.MsgTx, fees int64) {
		spec := btcdtest.BlockSpec{Tag: "/SoloFarm/", Payouts: []address.Address{a.solo.P2PKH}, Txs: txs, Fees: fees}
		if h%2 == 0 {
			spec.Tag, spec.Payouts = "/TestPool/", []address.Address{a.pool.P2PKH}
		}
		b := m.Mine(t, spec)
		cb[h], cbTx[h] = blockOf(b), b.Transactions[0]
	}
	for h := int64(1); h <= 110; h++ {
		mine(h, nil, 0)
	}
	cbCoin := func(h int64) mfCoin {
		k := a.solo
		if h%2 == 0 {
			k = a.pool
		}
		return outCoin(cbTx[h], 0, k)
	}
	const fee = 10_000
	tx1 := mfSpend(t, []mfCoin{cbCoin(2)}, []*wire.TxOut{payTo(t, a.pool.P2PKH, 30*btc), payTo(t, a.minerA.P2PKH, 20*btc-fee)})
	mine(111, []*wire.MsgTx{tx1}, fee)
	tx3 := mfSpend(t, []mfCoin{outCoin(tx1, 0, a.pool)}, []*wire.TxOut{payTo(t, a.minerB.P2PKH, 10*btc), payTo(t, a.exchange.P2PKH, 20*btc-2*fee)})
	tx4 := mfSpend(t, []mfCoin{cbCoin(4), cbCoin(3)}, []*wire.TxOut{payTo(t, a.pool.P2PKH, 60*btc), payTo(t, a.minerC.P2PKH, 40*btc-fee)})
	tx5 := mfSpend(t, []mfCoin{outCoin(tx4, 0, a.pool)}, []*wire.TxOut{payTo(t, a.minerD.P2PKH, 60*btc-fee)})
	mine(112, []*wire.MsgTx{tx3, tx4, tx5}, 4*fee)
	tx2 := mfSpend(t, []mfCoin{cbCoin(1)}, []*wire.TxOut{payTo(t, a.exchange.P2PKH, 50*btc-fee)})
	mine(113, []*wire.MsgTx{tx2}, fee)
	fork = n.BestHash(t)
	mine(114, nil, 0)
	mine(115, nil, 0)
	return cb, cbTx, fork
}

// mfBlock is what the hand computation needs of a mined block: its
// coinbase value and its UTC day.
type mfBlock struct {
	sats int64
	day  string
}

func blockOf(b *wire.MsgBlock) mfBlock {
	return mfBlock{b.Transactions[0].TxOut[0].Value, b.Header.Timestamp.UTC().Format(time.DateOnly)}
}

// mfWant is the hand computation of one day of one pool's series.
type mfWant struct {
	mined, fromCB, toPay, fromPay int64
	labelled                      float64 // BTC to the exchange
}

// handWant computes, from the mined blocks and the scenario's amounts,
// what every day of every pool's series must show (pool slug -> UTC day ->
// values; "all" for the total); withTx2 says whether the spend in block
// 113 is on the chain. Spends count on the day of the block that holds
// them.
func handWant(cb map[int64]mfBlock, tip int64, withTx2 bool) map[string]map[string]mfWant {
	w := map[string]map[string]mfWant{}
	add := func(pool string, h int64, f func(*mfWant)) {
		for _, p := range []string{pool, minerflow.AllPools} {
			if w[p] == nil {
				w[p] = map[string]mfWant{}
			}
			x := w[p][cb[h].day]
			f(&x)
			w[p][cb[h].day] = x
		}
	}
	pool := func(h int64) string {
		if h%2 == 0 {
			return "testpool"
		}
		return "solofarm"
	}
	for h := int64(1); h <= tip; h++ {
		add(pool(h), h, func(x *mfWant) { x.mined += cb[h].sats })
	}
	// Block 111, tx1: coinbase 2 (50 BTC) out, 30 BTC back to the
	// pool's address.
	add("testpool", 111, func(x *mfWant) { x.fromCB += cb[2].sats; x.toPay += 30 * btc })
	// Block 112, tx3: the 30 BTC leave the payout address; the exchange
	// gets 20 BTC - 20,000 sats of the 30 BTC - 20,000 sats paid out.
	add("testpool", 112, func(x *mfWant) {
		x.fromPay += 30 * btc
		x.labelled += 30 * float64(20*btc-20_000) / float64(30*btc-20_000)
	})
	// tx4: coinbases 4 (pool) and 3 (solo) out, 60 BTC back, 30 from
	// each; tx5: the 60 BTC leave (30 of each pool's).
	add("testpool", 112, func(x *mfWant) { x.fromCB += cb[4].sats; x.toPay += 30 * btc; x.fromPay += 30 * btc })
	add("solofarm", 112, func(x *mfWant) { x.fromCB += cb[3].sats; x.toPay += 30 * btc; x.fromPay += 30 * btc })
	if withTx2 {
		// Block 113, tx2: the solo farm's coinbase 1 to the exchange.
		add("solofarm", 113, func(x *mfWant) { x.fromCB += cb[1].sats; x.labelled += float64(cb[1].sats) / 1e8 })
	}
	return w
}

// series computes the stored miner flow's series as `hashlab history
// miners` does, with the exchange labelled.
func mfSeries(t testing.TB, db *store.DB, a *mfActors) minerflow.Series {
	data, err := db.MinerFlow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return minerflow.Compute(minerflow.Input{Coins: data.Coins, Dests: data.Dests, FirstTime: data.FirstTime, LastTime: data.TipTime,
		Labels: map[string]string{a.exchange.P2PKH.EncodeAddress(): "Exchange X"}})
}

// checkSeries compares every day of every pool's series, and of the
// total, with the hand computation: mined, out of coinbase, to and out of
// payout addresses, outflow, the balance (the running sum of the hand
// computation's mined - outflow), its age (all under 7 days), MPI (null:
// no prices) and the BTC paid to the labelled exchange.
func checkSeries(t *testing.T, s minerflow.Series, want map[string]map[string]mfWant, when string) {
	t.Helper()
	check := func(ps minerflow.PoolSeries) {
		days := want[ps.Pool]
		if days == nil {
			t.Errorf("%s: pool %s is not in the hand computation", when, ps.Pool)
			return
		}
		seen := 0
		var bal int64
		for _, d := range ps.Days {
			w, ok := days[d.Date]
			if ok {
				seen++
			}
			out := w.fromCB - w.toPay + w.fromPay
			bal += w.mined - out
			got := [6]int64{d.MinedSats, d.FromCoinbaseSats, d.ToPayoutSats, d.FromPayoutSats, d.OutflowSats, d.BalanceSats}
			exp := [6]int64{w.mined, w.fromCB, w.toPay, w.fromPay, out, bal}
			if got != exp {
				t.Errorf("%s: %s %s: mined, from coinbase, to payout, from payout, outflow, balance %v, want %v", when, ps.Pool, d.Date, got, exp)
			}
			if d.BalanceAge != (minerflow.AgeProfile{Under7: bal}) || d.MPI != nil || d.OutflowUSD != nil {
				t.Errorf("%s: %s %s: age profile %+v (want all %d under 7 days), MPI %v, outflow USD %v (no prices)", when, ps.Pool, d.Date, d.BalanceAge, bal, d.MPI, d.OutflowUSD)
			}
			if l := d.ToLabelled["Exchange X"]; math.Abs(l-w.labelled) > 1e-8 {
				t.Errorf("%s: %s %s: to the exchange %.8f BTC, want %.8f", when, ps.Pool, d.Date, l, w.labelled)
			}
		}
		if seen != len(days) {
			t.Errorf("%s: %s: %d of the hand computation's %d days in the series", when, ps.Pool, seen, len(days))
		}
	}
	check(s.Total)
	if len(s.Pools)+1 != len(want) {
		t.Errorf("%s: pools %d, want %d", when, len(s.Pools), len(want)-1)
	}
	for _, ps := range s.Pools {
		check(ps)
	}
}

// TestMinerFlowBtcd ingests the scenario from btcd with miner flow on and
// checks every series against the hand computation, then reorganises the
// chain so that the solo farm's direct spend (block 113) is gone, ingests
// again, and checks again.
func TestMinerFlowBtcd(t *testing.T) {
	n := btcdtest.Start(t)
	a := newMFActors(t)
	cb, _, fork := mfScenario(t, n, a)
	ctx := context.Background()
	db := openStore(t)
	if _, err := Run(ctx, n.RPC, db, a.options(25)); err != nil {
		t.Fatal(err)
	}
	s := mfSeries(t, db, a)
	checkSeries(t, s, handWant(cb, 115, true), "before the reorg")
	before, _ := db.CountMinerFlow(ctx)

	// A second run with nothing new changes nothing.
	if _, err := Run(ctx, n.RPC, db, a.options(25)); err != nil {
		t.Fatal(err)
	}
	if again := mfSeries(t, db, a); !reflect.DeepEqual(again, s) {
		t.Error("a second run changed the series")
	}

	// Reorg: block 113 (tx2) and its successors are replaced by a longer
	// branch of empty blocks.
	n.Call(t, "invalidateblock", nil, fork)
	m := btcdtest.NewMiner(t, n, "mf-branch")
	for h := int64(113); h <= 116; h++ {
		spec := btcdtest.BlockSpec{Tag: "/SoloFarm/", Payouts: []address.Address{a.solo.P2PKH}}
		if h%2 == 0 {
			spec.Tag, spec.Payouts = "/TestPool/", []address.Address{a.pool.P2PKH}
		}
		cb[h] = blockOf(m.Mine(t, spec))
	}
	sum, err := Run(ctx, n.RPC, db, a.options(25))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Reorgs) != 1 || sum.Reorgs[0].ForkHeight != 112 {
		t.Fatalf("reorgs %+v, want one at fork 112", sum.Reorgs)
	}
	after := mfSeries(t, db, a)
	checkSeries(t, after, handWant(cb, 116, false), "after the reorg")

	// The same chain ingested from scratch gives the same rows.
	fresh := openStore(t)
	if _, err := Run(ctx, n.RPC, fresh, a.options(7)); err != nil {
		t.Fatal(err)
	}
	if f := mfSeries(t, fresh, a); !reflect.DeepEqual(f, after) {
		t.Errorf("a fresh ingest of the reorganised chain differs from the rolled-back one")
	}
	c, _ := db.CountMinerFlow(ctx)
	t.Logf("rows before the reorg %+v, after %+v", before, c)
	if keep := os.Getenv("HASHLAB_MINERFLOW_KEEP_DB"); keep != "" {
		// For the README's example: a copy of the database and the
		// labels file.
		if _, err := db.MinerFlow(ctx); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(db.Path())
		if err == nil {
			db.Close()
			raw, err = os.ReadFile(db.Path())
		}
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(keep, raw, 0o644)
		os.WriteFile(keep+".labels.csv", []byte("address,entity\n"+a.exchange.P2PKH.EncodeAddress()+",Exchange X\n"), 0o644)
	}
}

// Environment of TestMinerFlowKillChild, the process
// TestMinerFlowKillNineResumes kills.
const (
	mfChildDB   = "HASHLAB_MF_CHILD_DB"
	mfChildURL  = "HASHLAB_MF_CHILD_URL"
	mfChildCred = "HASHLAB_MF_CHILD_CRED"
)

// TestMinerFlowKillChild is not a test on its own: it is the ingest that
// TestMinerFlowKillNineResumes runs in a child process and kills.
func TestMinerFlowKillChild(t *testing.T) {
	path := os.Getenv(mfChildDB)
	if path == "" {
		t.Skip("the child of TestMinerFlowKillNineResumes")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	user, pass, _ := strings.Cut(os.Getenv(mfChildCred), ":")
	client, err := noderpc.NewClient(noderpc.Config{URL: os.Getenv(mfChildURL), User: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, client, db, newMFActors(t).options(3)); err != nil {
		t.Fatal(err)
	}
}

type mfRows struct {
	Coins []minerflow.Tracked
	Dests []minerflow.Dest
}

func mfRowsUpTo(t *testing.T, db *store.DB, h int64) mfRows {
	data, err := db.MinerFlow(context.Background())
	if errors.Is(err, minerflow.ErrNotTracked) {
		return mfRows{}
	}
	if err != nil {
		t.Fatal(err)
	}
	var r mfRows
	for _, c := range data.Coins {
		if c.Height <= h {
			if c.Spent && c.SpendHeight > h {
				c.Spent, c.SpendHeight, c.SpendTime, c.SpendTxID = false, 0, 0, ""
			}
			r.Coins = append(r.Coins, c)
		}
	}
	for _, d := range data.Dests {
		if d.Height <= h {
			r.Dests = append(r.Dests, d)
		}
	}
	return r
}

// TestMinerFlowKillNineResumes kills a miner-flow ingest with SIGKILL at
// many points; after every kill the miner-flow rows are exactly those of
// an uninterrupted ingest up to the database's tip, and the run that
// finishes gives the same series as the uninterrupted one.
func TestMinerFlowKillNineResumes(t *testing.T) {
	n := btcdtest.Start(t)
	a := newMFActors(t)
	cb, _, _ := mfScenario(t, n, a)
	ctx := context.Background()
	ref := openStore(t)
	if _, err := Run(ctx, n.RPC, ref, a.options(500)); err != nil {
		t.Fatal(err)
	}
	want := mfSeries(t, ref, a)
	checkSeries(t, want, handWant(cb, 115, true), "uninterrupted")

	path := filepath.Join(t.TempDir(), "killed.db")
	watch, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMinerFlowKillChild$")
		cmd.Env = append(os.Environ(), mfChildDB+"="+path, mfChildURL+"="+n.RPCURL, mfChildCred+"="+n.User+":"+n.Password)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	killed := 0
	for i, target := range []int64{-1, 0, 30, 100, 108, 110, 111, 112, 113} {
		cmd := child()
		for {
			h, _, ok, err := watch.Tip(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if (ok && h >= target) || target < 0 || cmd.ProcessState != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(i*200) * time.Microsecond)
		cmd.Process.Kill()
		var ee *exec.ExitError
		if err := cmd.Wait(); errors.As(err, &ee) && !ee.Exited() {
			killed++
		}
		h, _, ok, err := watch.Tip(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			h = -1
		}
		got, exp := mfRowsUpTo(t, watch, h), mfRowsUpTo(t, ref, h)
		if !reflect.DeepEqual(got, exp) {
			t.Fatalf("after kill %d at tip %d: the miner-flow rows are not the uninterrupted ingest's up to that height", i+1, h)
		}
	}
	if killed < 6 {
		t.Errorf("only %d of 9 kills landed while the ingest ran", killed)
	}
	if err := child().Wait(); err != nil {
		t.Fatalf("the run after the kills: %v", err)
	}
	got := mfSeries(t, watch, a)
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("after resuming the series differ:\n got %s\nwant %s", g, w)
	}
	t.Logf("%d kills while ingesting; the miner-flow rows were a consistent prefix after each and the series equal an uninterrupted ingest's", killed)
}

// BenchmarkMinerFlowBusyBlocks measures what miner flow costs an ingest of
// busy blocks (2,000 transactions, ≈450 kB each, every input checked
// against the watched set; each block spends one tracked coinbase): the
// whole chain from genesis with and without it.
func BenchmarkMinerFlowBusyBlocks(b *testing.B) {
	const busy, per = 10, 2000
	n := busyChain(b, busy, per)
	tip := int64(100 + 2*busy)
	for _, flow := range []bool{false, true} {
		b.Run(fmt.Sprintf("minerflow=%v", flow), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := openStore(b)
				b.StartTimer()
				opt := Options{Workers: 4, BatchSize: 50, Attribute: chain.Attribute}
				if flow {
					opt.MinerFlow = &MinerFlow{}
				}
				sum, err := Run(context.Background(), n.RPC, db, opt)
				if err != nil {
					b.Fatal(err)
				}
				if sum.TipHeight != tip {
					b.Fatalf("tip %d", sum.TipHeight)
				}
			}
			b.ReportMetric(float64(b.N)*float64(tip+1)/b.Elapsed().Seconds(), "blocks/s")
			b.ReportMetric(float64(b.N)*busy*per/b.Elapsed().Seconds(), "busy-tx/s")
		})
	}
}
