package server

import (
	"math"
	"strings"
	"testing"
)

// GET /api/v1/miners/buy is `hashlab miners --buy --json`: the S21 at
// $15/TH pays back on the day ceil(3000 / margin) of the hand calculation
// (see cmd/hashlab/miners_buy_test.go), with the defaults $0.06/kWh, 2%
// pool fee and 97% uptime; POST takes a quotes CSV for the price index;
// bad input is a 400 naming the parameter.
func TestMinersBuy(t *testing.T) {
	_, ts := newTest(t, Config{})
	m := do(t, "GET", ts.URL+"/api/v1/miners/buy?machine_price=15&model=Antminer+S21", "").json(t)
	hp := m["hashprice_usd_per_ph_day"].(float64)
	margin := hp/1000*200*0.97*0.98 - 3.5*24*0.97*0.06
	rows := m["models"].([]any)
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	p := rows[0].(map[string]any)["purchase"].(map[string]any)
	if got := p["payback_days"].(float64); int(got) != int(math.Ceil(3000/margin)) {
		t.Fatalf("payback %v, want %v", got, math.Ceil(3000/margin))
	}
	r := do(t, "POST", ts.URL+"/api/v1/miners/buy?model=s21+xp", "date,model,usd_per_th\n2026-11-01,Antminer S21,12\n2026-11-02,Antminer S21 Pro,14\n")
	if r.status != 200 {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	pi := r.json(t)["price_index"].(map[string]any)
	if pi["source"] != "request body" || pi["tiers"].([]any)[0].(map[string]any)["median_usd_per_th"].(float64) != 13 {
		t.Fatalf("index %v", pi)
	}
	mc := do(t, "GET", ts.URL+"/api/v1/miners/buy?machine_price=15&model=s21&path=montecarlo&paths=5&life_years=0.5&seed=2", "")
	if mc.status != 200 {
		t.Fatalf("montecarlo: %d %s", mc.status, mc.body)
	}
	band := mc.json(t)["models"].([]any)[0].(map[string]any)["monte_carlo"].(map[string]any)
	if band["paths"].(float64) != 5 || band["prob_payback_within_life"].(float64) != 0 {
		t.Fatalf("montecarlo bands %v (a $3,000 S21 cannot pay back in half a year)", band)
	}
	for _, bad := range []struct{ q, field string }{
		{"machine_price=-1", "machine_price"},
		{"path=moon", "path"},
		{"model=S99", "model"},
		{"life_years=0", "life_years"},
		{"paths=0&path=montecarlo", "paths"},
		{"path=montecarlo&scenario=nope", "scenario"},
		{"curtail=maybe", "curtail"},
	} {
		r := do(t, "GET", ts.URL+"/api/v1/miners/buy?"+bad.q, "")
		if r.status != 400 || !strings.Contains(string(r.body), bad.field) {
			t.Errorf("%s: %d %s", bad.q, r.status, r.body)
		}
	}
	if r := do(t, "POST", ts.URL+"/api/v1/miners/buy", "nonsense\n"); r.status != 400 {
		t.Errorf("bad quotes: %d %s", r.status, r.body)
	}
}
