package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

// POST /api/v1/hedge answers what `hashlab hedge --json` prints: the same
// service call with the same seed gives the same valuation, bit for bit.
func TestHedgeMatchesService(t *testing.T) {
	_, ts := newTest(t, Config{})
	r := do(t, "POST", ts.URL+"/api/v1/hedge", `{"scenario":"baseline","paths":60,"seed":3,"term_months":3,"power_price":0.05}`)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var got service.Hedge
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	sc, err := sim.LoadShipped("baseline")
	if err != nil {
		t.Fatal(err)
	}
	power := 0.05
	want, err := service.New(nil, nil).Hedge(context.Background(), service.HedgeQuery{Scenario: sc, TermMonths: 3, Paths: 60, Seed: 3, PowerUSDPerKWh: &power})
	if err != nil {
		t.Fatal(err)
	}
	if got.Scenario != "baseline" || got.TermMonths != 3 || got.Paths != 60 || got.Seed != 3 {
		t.Fatalf("echo: scenario %q term %d paths %d seed %d", got.Scenario, got.TermMonths, got.Paths, got.Seed)
	}
	if got.FairForwardUSDPerPHDay != want.FairForwardUSDPerPHDay || got.MinVarianceHedgeRatio != want.MinVarianceHedgeRatio ||
		got.CostUSDPerPHDay != want.CostUSDPerPHDay || got.BTC.FairForwardBTCPerPHDay != want.BTC.FairForwardBTCPerPHDay {
		t.Fatalf("API fair forward %v ratio %v cost %v; service %v %v %v",
			got.FairForwardUSDPerPHDay, got.MinVarianceHedgeRatio, got.CostUSDPerPHDay,
			want.FairForwardUSDPerPHDay, want.MinVarianceHedgeRatio, want.CostUSDPerPHDay)
	}
	if !got.FairForwardUSDPerPHDay.Defined() || got.FairForwardUSDPerPHDay <= 0 {
		t.Fatalf("fair forward %v", got.FairForwardUSDPerPHDay)
	}
}

// Bad hedge requests are 400s naming the field, its value and what is
// allowed, before anything runs.
func TestHedgeBadRequests(t *testing.T) {
	_, ts := newTest(t, Config{})
	cases := []struct{ body, field, value string }{
		{`{"term_months":40}`, "term_months", "40"},
		{`{"hedge_ratio":2}`, "hedge_ratio", "2"},
		{`{"strike":-1}`, "strike", "-1"},
		{`{"paths":0}`, "paths", "0"},
		{`{"paths":1000000}`, "paths", "1000000"},
		{`{"power_price":11}`, "power_price", "11"},
		{`{"efficiency":0}`, "efficiency", "0"},
		{`{"cost":30,"power_price":0.05}`, "cost", "30"},
		{`{"scenario":"nope"}`, "scenario", "nope"},
	}
	for _, c := range cases {
		t.Run(c.body, func(t *testing.T) {
			r := do(t, "POST", ts.URL+"/api/v1/hedge", c.body)
			if r.status != 400 {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			m := r.json(t)
			msg, _ := m["error"].(string)
			if m["field"] != c.field || m["value"] != c.value || !strings.Contains(msg, c.field) {
				t.Errorf("error %q (field %v, value %v); want field %q value %q", msg, m["field"], m["value"], c.field, c.value)
			}
			if a, _ := m["allowed"].(string); a == "" {
				t.Errorf("error %q does not say what is allowed", msg)
			}
		})
	}
	// Bodies that do not decode name the field too.
	for _, c := range []struct{ body, field string }{
		{`{"pathz":3}`, "pathz"},
		{`{"paths":1.5}`, "paths"},
		{`{"seed":-1}`, "seed"},
		{`{"strike":"NaN"}`, "strike"},
		{`{"paths":`, "body"},
	} {
		r := do(t, "POST", ts.URL+"/api/v1/hedge", c.body)
		m := r.json(t)
		if a, _ := m["allowed"].(string); r.status != 400 || m["field"] != c.field || a == "" {
			t.Errorf("%s: status %d: %s", c.body, r.status, r.body)
		}
	}
}
