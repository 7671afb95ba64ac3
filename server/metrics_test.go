package server

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMetricsForATeam checks the operational metrics next to the network
// values: build info, per-route latency histograms, store query latency,
// the job queue's depth and its cancellations, and the hashrate estimate's
// band around the estimate.
func TestMetricsForATeam(t *testing.T) {
	runner := &countRunner{release: make(chan struct{})}
	_, ts := newTest(t, Config{Sim: runner})
	do(t, "GET", ts.URL+"/api/v1/hashprice", "")
	do(t, "GET", ts.URL+"/api/v1/network/adjustments", "")
	// One job runs (one slot), a second queues behind it and is cancelled.
	a := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"paths":10}`).json(t)
	waitJob(t, ts.URL+"/api/v1/sim/jobs/"+a["id"].(string), JobRunning)
	b := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"paths":10}`).json(t)
	vals := parseProm(t, string(do(t, "GET", ts.URL+"/metrics", "").body))
	if vals[`hashlab_sim_jobs{state="queued"}`] != 1 || vals[`hashlab_sim_jobs{state="running"}`] != 1 {
		t.Errorf("job queue: queued %v running %v", vals[`hashlab_sim_jobs{state="queued"}`], vals[`hashlab_sim_jobs{state="running"}`])
	}
	if r := do(t, "DELETE", ts.URL+"/api/v1/sim/jobs/"+b["id"].(string), ""); r.status != 200 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	close(runner.release)
	waitJob(t, ts.URL+"/api/v1/sim/jobs/"+a["id"].(string), JobDone)

	body := string(do(t, "GET", ts.URL+"/metrics", "").body)
	vals = parseProm(t, body)
	if vals["hashlab_sim_jobs_cancelled_total"] != 1 || vals[`hashlab_sim_jobs{state="queued"}`] != 0 || vals[`hashlab_sim_jobs{state="done"}`] != 1 {
		t.Errorf("after the cancel: cancelled %v queued %v done %v", vals["hashlab_sim_jobs_cancelled_total"], vals[`hashlab_sim_jobs{state="queued"}`], vals[`hashlab_sim_jobs{state="done"}`])
	}
	if !regexp.MustCompile(`(?m)^hashlab_build_info\{go_version="` + regexp.QuoteMeta(runtime.Version()) + `",revision="[^"]+",version="[^"]+"\} 1$`).MatchString(body) {
		t.Errorf("build info missing:\n%s", grepLines(body, "hashlab_build_info"))
	}
	// A histogram per route: the hashprice route's one request sits in
	// the +Inf bucket and in the count.
	if vals[`hashlab_http_request_duration_seconds_bucket{route="GET /api/v1/hashprice",le="+Inf"}`] != 1 || vals[`hashlab_http_request_duration_seconds_count{route="GET /api/v1/hashprice"}`] != 1 {
		t.Errorf("latency histogram:\n%s", grepLines(body, `route="GET /api/v1/hashprice"`))
	}
	// Store queries: the adjustments route read them once; every scrape
	// reads the tip.
	if vals[`hashlab_store_query_duration_seconds_count{query="adjustments"}`] < 1 || vals[`hashlab_store_query_duration_seconds_count{query="tip"}`] < 1 {
		t.Errorf("store latency:\n%s", grepLines(body, "hashlab_store_query"))
	}
	est, lo, hi := vals["hashlab_network_hashrate_estimate_hs"], vals["hashlab_network_hashrate_estimate_low_hs"], vals["hashlab_network_hashrate_estimate_high_hs"]
	if !(lo < est && est < hi) || hi/lo > 1.5 {
		t.Errorf("hashrate band %v < %v < %v", lo, est, hi)
	}
	for _, k := range []string{"go_goroutines", "process_resident_memory_bytes", "hashlab_heavy_budget_units", `hashlab_heavy_refused_total{reason="queue_full"}`} {
		if _, ok := vals[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestInstrumentAllocs: counting and timing a request costs no allocation
// once its route has answered its status code before (the observers are
// resolved at registration, the counter per code on first use).
func TestInstrumentAllocs(t *testing.T) {
	m := newServerMetrics()
	h := m.route("GET /x").instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/x", nil)
	h.ServeHTTP(w, r)
	if n := testing.AllocsPerRun(1000, func() { h.ServeHTTP(w, r) }); n != 0 {
		t.Errorf("%v allocations per request", n)
	}
	rm := m.route("GET /y")
	rm.observe(200, time.Millisecond)
	if got := rm.codes[200-100].Load(); got == nil {
		t.Error("counter for 200 not kept")
	}
}

// A handler that panics is counted as the 500 the middleware answers.
func TestInstrumentPanic(t *testing.T) {
	m := newServerMetrics()
	rm := m.route("GET /p")
	h := rm.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	func() {
		defer func() { recover() }()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/p", nil))
	}()
	if rm.codes[500-100].Load() == nil || rm.codes[200-100].Load() != nil {
		t.Error("a panicking request was not counted as 500")
	}
}

func BenchmarkInstrument(b *testing.B) {
	m := newServerMetrics()
	h := m.route("GET /x").instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/x", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}
