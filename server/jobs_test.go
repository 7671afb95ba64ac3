package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countRunner is a SimRunner whose runs count paths until told to finish
// or cancelled; it records how many runs were active at once.
type countRunner struct {
	active, peak atomic.Int32
	release      chan struct{}
}

type countRun struct {
	r     *countRunner
	paths int
}

func (c *countRunner) Scenarios() []SimScenario {
	return []SimScenario{{Name: "count", Description: "counts paths"}}
}

func (c *countRunner) Prepare(body []byte) (SimRun, error) {
	var req struct {
		Paths int `json:"paths"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, err
	}
	if req.Paths < 1 || req.Paths > 100 {
		return nil, badParam("paths", fmt.Sprint(req.Paths), "is out of range", "1 to 100")
	}
	return &countRun{c, req.Paths}, nil
}

func (r *countRun) Describe() map[string]any { return map[string]any{"paths": r.paths} }

func (r *countRun) Run(ctx context.Context, progress func(done, total int)) (SimOutput, error) {
	n := r.r.active.Add(1)
	defer r.r.active.Add(-1)
	for {
		p := r.r.peak.Load()
		if n <= p || r.r.peak.CompareAndSwap(p, n) {
			break
		}
	}
	progress(r.paths/2, r.paths)
	select {
	case <-r.r.release:
	case <-ctx.Done():
		return SimOutput{}, ctx.Err()
	}
	progress(r.paths, r.paths)
	return SimOutput{Series: []SimSeries{{Name: "x", Unit: "1", Days: []float64{0, 1}, P5: []float64{1, 2}, P25: []float64{1, 2}, P50: []float64{1, 2}, P75: []float64{1, 2}, P95: []float64{1, 2}}}}, nil
}

func waitJob(t *testing.T, url string, want ...JobState) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := do(t, "GET", url, "").json(t)
		for _, w := range want {
			if m["state"] == string(w) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job never reached %v: %v", want, m)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSimJobs(t *testing.T) {
	cr := &countRunner{release: make(chan struct{})}
	_, ts := newTest(t, Config{Sim: cr, MaxJobs: 3})
	sc := do(t, "GET", ts.URL+"/api/v1/sim/scenarios", "")
	if sc.status != 200 || !strings.Contains(string(sc.body), `"count"`) {
		t.Fatalf("%d %s", sc.status, sc.body)
	}
	if r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"paths": 0}`); r.status != 400 || r.json(t)["field"] != "paths" {
		t.Errorf("bad request: %d %s", r.status, r.body)
	}
	// Three jobs: one runs, two wait (one simulator run at a time).
	var ids []string
	for i := 0; i < 3; i++ {
		r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"paths": 10}`)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		ids = append(ids, r.json(t)["id"].(string))
	}
	// A fourth is refused while all three are unfinished.
	if r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"paths": 10}`); r.status != 429 {
		t.Errorf("fourth job: %d %s", r.status, r.body)
	}
	first := waitJob(t, ts.URL+"/api/v1/sim/jobs/"+ids[0], JobRunning)
	_ = first
	// Progress is reported while running.
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := do(t, "GET", ts.URL+"/api/v1/sim/jobs/"+ids[0], "").json(t)
		if m["progress"].(float64) == 0.5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress: %v", m)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if m := do(t, "GET", ts.URL+"/api/v1/sim/jobs/"+ids[1], "").json(t); m["state"] != "queued" {
		t.Errorf("second job %v while the first runs", m["state"])
	}
	// Cancel the queued second job and the running first one.
	if r := do(t, "DELETE", ts.URL+"/api/v1/sim/jobs/"+ids[1], ""); r.status != 200 {
		t.Errorf("cancel: %d %s", r.status, r.body)
	}
	waitJob(t, ts.URL+"/api/v1/sim/jobs/"+ids[1], JobCancelled)
	do(t, "DELETE", ts.URL+"/api/v1/sim/jobs/"+ids[0], "")
	waitJob(t, ts.URL+"/api/v1/sim/jobs/"+ids[0], JobCancelled)
	// The third runs to completion and carries its output.
	waitJob(t, ts.URL+"/api/v1/sim/jobs/"+ids[2], JobRunning)
	close(cr.release)
	done := waitJob(t, ts.URL+"/api/v1/sim/jobs/"+ids[2], JobDone)
	if done["progress"].(float64) != 1 || done["output"] == nil {
		t.Errorf("done job %v", done)
	}
	if p := cr.peak.Load(); p != 1 {
		t.Errorf("%d runs at once, want 1", p)
	}
	// Finished jobs make room: a new job is accepted (the oldest finished
	// is dropped).
	if r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"paths": 10}`); r.status != 200 {
		t.Errorf("after finishing: %d %s", r.status, r.body)
	}
	list := do(t, "GET", ts.URL+"/api/v1/sim/jobs", "")
	var jobs []Job
	if err := json.Unmarshal(list.body, &jobs); err != nil || len(jobs) != 3 {
		t.Errorf("list: %v %s", err, list.body)
	}
	if r := do(t, "GET", ts.URL+"/api/v1/sim/jobs/nope", ""); r.status != 404 || r.json(t)["field"] != "id" {
		t.Errorf("unknown job: %d %s", r.status, r.body)
	}
}

func TestSimWithoutRunner(t *testing.T) {
	_, ts := newTest(t, Config{})
	for _, c := range []struct{ m, p string }{{"GET", "/api/v1/sim/scenarios"}, {"POST", "/api/v1/sim/jobs"}} {
		r := do(t, c.m, ts.URL+c.p, `{}`)
		if r.status != 404 || !strings.Contains(r.json(t)["error"].(string), "simulator") {
			t.Errorf("%s %s: %d %s", c.m, c.p, r.status, r.body)
		}
	}
	if r := do(t, "GET", ts.URL+"/api/v1/sim/jobs", ""); r.status != 200 || strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("empty list: %d %s", r.status, r.body)
	}
}
