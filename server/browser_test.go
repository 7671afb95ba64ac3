package server

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/hashlab/hashlab/mining"
)

// The browser tests load every dashboard page in a real headless Chromium
// (Debian's chromium package, which scripts/test.sh installs) from an
// httptest server on loopback, check that the SVG charts were drawn with
// data, drive the calculators and keep screenshots.
//
// Screenshots go to $HASHLAB_ARTIFACTS when set (CI keeps that directory),
// else to the test's temporary directory. -update-screenshot (or
// HASHLAB_UPDATE_SCREENSHOT=1) also writes docs/img/overview.png.

var updateScreenshot = flag.Bool("update-screenshot", false, "write docs/img/overview.png from the overview browser test")

// One browser process serves every test (a tab each).
var browser struct {
	once    sync.Once
	ctx     context.Context
	cancel  func()
	dataDir string
	err     error
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dataDir != "" {
		os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

func findChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Chromium on PATH (looked for chromium, chromium-browser, google-chrome): the browser tests need it; run ./scripts/test.sh, which installs Debian's chromium package, or apt-get install chromium")
}

// tab opens a new tab in the shared browser. It fails the test (never
// skips it) when Chromium is missing. JavaScript exceptions and console
// errors on the page fail the test.
func tab(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		path, err := findChromium()
		if err != nil {
			browser.err = err
			return
		}
		dir, err := os.MkdirTemp("", "hashlab-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		browser.dataDir = dir
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-extensions", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("hide-scrollbars", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 1000),
		}
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		if err := chromedp.Do(bctx); err != nil {
			browser.err = fmt.Errorf("starting %s: %w", path, err)
			bcancel()
			acancel()
			return
		}
		browser.ctx = bctx
		browser.cancel = func() { bcancel(); acancel() }
	})
	if browser.err != nil {
		t.Fatalf("browser tests: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	// A guard against a hung page, not a performance assertion.
	ctx, cancel2 := context.WithTimeout(ctx, 90*time.Second)
	var mu sync.Mutex
	var jsErrors []string
	exception := func(d *runtime.ExceptionDetails) string {
		if d == nil {
			return "exception"
		}
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		return fmt.Sprintf("%s (line %d)", msg, d.LineNumber)
	}
	console := func(typ runtime.ConsoleAPICalledType, args []*runtime.RemoteObject) string {
		var parts []string
		for _, a := range args {
			if a != nil {
				parts = append(parts, string(a.Value)+a.Description)
			}
		}
		return "console." + string(typ) + ": " + strings.Join(parts, " ")
	}
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			jsErrors = append(jsErrors, exception(e.ExceptionDetails))
		case runtime.EventExceptionThrown:
			jsErrors = append(jsErrors, exception(e.ExceptionDetails))
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				jsErrors = append(jsErrors, console(e.Type, e.Args))
			}
		case runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				jsErrors = append(jsErrors, console(e.Type, e.Args))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel2()
		cancel()
		mu.Lock()
		defer mu.Unlock()
		for _, e := range jsErrors {
			t.Errorf("JavaScript error on the page: %s", e)
		}
	})
	return ctx
}

// artifact writes a screenshot where CI keeps it and returns the path.
func artifact(t *testing.T, name string, png []byte) string {
	t.Helper()
	dir := os.Getenv("HASHLAB_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", p, len(png))
	return p
}

func checkPNG(t *testing.T, png []byte) {
	t.Helper()
	if len(png) < 20000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot is not a plausible PNG (%d bytes)", len(png))
	}
}

// run runs one browser action that returns a value.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// steps runs browser actions in order.
func steps(t *testing.T, ctx context.Context, a ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, a...); err != nil {
		t.Fatal(err)
	}
}

// js evaluates an expression in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[T](expr))
}

// waitJS polls until expr is true in the page.
func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	run(t, ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(60*time.Second)))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return run(t, ctx, chromedp.TextContent(chromedp.CSS(sel)))
}

// chartPoints reads an SVG chart's data-points (-1 when the chart is
// missing).
func chartPoints(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return js[int](t, ctx, fmt.Sprintf(`(function(){var s=document.querySelector(%q);return s?+(s.getAttribute("data-points")||0):-1})()`, sel))
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return js[int](t, ctx, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}

func TestBrowserOverview(t *testing.T) {
	_, ts := newTest(t, Config{})
	ctx := tab(t)
	steps(t, ctx,
		chromedp.EmulateViewport(1280, 1560),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#history-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hashrate-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#adjust-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#miners-table tbody tr`)),
		chromedp.WaitVisible(chromedp.CSS(`#kpis .card:nth-child(7)`)),
	)
	histPoints := chartPoints(t, ctx, "#history-chart")
	pathVertices := js[int](t, ctx, `document.querySelector('#history-chart path.series').getAttribute('d').split(/[ML]/).length-1`)
	if histPoints < 460 || pathVertices != histPoints {
		t.Errorf("history chart: %d points, %d path vertices (want one per epoch, > 460)", histPoints, pathVertices)
	}
	if !js[bool](t, ctx, `!!document.querySelector('#history-chart circle[data-marker="all-time-low"]')`) {
		t.Error("the all-time low is not marked")
	}
	xTitle, yTitle := text(t, ctx, "#history-chart .x-title"), text(t, ctx, "#history-chart .y-title")
	if !strings.Contains(yTitle, "BTC/PH/day") || !strings.Contains(xTitle, "date") {
		t.Errorf("axis titles %q / %q lack units", xTitle, yTitle)
	}
	if h, a := chartPoints(t, ctx, "#hashrate-chart"), chartPoints(t, ctx, "#adjust-chart"); h < 460 || a < 100 {
		t.Errorf("hashrate chart %d points, adjustments chart %d bars", h, a)
	}
	if n := count(t, ctx, "#miners-table tbody tr"); n != len(mining.Catalogue()) {
		t.Errorf("%d rows in the breakeven table, want the %d catalogue models", n, len(mining.Catalogue()))
	}
	kpis := text(t, ctx, "#kpis")
	for _, want := range []string{"40.13", "USD/PH/day", "sats/PH/day", "EH/s", "1,050,000"} {
		if !strings.Contains(kpis, want) {
			t.Errorf("overview cards lack %q: %s", want, kpis)
		}
	}
	// Epoch progress: the snapshot's tip 946,236 is the 733rd block of
	// the epoch from 945,504.
	if ep := text(t, ctx, "#kpis"); !strings.Contains(ep, "Epoch progress") || !strings.Contains(ep, "733 of 2,016") || !strings.Contains(ep, "projected change") {
		t.Errorf("overview lacks the epoch progress (733 of 2,016 blocks, projected change): %s", ep)
	}
	if v := js[float64](t, ctx, `document.querySelector('#epoch-progress').value`); v != 733 {
		t.Errorf("epoch progress bar at %v, want 733", v)
	}
	if src := text(t, ctx, "#source"); !strings.Contains(src, "embedded snapshot of 2026-04-22") || !strings.Contains(src, " old") || !strings.Contains(src, "reference assumption") {
		t.Errorf("the dashboard does not say the state's source and age: %q", src)
	}
	if note := text(t, ctx, "#history-note"); !strings.Contains(note, "all-time low") {
		t.Errorf("history note %q", note)
	}
	png := run(t, ctx, chromedp.CaptureScreenshot())
	// Drive the breakeven table: at 0.12 $/kWh more machines are curtailed
	// than at the default 0.06 (every row re-rendered from the API).
	before := count(t, ctx, "#miners-table tr.curtail")
	steps(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#miners-form input[name=power_price]`), "0.12"),
		chromedp.Click(chromedp.CSS(`#miners-go`)),
	)
	waitJS(t, ctx, `document.querySelector('#miners-note').textContent.indexOf('$0.12/kWh') >= 0`)
	if after := count(t, ctx, "#miners-table tr.curtail"); after <= before {
		t.Errorf("curtailed models: %d at 0.06 $/kWh, %d at 0.12 $/kWh", before, after)
	}
	checkPNG(t, png)
	artifact(t, "overview.png", png)
	if *updateScreenshot || os.Getenv("HASHLAB_UPDATE_SCREENSHOT") == "1" {
		p := filepath.Join("..", "docs", "img", "overview.png")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", p)
	}
}

// TestBrowserOverviewUSD serves a chain store of the real blocks
// 610,683..946,236 with Coin Metrics' daily prices (test data only; they
// end 2026-03-22, a month before the blocks): the overview chart is in
// USD over the priced epochs, the unpriced ones are counted in the note,
// and the USD all-time low is marked.
func TestBrowserOverviewUSD(t *testing.T) {
	db, _ := chainStore(t)
	_, ts := newTest(t, Config{History: NewChainHistory(db, ChainHistoryOptions{Source: "chain store " + db.Path()})})
	ctx := tab(t)
	steps(t, ctx,
		chromedp.EmulateViewport(1280, 1560),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#history-chart[data-points]`)),
	)
	if y := text(t, ctx, "#history-chart .y-title"); !strings.Contains(y, "USD/PH/day") {
		t.Errorf("history chart's axis %q: want USD with prices imported", y)
	}
	// 167 epochs from 606,816 (the first stored block's) to 946,236; the
	// last one or two reach past the prices and are left out.
	if n := chartPoints(t, ctx, "#history-chart"); n < 160 || n > 167 {
		t.Errorf("history chart: %d USD points", n)
	}
	if !js[bool](t, ctx, `!!document.querySelector('#history-chart circle[data-marker="all-time-low"]')`) {
		t.Error("the USD all-time low is not marked")
	}
	note := text(t, ctx, "#history-note")
	if !strings.Contains(note, "have no BTC price") || !strings.Contains(note, "all-time low") {
		t.Errorf("history note %q: want the unpriced points counted and the low named", note)
	}
	if label := js[string](t, ctx, `Array.from(document.querySelectorAll('#history-chart text')).map(function(e){return e.textContent}).join('|')`); !strings.Contains(label, "all-time low") || !strings.Contains(label, "USD/PH/day (") {
		t.Errorf("chart labels %q lack the all-time low", label)
	}
}

func TestBrowserSecurity(t *testing.T) {
	_, ts := newTest(t, Config{})
	ctx := tab(t)
	steps(t, ctx,
		chromedp.EmulateViewport(1280, 1800),
		chromedp.Navigate(ts.URL+"/security"),
		chromedp.WaitVisible(chromedp.CSS(`#ds-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#attack-chart[data-points]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conc-chart[data-points]`)),
		// The confirmations calculator: Nakamoto's table says q = 0.3
		// needs z = 24 for P < 0.1%.
		chromedp.SetValue(chromedp.CSS(`#conf-q`), "0.3"),
		chromedp.SetValue(chromedp.CSS(`#conf-risk`), "0.001"),
		chromedp.SetValue(chromedp.CSS(`#conf-method`), "nakamoto"),
		chromedp.Click(chromedp.CSS(`#conf-go`)),
	)
	waitJS(t, ctx, `document.querySelector('#conf-z').textContent === '24'`)
	waitJS(t, ctx, `(document.querySelector('#ds-chart .title')||{}).textContent === 'Double-spend risk at q = 0.3 (nakamoto)'`)
	if r := text(t, ctx, "#conf-result"); !strings.Contains(r, "240 minutes") {
		t.Errorf("confirmations: %q", r)
	}
	ds, atk, conc, rows := chartPoints(t, ctx, "#ds-chart"), chartPoints(t, ctx, "#attack-chart"), chartPoints(t, ctx, "#conc-chart"), count(t, ctx, "#attack-table tbody tr")
	if ds != 31 || atk != 9 || conc != 8 || rows != 6 {
		t.Errorf("charts: double-spend %d points (want 31), attack %d (want 9), shares %d bars (want 8); attack table %d rows (want 6)", ds, atk, conc, rows)
	}
	png := run(t, ctx, chromedp.CaptureScreenshot())
	checkPNG(t, png)
	artifact(t, "security.png", png)
}

func TestBrowserFleetAndPivot(t *testing.T) {
	_, ts := newTest(t, Config{})
	ctx := tab(t)
	steps(t, ctx,
		chromedp.EmulateViewport(1280, 2200),
		chromedp.Navigate(ts.URL+"/fleet"),
		chromedp.WaitVisible(chromedp.CSS(`#fleet-go`)),
		chromedp.Click(chromedp.CSS(`#fleet-go`)),
		chromedp.WaitVisible(chromedp.CSS(`#fleet-net`)),
		chromedp.Click(chromedp.CSS(`#pivot-go`)),
		chromedp.WaitVisible(chromedp.CSS(`#pivot-chart[data-points]`)),
	)
	net, best := text(t, ctx, "#fleet-net"), text(t, ctx, "#pivot-best")
	if n := count(t, ctx, "#fleet-result tbody tr"); n != 6 || !strings.Contains(net, "/day") || !strings.Contains(net, "Treasury 3.5 BTC") {
		t.Errorf("fleet: %d rows, %q", n, net)
	}
	if n := chartPoints(t, ctx, "#pivot-chart"); n < 5 || !strings.Contains(best, "Best by NPV") || !strings.Contains(best, "P(converting beats mining)") {
		t.Errorf("pivot: %d bars, %q", n, best)
	}
	png := run(t, ctx, chromedp.CaptureScreenshot())
	// A bad edit shows the API's error, naming the field.
	steps(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#fleet-yaml`), "machines:\n  - model: Antminer S21\n    count: -1\n"),
		chromedp.Click(chromedp.CSS(`#fleet-go`)),
		chromedp.WaitVisible(chromedp.CSS(`#fleet-result .error`)),
	)
	if e := text(t, ctx, "#fleet-result .error"); !strings.Contains(e, "count") {
		t.Errorf("error shown: %q", e)
	}
	checkPNG(t, png)
	artifact(t, "fleet.png", png)
}
