package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/store"
)

// clippedText lists every chart text whose box runs outside its SVG, every
// panel or card whose content is wider than it, and a page wider than the
// window (the dashboard's "no clipped labels" rule), at the current
// window size.
const clippedText = `(function(){
  var bad = [];
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    if (!r.width) return;
    svg.querySelectorAll('text').forEach(function (t) {
      var b = t.getBoundingClientRect();
      if (!b.width) return;
      if (b.left < r.left - 0.5 || b.right > r.right + 0.5 || b.top < r.top - 0.5 || b.bottom > r.bottom + 0.5)
        bad.push((svg.id || 'svg') + ': "' + t.textContent + '" [' + Math.round(b.left) + '..' + Math.round(b.right) + ' x ' + Math.round(b.top) + '..' + Math.round(b.bottom) + '] outside [' + Math.round(r.left) + '..' + Math.round(r.right) + ' x ' + Math.round(r.top) + '..' + Math.round(r.bottom) + ']');
    });
  });
  document.querySelectorAll('.panel, .card, .legend-html, .chart-controls').forEach(function (p) {
    if (p.getBoundingClientRect().width && p.scrollWidth > p.clientWidth + 1) bad.push('container ' + (p.id || p.className) + ' is ' + p.scrollWidth + ' wide in ' + p.clientWidth);
  });
  if (document.documentElement.scrollWidth > window.innerWidth + 1) bad.push('page is ' + document.documentElement.scrollWidth + ' px wide in a ' + window.innerWidth + ' px window');
  return bad;
})()`

// windowSizes are the browser tests' window sizes: a desktop and a phone.
var windowSizes = [][2]int64{{1400, 1000}, {390, 844}}

// checkNotClipped fails for every clipped text on the page at the current
// size.
func checkNotClipped(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	for _, b := range js[[]string](t, ctx, clippedText) {
		t.Errorf("%s: %s", what, b)
	}
}

// feeStore is chainStore with Coin Metrics' daily fees imported from
// 2024-05-01 (after the 2024 halving, subsidy 3.125 BTC): per block
// FeeTotNtv over the day's blocks, IssTotNtv / 3.125. A day's fee share
// is then FeeTotNtv / (IssTotNtv + FeeTotNtv), whatever number of blocks
// the store holds for it. Returns the expected shares by date.
func feeStore(t *testing.T) (*store.DB, map[string]float64) {
	t.Helper()
	db, _ := chainStore(t)
	f, err := os.Open(sharedtest.Path(t, "daily", "coinmetrics_btc_daily_2009-01-03_2026-03-23.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, n := range rows[0] {
		col[n] = i
	}
	im, err := db.BeginImport(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for _, r := range rows[1:] {
		day := r[col["time"]]
		if day < "2024-05-01" {
			continue
		}
		fee, err1 := strconv.ParseFloat(r[col["FeeTotNtv"]], 64)
		iss, err2 := strconv.ParseFloat(r[col["IssTotNtv"]], 64)
		if err1 != nil || err2 != nil || iss <= 0 {
			continue
		}
		blocks := math.Round(iss / 3.125)
		per := consensus.Sats(math.Round(fee * consensus.SatsPerBTC / blocks))
		if err := im.DailyFees(store.DailyFees{Date: day, PerBlockSats: per, Blocks: int64(blocks), Source: "coinmetrics (test)"}); err != nil {
			t.Fatal(err)
		}
		want[day] = fee / (fee + iss)
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	return db, want
}

// TestBrowserPools serves the real blocks 610,683..946,236 (pool
// attribution from their coinbases) with Coin Metrics' prices and fees
// (test data only) and checks the pools history, the fee share and the
// hashprice moving averages through the API, then the pools page and the
// overview's daily panels in Chromium: charts drawn with display names,
// the range selector and the linear/log switch redraw them, and no text
// is clipped at 1400×1000 or 390×844.
func TestBrowserPools(t *testing.T) {
	db, wantFee := feeStore(t)
	_, ts := newTest(t, Config{History: NewChainHistory(db, ChainHistoryOptions{Source: "chain store " + db.Path()})})
	get := func(path string, v any) {
		t.Helper()
		r := do(t, "GET", ts.URL+path, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		if err := json.Unmarshal([]byte(r.body), v); err != nil {
			t.Fatal(err)
		}
	}

	// The API: shares per month sum to 1, Foundry USA (slug foundryusa)
	// is the largest pool of 2025, named.
	var ph struct {
		Every       string   `json:"every"`
		Blocks      int64    `json:"blocks"`
		Series      []string `json:"series"`
		SeriesNames []string `json:"series_names"`
		Pools       []struct{ Slug, Name string }
		Periods     []struct {
			Start        string    `json:"start"`
			Shares       []float64 `json:"shares"`
			LargestName  string    `json:"largest_name"`
			LargestShare float64   `json:"largest_share"`
			HHI10000     float64   `json:"hhi_10000"`
			Nakamoto50   int       `json:"nakamoto_coefficient_50"`
		} `json:"periods"`
	}
	get("/api/v1/pools/history?every=month", &ph)
	if ph.Blocks != 946236-610683+1 || ph.Pools[0].Slug != "foundryusa" || ph.Pools[0].Name != "Foundry USA" || ph.SeriesNames[0] != "Foundry USA" {
		t.Errorf("pools history: %d blocks, pools %+v", ph.Blocks, ph.Pools)
	}
	for _, p := range ph.Periods {
		sum := 0.0
		for _, s := range p.Shares {
			sum += s
		}
		if math.Abs(sum-1) > 1e-9 || p.HHI10000 <= 0 || p.Nakamoto50 < 1 {
			t.Errorf("%s: shares sum to %v, HHI %v, Nakamoto %d", p.Start, sum, p.HHI10000, p.Nakamoto50)
		}
		if strings.HasPrefix(p.Start, "2025-") && p.LargestName != "Foundry USA" {
			t.Errorf("%s: largest pool %q (%.3f), want Foundry USA", p.Start, p.LargestName, p.LargestShare)
		}
	}
	var pw struct {
		Pools []struct {
			Slug, Name string
			Blocks     int64
		} `json:"pools"`
		Blocks int64 `json:"blocks"`
	}
	get("/api/v1/pools?window=30d", &pw)
	names := map[string]string{}
	var sum int64
	for _, p := range pw.Pools {
		names[p.Slug] = p.Name
		sum += p.Blocks
	}
	if names["foundryusa"] != "Foundry USA" || names["oceanxyz"] != "Ocean.xyz" || sum != pw.Blocks {
		t.Errorf("/api/v1/pools: slugs and names %v, %d of %d blocks", names, sum, pw.Blocks)
	}
	if n := len(ph.Periods); n != 77 {
		t.Errorf("%d months, want 77 from 2019-12 (block 610,683) to 2026-04", n)
	}
	var fs struct {
		Days []struct {
			Date     string   `json:"date"`
			FeeShare *float64 `json:"fee_share"`
			MA7      *float64 `json:"ma7_fee_share"`
		} `json:"days"`
		KnownDays int `json:"known_days"`
	}
	get("/api/v1/history/fee-share?from=2024-01-01", &fs)
	checked := 0
	for _, d := range fs.Days {
		w, ok := wantFee[d.Date]
		switch {
		case ok && d.FeeShare == nil:
			t.Errorf("%s: no fee share with fees imported", d.Date)
		case ok && math.Abs(*d.FeeShare-w) > 1e-6:
			t.Errorf("%s: fee share %v, Coin Metrics %v", d.Date, *d.FeeShare, w)
		case ok:
			checked++
		case !ok && d.FeeShare != nil && d.Date < "2024-05-01":
			t.Errorf("%s: fee share %v without fees", d.Date, *d.FeeShare)
		}
	}
	if checked < 600 {
		t.Errorf("fee share checked on %d days", checked)
	}
	// The 7-day mean is the mean of the 7 daily shares ending that day.
	for i := 7; i < len(fs.Days) && fs.Days[i].Date < "2025-01-10"; i++ {
		if fs.Days[i].Date >= "2025-01-01" {
			sum := 0.0
			for j := i - 6; j <= i; j++ {
				sum += *fs.Days[j].FeeShare
			}
			if fs.Days[i].MA7 == nil || math.Abs(*fs.Days[i].MA7-sum/7) > 1e-12 {
				t.Errorf("%s: 7-day mean %v, want %v", fs.Days[i].Date, fs.Days[i].MA7, sum/7)
			}
		}
	}
	var hp struct {
		Points []struct {
			Time string   `json:"time"`
			USD  *float64 `json:"usd_per_ph_day"`
			MA7  *float64 `json:"ma7_usd_per_ph_day"`
			MA30 *float64 `json:"ma30_usd_per_ph_day"`
		} `json:"points"`
	}
	// A range: the means at its start still count the days before it.
	get("/api/v1/hashprice/history?every=day&from=2025-03-01&to=2025-03-31", &hp)
	var full struct {
		Points []struct {
			Time string   `json:"time"`
			USD  *float64 `json:"usd_per_ph_day"`
		} `json:"points"`
	}
	get("/api/v1/hashprice/history?every=day&from=2025-01-01&to=2025-03-31", &full)
	if len(hp.Points) != 31 || hp.Points[0].MA30 == nil {
		t.Fatalf("March 2025: %d daily points, first 30-day mean %v", len(hp.Points), hp.Points[0].MA30)
	}
	for i, p := range hp.Points {
		j := len(full.Points) - len(hp.Points) + i
		s7, s30 := 0.0, 0.0
		for k := j - 29; k <= j; k++ {
			s30 += *full.Points[k].USD
			if k > j-7 {
				s7 += *full.Points[k].USD
			}
		}
		if full.Points[j].Time != p.Time || math.Abs(*p.MA7-s7/7) > 1e-9*s7 || math.Abs(*p.MA30-s30/30) > 1e-9*s30 {
			t.Errorf("%s: means %v %v, want %v %v", p.Time, *p.MA7, *p.MA30, s7/7, s30/30)
		}
	}

	// The pools page.
	ctx := tab(t)
	steps(t, ctx,
		chromedp.EmulateViewport(windowSizes[0][0], windowSizes[0][1]),
		chromedp.Navigate(ts.URL+"/pools"),
		chromedp.WaitVisible(chromedp.CSS(`#pools-shares-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#pools-nakamoto-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#pools-table tbody tr`)),
	)
	weeks := chartPoints(t, ctx, "#pools-dominance-chart")
	if weeks < 300 || chartPoints(t, ctx, "#pools-hhi-chart") != weeks || count(t, ctx, "#pools-shares-chart path.series") != 10 {
		t.Errorf("pools page: %d weeks of dominance, %d HHI points, %d share lines (want 8 pools, other, unknown)", weeks, chartPoints(t, ctx, "#pools-hhi-chart"), count(t, ctx, "#pools-shares-chart path.series"))
	}
	legend := text(t, ctx, "#pools-shares-chart + .legend-html")
	if !strings.Contains(legend, "Foundry USA") || !strings.Contains(legend, "AntPool") || strings.Contains(legend, "foundryusa") {
		t.Errorf("pool legend %q: want display names", legend)
	}
	if n := text(t, ctx, "#pools-note"); !strings.Contains(n, "HHI") || !strings.Contains(n, "blocks 610,683–946,236") {
		t.Errorf("pools note %q", n)
	}
	// Display names also for the reference CSV's slugs that mempool's
	// list spells otherwise (oceanxyz).
	if w := text(t, ctx, "#pools-window tbody tr:nth-child(1)"); !strings.HasPrefix(w, "Foundry USAfoundryusa") {
		t.Errorf("30-day table's first row %q: want the display name, then the slug", w)
	}
	if w := text(t, ctx, "#pools-window"); !strings.Contains(w, "Ocean.xyzoceanxyz") {
		t.Errorf("30-day table %q: want Ocean.xyz by its slug oceanxyz", w)
	}
	checkNotClipped(t, ctx, "pools page at 1400×1000")
	png := run(t, ctx, chromedp.CaptureScreenshot())
	checkPNG(t, png)
	artifact(t, "pools.png", png)
	// The whole page for the README.
	page := run(t, ctx, chromedp.FullScreenshot(100))
	artifact(t, "pools-full.png", page)
	if *updateScreenshot || os.Getenv("HASHLAB_UPDATE_SCREENSHOT") == "1" {
		p := filepath.Join("..", "docs", "img", "pools.png")
		if err := os.WriteFile(p, page, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", p)
	}
	// The range selector and the scale switch redraw the chart.
	clickControl(t, ctx, "#pools-dominance-chart", `[data-range="1y"]`)
	waitJS(t, ctx, `document.querySelector('#pools-dominance-chart').getAttribute('data-range') === '1y'`)
	if n := chartPoints(t, ctx, "#pools-dominance-chart"); n < 52 || n > 54 {
		t.Errorf("1y range: %d weeks drawn", n)
	}
	clickControl(t, ctx, "#pools-dominance-chart", `[data-scale="log"]`)
	waitJS(t, ctx, `document.querySelector('#pools-dominance-chart').getAttribute('data-scale') === 'log'`)
	if y := text(t, ctx, "#pools-dominance-chart .y-title"); !strings.Contains(y, "log scale") {
		t.Errorf("log scale: axis %q", y)
	}
	clickControl(t, ctx, "#pools-dominance-chart", `[data-range="1m"]`)
	waitJS(t, ctx, `document.querySelector('#pools-dominance-chart').getAttribute('data-range') === '1m'`)
	if n := chartPoints(t, ctx, "#pools-dominance-chart"); n < 4 || n > 6 {
		t.Errorf("1m range: %d weeks drawn", n)
	}
	// Monthly periods from the form.
	steps(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#pools-every`), "month"),
		chromedp.Click(chromedp.CSS(`#pools-go`)),
	)
	waitJS(t, ctx, `document.querySelector('#pools-shares-chart .x-title').textContent.indexOf('month') >= 0`)
	if n := chartPoints(t, ctx, "#pools-hhi-chart"); n != len(ph.Periods) {
		t.Errorf("monthly HHI: %d points, want %d", n, len(ph.Periods))
	}
	// The luck panel: Foundry USA's own reported hashrate (MIT, test
	// data) against its blocks, per month, as the API answers it.
	csvBody, err := os.ReadFile(sharedtest.Path(t, "pools", "foundryusa_reported_hashrate_2023-12-01_2025-01-31.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lr := do(t, "POST", ts.URL+"/api/v1/pool/luck?every=month", string(csvBody), "Content-Type", "text/csv")
	var luck struct {
		Periods []json.RawMessage `json:"periods"`
		Total   struct {
			Luck float64 `json:"luck"`
		} `json:"total"`
	}
	if lr.status != 200 || json.Unmarshal([]byte(lr.body), &luck) != nil {
		t.Fatalf("pool luck: %d %s", lr.status, lr.body)
	}
	steps(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#luck-csv`), string(csvBody)),
		chromedp.SetValue(chromedp.CSS(`#luck-every`), "month"),
		chromedp.Click(chromedp.CSS(`#luck-go`)),
	)
	waitJS(t, ctx, fmt.Sprintf(`document.querySelectorAll('#luck-table tbody tr').length === %d`, len(luck.Periods)+1))
	if n := chartPoints(t, ctx, "#luck-chart"); n != 3*len(luck.Periods) || len(luck.Periods) != 14 {
		t.Errorf("luck chart: %d points for %d months (want 14 months, 3 series)", n, len(luck.Periods))
	}
	if note := text(t, ctx, "#luck-note"); !strings.Contains(note, fmt.Sprintf("Luck over all days %.3f", luck.Total.Luck)) {
		t.Errorf("luck note %q: want the API's total luck %.3f", note, luck.Total.Luck)
	}
	checkNotClipped(t, ctx, "pools page with the luck panel at 1400×1000")
	steps(t, ctx, chromedp.EmulateViewport(windowSizes[1][0], windowSizes[1][1]), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#pools-nakamoto-chart[data-points]`)))
	checkNotClipped(t, ctx, "pools page at 390×844")
	png = run(t, ctx, chromedp.CaptureScreenshot())
	artifact(t, "pools-phone.png", png)

	// The overview's daily panels: hashprice with its 7- and 30-day
	// means, the fee share; every history chart has the controls.
	steps(t, ctx, chromedp.EmulateViewport(windowSizes[0][0], windowSizes[0][1]),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#daily-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#feeshare-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#adjust-chart[data-points]`)),
	)
	if names := js[string](t, ctx, `Array.from(document.querySelectorAll('#daily-chart path.series')).map(function(p){return p.getAttribute('data-name')}).join('|')`); names != "hashprice, daily|7-day mean|30-day mean" {
		t.Errorf("daily chart series %q", names)
	}
	for _, id := range []string{"history-chart", "hashrate-chart", "adjust-chart", "daily-chart", "feeshare-chart"} {
		if n := count(t, ctx, fmt.Sprintf(`.chart-controls:has(+ #%s) button[data-range]`, id)); n != 4 {
			t.Errorf("#%s: %d range buttons, want 1m 3m 1y all", id, n)
		}
	}
	if n := count(t, ctx, `.chart-controls:has(+ #history-chart) button[data-scale]`); n != 2 {
		t.Errorf("#history-chart: %d scale buttons", n)
	}
	// 1y of daily points (366 days back from the newest, inclusive).
	if n := chartPoints(t, ctx, "#daily-chart"); n < 3*365 || n > 3*367 {
		t.Errorf("daily chart at 1y: %d points over 3 series", n)
	}
	clickControl(t, ctx, "#history-chart", `[data-range="3m"]`)
	waitJS(t, ctx, `document.querySelector('#history-chart').getAttribute('data-range') === '3m'`)
	if n := chartPoints(t, ctx, "#history-chart"); n < 6 || n > 8 {
		t.Errorf("3 months of epochs: %d points", n)
	}
	checkNotClipped(t, ctx, "overview with a chain store at 1400×1000")
	png = run(t, ctx, chromedp.CaptureScreenshot())
	artifact(t, "overview-daily.png", png)
}

// clickControl clicks the control of a history chart's bar.
func clickControl(t *testing.T, ctx context.Context, chart, sel string) {
	t.Helper()
	if !js[bool](t, ctx, fmt.Sprintf(`(function(){var b=document.querySelector('.chart-controls:has(+ %s) button%s'); if(!b) return false; b.click(); return true})()`, chart, sel)) {
		t.Fatalf("no control %s above %s", sel, chart)
	}
}

// TestBrowserLabelsFit loads every page of the embedded snapshot at the
// desktop and phone sizes and checks that no chart text runs outside its
// SVG and no panel overflows (the security page used to clip its
// attack-cost axis title and its pool legend); the security page's
// entities are listed by name under the shares chart.
func TestBrowserLabelsFit(t *testing.T) {
	_, ts := newTest(t, Config{})
	ctx := tab(t)
	for _, size := range windowSizes {
		for _, pg := range []struct{ path, wait string }{
			{"/security", "#conc-chart[data-points]"},
			{"/", "#adjust-chart[data-points]"},
		} {
			steps(t, ctx, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(ts.URL+pg.path),
				chromedp.WaitVisible(chromedp.CSS(pg.wait)))
			if pg.path == "/security" {
				waitJS(t, ctx, `document.querySelector('#attack-chart[data-points]') && document.querySelectorAll('#conc-legend li').length > 0`)
				if l := text(t, ctx, "#conc-legend"); !strings.Contains(l, "Foundry USA") {
					t.Errorf("entities under the shares chart: %q", l)
				}
				if y := text(t, ctx, "#attack-chart .y-title"); !strings.Contains(y, "million USD") {
					t.Errorf("attack-cost axis title %q", y)
				}
			}
			checkNotClipped(t, ctx, fmt.Sprintf("%s at %d×%d", pg.path, size[0], size[1]))
			png := run(t, ctx, chromedp.CaptureScreenshot())
			artifact(t, fmt.Sprintf("labels%s-%dx%d.png", strings.ReplaceAll(pg.path, "/", "-"), size[0], size[1]), png)
		}
	}
}
