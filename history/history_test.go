package history_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/ingest"
	"github.com/hashlab/hashlab/store"
)

// synthetic writes blocks at heights from..to-1, one every spacing
// seconds from t0, with the given bits, fees and pools, as a node ingest
// would (source "rpc").
func synthetic(t *testing.T, db *store.DB, from, to int64, t0 time.Time, spacing int64, bits consensus.Bits, feeSats consensus.Sats, pool func(h int64) string) {
	t.Helper()
	var recs []chain.BlockRecord
	for h := from; h < to; h++ {
		recs = append(recs, chain.BlockRecord{Height: h, Time: t0.Unix() + (h-from)*spacing, Bits: bits, FeesSats: feeSats,
			SubsidySats: consensus.BlockSubsidy(h, consensus.MainNet), Pool: pool(h), Source: "rpc"})
	}
	if err := db.PutBlocks(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
}

func openDB(t *testing.T) *store.DB {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestHashpriceWithFeesAndPeriods(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	const bits = 0x17020684 // a real 2026 target
	// 2026-03-02 is a Monday; one block every 600 s for 10 days.
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	synthetic(t, db, 940000, 940000+1440, t0, 600, bits, 2_500_000, func(int64) string { return "foundryusa" })
	// Prices for all days but 2026-03-11.
	var csv strings.Builder
	csv.WriteString("date,usd\n")
	for d := 0; d < 9; d++ {
		csv.WriteString(t0.AddDate(0, 0, d).Format(time.DateOnly) + ",80000\n")
	}
	if _, err := ingest.ImportPrices(ctx, db, strings.NewReader(csv.String())); err != nil {
		t.Fatal(err)
	}
	d := consensus.Difficulty(bits)
	wantBTC := (3.125 + 0.025) / (d * 4294967296) * 1e15 * 86400
	days, err := history.Hashprice(ctx, db, db, consensus.MainNet, history.Range{}, history.Day)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 10 {
		t.Fatalf("%d days, want 10", len(days))
	}
	for i, p := range days {
		if p.Blocks != 144 || !p.FeesIncluded || p.FeeBlocks != 144 || math.Abs(p.BTCPerPHDay/wantBTC-1) > 1e-12 {
			t.Errorf("day %d: %+v, want 144 blocks with fees, %v BTC/PH/day", i, p, wantBTC)
		}
		if i < 9 && (p.USDPerPHDay == nil || math.Abs(*p.USDPerPHDay/(wantBTC*80000)-1) > 1e-12) {
			t.Errorf("day %d (%s): USD %v, want %v", i, p.Start, p.USDPerPHDay, wantBTC*80000)
		}
		if i == 9 && p.USDPerPHDay != nil {
			t.Errorf("%s has no price but got USD %v", p.Start, *p.USDPerPHDay)
		}
	}
	weeks, err := history.Hashprice(ctx, db, db, consensus.MainNet, history.Range{}, history.Week)
	if err != nil {
		t.Fatal(err)
	}
	if len(weeks) != 2 || weeks[0].Start != "2026-03-02" || weeks[0].Blocks != 7*144 || weeks[1].Start != "2026-03-09" || weeks[1].USDPerPHDay != nil {
		t.Errorf("weeks: %+v", weeks)
	}
	// Heights 940000..941439 all lie in epoch 466 (939456..941471), so
	// an epoch query over two days gives one point with those days'
	// blocks.
	epochs, err := history.Hashprice(ctx, db, db, consensus.MainNet, history.Range{From: t0.AddDate(0, 0, 2), To: t0.AddDate(0, 0, 4)}, history.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	if len(epochs) != 1 || epochs[0].Blocks != 288 || epochs[0].FirstHeight != 940288 || epochs[0].LastHeight != 940575 {
		t.Errorf("epoch over two days: %+v", epochs)
	}
}

func TestHashrateCompleteDaysOnly(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	const bits = 0x17020684
	t0 := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) // data starts mid-day
	synthetic(t, db, 940000, 940000+720, t0, 600, bits, 0, func(int64) string { return "" })
	days, err := history.Hashrate(ctx, db, history.Range{}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	// 720 blocks over 5 days from noon: 03-02 and 03-07 are partial.
	if len(days) != 4 || days[0].Date != "2026-03-03" || days[3].Date != "2026-03-06" {
		t.Fatalf("days %+v", days)
	}
	want := consensus.Difficulty(bits) * 4294967296 * 144 / 86400
	for _, d := range days {
		if d.Blocks != 144 || math.Abs(d.HashrateHs/want-1) > 1e-12 || !(d.LowerHs < want && want < d.UpperHs) {
			t.Errorf("%+v, want 144 blocks and %v H/s", d, want)
		}
		// The exact 95% interval for 144 events is about -15%..+18%.
		if lo, hi := d.LowerHs/want, d.UpperHs/want; math.Abs(lo-0.8435) > 0.01 || math.Abs(hi-1.1824) > 0.01 {
			t.Errorf("interval factors %.4f..%.4f", lo, hi)
		}
	}
	// A range inside the data keeps its edge days.
	one, err := history.Hashrate(ctx, db, history.Range{From: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)}, 0.9)
	if err != nil || len(one) != 1 || one[0].Date != "2026-03-04" {
		t.Errorf("one day: %+v, %v", one, err)
	}
	// A hole in the heights makes the days around it incomplete.
	db2 := openDB(t)
	synthetic(t, db2, 940000, 940000+300, t0, 600, bits, 0, func(int64) string { return "" })
	synthetic(t, db2, 940301, 940000+720, t0.Add(301*600*time.Second), 600, bits, 0, func(int64) string { return "" })
	holed, err := history.Hashrate(ctx, db2, history.Range{}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range holed {
		if d.Date == "2026-03-04" {
			t.Errorf("2026-03-04 lacks block 940300 but was reported: %+v", d)
		}
	}
	if len(holed) != 3 {
		t.Errorf("with a hole: %d days, want 3", len(holed))
	}
}

func TestPoolsConcentration(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	// 40% a, 30% b, 20% c, 10% unattributed.
	synthetic(t, db, 940000, 941000, t0, 600, 0x17020684, 0, func(h int64) string {
		switch r := h % 10; {
		case r < 4:
			return "a"
		case r < 7:
			return "b"
		case r < 9:
			return "c"
		}
		return ""
	})
	rep, err := history.PoolsWindow(ctx, db, 365*24*time.Hour, func(s string) string { return strings.ToUpper(s) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Blocks != 1000 || rep.UnknownBlocks != 100 || len(rep.Pools) != 4 || rep.Pools[0].Name != "A" || rep.Pools[0].Share != 0.4 {
		t.Fatalf("%+v", rep)
	}
	// Unattributed blocks are not a pool: out of HHI (0.29, not 0.30)
	// and the Nakamoto coefficients, in the denominator of the shares.
	if math.Abs(rep.HHI-(0.16+0.09+0.04)) > 1e-12 || rep.Nakamoto50 != 2 || rep.Nakamoto33 != 1 {
		t.Errorf("HHI %v, Nakamoto %d/%d; want 0.29, 2, 1", rep.HHI, rep.Nakamoto50, rep.Nakamoto33)
	}
	// A one-day window at the end holds 144 blocks (the last block
	// included).
	day, err := history.PoolsWindow(ctx, db, 24*time.Hour, nil)
	if err != nil || day.Blocks != 144 {
		t.Errorf("last day: %d blocks, %v", day.Blocks, err)
	}
}

func TestBadInputAndEmpty(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	if _, err := history.ParsePeriod("month"); !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), "every = month") || !strings.Contains(err.Error(), "day, week, epoch") {
		t.Errorf("ParsePeriod(month): %v", err)
	}
	if _, err := history.Hashrate(ctx, db, history.Range{}, 1.5); !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), "1.5") {
		t.Errorf("confidence 1.5: %v", err)
	}
	now := time.Now()
	if _, err := history.Pools(ctx, db, now, now, nil); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("empty pool window: %v", err)
	}
	if _, err := history.PoolsWindow(ctx, db, 0, nil); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("zero window: %v", err)
	}
	for name, err := range map[string]error{
		"adjustments": func() error { _, err := history.Adjustments(ctx, db, consensus.MainNet); return err }(),
		"hashrate":    func() error { _, err := history.Hashrate(ctx, db, history.Range{}, 0.95); return err }(),
		"hashprice": func() error {
			_, err := history.Hashprice(ctx, db, db, consensus.MainNet, history.Range{}, history.Day)
			return err
		}(),
		"pools": func() error { _, err := history.PoolsWindow(ctx, db, time.Hour, nil); return err }(),
	} {
		if !errors.Is(err, history.ErrNoData) {
			t.Errorf("%s on an empty database: %v, want ErrNoData", name, err)
		}
	}
}

// TestWeeksStartMonday checks the ISO week grouping over ten years of
// days, against the standard library's calendar.
func TestWeeksStartMonday(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	t0 := time.Date(2019, 12, 25, 7, 0, 0, 0, time.UTC)
	var recs []chain.BlockRecord
	for i := int64(0); i < 3700; i++ {
		recs = append(recs, chain.BlockRecord{Height: 610000 + i, Time: t0.Unix() + i*86400, Bits: 0x17020684, Source: "headers"})
	}
	if err := db.PutBlocks(ctx, recs); err != nil {
		t.Fatal(err)
	}
	weeks, err := history.Hashprice(ctx, db, nil, consensus.MainNet, history.Range{}, history.Week)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, w := range weeks {
		d, err := time.Parse(time.DateOnly, w.Start)
		if err != nil || d.Weekday() != time.Monday {
			t.Fatalf("week start %s is not a Monday", w.Start)
		}
		total += w.Blocks
		if w.Blocks > 7 || w.FeesIncluded {
			t.Errorf("week %s: %d blocks, fees %v", w.Start, w.Blocks, w.FeesIncluded)
		}
	}
	if total != 3700 || weeks[0].Start != "2019-12-23" {
		t.Errorf("%d blocks in weeks from %s", total, weeks[0].Start)
	}
}
