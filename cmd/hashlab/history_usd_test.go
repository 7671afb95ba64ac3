package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

// TestHistoryUSDWithImportedPricesAndFees imports the real blocks CSV
// (610,683..946,236) and Coin Metrics' daily PriceUSD and FeeTotNtv/BlkCnt
// (test data only, CC BY-NC; they end 2026-03-22): `history hashprice
// --every day` over 2020-2026 is in USD on every priced day, with fees
// from the imported daily means, and null (text: "-") on the unpriced
// days after the prices end; the lowest USD hashprice is named.
func TestHistoryUSDWithImportedPricesAndFees(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "h.db")
	blocks := sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz")
	daily := sharedtest.Path(t, "daily", "coinmetrics_btc_daily_2009-01-03_2026-03-23.csv")
	if code, out, stderr := fndRun(t, "import", "blocks", blocks, "--db", db); code != 0 {
		t.Fatalf("import blocks: %d %s%s", code, out, stderr)
	}
	if code, out, stderr := fndRun(t, "import", "prices", daily, "--skip-empty", "--fee-column", "FeeTotNtv", "--db", db); code != 0 {
		t.Fatalf("import prices: %d %s%s", code, out, stderr)
	}
	code, out, stderr := fndRun(t, "history", "hashprice", "--every", "day", "--from", "2020-01-01", "--to", "2026-04-22", "--db", db, "--json")
	if code != 0 {
		t.Fatalf("history: %d %s", code, stderr)
	}
	var pts []struct {
		Start        string   `json:"start"`
		USD          *float64 `json:"usd_per_ph_day"`
		FeesIncluded bool     `json:"fees_included"`
	}
	if err := json.Unmarshal([]byte(out), &pts); err != nil {
		t.Fatal(err)
	}
	priced, unpriced, noFees := 0, 0, 0
	var low float64
	lowDay := ""
	for _, p := range pts {
		switch {
		case p.USD != nil && p.Start <= "2026-03-22":
			priced++
			if lowDay == "" || *p.USD < low {
				low, lowDay = *p.USD, p.Start
			}
		case p.USD == nil && p.Start > "2026-03-22":
			unpriced++
		default:
			t.Errorf("%s: USD %v (prices end 2026-03-22)", p.Start, p.USD)
		}
		if !p.FeesIncluded && p.Start <= "2026-03-22" {
			noFees++
		}
	}
	// 2020-01-01..2026-03-22 is 2,273 days; 2026-03-23..04-22 31.
	if priced != 2273 || unpriced != 31 || noFees != 0 {
		t.Errorf("%d priced days, %d unpriced, %d priced days without fees", priced, unpriced, noFees)
	}
	// The text names the lowest USD hashprice and marks the unpriced days.
	code, txt, _ := fndRun(t, "history", "hashprice", "--every", "day", "--from", "2020-01-01", "--db", db)
	if code != 0 || !strings.Contains(txt, "Lowest hashprice in this range: $") || !strings.Contains(txt, "("+lowDay+")") || !strings.Contains(txt, "USD -: no price") {
		t.Errorf("text output lacks the USD low of %s or the unpriced mark:\n%s", lowDay, txt[max(0, len(txt)-400):])
	}
}
