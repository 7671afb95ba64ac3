package server

import (
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/store"
)

// firstLoadPanels records, from a script that runs before the page's own,
// when each panel of the overview is first filled (performance.now():
// milliseconds since the navigation started) and sets done when all are.
// A panel that says why it has no data (the miners' reserves without
// --miner-flow) is filled too: it is not blank.
const firstLoadPanels = `(function () {
  var has = function (sel) { return !!document.querySelector(sel); };
  var points = function (sel) { var e = document.querySelector(sel); return !!e && +(e.getAttribute("data-points") || 0) > 0; };
  var textOf = function (id) { var e = document.getElementById(id); return !!e && e.textContent.trim().length > 0; };
  var panels = {
    "cards": function () { return document.querySelectorAll("#kpis .card").length >= 7; },
    "source": function () { return textOf("source"); },
    "hashprice history": function () { return points("#history-chart") && textOf("history-note"); },
    "hashrate": function () { return points("#hashrate-chart"); },
    "adjustments": function () { return points("#adjust-chart") && textOf("adjust-note"); },
    "miners' reserves": function () { return points("#minerflow-chart") || textOf("minerflow-note"); },
    "breakeven table": function () { return has("#miners-table tbody tr"); }
  };
  var filled = window.__hlFilled = {};
  var check = function () {
    var all = true;
    for (var k in panels) {
      if (k in filled) continue;
      var ok = false;
      try { ok = panels[k](); } catch (e) {}
      if (ok) filled[k] = performance.now(); else all = false;
    }
    if (all) window.__hlDone = true;
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
})();`

// firstLoad opens the overview in a fresh tab and returns when each panel
// was first filled, in milliseconds from the start of the navigation.
func firstLoad(t *testing.T, url string) map[string]float64 {
	t.Helper()
	ctx := tab(t)
	steps(t, ctx, chromedp.EmulateViewport(1280, 1560))
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: firstLoadPanels}); err != nil {
		t.Fatal(err)
	}
	steps(t, ctx, chromedp.Navigate(url))
	waitJS(t, ctx, `window.__hlDone === true`)
	var filled map[string]float64
	if err := json.Unmarshal([]byte(js[string](t, ctx, `JSON.stringify(window.__hlFilled)`)), &filled); err != nil {
		t.Fatal(err)
	}
	// When the last API answer had arrived (Resource Timing): the part
	// of the load the server decides; the rest is the page drawing.
	filled["(API answers in)"] = js[float64](t, ctx, `Math.max.apply(null, performance.getEntriesByType("resource").filter(function (e) { return e.name.indexOf("/api/") >= 0; }).map(function (e) { return e.responseEnd; }).concat([0]))`)
	return filled
}

// lastPanel is the panel filled last and when.
func lastPanel(filled map[string]float64) (string, float64) {
	names := make([]string, 0, len(filled))
	for k := range filled {
		if !strings.HasPrefix(k, "(") {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool { return filled[names[i]] > filled[names[j]] })
	return names[0], filled[names[0]]
}

// FirstLoadGoalMs is issue 16's goal for the first page load of serve
// --db: every panel filled within 500 ms of the navigation's start.
const FirstLoadGoalMs = 500

// TestBrowserFirstLoadWithDB serves a chain store of the real 335,554
// blocks with Coin Metrics' prices as serve --db does, and opens the
// overview once the server has precomputed its answers (at start-up),
// then again after new blocks arrive (precomputed again on the data
// change): both times every panel is filled, from the answers computed
// before the request. The time to the last panel is logged; it is
// checked against the 500 ms goal only with HASHLAB_TIMING=1 (a speed
// goal, not a correctness condition of an ordinary test run on a busy
// machine).
func TestBrowserFirstLoadWithDB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a store of 335,554 blocks")
	}
	db, _ := chainStore(t)
	h := NewChainHistory(db, ChainHistoryOptions{Source: "chain store " + db.Path()})
	warmed := make(chan int64, 16)
	h.onWarm = func(gen int64) { warmed <- gen }
	_, ts := newTest(t, Config{History: h})
	waitWarm := func(after int64) int64 {
		t.Helper()
		// A guard against a hung warm-up, not a performance assertion.
		deadline := time.After(3 * time.Minute)
		for {
			select {
			case gen := <-warmed:
				if gen > after {
					return gen
				}
			case <-deadline:
				t.Fatal("the server never precomputed its answers")
			}
		}
	}
	gen := waitWarm(-1)
	check := func(step string, filled map[string]float64) {
		t.Helper()
		name, ms := lastPanel(filled)
		t.Logf("%s: every panel filled after %.0f ms (last: %s; API answers in after %.0f ms); %v", step, ms, name, filled["(API answers in)"], filled)
		if os.Getenv("HASHLAB_TIMING") == "1" && ms > FirstLoadGoalMs {
			t.Errorf("%s: the last panel (%s) was filled after %.0f ms (goal: %d ms)", step, name, ms, FirstLoadGoalMs)
		}
	}
	// The same page on the embedded snapshot (no store), loaded in the
	// same way just before: what the page costs without the history.
	_, snap := newTest(t, Config{})
	base := firstLoad(t, snap.URL+"/")
	name, ms := lastPanel(base)
	t.Logf("embedded snapshot, for comparison: every panel filled after %.0f ms (last: %s; API answers in after %.0f ms)", ms, name, base["(API answers in)"])
	check("first load after start-up", firstLoad(t, ts.URL+"/"))

	// New blocks (a node ingest batch): the store's generation changes,
	// the server precomputes again, and a new visitor's first load reads
	// the new answers.
	last, ok, err := db.LastBlock(context.Background())
	if err != nil || !ok {
		t.Fatalf("last block: %v %v", ok, err)
	}
	var recs []chain.BlockRecord
	for i := int64(1); i <= 6; i++ {
		recs = append(recs, chain.BlockRecord{Height: last.Height + i, Time: last.Time + 600*i, Bits: last.Bits, Pool: "foundryusa",
			SubsidySats: consensus.BlockSubsidy(last.Height+i, consensus.MainNet), CoinbaseOutSats: consensus.BlockSubsidy(last.Height+i, consensus.MainNet) + 2_000_000,
			FeesSats: 2_000_000, Source: store.SourceRPC})
	}
	if err := db.PutBlocks(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	waitWarm(gen)
	filled := firstLoad(t, ts.URL+"/")
	check("first load after new blocks", filled)
	code, _, body := call("GET", ts.URL+"/api/v1/hashprice", "", DefaultRequestTimeout)
	var hp struct {
		Height int64 `json:"height"`
	}
	if err := json.Unmarshal([]byte(body), &hp); code != 200 || err != nil || hp.Height != last.Height+6 {
		t.Errorf("hashprice after new blocks: %d %.200s (want height %d)", code, body, last.Height+6)
	}
}
