package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/ingest"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/store"
)

// chainStore builds a real chain store from the shared reference data:
// every block 610683..946236 of the blocks CSV (time and pool; bits from
// the embedded epoch table) and Coin Metrics' daily PriceUSD (test data
// only, never embedded). It returns the store and
// the Coin Metrics rows by date for cross-checks.
func chainStore(t *testing.T) (*store.DB, map[string]cmDay) {
	t.Helper()
	ctx := context.Background()
	blocksPath := sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz")
	cmPath := sharedtest.Path(t, "daily", "coinmetrics_btc_daily_2009-01-03_2026-03-23.csv")
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "hashlab.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := os.Open(blocksPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ingest.ImportBlocksCSV(ctx, db, f, consensus.MainNet, snapshot.Epochs(), nil); err != nil {
		t.Fatal(err)
	}
	days := readCoinMetrics(t, cmPath)
	if _, err := ingest.ImportPrices(ctx, db, strings.NewReader(sharedtest.CoinMetricsPriceCSV(t))); err != nil {
		t.Fatal(err)
	}
	return db, days
}

// cmDay is one row of Coin Metrics' daily file.
type cmDay struct {
	PriceUSD   float64
	HashRateTH float64 // TH/s
	IssTotUSD  float64
}

func readCoinMetrics(t *testing.T, path string) map[string]cmDay {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	out := map[string]cmDay{}
	for _, r := range rows[1:] {
		num := func(name string) float64 {
			v, _ := strconv.ParseFloat(r[col[name]], 64)
			return v
		}
		out[r[col["time"]]] = cmDay{PriceUSD: num("PriceUSD"), HashRateTH: num("HashRate"), IssTotUSD: num("IssTotUSD")}
	}
	return out
}

// TestChainHistory serves a chain store built from real blocks and prices
// and checks every history route through HTTP.
func TestChainHistory(t *testing.T) {
	db, cm := chainStore(t)
	clock := time.Date(2026, 4, 22, 22, 0, 0, 0, time.UTC)
	h := NewChainHistory(db, ChainHistoryOptions{Source: "chain store " + db.Path(), Now: func() time.Time { return clock }})
	_, ts := newTest(t, Config{History: h})
	get := func(t *testing.T, path string) map[string]any {
		t.Helper()
		r := do(t, "GET", ts.URL+path, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		return r.json(t)
	}

	t.Run("tip", func(t *testing.T) {
		tip, err := h.Tip(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// 946232 = 469*2016 starts the tip's epoch; the CSV has it.
		if tip.Height != 946236 || tip.Time.Unix() != 1776894603 || tip.EpochFirstTime == 0 || tip.Bits == 0 {
			t.Errorf("tip %+v", tip)
		}
		if tip.PriceUSD != cm["2026-03-22"].PriceUSD || tip.FeesPerBlock != 0 || tip.BlocksBehind != -1 {
			t.Errorf("tip price %v (want the newest stored, %v), fees %d (no node blocks: 0), behind %d (no node tip: -1)",
				tip.PriceUSD, cm["2026-03-22"].PriceUSD, tip.FeesPerBlock, tip.BlocksBehind)
		}
		m := get(t, "/api/v1/hashprice")
		if src, _ := m["source_detail"].(string); m["source"] != "db" || !strings.HasPrefix(src, "chain store ") || m["height"].(float64) != 946236 {
			t.Errorf("hashprice source %v (%v) height %v", m["source"], m["source_detail"], m["height"])
		}
		// Issue 14 item 7: a 2026-04-22 tip with the 2026-03-22 price says
		// the price's own date.
		if ps, _ := m["price_source"].(string); m["price_as_of"] != "2026-03-22T00:00:00Z" || !strings.Contains(ps, "2026-03-22") {
			t.Errorf("price source %v as of %v", m["price_source"], m["price_as_of"])
		}
	})

	t.Run("daily hashprice in USD", func(t *testing.T) {
		m := get(t, "/api/v1/hashprice/history?every=day&from=2024-04-01&to=2024-04-30")
		pts := m["points"].([]any)
		if len(pts) != 30 || m["every"] != "day" || m["all_time_low_unit"] != "USD/PH/day" {
			t.Fatalf("%d points, every %v, unit %v", len(pts), m["every"], m["all_time_low_unit"])
		}
		checked := 0
		for _, p := range pts {
			p := p.(map[string]any)
			usd, ok := p["usd_per_ph_day"].(float64)
			if !ok || !(usd > 0) || p["fees_included"] != false || !(p["hashrate_hs"].(float64) > 0) {
				t.Fatalf("point %v", p)
			}
			day := p["time"].(string)[:10]
			// Coin Metrics cross-check on days without a retarget or the
			// halving (2024-04-20, height 840000): subsidy-only hashprice
			// is IssTotUSD per PH/s of its HashRate; the day's hashrate is
			// its HashRate (both define it as the work of the day's blocks
			// over 86,400 s).
			if day == "2024-04-10" || day == "2024-04-11" || day == "2024-04-16" || day == "2024-04-27" {
				c := cm[day]
				want := c.IssTotUSD / (c.HashRateTH / 1000)
				if math.Abs(usd/want-1) > 0.01 {
					t.Errorf("%s: hashprice %.3f USD/PH/day, Coin Metrics %.3f", day, usd, want)
				}
				if hr := p["hashrate_hs"].(float64); math.Abs(hr/(c.HashRateTH*1e12)-1) > 0.01 {
					t.Errorf("%s: hashrate %.4g H/s, Coin Metrics %.4g", day, hr, c.HashRateTH*1e12)
				}
				checked++
			}
		}
		if checked != 4 {
			t.Errorf("cross-checked %d days, want 4", checked)
		}
	})

	t.Run("weekly and epoch points", func(t *testing.T) {
		m := get(t, "/api/v1/hashprice/history?every=week&from=2025-01-06&to=2025-02-02")
		pts := m["points"].([]any)
		if len(pts) != 4 || pts[0].(map[string]any)["time"] != "2025-01-06T00:00:00Z" {
			t.Fatalf("weeks: %v", pts)
		}
		for _, p := range pts {
			if p := p.(map[string]any); !(p["hashrate_hs"].(float64) > 5e20) || p["usd_per_ph_day"] == nil {
				t.Errorf("week %v", p)
			}
		}
		m = get(t, "/api/v1/hashprice/history?every=epoch&from=2021-05-01&to=2021-07-31")
		found := false
		for _, p := range m["points"].([]any) {
			p := p.(map[string]any)
			if p["height"].(float64) == 689472 {
				found = true
				// The epoch's first block time, to the second (the
				// snapshot's epoch table has the same).
				if tm, _ := time.Parse(time.RFC3339, p["time"].(string)); tm.Unix() != epochFirstTime(689472) {
					t.Errorf("epoch 689472 starts at %v, want %d", p["time"], epochFirstTime(689472))
				}
				// Its hashrate, from the same first and last block
				// times, matches the snapshot's.
				snap, _ := NewSnapshotHistory().Hashprice(context.Background(), time.Time{}, time.Time{}, "epoch")
				for _, sp := range snap {
					if sp.Height == 689472 {
						if hr := p["hashrate_hs"].(float64); math.Abs(hr/sp.HashrateHs-1) > 0.001 {
							t.Errorf("epoch 689472 hashrate %.4g H/s, snapshot %.4g", hr, sp.HashrateHs)
						}
					}
				}
			}
		}
		if !found {
			t.Errorf("no point for the epoch starting at 689472: %v", m["points"])
		}
	})

	t.Run("adjustments", func(t *testing.T) {
		m := get(t, "/api/v1/network/adjustments?from=2021-01-01&to=2021-12-31")
		var got float64
		ok := false
		for _, a := range m["adjustments"].([]any) {
			a := a.(map[string]any)
			if a["height"].(float64) == 689472 {
				got, ok = a["change_pct"].(float64), true
			}
		}
		// The retarget after China's mining ban: -27.94% (mempool.space,
		// and the embedded epoch table).
		if !ok || math.Abs(got-(-27.94)) > 0.1 {
			t.Errorf("adjustment at 689472: %v (found %v), want -27.94 within 0.1", got, ok)
		}
		if d := m["largest_drop"].(map[string]any); d["height"].(float64) != 689472 {
			t.Errorf("largest drop of 2021 at %v, want 689472", d["height"])
		}
	})

	t.Run("pools", func(t *testing.T) {
		m := get(t, "/api/v1/pools?window=1w")
		blocks := m["blocks"].(float64)
		conc := m["concentration"].(map[string]any)
		shares := conc["shares"].([]any)
		// Unknown blocks are reported apart (unattributed_share).
		sum, _ := conc["unattributed_share"].(float64)
		for _, s := range shares {
			sum += s.(map[string]any)["share"].(float64)
		}
		top := shares[0].(map[string]any)["name"].(string)
		if chain.PoolSlug(top) != "foundryusa" || math.Abs(sum-1) > 1e-9 || blocks < 900 || blocks > 1200 {
			t.Errorf("top pool %q, shares sum %v, %v blocks", top, sum, blocks)
		}
	})

	t.Run("blocks behind in metrics", func(t *testing.T) {
		behind := regexp.MustCompile(`(?m)^hashlab_blocks_behind_tip (\S+)$`)
		metrics := func() string { return string(do(t, "GET", ts.URL+"/metrics", "").body) }
		if m := metrics(); behind.MatchString(m) || !strings.Contains(m, "\nhashlab_hashprice_usd_per_ph_day ") {
			t.Errorf("without a node tip:\n%s", m)
		}
		ctx := context.Background()
		if err := db.SetNodeTip(ctx, 946239, clock.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if g := behind.FindStringSubmatch(metrics()); g == nil || g[1] != "3" {
			t.Errorf("blocks behind %v, want 3", g)
		}
		if err := db.SetNodeTip(ctx, 946239, clock.Add(-NodeTipMaxAge-time.Second)); err != nil {
			t.Fatal(err)
		}
		if m := metrics(); behind.MatchString(m) {
			t.Errorf("a node tip older than %s still shows:\n%s", NodeTipMaxAge, m)
		}
	})

	// Last: it adds a block. A block written while the server runs shows
	// at once (ingest --follow writes this way).
	t.Run("reads afresh", func(t *testing.T) {
		ctx := context.Background()
		last, _, err := db.LastBlock(ctx)
		if err != nil {
			t.Fatal(err)
		}
		nb := chain.BlockRecord{Height: last.Height + 1, Hash: consensus.Hash{0xab, 0xab, 0xab}, Time: last.Time + 600, Bits: last.Bits,
			SubsidySats: 312_500_000, FeesSats: 2_000_000, CoinbaseOutSats: 314_500_000, Pool: "foundryusa", Source: "rpc"}
		if err := db.PutBlocks(ctx, []chain.BlockRecord{nb}); err != nil {
			t.Fatal(err)
		}
		var hz struct {
			Height int64 `json:"height"`
		}
		if err := json.Unmarshal(do(t, "GET", ts.URL+"/healthz", "").body, &hz); err != nil || hz.Height != nb.Height {
			t.Errorf("healthz height %d (%v), want %d", hz.Height, err, nb.Height)
		}
		tip, err := h.Tip(ctx)
		if err != nil || tip.FeesPerBlock != 2_000_000 {
			t.Errorf("fees per block %d (%v), want the node block's 2,000,000 sats", tip.FeesPerBlock, err)
		}
	})
}

func epochFirstTime(height int64) int64 {
	for _, e := range snapshot.Epochs() {
		if e.FirstHeight == height {
			return e.FirstTime
		}
	}
	return 0
}

// TestChainHistoryEmptyStore: a store without blocks answers no data (a
// 404 with the reason), never a zero tip.
func TestChainHistoryEmptyStore(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "empty.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, ts := newTest(t, Config{History: NewChainHistory(db, ChainHistoryOptions{Source: "chain store empty.db"})})
	for _, path := range []string{"/api/v1/hashprice/history?every=day", "/api/v1/network/adjustments", "/api/v1/pools"} {
		r := do(t, "GET", ts.URL+path, "")
		if r.status != 404 || !strings.Contains(string(r.body), "import or ingest") {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
	if r := do(t, "GET", ts.URL+"/healthz", ""); r.status != 503 {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
}

// countingStore counts the scans ChainHistory asks of the store.
type countingStore struct {
	*store.DB
	scans, priceReads int
}

func (c *countingStore) Prices(ctx context.Context) (map[string]float64, error) {
	c.priceReads++
	return c.DB.Prices(ctx)
}

func (c *countingStore) EpochBoundaries(ctx context.Context, interval int64, fn func(chain.BlockRecord) error) error {
	c.scans++
	return c.DB.EpochBoundaries(ctx, interval, fn)
}

// TestChainHistoryCachesUntilDataChanges: a repeated query is answered
// from the cache; a write to the store (here a block, as ingest --follow
// would write it) makes the next query read the store again and see it.
func TestChainHistoryCachesUntilDataChanges(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blk := func(h int64, bits consensus.Bits) chain.BlockRecord {
		return chain.BlockRecord{Height: h, Hash: consensus.Hash{byte(h), byte(h >> 8), 1}, Time: 1_700_000_000 + h*600, Bits: bits, Source: store.SourceRPC}
	}
	if err := db.PutBlocks(ctx, []chain.BlockRecord{blk(2015, 0x1d00ffff), blk(2016, 0x1c7fffff)}); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{DB: db}
	h := NewChainHistory(cs, ChainHistoryOptions{})
	for range 3 {
		adj, err := h.Adjustments(ctx)
		if err != nil || len(adj) != 1 {
			t.Fatalf("adjustments %v, %v", adj, err)
		}
	}
	if cs.scans != 1 {
		t.Errorf("3 identical queries scanned the store %d times, want 1", cs.scans)
	}
	// The tip too: repeated /metrics scrapes read the prices once.
	for range 3 {
		if _, err := h.Tip(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if cs.priceReads != 1 {
		t.Errorf("3 tips read the prices %d times, want 1", cs.priceReads)
	}
	if err := db.PutBlocks(ctx, []chain.BlockRecord{blk(4031, 0x1c7fffff), blk(4032, 0x1c3fffff)}); err != nil {
		t.Fatal(err)
	}
	adj, err := h.Adjustments(ctx)
	if err != nil || len(adj) != 2 || cs.scans != 2 {
		t.Errorf("after a write: %d adjustments, %d scans, %v; want 2 and 2", len(adj), cs.scans, err)
	}
	if tip, err := h.Tip(ctx); err != nil || tip.Height != 4032 || cs.priceReads != 2 {
		t.Errorf("after a write: tip %d, %d price reads, %v; want 4032 and 2", tip.Height, cs.priceReads, err)
	}
}
