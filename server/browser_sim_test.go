package server

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestBrowserSimulator(t *testing.T) {
	_, ts := newTest(t, Config{Sim: NewSimRunner()})
	ctx := tab(t)
	steps(t, ctx,
		chromedp.EmulateViewport(1280, 1600),
		chromedp.Navigate(ts.URL+"/simulator"),
		chromedp.WaitEnabled(chromedp.CSS(`#sim-go`)),
		chromedp.SetValue(chromedp.CSS(`#sim-scenario`), "ai-exodus"),
		chromedp.SetValue(chromedp.CSS(`#sim-paths`), "40"),
		chromedp.SetValue(chromedp.CSS(`#sim-years`), "1"),
		chromedp.Click(chromedp.CSS(`#sim-go`)),
	)
	waitJS(t, ctx, `document.querySelectorAll('#sim-charts svg[data-points]').length > 0`)
	charts, bands := count(t, ctx, "#sim-charts svg[data-points]"), count(t, ctx, "#sim-charts path.band-outer")
	if charts < 9 || bands < 9 {
		t.Errorf("%d fan charts with %d outer bands, want at least 9 (8 daily outputs and the epoch adjustments)", charts, bands)
	}
	// One year is 365 simulated days, all charted (under the 400-point cap).
	if minPoints := js[int](t, ctx, `Math.min.apply(null, Array.prototype.map.call(document.querySelectorAll('#sim-charts svg:not([data-series=epoch_change_pct])'), function(s){return +s.getAttribute('data-points')}))`); minPoints < 300 {
		t.Errorf("a fan chart has only %d median points", minPoints)
	}
	// About 26 retargets in a year.
	if n := chartPoints(t, ctx, "#sim-charts svg[data-series=epoch_change_pct]"); n < 20 || n > 30 {
		t.Errorf("epoch chart: %d retargets in one simulated year", n)
	}
	if st := text(t, ctx, "#sim-status"); !strings.Contains(st, "done: 40 paths") {
		t.Errorf("status %q", st)
	}
	png := run(t, ctx, chromedp.CaptureScreenshot())
	// A pasted scenario with a bad value: the API's error, naming the
	// field, is shown.
	steps(t, ctx,
		chromedp.Click(chromedp.CSS(`#sim-inline-box summary`)),
		chromedp.SetValue(chromedp.CSS(`#sim-inline`), "name: pasted\nyears: -1\n"),
		chromedp.Click(chromedp.CSS(`#sim-go`)),
		chromedp.WaitVisible(chromedp.CSS(`#sim-status .error`)),
	)
	if e := text(t, ctx, "#sim-status .error"); !strings.Contains(e, "years") {
		t.Errorf("error shown for a bad pasted scenario: %q", e)
	}
	checkPNG(t, png)
	artifact(t, "simulator.png", png)
}
