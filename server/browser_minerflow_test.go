package server

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserMinersFlow: the overview's miners' reserves panel draws the
// balance and the cumulative outflow of a store ingested with miner flow
// (3 days: two series of 3 points), with its limits in the note; without
// such a store the panel says what it needs.
func TestBrowserMinersFlow(t *testing.T) {
	db := minerFlowStore(t)
	_, ts := newTest(t, Config{History: NewChainHistory(db, ChainHistoryOptions{Source: "chain store mf.db"})})
	ctx := tab(t)
	steps(t, ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#minerflow-chart[data-points]`)),
	)
	if n := chartPoints(t, ctx, "#minerflow-chart"); n != 6 {
		t.Errorf("miners' reserves chart: %d points, want 6", n)
	}
	if y := text(t, ctx, "#minerflow-chart .y-title"); y != "BTC" {
		t.Errorf("y axis %q", y)
	}
	// The last balance point is 70 BTC: the highest y tick label is at
	// least that.
	last := js[string](t, ctx, `document.querySelector('#minerflow-chart path.s0').getAttribute('data-n')`)
	if last != "3" {
		t.Errorf("balance series has %s points", last)
	}
	note := text(t, ctx, "#minerflow-note")
	if !strings.Contains(note, "Blocks 1–3, 2 pools") || !strings.Contains(note, "one hop") || !strings.Contains(note, "MPI n/a") {
		t.Errorf("note %q", note)
	}

	_, snap := newTest(t, Config{})
	ctx2 := tab(t)
	steps(t, ctx2, chromedp.Navigate(snap.URL+"/"))
	waitJS(t, ctx2, `document.getElementById('minerflow-note').textContent.indexOf('--miner-flow') >= 0`)
	if n := chartPoints(t, ctx2, "#minerflow-chart"); n > 0 {
		t.Errorf("snapshot: %d points drawn without miner flow", n)
	}
}
