package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/internal/btcdtest"
)

// TestHistoryMinersBtcd drives `hashlab ingest --miner-flow` and `hashlab
// history miners --json` against btcd in regtest: a pool whose coinbases
// pay its listed payout address and a miner paid to its own key; after
// maturity the miner sells a coinbase directly, the pool sends 20 BTC of
// a coinbase back to its payout address and pays the rest to a miner, and
// then pays those 20 BTC out. Every day's mined, outflow and balance must
// equal the hand computation from the blocks the test mined.
func TestHistoryMinersBtcd(t *testing.T) {
	n := btcdtest.Start(t)
	m := btcdtest.NewMiner(t, n, "hm-miner")
	pool, minerA, sink := btcdtest.NewKey(t, "hm-pool"), btcdtest.NewKey(t, "hm-miner-a"), btcdtest.NewKey(t, "hm-sink")
	dir := t.TempDir()
	poolsFile := filepath.Join(dir, "pools.json")
	os.WriteFile(poolsFile, fmt.Appendf(nil, `[{"id":1,"name":"Test Pool","addresses":[%q],"tags":["/TestPool/"],"link":""},{"id":2,"name":"Solo Farm","addresses":[],"tags":["/SoloFarm/"],"link":""}]`, pool.P2PKH.EncodeAddress()), 0o644)

	type ev struct {
		pool                          string
		mined, fromCB, toPay, fromPay int64
	}
	var events []struct {
		day string
		ev
	}
	add := func(b *wire.MsgBlock, e ev) {
		events = append(events, struct {
			day string
			ev
		}{b.Header.Timestamp.UTC().Format(time.DateOnly), e})
	}
	cbs := map[int64]*wire.MsgTx{}
	mine := func(h int64, txs []*wire.MsgTx, fees int64) *wire.MsgBlock {
		spec := btcdtest.BlockSpec{Tag: "/SoloFarm/", Txs: txs, Fees: fees}
		p := "solofarm"
		if h%2 == 0 {
			spec.Tag, spec.Payouts, p = "/TestPool/", []address.Address{pool.P2PKH}, "testpool"
		}
		b := m.Mine(t, spec)
		cbs[h] = b.Transactions[0]
		add(b, ev{pool: p, mined: b.Transactions[0].TxOut[0].Value})
		return b
	}
	for h := int64(1); h <= 101; h++ {
		mine(h, nil, 0)
	}
	const fee, btc = 10_000, 100_000_000
	pay := func(a address.Address, v int64) *wire.TxOut {
		pk, _ := txscript.PayToAddrScript(a)
		return wire.NewTxOut(v, pk)
	}
	sell := m.Spend(t, fee, sink.P2PKH) // the solo farm's coinbase of height 1
	payout := wire.NewMsgTx(2)
	payout.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: cbs[2].TxHash()}, Sequence: wire.MaxTxInSequenceNum})
	payout.AddTxOut(pay(pool.P2PKH, 20*btc))
	payout.AddTxOut(pay(minerA.P2PKH, cbs[2].TxOut[0].Value-20*btc-fee))
	sig, err := txscript.SignatureScript(payout, 0, cbs[2].TxOut[0].PkScript, txscript.SigHashAll, pool.Priv, true)
	if err != nil {
		t.Fatal(err)
	}
	payout.TxIn[0].SignatureScript = sig
	b := mine(102, []*wire.MsgTx{sell, payout}, 2*fee)
	add(b, ev{pool: "solofarm", fromCB: cbs[1].TxOut[0].Value})
	add(b, ev{pool: "testpool", fromCB: cbs[2].TxOut[0].Value, toPay: 20 * btc})
	out2 := wire.NewMsgTx(2)
	out2.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: payout.TxHash()}, Sequence: wire.MaxTxInSequenceNum})
	out2.AddTxOut(pay(sink.P2PKH, 20*btc-fee))
	sig, err = txscript.SignatureScript(out2, 0, payout.TxOut[0].PkScript, txscript.SigHashAll, pool.Priv, true)
	if err != nil {
		t.Fatal(err)
	}
	out2.TxIn[0].SignatureScript = sig
	b = mine(103, []*wire.MsgTx{out2}, fee)
	add(b, ev{pool: "testpool", fromPay: 20 * btc})

	db := filepath.Join(dir, "regtest.db")
	// 103 coinbase coins and one payout coin; 3 spends; the 3
	// destinations of the 3 spending transactions.
	if code, out, stderr := runEnv(t, nil, "ingest", "--rpc", n.RPCURL, "--rpc-user", n.User, "--rpc-pass", n.Password, "--db", db, "--pools", poolsFile, "--miner-flow"); code != 0 || !strings.Contains(out, "miner flow     104 coins, 3 spends, 3 destinations written") {
		t.Fatalf("ingest: exit %d: %s%s", code, out, stderr)
	}
	// A price for every day of the chain: outflow in USD, MPI still null
	// (fewer than 365 days).
	prices := filepath.Join(dir, "prices.csv")
	csvText := "date,usd\n"
	seen := map[string]bool{}
	for _, e := range events {
		if !seen[e.day] {
			seen[e.day] = true
			csvText += e.day + ",50000\n"
		}
	}
	os.WriteFile(prices, []byte(csvText), 0o644)
	if code, _, stderr := runEnv(t, nil, "import", "prices", prices, "--db", db); code != 0 {
		t.Fatalf("import prices: exit %d: %s", code, stderr)
	}
	code, out, stderr := runEnv(t, nil, "history", "miners", "--db", db, "--pools", poolsFile, "--json")
	if code != 0 {
		t.Fatalf("history miners: exit %d: %s", code, stderr)
	}
	type day struct {
		Date    string   `json:"date"`
		Mined   int64    `json:"mined_sats"`
		FromCB  int64    `json:"from_coinbase_sats"`
		ToPay   int64    `json:"to_payout_sats"`
		FromPay int64    `json:"from_payout_sats"`
		Outflow int64    `json:"outflow_sats"`
		Balance int64    `json:"balance_sats"`
		USD     *float64 `json:"outflow_usd"`
		MPI     *float64 `json:"mpi"`
	}
	type series struct {
		Pool string `json:"pool"`
		Days []day  `json:"days"`
	}
	var got struct {
		From  int64    `json:"tracked_from_height"`
		Tip   int64    `json:"tip_height"`
		Total series   `json:"total"`
		Pools []series `json:"pools"`
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.From != 0 || got.Tip != 103 || len(got.Pools) != 2 || len(got.Notes) == 0 {
		t.Fatalf("answer %+v", got)
	}
	check := func(s series) {
		want := map[string]*day{}
		for _, e := range events {
			if s.Pool != "all" && e.pool != s.Pool {
				continue
			}
			d := want[e.day]
			if d == nil {
				d = &day{Date: e.day}
				want[e.day] = d
			}
			d.Mined += e.mined
			d.FromCB += e.fromCB
			d.ToPay += e.toPay
			d.FromPay += e.fromPay
		}
		var bal int64
		for _, g := range s.Days {
			w := day{Date: g.Date}
			if d := want[g.Date]; d != nil {
				w = *d
				delete(want, g.Date)
			}
			w.Outflow = w.FromCB - w.ToPay + w.FromPay
			bal += w.Mined - w.Outflow
			w.Balance = bal
			if g.USD == nil || *g.USD != float64(w.Outflow)/1e8*50000 || g.MPI != nil {
				t.Errorf("%s %s: outflow_usd %v (want %v at $50,000), mpi %v (want null)", s.Pool, g.Date, g.USD, float64(w.Outflow)/1e8*50000, g.MPI)
			}
			g.USD, g.MPI = nil, nil
			if g != w {
				t.Errorf("%s %s: got %+v, want %+v", s.Pool, g.Date, g, w)
			}
		}
		if len(want) > 0 {
			t.Errorf("%s: days missing from the answer: %v", s.Pool, want)
		}
	}
	check(got.Total)
	for _, p := range got.Pools {
		check(p)
	}
	t.Logf("total: %+v", got.Total.Days)

	if code, out, _ := runEnv(t, nil, "history", "miners", "--db", db, "--csv"); code != 0 || !strings.HasPrefix(out, "date,pool,mined_sats,") || !strings.Contains(out, ",testpool,") {
		t.Errorf("--csv: exit %d\n%s", code, out)
	}
	if code, out, _ := runEnv(t, nil, "history", "miners", "--db", db, "--pools", poolsFile); code != 0 || !strings.Contains(out, "Test Pool") || !strings.Contains(out, "Limits:") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	if code, _, stderr := runEnv(t, nil, "history", "miners", "--db", db, "--pool", "nosuch"); code != 2 || !strings.Contains(stderr, "--pool") {
		t.Errorf("--pool nosuch: exit %d: %s", code, stderr)
	}
	// The simulator's BTC-sold band beside the measured outflow: baseline
	// covers 2026-04-22 to 2030-04-21, so every day of this chain.
	code, out, stderr = runEnv(t, nil, "history", "miners", "--db", db, "--compare-sim", "baseline", "--sim-paths", "20", "--json")
	var beside struct {
		B struct {
			Scenario string `json:"scenario"`
			Days     []struct {
				Date     string   `json:"date"`
				Measured float64  `json:"measured_outflow_btc"`
				P50      *float64 `json:"sim_sold_btc_p50"`
			} `json:"days"`
		} `json:"beside_sim"`
	}
	if err := json.Unmarshal([]byte(out), &beside); code != 0 || err != nil || beside.B.Scenario != "baseline" || len(beside.B.Days) != len(got.Total.Days) {
		t.Fatalf("--compare-sim: exit %d %v %+v\n%s", code, err, beside, stderr)
	}
	for i, d := range beside.B.Days {
		if g := got.Total.Days[i]; d.Date != g.Date || d.Measured != float64(g.Outflow)/1e8 || d.P50 == nil || *d.P50 <= 0 {
			t.Errorf("--compare-sim day %+v, measured day %+v", d, g)
		}
	}
	if code, _, stderr := runEnv(t, nil, "history", "miners", "--db", db, "--compare-sim", "baseline", "--sim-paths", "0"); code != 2 || !strings.Contains(stderr, "--sim-paths") {
		t.Errorf("--sim-paths 0: exit %d: %s", code, stderr)
	}
	labels := filepath.Join(dir, "labels.csv")
	os.WriteFile(labels, []byte("address,entity\n"+sink.P2PKH.EncodeAddress()+",Exchange X\n"), 0o644)
	if code, out, stderr := runEnv(t, nil, "history", "miners", "--db", db, "--labels", labels); code != 0 || !strings.Contains(out, "Exchange X") {
		t.Errorf("--labels: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := runEnv(t, nil, "history", "miners", "--db", db, "--labels", poolsFile); code != 2 {
		t.Errorf("--labels with a JSON file: exit %d: %s", code, stderr)
	}
	// A database without miner flow: bad input naming --db.
	plain := filepath.Join(dir, "plain.db")
	if code, _, stderr := runEnv(t, nil, "ingest", "--rpc", n.RPCURL, "--rpc-user", n.User, "--rpc-pass", n.Password, "--db", plain); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runEnv(t, nil, "history", "miners", "--db", plain); code != 2 || !strings.Contains(stderr, "--miner-flow") {
		t.Errorf("without miner flow: exit %d: %s", code, stderr)
	}
}

// TestHistoryMinersInputs: a database without miner flow is bad input
// naming --db with its path and what is allowed; flags are checked before
// the database is opened (a missing database is not what --sim-paths -5
// reports).
func TestHistoryMinersInputs(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "chain.db")
	if code, _, stderr := runEnv(t, nil, "db", "migrate", "--db", db); code != 0 {
		t.Fatalf("db migrate: exit %d: %s", code, stderr)
	}
	code, out, stderr := runEnv(t, nil, "history", "miners", "--db", db)
	if code != 2 || out != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
		!strings.Contains(stderr, "--db = "+db+" (allowed: ") || !strings.Contains(stderr, "--miner-flow") || strings.Contains(stderr, "no miner flow") {
		t.Errorf("no miner flow: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	for _, c := range []struct{ flag, val string }{{"--sim-paths", "-5"}, {"--sim-paths", "0"}} {
		code, out, stderr := runEnv(t, nil, "history", "miners", "--db", filepath.Join(dir, "missing.db"), c.flag, c.val)
		if code != 2 || out != "" || !strings.Contains(stderr, c.flag+" = "+c.val) {
			t.Errorf("%s %s: exit %d, stdout %q, stderr %q", c.flag, c.val, code, out, stderr)
		}
	}
}
