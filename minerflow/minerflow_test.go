package minerflow

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
)

const day = int64(86400)

// TestMPIAgainstHandComputation: 400 days, one coinbase of 1 BTC mined and
// spent each day (outflow 1 BTC/day), price rising 1 USD a day from
// 1,000: MPI on day i (≥ 364) is price_i / mean(price_{i-364..i}).
func TestMPIAgainstHandComputation(t *testing.T) {
	const n = 400
	t0 := int64(1_600_000_000) / day * day
	var in Input
	in.Prices = map[string]float64{}
	for i := range int64(n) {
		in.Coins = append(in.Coins, Tracked{Coin: Coin{OutPoint: OutPoint{TxID: "cb", Vout: uint32(i)}, Pool: "p", Kind: KindCoinbase, Sats: 1e8,
			Height: i + 1, Time: t0 + i*day + 10, MinedTime: t0 + i*day + 10}, Spent: true, SpendTime: t0 + i*day + 20, SpendTxID: "s"})
		in.Prices[dateOf(t0/day+i)] = 1000 + float64(i)
	}
	in.FirstTime, in.LastTime = t0, t0+(n-1)*day
	s := Compute(in)
	if len(s.Total.Days) != n {
		t.Fatalf("%d days", len(s.Total.Days))
	}
	for i, d := range s.Total.Days {
		if d.OutflowSats != 1e8 || d.BalanceSats != 0 || d.MinedSats != 1e8 {
			t.Fatalf("day %d: %+v", i, d)
		}
		if i < 364 {
			if d.MPI != nil || d.OutflowUSDMA365 != nil {
				t.Fatalf("day %d: MPI %v with fewer than 365 days", i, *d.MPI)
			}
			continue
		}
		mean := 0.0
		for j := i - 364; j <= i; j++ {
			mean += 1000 + float64(j)
		}
		mean /= 365
		want := (1000 + float64(i)) / mean
		if d.MPI == nil || math.Abs(float64(*d.MPI)-want) > 1e-12 {
			t.Fatalf("day %d: MPI %v, want %v", i, d.MPI, want)
		}
	}
	// A missing price makes that day's and the next 364 days' MPI null.
	delete(in.Prices, dateOf(t0/day+370))
	s = Compute(in)
	for i, d := range s.Total.Days {
		if (i >= 370 && i < 370+365) != (d.MPI == nil) && i >= 364 {
			t.Fatalf("day %d: MPI %v after removing day 370's price", i, d.MPI)
		}
	}
}

// TestAgeProfile: a coin mined at noon of day 0 and never spent is in
// [0,7) at the end of days 0..6 (0.5 to 6.5 days old), [7,30) from day 7,
// [30,180) from day 30, and so on.
func TestAgeProfile(t *testing.T) {
	t0 := int64(1_600_000_000) / day * day
	in := Input{Coins: []Tracked{{Coin: Coin{OutPoint: OutPoint{"a", 0}, Pool: "p", Kind: KindCoinbase, Sats: 5, Time: t0 + day/2, MinedTime: t0 + day/2}}},
		FirstTime: t0, LastTime: t0 + 400*day}
	s := Compute(in)
	for i, d := range s.Total.Days {
		a := d.BalanceAge
		var want AgeProfile
		switch {
		case i < 7:
			want.Under7 = 5
		case i < 30:
			want.D7to30 = 5
		case i < 180:
			want.D30to180 = 5
		case i < 365:
			want.D180to365 = 5
		default:
			want.Over365 = 5
		}
		if a != want || d.BalanceSats != 5 {
			t.Fatalf("day %d: %+v, want %+v", i, a, want)
		}
	}
}

func p2pkh(b byte) []byte {
	h := make([]byte, 20)
	for i := range h {
		h[i] = b
	}
	s, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).AddData(h).AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	return s
}

type mapWatched map[OutPoint][]Coin

func (m mapWatched) Watched(op OutPoint) []Coin { return m[op] }

// TestScanBlockSplitsPayoutsByPool: a transaction spending 3 BTC of pool
// a's coinbase and 1 BTC of pool b's, paying 2 BTC to a payout address,
// creates a payout coin of 1.5 BTC for a and 0.5 BTC for b; a later
// transaction in the same block spends it, and a third pays more to a
// payout address than the coinbase value in (only that value is watched).
func TestScanBlockSplitsPayoutsByPool(t *testing.T) {
	pay, other := p2pkh(1), p2pkh(2)
	payAddr := AddressOf(pay, chain.AddressParams("regtest"))
	cbA, cbB := chainhash.Hash{1}, chainhash.Hash{2}
	w := mapWatched{
		{cbA.String(), 0}: {{OutPoint: OutPoint{cbA.String(), 0}, Pool: "a", Kind: KindCoinbase, Sats: 3e8, MinedTime: 100}},
		{cbB.String(), 0}: {{OutPoint: OutPoint{cbB.String(), 0}, Pool: "b", Kind: KindCoinbase, Sats: 1e8, MinedTime: 500}},
		{cbB.String(), 1}: {{OutPoint: OutPoint{cbB.String(), 1}, Pool: "b", Kind: KindCoinbase, Sats: 1e8, MinedTime: 500}},
	}
	coinbase := wire.NewMsgTx(1)
	coinbase.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex}, SignatureScript: []byte{1, 2}})
	coinbase.AddTxOut(wire.NewTxOut(50e8, other))
	coinbase.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_RETURN, 1, 1}))
	t1 := wire.NewMsgTx(2)
	t1.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: cbA}})
	t1.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: cbB}})
	t1.AddTxOut(wire.NewTxOut(2e8, pay))
	t1.AddTxOut(wire.NewTxOut(2e8-1000, other))
	t2 := wire.NewMsgTx(2)
	t2.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: t1.TxHash(), Index: 0}})
	t2.AddTxOut(wire.NewTxOut(2e8-1000, other))
	t3 := wire.NewMsgTx(2)
	t3.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: cbB, Index: 1}})
	t3.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{9}}})
	t3.AddTxOut(wire.NewTxOut(4e8, pay))
	blk := &wire.MsgBlock{Transactions: []*wire.MsgTx{coinbase, t1, t2, t3}}
	f := ScanBlock(blk, BlockInfo{Height: 7, Time: 1000, Pool: "c", Network: "regtest"}, w, func(a string) bool { return a == payAddr })
	var got []string
	for _, c := range f.Coins {
		got = append(got, c.Pool+":"+string(c.Kind)+":"+itoa(c.Sats)+":"+itoa(c.MinedTime))
	}
	want := "c:coinbase:5000000000:1000 a:payout:150000000:100 b:payout:50000000:500 b:payout:100000000:500"
	if strings.Join(got, " ") != want {
		t.Errorf("coins %v, want %s", got, want)
	}
	if len(f.Spends) != 5 { // cbA, cbB, t1:0 (a and b), cbB:1
		t.Errorf("spends %+v", f.Spends)
	}
	if len(f.Dests) != 2 || f.Dests[0].Sats != 2e8-1000 || f.Dests[1].Sats != 2e8-1000 {
		t.Errorf("dests %+v", f.Dests)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestParseLabels(t *testing.T) {
	m, err := ParseLabels(strings.NewReader("address,entity\nbc1qa, Binance\n# comment\n1B,Kraken\n"))
	if err != nil || len(m) != 2 || m["bc1qa"] != "Binance" || m["1B"] != "Kraken" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"a,b,c\n", "a,\n", "a,X\na,Y\n", "\"a\n"} {
		if _, err := ParseLabels(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		} else if _, ok := hashlab.AsInput(err); !ok {
			t.Errorf("%q: %v is not an input error", bad, err)
		}
	}
}
