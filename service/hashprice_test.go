package service

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
)

type fixedSource struct{ st netstate.State }

func (f fixedSource) Name() string { return "node" }
func (f fixedSource) State(context.Context) (*netstate.State, error) {
	st := f.st
	return &st, nil
}

// windowState is a mainnet state whose window of 144 blocks at the
// tip's bits paid 3.125 BTC + 0.02 BTC each and took 86,400 s.
func windowState() netstate.State {
	bits := consensus.Bits(0x17021369)
	prov := netstate.Provenance{Source: "node", AsOf: now}
	work := 144 * consensus.Difficulty(bits) * 4294967296
	return netstate.State{Network: "mainnet",
		Tip:   netstate.Tip{Height: 946_236, Time: now, Provenance: prov},
		Epoch: netstate.Epoch{FirstHeight: 945_504, FirstTime: now.Add(-5 * 24 * time.Hour), Bits: bits, Provenance: prov},
		Fees:  netstate.Fees{PerBlock: 2_000_000, Blocks: 144, FromHeight: 946_093, ToHeight: 946_236, Provenance: prov},
		Price: &netstate.Price{USD: 90_000, Provenance: prov},
		Window: &netstate.Window{Blocks: 144, FromHeight: 946_093, ToHeight: 946_236, SpanSec: 86_400,
			RewardSats: 144 * (312_500_000 + 2_000_000), FeesSats: 144 * 2_000_000, WorkHashes: work}}
}

func TestHashpriceMethods(t *testing.T) {
	svc := New(fixedSource{windowState()}, func() time.Time { return now })
	in, err := svc.HashpriceWith(context.Background(), HashpriceQuery{Window: FeeWindow{Blocks: 144}})
	if err != nil {
		t.Fatal(err)
	}
	if in.Method.Difficulty != DifficultyInForce || in.Method.FeeWindow != "144" || in.Method.Fees != "mean of the last 144 blocks" || in.FeeWindowBlocks == nil || *in.FeeWindowBlocks != 144 || in.Realised != nil {
		t.Fatalf("in-force method %+v, window %v", in.Method, in.FeeWindowBlocks)
	}
	re, err := svc.HashpriceWith(context.Background(), HashpriceQuery{Window: FeeWindow{Blocks: 144}, Difficulty: DifficultyRealised})
	if err != nil {
		t.Fatal(err)
	}
	// Every block of the window at the difficulty in force, with the
	// tip's subsidy and the mean fees: realised equals in force.
	if re.Realised == nil || math.Abs(re.BTCPerPHDay/in.BTCPerPHDay-1) > 1e-12 || *re.Realised.MeanBlockIntervalSec != 600 {
		t.Fatalf("realised %+v vs in force %g", re.Realised, in.BTCPerPHDay)
	}
	// The same blocks found in 20 h: the realised hashrate is 6/5 of the
	// in-force one, the revenue per hash the same.
	st := windowState()
	st.Window.SpanSec = 72_000
	// Half the window's blocks at half the difficulty: the same reward
	// took 3/4 of the work, so each hash earned 4/3 as much.
	st.Window.WorkHashes *= 0.75
	re2, err := New(fixedSource{st}, func() time.Time { return now }).HashpriceWith(context.Background(), HashpriceQuery{Difficulty: DifficultyRealised})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(re2.BTCPerPHDay/in.BTCPerPHDay-4.0/3) > 1e-12 || math.Abs(re2.USDPerPHDay-re2.BTCPerPHDay*90_000) > 1e-9 || *re2.Realised.HashrateHs != st.Window.WorkHashes/72_000 {
		t.Fatalf("realised %+v: %g vs %g", re2.Realised, re2.BTCPerPHDay, in.BTCPerPHDay)
	}
	// The snapshot has no window: the realised method is refused, the
	// window is null.
	snap, err := newSnap().HashpriceWith(context.Background(), HashpriceQuery{})
	if err != nil || snap.FeeWindowBlocks != nil || snap.Method.FeeWindow != "144" {
		t.Fatalf("snapshot: %v %+v", err, snap)
	}
	_, err = newSnap().HashpriceWith(context.Background(), HashpriceQuery{Difficulty: DifficultyRealised})
	inputField(t, err, "difficulty_method")
}

func TestParseFeeWindow(t *testing.T) {
	for in, want := range map[string]FeeWindow{"144": {Blocks: 144}, "1": {Blocks: 1}, "24h": {Duration: 24 * time.Hour}, "90m": {Duration: 90 * time.Minute}} {
		if got, err := ParseFeeWindow(in); err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"0", "2017", "-3", "5m", "400h", "day", ""} {
		_, err := ParseFeeWindow(bad)
		inputField(t, err, "fee_window")
	}
}
