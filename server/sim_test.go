package server

import (
	"strings"
	"testing"
)

// TestSimAPI runs the real simulator through the job API.
func TestSimAPI(t *testing.T) {
	_, ts := newTest(t, Config{Sim: NewSimRunner()})
	sc := do(t, "GET", ts.URL+"/api/v1/sim/scenarios", "")
	for _, name := range []string{"baseline", "ai-exodus", "price-crash", "halving-2028", "china-2021-replay"} {
		if !strings.Contains(string(sc.body), `"`+name+`"`) {
			t.Errorf("scenario %s not listed: %s", name, sc.body)
		}
	}
	bad := []struct{ body, field string }{
		{`{"scenario": "moon"}`, "scenario"},
		{`{"scenario": "baseline", "paths": 1000000}`, "paths"},
		{`{"scenario": "baseline", "years": 50}`, "years"},
		{`{"paths": 10}`, "scenario"},
		{`{"scenario": "baseline", "scenario_file": {"name": "x"}}`, "scenario"},
	}
	for _, c := range bad {
		r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", c.body)
		if r.status != 400 || r.json(t)["field"] != c.field {
			t.Errorf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	if r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"scenario": "baseline", "pathz": 3}`); r.status != 400 || !strings.Contains(r.json(t)["error"].(string), "pathz") {
		t.Errorf("unknown field: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", "scenario_file:\n  name: x\n  years: -1\n"); r.status != 400 || !strings.Contains(r.json(t)["error"].(string), "years") {
		t.Errorf("bad inline scenario: %d %s", r.status, r.body)
	}

	// A shipped scenario by name, and the same scenario inline.
	r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", "scenario: price-crash\npaths: 30\nyears: 0.5\nseed: 7\n")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	job := waitJob(t, ts.URL+"/api/v1/sim/jobs/"+r.json(t)["id"].(string), JobDone, JobFailed)
	if job["state"] != "done" {
		t.Fatalf("job %v", job)
	}
	out := job["output"].(map[string]any)
	series := out["series"].([]any)
	if len(series) < 10 {
		t.Fatalf("%d series", len(series))
	}
	hr := series[0].(map[string]any)
	if hr["name"] != "hashrate_hs" || hr["unit"] != "EH/s" {
		t.Errorf("first series %v %v", hr["name"], hr["unit"])
	}
	p5, p50, p95 := hr["p5"].([]any), hr["p50"].([]any), hr["p95"].([]any)
	if len(p50) < 180 || len(p50) != len(hr["days"].([]any)) {
		t.Errorf("%d median points for half a year", len(p50))
	}
	for i := range p50 {
		if p5[i].(float64) > p50[i].(float64) || p50[i].(float64) > p95[i].(float64) {
			t.Fatalf("day %d: bands out of order %v %v %v", i, p5[i], p50[i], p95[i])
		}
	}
	// Day 0 starts at the snapshot's hashrate (about 1,090 EH/s).
	if v := p50[0].(float64); v < 900 || v > 1300 {
		t.Errorf("day-0 hashrate %v EH/s", v)
	}
	res := out["result"].(map[string]any)
	if res["paths"].(float64) != 30 || res["seed"].(float64) != 7 || res["daily"] != nil {
		t.Errorf("result %v", res)
	}
	if len(out["summary"].(map[string]any)) == 0 {
		t.Error("no summary")
	}

	// Cancel a long run.
	r = do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"scenario": "ai-exodus", "paths": 2000, "years": 10}`)
	id := r.json(t)["id"].(string)
	waitJob(t, ts.URL+"/api/v1/sim/jobs/"+id, JobRunning)
	do(t, "DELETE", ts.URL+"/api/v1/sim/jobs/"+id, "")
	waitJob(t, ts.URL+"/api/v1/sim/jobs/"+id, JobCancelled)
}
