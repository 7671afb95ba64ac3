package history_test

import (
	"context"
	"math"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/store"
)

// perBlock hides the store's rollups (history.GroupReader): history then
// reads every block.
type perBlock struct{ db *store.DB }

func (r perBlock) BlocksByTime(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
	return r.db.BlocksByTime(ctx, from, to, fn)
}
func (r perBlock) EpochBoundaries(ctx context.Context, interval int64, fn func(chain.BlockRecord) error) error {
	return r.db.EpochBoundaries(ctx, interval, fn)
}
func (r perBlock) LastBlock(ctx context.Context) (chain.BlockRecord, bool, error) {
	return r.db.LastBlock(ctx)
}
func (r perBlock) Prices(ctx context.Context) (map[string]float64, error) { return r.db.Prices(ctx) }

// TestRollupsEqualPerBlockRealChain: over the real 335,554 blocks, the
// history read from the rollups is the history computed from every block,
// to the last bit, for every period, whole and cut to a range; and it
// equals the block-by-block sums history made before the rollups (each
// block's hashvalue added in height order) to 1e-12.
func TestRollupsEqualPerBlockRealChain(t *testing.T) {
	db := realChain(t)
	ctx := context.Background()
	p := consensus.MainNet
	if _, ok := any(db).(history.GroupReader); !ok {
		t.Fatal("*store.DB is not a history.GroupReader")
	}
	ranges := []history.Range{{}, {From: time.Date(2021, 5, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2021, 9, 1, 0, 0, 0, 0, time.UTC)}}
	for _, rg := range ranges {
		for _, every := range []history.Period{history.Day, history.Week, history.Epoch} {
			fast, err := history.Hashprice(ctx, db, db, p, rg, every)
			if err != nil {
				t.Fatal(err)
			}
			slow, err := history.Hashprice(ctx, perBlock{db}, perBlock{db}, p, rg, every)
			if err != nil {
				t.Fatal(err)
			}
			if every == history.Day && rg.From.IsZero() && len(fast) < 2000 {
				t.Fatalf("only %d days", len(fast))
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("hashprice %s %v: rollups and blocks differ (%d and %d points)", every, rg, len(fast), len(slow))
			}
			if rg.From.IsZero() && every != history.Day {
				continue // the block-by-block sums: days over all, every period over the range
			}
			old := oldHashprice(t, db, p, rg, every)
			if len(old) != len(fast) {
				t.Fatalf("hashprice %s: %d points, block by block %d", every, len(fast), len(old))
			}
			for i, o := range old {
				f := fast[i]
				if f.Start != o.Start || f.Blocks != o.Blocks || f.FirstHeight != o.FirstHeight || f.LastHeight != o.LastHeight ||
					!near(f.Difficulty, o.Difficulty) || !near(f.BTCPerPHDay, o.BTCPerPHDay) || (f.USDPerPHDay == nil) != (o.USDPerPHDay == nil) ||
					(f.USDPerPHDay != nil && !near(*f.USDPerPHDay, *o.USDPerPHDay)) {
					t.Fatalf("hashprice %s point %d: %+v, block by block %+v", every, i, f, o)
				}
			}
		}
		fast, err := history.Hashrate(ctx, db, rg, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := history.Hashrate(ctx, perBlock{db}, rg, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("hashrate %v: rollups and blocks differ (%d and %d days)", rg, len(fast), len(slow))
		}
		old := oldHashrate(t, db, rg)
		if len(old) != len(fast) {
			t.Fatalf("hashrate: %d days, block by block %d", len(fast), len(old))
		}
		for i, o := range old {
			if fast[i].Date != o.date || fast[i].Blocks != o.n || !near(fast[i].HashrateHs, o.work/86400) || !near(fast[i].MeanDifficulty, o.meanDiff) {
				t.Fatalf("hashrate day %d: %+v, block by block %+v", i, fast[i], o)
			}
		}
	}
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

// oldHashprice is history.Hashprice as it was before the rollups: every
// block's hashprice.Compute added in height order (fees: none here, the
// real chain holds no node blocks or daily fees).
func oldHashprice(t *testing.T, db *store.DB, p *consensus.Params, rg history.Range, every history.Period) []history.HashpricePoint {
	t.Helper()
	prices, err := db.Prices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !rg.From.IsZero() {
		from, to = rg.From.Unix(), rg.To.Unix()
	}
	type acc struct {
		pt             history.HashpricePoint
		n              int64
		first, sumD    float64
		sumBTC, sumUSD float64
		missing        bool
	}
	groups := map[int64]*acc{}
	var order []int64
	err = db.BlocksByTime(context.Background(), from, to, func(b chain.BlockRecord) error {
		day := b.Time - b.Time%86400
		var key int64
		switch every {
		case history.Day:
			key = day
		case history.Week:
			key = day - ((day/86400+3)%7)*86400
		default:
			key = b.Height / p.RetargetInterval()
		}
		a := groups[key]
		if a == nil {
			start := key
			if every == history.Epoch {
				start = b.Time
			}
			a = &acc{pt: history.HashpricePoint{Start: time.Unix(start, 0).UTC().Format(time.DateOnly), FirstHeight: b.Height}}
			groups[key] = a
			order = append(order, key)
		}
		d := consensus.Difficulty(b.Bits)
		res, err := hashprice.Compute(hashprice.Inputs{Difficulty: d, Height: b.Height, Params: p})
		if err != nil {
			return err
		}
		if a.n == 0 {
			a.first = d
		}
		a.n++
		a.sumD += d - a.first
		a.pt.Blocks++
		a.pt.LastHeight = max(a.pt.LastHeight, b.Height)
		a.sumBTC += res.BTCPerPHDay
		if usd, ok := prices[time.Unix(b.Time, 0).UTC().Format(time.DateOnly)]; ok {
			a.sumUSD += res.BTCPerPHDay * usd
		} else {
			a.missing = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	var out []history.HashpricePoint
	for _, k := range order {
		a := groups[k]
		a.pt.Difficulty = a.first + a.sumD/float64(a.n)
		a.pt.BTCPerPHDay = a.sumBTC / float64(a.n)
		if !a.missing {
			v := a.sumUSD / float64(a.n)
			a.pt.USDPerPHDay = &v
		}
		out = append(out, a.pt)
	}
	return out
}

type oldDay struct {
	date           string
	n              int64
	work, meanDiff float64
}

// oldHashrate is the work and mean difficulty of history.Hashrate's days
// as it summed them before the rollups: block by block in height order.
func oldHashrate(t *testing.T, db *store.DB, rg history.Range) []oldDay {
	t.Helper()
	keep, err := history.Hashrate(context.Background(), db, rg, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, d := range keep {
		want[d.Date] = true
	}
	type acc struct {
		n                 int64
		work, first, sumD float64
	}
	days := map[string]*acc{}
	err = db.BlocksByTime(context.Background(), math.MinInt64, math.MaxInt64, func(b chain.BlockRecord) error {
		k := time.Unix(b.Time, 0).UTC().Format(time.DateOnly)
		if !want[k] {
			return nil
		}
		a := days[k]
		if a == nil {
			a = &acc{}
			days[k] = a
		}
		d := consensus.Difficulty(b.Bits)
		if a.n == 0 {
			a.first = d
		}
		a.n++
		a.work += hashprice.HashesPerBlock(d)
		a.sumD += d - a.first
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []oldDay
	for _, d := range keep {
		a := days[d.Date]
		out = append(out, oldDay{d.Date, a.n, a.work, a.first + a.sumD/float64(a.n)})
	}
	return out
}
