package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserHedge drives the hedge page: the form posts to
// POST /api/v1/hedge and the page shows the fair forward, the hedge
// ratio and the quantile table, equal to the API's answer for the same
// body; too many paths shows the API's error naming the field; nothing is
// clipped at 1400×1000 or 390×844.
func TestBrowserHedge(t *testing.T) {
	_, ts := newTest(t, Config{Sim: NewSimRunner()})
	body := `{"scenario":"baseline","term_months":3,"paths":40,"seed":7,"power_price":0.06,"efficiency":17.5,"curtail":false}`
	r := do(t, "POST", ts.URL+"/api/v1/hedge", body, "Content-Type", "application/json")
	if r.status != 200 {
		t.Fatalf("hedge: %d %s", r.status, r.body)
	}
	var want struct {
		Fair  float64  `json:"fair_forward_usd_per_ph_day"`
		Ratio *float64 `json:"hedge_ratio"`
		Real  struct {
			P50 float64 `json:"p50"`
		} `json:"realised_usd_per_ph_day"`
	}
	if err := json.Unmarshal([]byte(r.body), &want); err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	steps(t, ctx,
		chromedp.EmulateViewport(windowSizes[0][0], windowSizes[0][1]),
		chromedp.Navigate(ts.URL+"/hedge"),
		chromedp.WaitEnabled(chromedp.CSS(`#hedge-go`)),
		chromedp.SetValue(chromedp.CSS(`#hedge-scenario`), "baseline"),
		chromedp.SetValue(chromedp.CSS(`#hedge-term`), "3"),
		chromedp.SetValue(chromedp.CSS(`#hedge-paths`), "40"),
		chromedp.SetValue(chromedp.CSS(`#hedge-form input[name=seed]`), "7"),
		chromedp.Click(chromedp.CSS(`#hedge-go`)),
	)
	waitJS(t, ctx, `document.querySelectorAll('#hedge-quantiles tbody tr').length === 5`)
	kpis := text(t, ctx, "#hedge-kpis")
	fair := fmt.Sprintf("$%.2f", want.Fair)
	if !strings.Contains(kpis, "Fair forward") || !strings.Contains(kpis, fair+" USD/PH/day") || !strings.Contains(kpis, "Hedge ratio") {
		t.Errorf("hedge cards %q: want the fair forward %s", kpis, fair)
	}
	if want.Ratio != nil && !strings.Contains(kpis, fmt.Sprintf("%.3f", *want.Ratio)) {
		t.Errorf("hedge cards %q lack the ratio %.3f", kpis, *want.Ratio)
	}
	if q := text(t, ctx, "#hedge-quantiles"); !strings.Contains(q, "realised hashprice") || !strings.Contains(q, fmt.Sprintf("$%.2f", want.Real.P50)) || !strings.Contains(q, "margin, hedged (USD forward)") {
		t.Errorf("quantile table %q: want the realised median $%.2f", q, want.Real.P50)
	}
	if n := text(t, ctx, "#hedge-note"); !strings.Contains(n, "40 paths of scenario baseline (seed 7") {
		t.Errorf("hedge note %q", n)
	}
	checkNotClipped(t, ctx, "hedge page at 1400×1000")
	png := run(t, ctx, chromedp.CaptureScreenshot())
	checkPNG(t, png)
	artifact(t, "hedge.png", png)
	steps(t, ctx, chromedp.EmulateViewport(windowSizes[1][0], windowSizes[1][1]))
	waitJS(t, ctx, `window.innerWidth === 390`)
	checkNotClipped(t, ctx, "hedge page at 390×844")
	artifact(t, "hedge-phone.png", run(t, ctx, chromedp.CaptureScreenshot()))
	// Too many paths: the API's error, naming the field and the bound.
	steps(t, ctx,
		chromedp.EmulateViewport(windowSizes[0][0], windowSizes[0][1]),
		chromedp.SetValue(chromedp.CSS(`#hedge-paths`), "6000"),
		chromedp.Click(chromedp.CSS(`#hedge-go`)),
	)
	waitJS(t, ctx, `!!document.querySelector('#hedge-quantiles .error')`)
	if e := text(t, ctx, "#hedge-quantiles .error"); !strings.Contains(e, "paths") || !strings.Contains(e, "5000") {
		t.Errorf("error %q does not name paths and its bound", e)
	}
}
