package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type buyJSON struct {
	HashpriceUSDPerPHDay float64  `json:"hashprice_usd_per_ph_day"`
	Path                 string   `json:"hashprice_path"`
	LifeDays             int      `json:"life_days"`
	DaysToHalving        *float64 `json:"days_to_halving"`
	Source               string   `json:"source"`
	AsOf                 string   `json:"as_of"`
	PriceIndex           struct {
		Source string `json:"source"`
		Tiers  []struct {
			Tier   string   `json:"tier"`
			Quotes int      `json:"quotes"`
			Median *float64 `json:"median_usd_per_th"`
		} `json:"tiers"`
	} `json:"price_index"`
	Models []struct {
		Spec struct {
			Name   string  `json:"model"`
			TH     float64 `json:"hashrate_ths"`
			PowerW float64 `json:"power_w"`
		} `json:"spec"`
		PriceUSD    *float64 `json:"machine_price_usd"`
		PriceSource string   `json:"machine_price_source"`
		Purchase    *struct {
			PaybackDays *int     `json:"payback_days"`
			ROI         float64  `json:"roi"`
			IRR         *float64 `json:"irr_annual"`
		} `json:"purchase"`
		MonteCarlo *struct {
			Paths int      `json:"paths"`
			Prob  *float64 `json:"prob_payback_within_life"`
			ROI   struct {
				P5, P50, P95 *float64
			} `json:"roi"`
		} `json:"monte_carlo"`
	} `json:"models"`
}

func runBuy(t *testing.T, args ...string) buyJSON {
	t.Helper()
	code, out, stderr := runAt(t, issueDay, append([]string{"miners", "--buy", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, stderr)
	}
	var b buyJSON
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return b
}

// The issue's check: `hashlab miners --buy --machine-price 15 --json` for
// an S21-class machine (Antminer S21: 200 TH/s at 3,500 W, Bitmain's
// spec) gives the payback day of a hand calculation at flat hashprice:
// price 15 × 200 = $3,000; margin per day hp/1000 × 200 × 0.97 × 0.98 −
// 3.5 kW × 24 h × 0.97 × $0.06 (the defaults: 97% uptime, 2% pool fee,
// $0.06/kWh); payback = the first whole day whose cumulative margin
// reaches $3,000 = ceil(3000 / margin). At the embedded snapshot's
// $40.126/PH/day that is 1,095 days (margin $2.7406/day).
func TestBuyPaybackMatchesHandCalculation(t *testing.T) {
	b := runBuy(t, "--machine-price", "15")
	if b.Path != "flat" || b.LifeDays != 1826 || b.Source == "" || b.AsOf == "" {
		t.Fatalf("path %q, life %d, source %q as of %q", b.Path, b.LifeDays, b.Source, b.AsOf)
	}
	hp := b.HashpriceUSDPerPHDay
	margin := hp/1000*200*0.97*0.98 - 3.5*24*0.97*0.06
	want := int(math.Ceil(3000 / margin))
	found := false
	for _, m := range b.Models {
		if m.Spec.Name != "Antminer S21" {
			continue
		}
		found = true
		if m.PriceUSD == nil || *m.PriceUSD != 3000 || m.PriceSource != "given" {
			t.Fatalf("S21 price %v from %q, want 3000 given", m.PriceUSD, m.PriceSource)
		}
		if m.Purchase == nil || m.Purchase.PaybackDays == nil || *m.Purchase.PaybackDays != want {
			t.Fatalf("S21 payback %+v, want %d days (margin %.5f/day at %.4f/PH/day)", m.Purchase, want, margin, hp)
		}
		if want != 1095 {
			t.Errorf("hand calculation gives %d days at %.4f, want 1095 on the embedded snapshot", want, hp)
		}
		if roi := (1826*margin - 3000) / 3000; math.Abs(m.Purchase.ROI-roi) > 1e-9 {
			t.Errorf("ROI %v, want %v", m.Purchase.ROI, roi)
		}
	}
	if !found {
		t.Fatal("no Antminer S21 row")
	}
	// Every model priced at $15/TH, so every row has a purchase.
	for _, m := range b.Models {
		if m.Purchase == nil {
			t.Errorf("%s: no purchase at a given price", m.Spec.Name)
		}
	}
}

// Halving-adjusted, the S21's payback comes later than at flat (the next
// halving falls inside 1,095 days of the snapshot), and never earlier.
func TestBuyHalvingPath(t *testing.T) {
	flat := runBuy(t, "--machine-price", "15", "--model", "Antminer S21")
	hal := runBuy(t, "--machine-price", "15", "--model", "s21", "--path", "halving")
	if hal.DaysToHalving == nil || *hal.DaysToHalving < 700 || *hal.DaysToHalving > 760 {
		t.Fatalf("days to halving %v", hal.DaysToHalving)
	}
	f, h := flat.Models[0].Purchase, hal.Models[0].Purchase
	if len(hal.Models) != 1 || f == nil || h == nil || f.PaybackDays == nil {
		t.Fatalf("rows %+v %+v", flat.Models, hal.Models)
	}
	if h.PaybackDays != nil && *h.PaybackDays <= *f.PaybackDays || h.ROI >= f.ROI {
		t.Fatalf("halving payback %v ROI %v vs flat %v %v", h.PaybackDays, h.ROI, *f.PaybackDays, f.ROI)
	}
}

// The simulator's Monte Carlo bands: a probability of paying back within
// the life, ordered ROI quantiles, and the same seed giving the same
// answer.
func TestBuyMonteCarlo(t *testing.T) {
	args := []string{"--machine-price", "15", "--model", "s21,s21 xp", "--path", "montecarlo", "--paths", "40", "--life-years", "1", "--seed", "3"}
	b := runBuy(t, args...)
	if len(b.Models) != 2 {
		t.Fatalf("%d rows", len(b.Models))
	}
	for _, m := range b.Models {
		mc := m.MonteCarlo
		if mc == nil || mc.Paths != 40 || mc.Prob == nil || *mc.Prob < 0 || *mc.Prob > 1 || m.Purchase != nil {
			t.Fatalf("%s: %+v", m.Spec.Name, mc)
		}
		if mc.ROI.P5 == nil || mc.ROI.P95 == nil || *mc.ROI.P5 > *mc.ROI.P50 || *mc.ROI.P50 > *mc.ROI.P95 {
			t.Fatalf("%s: ROI bands %v %v %v", m.Spec.Name, mc.ROI.P5, mc.ROI.P50, mc.ROI.P95)
		}
	}
	again := runBuy(t, args...)
	if *again.Models[0].MonteCarlo.ROI.P50 != *b.Models[0].MonteCarlo.ROI.P50 {
		t.Fatal("same seed, different answer")
	}
}

// The Monte Carlo IRR quantiles are over the paths with an IRR, never a
// −100% stand-in for the paths without one, whose share is reported; a
// per-model price's source is machine_price_source, not price_source.
func TestBuyMonteCarloIRRDefinedOnly(t *testing.T) {
	code, out, stderr := runAt(t, issueDay, "miners", "--buy", "--json", "--model", "s21,s19 pro", "--path", "montecarlo", "--paths", "60", "--seed", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var b struct {
		Models []map[string]json.RawMessage `json:"models"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	sawUndefined := false
	for _, m := range b.Models {
		if _, ok := m["price_source"]; ok {
			t.Errorf("per-model price_source still present")
		}
		if _, ok := m["machine_price_source"]; !ok {
			t.Errorf("no machine_price_source")
		}
		var mc struct {
			IRR       map[string]*float64 `json:"irr_annual"`
			Undefined *float64            `json:"irr_undefined_share"`
		}
		if err := json.Unmarshal(m["monte_carlo"], &mc); err != nil {
			t.Fatal(err)
		}
		if mc.Undefined == nil || *mc.Undefined < 0 || *mc.Undefined > 1 {
			t.Fatalf("irr_undefined_share %v", mc.Undefined)
		}
		if *mc.Undefined > 0 {
			sawUndefined = true
		}
		for k, v := range mc.IRR {
			if v != nil && *v <= -1 {
				t.Errorf("irr_annual %s = %v: a stand-in for no IRR", k, *v)
			}
		}
	}
	if !sawUndefined {
		t.Log("no path without an IRR in this run")
	}
}

// A model priced from a tier whose newest quote is over a year old gets
// a note naming the quote's date, in JSON and on stderr.
func TestBuyStaleTierQuoteNote(t *testing.T) {
	f := filepath.Join(t.TempDir(), "quotes.csv")
	os.WriteFile(f, []byte("date,model,usd_per_th,source\n2023-06-01,Antminer S21 XP,20,old quote\n"), 0o644)
	code, out, stderr := runAt(t, issueDay, "miners", "--buy", "--json", "--quotes", f, "--model", "s21 xp")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var b struct {
		Notes []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Notes) != 1 || !strings.Contains(b.Notes[0], "2023-06-01") || !strings.Contains(stderr, "2023-06-01") {
		t.Errorf("notes %q, stderr %q", b.Notes, stderr)
	}
	// A fresh quote: no note.
	os.WriteFile(f, []byte("date,model,usd_per_th,source\n"+issueDay.AddDate(0, -1, 0).Format("2006-01-02")+",Antminer S21 XP,20,new quote\n"), 0o644)
	if code, out, stderr = runAt(t, issueDay, "miners", "--buy", "--json", "--quotes", f, "--model", "s21 xp"); code != 0 || !strings.Contains(out, `"notes": []`) && !strings.Contains(out, `"notes":[]`) {
		t.Errorf("fresh quote: exit %d %s %s", code, stderr, out)
	}
}

// The price index from a quotes file the user keeps, and the catalogue's
// prices by default; a model without a catalogue price is priced at its
// tier's median.
func TestBuyQuotesFile(t *testing.T) {
	b := runBuy(t)
	if b.PriceIndex.Source != "catalogue" || b.PriceIndex.Tiers[0].Quotes != 1 {
		t.Fatalf("default index %+v", b.PriceIndex)
	}
	for _, m := range b.Models {
		if m.Spec.Name == "Antminer S21 XP" && (m.PriceUSD == nil || !strings.Contains(m.PriceSource, "tier under-19")) {
			t.Errorf("S21 XP priced %v from %q, want the under-19 tier median", m.PriceUSD, m.PriceSource)
		}
	}
	f := filepath.Join(t.TempDir(), "quotes.csv")
	os.WriteFile(f, []byte("date,model,usd_per_th,source\n2026-11-01,Antminer S21 XP,18,broker A\n2026-11-02,antminer s21,12,broker B\n2026-11-03,Antminer S21 Pro,14\n"), 0o644)
	b = runBuy(t, "--quotes", f, "--model", "Antminer S21 XP Hyd")
	t0 := b.PriceIndex.Tiers[0]
	if b.PriceIndex.Source != f || t0.Quotes != 3 || t0.Median == nil || *t0.Median != 14 {
		t.Fatalf("index %+v", b.PriceIndex)
	}
	if m := b.Models[0]; m.PriceUSD == nil || math.Abs(*m.PriceUSD-14*473) > 1e-9 {
		t.Fatalf("S21 XP Hyd price %v, want 14 × 473", m.PriceUSD)
	}
}

func TestBuyUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("date,model,usd_per_th\n2026-11-01,Antminer S99,18\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"miners", "--machine-price", "15"}, "--buy"},
		{[]string{"miners", "--buy", "--machine-price", "-1"}, "--machine-price"},
		{[]string{"miners", "--buy", "--machine-price", "NaN"}, "--machine-price"},
		{[]string{"miners", "--buy", "--path", "moon"}, "--path"},
		{[]string{"miners", "--buy", "--life-years", "0"}, "--life-years"},
		{[]string{"miners", "--buy", "--model", "S99"}, "S99"},
		{[]string{"miners", "--buy", "--paths", "10"}, "montecarlo"},
		{[]string{"miners", "--buy", "--quotes", bad}, "S99"},
	} {
		code, out, stderr := runAt(t, issueDay, tt.args...)
		if code != 2 || out != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q (want exit 2 naming %s)", tt.args, code, out, stderr, tt.want)
		}
	}
}
