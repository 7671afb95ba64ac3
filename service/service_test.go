package service

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/snapshot"
)

// now is 222 days after the embedded snapshot's tip (2026-04-22 21:50:03 UTC).
var now = time.Date(2026, 11, 30, 21, 50, 3, 0, time.UTC)

func newSnap() *Service { return New(snapshot.NewSource(), func() time.Time { return now }) }

func inputField(t *testing.T, err error, field string) {
	t.Helper()
	ie, ok := hashlab.AsInput(err)
	if !ok || ie.Field != field {
		t.Fatalf("err %v, want an InputError for %q", err, field)
	}
}

func TestHashpriceFromSnapshot(t *testing.T) {
	h, err := newSnap().Hashprice(context.Background(), Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hashprice.Compute(hashprice.Inputs{Difficulty: consensus.Difficulty(0x17021369), Height: 946236, FeesPerBlock: 2_000_000, PriceUSD: 86000})
	if h.Result != want || h.Bits != 0x17021369 || !h.BitsExact || h.NextHalvingHeight != 1_050_000 {
		t.Fatalf("%+v", h)
	}
	if h.Source != "snapshot" || h.AgeSeconds != 222*86400 || !h.AsOf.Equal(time.Unix(1776894603, 0)) || !h.Stale() {
		t.Fatalf("freshness %+v", h.Freshness)
	}
	if got := h.Label(); !strings.HasPrefix(got, "embedded snapshot of 2026-04-22, 222 days old; BTC price: reference assumption of 2025-11-24") {
		t.Fatal(got)
	}
	if len(h.BreakevenUSDPerKWhAt) != len(BreakevenEfficienciesJPerTH) || h.BreakevenUSDPerKWhAt["17.5"] != hashprice.BreakevenUSDPerKWh(want.USDPerPHDay, 17.5) {
		t.Fatal(h.BreakevenUSDPerKWhAt)
	}
}

func TestOverridesNamed(t *testing.T) {
	s := newSnap()
	price, d, fees := 100000.0, 1.2e14, consensus.Sats(5_000_000)
	h, err := s.Hashprice(context.Background(), Overrides{PriceUSD: &price, Difficulty: &d, FeesPerBlock: &fees})
	if err != nil {
		t.Fatal(err)
	}
	if h.PriceUSD != price || h.Difficulty != d || h.FeesPerBlockSats != fees || h.BitsExact {
		t.Fatalf("%+v", h)
	}
	if strings.Join(h.Overridden, ",") != "difficulty,fees_btc,price" || h.PriceSource != "" {
		t.Fatalf("overridden %v price source %q", h.Overridden, h.PriceSource)
	}
	b := consensus.Bits(0x1701d936)
	_, err = s.Hashprice(context.Background(), Overrides{Difficulty: &d, Bits: &b})
	inputField(t, err, "bits")
	bad := consensus.Bits(0x1e00ffff) // above the mainnet pow limit
	_, err = s.Hashprice(context.Background(), Overrides{Bits: &bad})
	inputField(t, err, "bits")
	nan := math.NaN()
	_, err = s.Hashprice(context.Background(), Overrides{PriceUSD: &nan})
	inputField(t, err, "price")
}

// Issue 14 item 7: block 788,255 is the last block of epoch 390
// (786,240..788,255). Its real time comes from the epoch table, and the
// projection is the change Bitcoin made at 788,256: 0x1705c739 ->
// 0x1705dd01, -1.45%.
func TestNextAdjustmentPastEpochUsesRealTimes(t *testing.T) {
	h := int64(788255)
	a, err := newSnap().NextAdjustment(context.Background(), AdjustmentQuery{TipHeight: &h, Confidence: DefaultConfidence})
	if err != nil {
		t.Fatal(err)
	}
	real := consensus.Difficulty(0x1705dd01)/consensus.Difficulty(0x1705c739) - 1
	if math.Round(a.ExpectedChangePct*100)/100 != -1.45 || math.Abs(a.ExpectedChange-real) > 2e-4 {
		t.Fatalf("change %.4f%%, real %.4f%%", a.ExpectedChangePct, 100*real)
	}
	if a.TipTimeFrom != "epoch table" || a.TipTime.Unix() != 1683212066 || a.EpochFirstTime.Unix() != 1681984653 || a.CurrentBits == nil || *a.CurrentBits != 0x1705c739 {
		t.Fatalf("%+v", a)
	}
	if strings.Join(a.Overridden, ",") != "tip_height" {
		t.Fatal(a.Overridden)
	}
	// A height inside a past epoch has no known time: refused, naming tip_time.
	mid := int64(788000)
	_, err = newSnap().NextAdjustment(context.Background(), AdjustmentQuery{TipHeight: &mid, Confidence: DefaultConfidence})
	inputField(t, err, "tip_time")
	// With the time given it projects.
	tt := int64(1683060000)
	if _, err := newSnap().NextAdjustment(context.Background(), AdjustmentQuery{TipHeight: &mid, TipTime: &tt, Confidence: DefaultConfidence}); err != nil {
		t.Fatal(err)
	}
	_, err = newSnap().NextAdjustment(context.Background(), AdjustmentQuery{Confidence: 1})
	inputField(t, err, "confidence")
}

func TestNextAdjustmentAtSnapshotTip(t *testing.T) {
	a, err := newSnap().NextAdjustment(context.Background(), AdjustmentQuery{Confidence: DefaultConfidence})
	if err != nil {
		t.Fatal(err)
	}
	// Epoch 469 from 945,504 at 1776448537 to the tip 946,236 at 1776894603.
	mean := float64(1776894603-1776448537) / float64(946236-945504)
	if a.EpochStartHeight != 945504 || a.RetargetHeight != 947520 || a.TipTimeFrom != "state" || math.Abs(a.MeanIntervalSec-mean) > 1e-9 || len(a.Overridden) != 0 {
		t.Fatalf("%+v", a)
	}
}

// Issue 14 item 7: the expected date of a halving counted from a height
// whose time is unknown is null, not the snapshot's date.
func TestHalvingDate(t *testing.T) {
	s := newSnap()
	h, err := s.Halving(context.Background(), HalvingQuery{BlockIntervalSec: DefaultBlockIntervalSec})
	if err != nil {
		t.Fatal(err)
	}
	// 103,764 blocks of 600 s after 2026-04-22 21:50:03 UTC.
	want := time.Unix(1776894603+103764*600, 0).UTC().Format("2006-01-02")
	if h.BlocksToGo != 103764 || h.ExpectedDate == nil || *h.ExpectedDate != want {
		t.Fatalf("%+v", h)
	}
	height := int64(839999)
	h, err = s.Halving(context.Background(), HalvingQuery{Market: Overrides{Height: &height}, BlockIntervalSec: DefaultBlockIntervalSec})
	if err != nil {
		t.Fatal(err)
	}
	if h.Height != 840000 || h.BlocksToGo != 1 || h.ExpectedDate != nil || !strings.HasPrefix(h.DateBasis, "unknown") {
		t.Fatalf("%+v", h)
	}
	_, err = s.Halving(context.Background(), HalvingQuery{BlockIntervalSec: 0})
	inputField(t, err, "block_interval")
}

func TestOverviewIsTheSections(t *testing.T) {
	s := newSnap()
	ctx := context.Background()
	o, err := s.Overview(ctx, OverviewQuery{PowerUSDPerKWh: DefaultPowerUSDPerKWh})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := s.Hashprice(ctx, Overrides{})
	a, _ := s.NextAdjustment(ctx, AdjustmentQuery{Confidence: DefaultConfidence})
	hv, _ := s.Halving(ctx, HalvingQuery{BlockIntervalSec: DefaultBlockIntervalSec})
	m, _ := s.Miners(ctx, MinersQuery{PowerUSDPerKWh: DefaultPowerUSDPerKWh, PoolFee: defaultPoolFee, Uptime: defaultUptime})
	if o.Hashprice.Result != h.Result || o.NextAdjustment.Projection != a.Projection || !reflect.DeepEqual(o.Halving.Halving, hv.Halving) || len(o.Miners.Models) != len(m.Models) || !reflect.DeepEqual(o.Miners.Models[0], m.Models[0]) {
		t.Fatal("overview sections differ from the use cases")
	}
	if o.Source != "snapshot" || o.AgeSeconds != 222*86400 {
		t.Fatal(o.Freshness)
	}
	_, err = s.Overview(ctx, OverviewQuery{PowerUSDPerKWh: -1})
	inputField(t, err, "power_price")
}

// failing is a source that cannot answer, as an unreachable node would.
type failing struct{}

func (failing) Name() string { return "node" }
func (failing) State(context.Context) (*netstate.State, error) {
	return nil, errors.New("dial tcp 127.0.0.1:8332: connection refused")
}

func TestRegistry(t *testing.T) {
	var r Registry
	r.Register("node", func() (netstate.Source, error) { return failing{}, nil })
	r.Register("snapshot", func() (netstate.Source, error) { return snapshot.NewSource(), nil })
	_, err := r.Open("nosuch")
	inputField(t, err, "source")
	if !strings.Contains(err.Error(), "auto, node, snapshot") {
		t.Fatal(err)
	}
	// An explicit source that fails is an error naming it, not a fallback.
	src, _ := r.Open("node")
	_, err = New(src, time.Now).Hashprice(context.Background(), Overrides{})
	if err == nil || !strings.Contains(err.Error(), "source node") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatal(err)
	}
	// auto takes the first that answers and says which.
	src, _ = r.Open("auto")
	h, err := New(src, func() time.Time { return now }).Hashprice(context.Background(), Overrides{})
	if err != nil || h.Source != "snapshot" {
		t.Fatal(h, err)
	}
}

func TestParseZList(t *testing.T) {
	z, err := ParseZList("z", "0-2, 6")
	if err != nil || len(z) != 4 || z[3] != 6 {
		t.Fatal(z, err)
	}
	for _, bad := range []string{"x", "3-1", "-1", "0-20000", "0-5000,0-5000"} {
		_, err := ParseZList("z", bad)
		inputField(t, err, "z")
	}
}
