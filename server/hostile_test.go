package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
)

// The server under hostile load (issue 15, item 4). Every test here is
// bounded by a request count; durations appear only as generous safety
// nets, never as assertions.

// safety bounds every wait for the server to reach a state.
const safety = 20 * time.Second

// waitFor polls cond until it holds or safety passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// call sends one request with its own client timeout; status 0 means the
// client gave up.
func call(method, u, body string, timeout time.Duration, hdr ...string) (int, http.Header, string) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return -1, nil, err.Error()
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// apiSite is examples/site-example.yaml without its hourly_prices_csv
// line: the API reads no files (TestPivot checks the refusal).
func apiSite(t *testing.T) string { return apiSiteB(t) }

func apiSiteB(t testing.TB) string {
	b, err := os.ReadFile("../examples/site-example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "hourly_prices_csv") {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

func TestTokenTooShort(t *testing.T) {
	for _, tok := range []string{"x", "s3cret", "0123456789abcde"} {
		_, err := New(Config{Addr: "0.0.0.0:8080", Token: tok})
		ie, ok := hashlab.AsInput(err)
		if !ok || ie.Field != "token" || !strings.Contains(ie.Allowed, "16") || len(tok) > 1 && strings.Contains(err.Error(), tok) {
			t.Errorf("token of %d characters: %v", len(tok), err)
		}
	}
	if _, err := New(Config{Addr: "0.0.0.0:8080", Token: "0123456789abcdef"}); err != nil {
		t.Errorf("16 characters: %v", err)
	}
}

// TestCrossSiteRefused: Origin null (sandboxed iframes), another origin
// and Sec-Fetch-Site cross-site are refused on every route that computes
// or changes state, and nothing is created.
func TestCrossSiteRefused(t *testing.T) {
	s, ts := newTest(t, Config{Sim: NewSimRunner()})
	job := `{"scenario": "baseline", "paths": 20, "years": 0.1}`
	fleet := `{"machines":[{"model":"Antminer S21","count":1}]}`
	cases := []struct {
		method, path, body string
		hdr                []string
	}{
		{"POST", "/api/v1/sim/jobs", job, []string{"Origin", "null"}},
		{"POST", "/api/v1/sim/jobs", job, []string{"Origin", "http://evil.example"}},
		{"POST", "/api/v1/sim/jobs", job, []string{"Origin", ts.URL + ".evil.example"}},
		{"POST", "/api/v1/sim/jobs", job, []string{"Sec-Fetch-Site", "cross-site"}},
		{"POST", "/api/v1/fleet", fleet, []string{"Origin", "null"}},
		{"POST", "/api/v1/pivot", "x: 1", []string{"Origin", "null"}},
		{"DELETE", "/api/v1/sim/jobs/0123", "", []string{"Origin", "null"}},
		// A GET that computes: a cross-site <img> must not start a solve.
		{"GET", "/api/v1/security/selfish?alpha=0.3&accuracy=0.01", "", []string{"Sec-Fetch-Site", "cross-site"}},
		{"GET", "/api/v1/security/selfish?alpha=0.3&accuracy=0.01", "", []string{"Origin", "null"}},
	}
	for _, c := range cases {
		r := do(t, c.method, ts.URL+c.path, c.body, c.hdr...)
		if r.status != 403 || r.json(t)["field"] != c.hdr[0] || r.json(t)["value"] != c.hdr[1] {
			t.Errorf("%s %s with %v: %d %s", c.method, c.path, c.hdr, r.status, r.body)
		}
	}
	if jobs := s.jobs.list(); len(jobs) != 0 {
		t.Errorf("refused requests created jobs: %v", jobs)
	}
	if st := s.budget.stats(); st.Admitted != 0 {
		t.Errorf("refused requests were admitted: %+v", st)
	}
	// The server's own origin, same-site and no Origin at all pass.
	for _, hdr := range [][]string{{"Origin", ts.URL}, {"Sec-Fetch-Site", "same-origin"}, nil} {
		if r := do(t, "POST", ts.URL+"/api/v1/fleet", fleet, hdr...); r.status != 200 {
			t.Errorf("fleet with %v: %d %s", hdr, r.status, r.body)
		}
	}
	// Cheap reads stay open to links from anywhere.
	if r := do(t, "GET", ts.URL+"/api/v1/hashprice", "", "Sec-Fetch-Site", "cross-site"); r.status != 200 {
		t.Errorf("cross-site read: %d", r.status)
	}
}

// TestCostBounds: requests whose estimate is over the per-request limit are
// refused before admission with the parameter, its value and the limit.
func TestCostBounds(t *testing.T) {
	s, ts := newTest(t, Config{Sim: NewSimRunner()})
	million := "scenario_file:\n  name: huge\n  years: 3\n  population:\n    operators: 1000000\npaths: 200\n"
	cases := []struct{ body, field, value, allowed string }{
		// 1,000,000 operators: one path alone is 7.7 s of CPU.
		{million, "scenario_file.population.operators", "1000000", "operators × days"},
		// A shipped scenario (1,000 operators) for 5,000 paths over 10 years: 128 s.
		{`{"scenario": "ai-exodus", "paths": 5000, "years": 10}`, "paths", "5000", "at most 2,346 paths"},
		// 20,000 operators over 10 years: one path is 0.51 s.
		{"scenario_file:\n  name: wide\n  years: 10\n  population:\n    operators: 20000\npaths: 1\n", "scenario_file.population.operators", "20000", "at most 19,553 operators"},
	}
	for _, c := range cases {
		r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", c.body)
		m := r.json(t)
		if r.status != 400 || m["field"] != c.field || m["value"] != c.value || !strings.Contains(m["allowed"].(string), c.allowed) {
			t.Errorf("%q: %d %s", c.body, r.status, r.body)
		}
	}
	if jobs := s.jobs.list(); len(jobs) != 0 {
		t.Errorf("over-budget requests created jobs: %v", jobs)
	}
	// Just under the limit is admitted (and cancelled at once).
	r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"scenario": "ai-exodus", "paths": 2346, "years": 10}`)
	if r.status != 200 {
		t.Fatalf("2,346 paths: %d %s", r.status, r.body)
	}
	do(t, "DELETE", ts.URL+"/api/v1/sim/jobs/"+r.json(t)["id"].(string), "")
	if st := s.budget.stats(); st.Used != 0 || st.Refused["cost"] != 1 || st.Admitted != 1 {
		t.Errorf("budget after refusals and a cancel: %+v", st)
	}
}

// TestJobDeleteFreesSlot: DELETE returns once the job has stopped and
// handed back its slot and budget, so the next job can start at once.
func TestJobDeleteFreesSlot(t *testing.T) {
	s, ts := newTest(t, Config{Sim: NewSimRunner()})
	for i := range 3 {
		r := do(t, "POST", ts.URL+"/api/v1/sim/jobs", `{"scenario": "ai-exodus", "paths": 2000, "years": 10}`)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		waitJob(t, ts.URL+"/api/v1/sim/jobs/"+id, JobRunning)
		if st := s.budget.stats(); st.Used == 0 || st.Running != 1 {
			t.Fatalf("run %d: a running job holds no budget: %+v", i, st)
		}
		d := do(t, "DELETE", ts.URL+"/api/v1/sim/jobs/"+id, "")
		if d.status != 200 || d.json(t)["state"] != string(JobCancelled) {
			t.Fatalf("run %d: DELETE answered %d %s", i, d.status, d.body)
		}
		// No polling: when DELETE has answered, the slot and budget are free.
		if st := s.budget.stats(); st.Used != 0 || st.Running != 0 {
			t.Fatalf("run %d: after DELETE the budget is still held: %+v", i, st)
		}
		select {
		case s.jobs.slots <- struct{}{}:
			<-s.jobs.slots
		default:
			t.Fatalf("run %d: after DELETE the simulator slot is still held", i)
		}
	}
}

// TestBudgetQueue: with the budget full, one request waits and one more
// than the queue holds gets 429 with Retry-After at once; when the clients
// leave, everything is handed back.
func TestBudgetQueue(t *testing.T) {
	s, ts := newTest(t, Config{HeavyBudget: 2 * selfishCost, MaxQueue: 1})
	hard := ts.URL + "/api/v1/security/selfish?alpha=0.49&accuracy=1e-9"
	holdCtx, cancelHold := context.WithCancel(context.Background())
	defer cancelHold()
	waitCtx, cancelWait := context.WithCancel(context.Background())
	defer cancelWait()
	var wg sync.WaitGroup
	n := 0
	hold := func(ctx context.Context) {
		n++
		u := fmt.Sprintf("%s&gamma=0.%d", hard, n) // distinct: not merged
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}()
	}
	hold(holdCtx)
	hold(holdCtx)
	waitFor(t, "two solves running", func() bool { return s.budget.stats().Running == 2 })
	hold(waitCtx)
	waitFor(t, "one request waiting", func() bool { return s.budget.stats().Waiting == 1 })
	code, hdr, body := call("GET", hard, "", safety)
	if ra, _ := strconv.Atoi(hdr.Get("Retry-After")); code != 429 || ra < 1 || !strings.Contains(body, "retry_after_seconds") {
		t.Errorf("queue full: %d Retry-After %q %s", code, hdr.Get("Retry-After"), body)
	}
	// The waiting client leaves first (while both solves still hold the
	// budget), so its refusal is the deadline one; then the holders leave.
	cancelWait()
	waitFor(t, "the waiter left the queue", func() bool { return s.budget.stats().Waiting == 0 })
	cancelHold()
	wg.Wait()
	waitFor(t, "budget handed back", func() bool { st := s.budget.stats(); return st.Used == 0 && st.Waiting == 0 && st.Running == 0 })
	if st := s.budget.stats(); st.Refused["queue_full"] != 1 || st.Refused["deadline"] != 1 {
		t.Errorf("refusals %v, want one queue_full and one deadline (the waiting client left)", st.Refused)
	}
}

// TestBudgetOrder: the budget admits in arrival order, a waiter whose
// context ends gets 503 with Retry-After and leaves the queue, and a large
// waiter leaving lets the smaller ones behind it in.
func TestBudgetOrder(t *testing.T) {
	b := newBudget(100_000, 8)
	r1, err := b.acquire(context.Background(), 30_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.acquire(context.Background(), 50_001); err == nil || err.(*apiError).Status != 400 {
		t.Fatalf("over half the budget: %v", err)
	}
	r2, _ := b.acquire(context.Background(), 50_000)
	// 20,000 left: a 50,000 waits, and a 10,000 behind it waits too (FIFO).
	bigCtx, bigCancel := context.WithCancel(context.Background())
	bigErr := make(chan error, 1)
	go func() { _, err := b.acquire(bigCtx, 50_000); bigErr <- err }()
	waitFor(t, "the large request waits", func() bool { return b.stats().Waiting == 1 })
	small := make(chan func(), 1)
	go func() { r, _ := b.acquire(context.Background(), 10_000); small <- r }()
	waitFor(t, "the small request waits behind it", func() bool { return b.stats().Waiting == 2 })
	bigCancel()
	err = <-bigErr
	ae, ok := err.(*apiError)
	if !ok || ae.Status != 503 || ae.RetryAfter < 1 {
		t.Fatalf("waiter whose context ended: %v", err)
	}
	r3 := <-small
	if st := b.stats(); st.Used != 90_000 || st.Waiting != 0 || st.Running != 3 {
		t.Errorf("after the large waiter left: %+v", st)
	}
	r1()
	r1() // idempotent
	r2()
	r3()
	if st := b.stats(); st.Used != 0 || st.Running != 0 {
		t.Errorf("all released: %+v", st)
	}
}

// TestSelfishClientGoneFreesBudget is issue 15's must-show: four selfish
// solves at α = 0.49, accuracy 1e-9, whose clients give up after 2 s,
// fill the budget; once they are gone the budget is empty again and POST
// /api/v1/pivot with the example site answers normally. Since the solver
// got faster (2026-12), α = 0.49 may finish within the 2 s on an idle
// machine (an answer, 200, is then fine); α = 0.499 (a cold solve at the
// largest truncation, far longer) always outlives its clients.
func TestSelfishClientGoneFreesBudget(t *testing.T) {
	for _, alpha := range []string{"0.49", "0.499"} {
		t.Run("alpha="+alpha, func(t *testing.T) { selfishClientGone(t, alpha) })
	}
}

func selfishClientGone(t *testing.T, alpha string) {
	// One solve may take at most half this budget: exactly selfishCost.
	s, ts := newTest(t, Config{HeavyBudget: 2 * selfishCost})
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = call("GET", ts.URL+"/api/v1/security/selfish?alpha="+alpha+"&accuracy=1e-9", "", 2*time.Second)
		}()
	}
	// The four identical requests are merged into one solve, charged once.
	waitFor(t, "the solve running", func() bool { return s.budget.stats().Running == 1 })
	waitFor(t, "four requests waiting for it", func() bool {
		s.flight.mu.Lock()
		defer s.flight.mu.Unlock()
		for _, c := range s.flight.m {
			return c.waiters == 4
		}
		return false
	})
	if st := s.budget.stats(); st.Used != selfishCost || st.Admitted != 1 {
		t.Fatalf("one merged solve should hold selfishCost: %+v", st)
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 && (alpha != "0.49" || c != 200) {
			t.Errorf("solve %d answered %d before its client gave up", i, c)
		}
	}
	waitFor(t, "the solve whose clients left hands back the budget", func() bool { return s.budget.stats().Used == 0 })
	if n := s.flight.inFlight(); n != 0 {
		t.Errorf("%d solves still in flight", n)
	}
	code, _, body := call("POST", ts.URL+"/api/v1/pivot?paths=2000", apiSite(t), safety)
	if code != 200 || !strings.Contains(body, "monte_carlo") {
		t.Errorf("pivot after the solves: %d %.300s", code, body)
	}
}

// TestHostileLoad drives the server with the hostile requests of issue 15
// at once, bounded in count, and checks that nothing the limits forbid is
// admitted and that /healthz and /api/v1/hashprice keep answering.
func TestHostileLoad(t *testing.T) {
	s, ts := newTest(t, Config{Sim: NewSimRunner(), RequestTimeout: 3 * time.Second, MaxJobs: 64})
	million := "scenario_file:\n  name: huge\n  years: 3\n  population:\n    operators: 1000000\npaths: 200\n"
	site := apiSite(t)
	type hostile struct {
		name, method, path, body string
		hdr                      []string
		want                     func(code int) bool
	}
	is := func(codes ...int) func(int) bool {
		return func(c int) bool {
			for _, w := range codes {
				if c == w {
					return true
				}
			}
			return false
		}
	}
	kinds := []hostile{
		{"origin null job", "POST", "/api/v1/sim/jobs", `{"scenario": "ai-exodus", "paths": 100}`, []string{"Origin", "null"}, is(403)},
		{"cross-site job", "POST", "/api/v1/sim/jobs", `{"scenario": "ai-exodus", "paths": 100}`, []string{"Sec-Fetch-Site", "cross-site"}, is(403)},
		{"million operators", "POST", "/api/v1/sim/jobs", million, nil, is(400)},
		{"over-budget paths", "POST", "/api/v1/sim/jobs", `{"scenario": "ai-exodus", "paths": 5000, "years": 10}`, nil, is(400)},
		// Admitted heavy work: answers, or is refused for the budget (429),
		// or is cut by the request timeout (503).
		{"selfish 0.49", "GET", "/api/v1/security/selfish?alpha=0.49&accuracy=1e-9", "", nil, is(200, 429, 503)},
		{"pivot monte carlo", "POST", "/api/v1/pivot?paths=20000", site, nil, is(200, 429, 503)},
	}
	const perKind = 6
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		bad       []string
		probes    atomic.Int64
		stop      = make(chan struct{})
		overUsed  atomic.Bool
		probeDone = make(chan struct{})
	)
	// Probe the cheap routes all along: every answer must be a 200.
	go func() {
		defer close(probeDone)
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			for _, p := range []string{"/healthz", "/api/v1/hashprice", "/metrics"} {
				code, _, body := call("GET", ts.URL+p, "", safety)
				if code != 200 {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("cheap %s: %d %.200s", p, code, body))
					mu.Unlock()
				}
				probes.Add(1)
			}
			if st := s.budget.stats(); st.Used > st.Capacity {
				overUsed.Store(true)
			}
		}
	}()
	for _, k := range kinds {
		for range perKind {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, _, body := call(k.method, ts.URL+k.path, k.body, safety, k.hdr...)
				if !k.want(code) {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: %d %.200s", k.name, code, body))
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	close(stop)
	<-probeDone
	for _, b := range bad {
		t.Error(b)
	}
	if probes.Load() < 3 {
		t.Errorf("only %d probes of the cheap routes", probes.Load())
	}
	if overUsed.Load() {
		t.Error("the budget was overdrawn")
	}
	if jobs := s.jobs.list(); len(jobs) != 0 {
		t.Errorf("forbidden requests created %d jobs: %v", len(jobs), jobs)
	}
	st := s.budget.stats()
	if st.Refused["cost"] < perKind {
		t.Errorf("cost refusals %d, want at least %d: %+v", st.Refused["cost"], perKind, st)
	}
	waitFor(t, "budget handed back", func() bool { st := s.budget.stats(); return st.Used == 0 && st.Waiting == 0 })
	t.Logf("cheap-route probes: %d, all 200; budget %+v", probes.Load(), s.budget.stats())
}

// TestColdHistory100: 100 concurrent distinct history requests on a
// freshly started server over a chain store of the real blocks
// 610,683..946,236: no 5xx, and /healthz answers all along.
func TestColdHistory100(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a store of 335,554 blocks")
	}
	db, _ := chainStore(t)
	h := NewChainHistory(db, ChainHistoryOptions{Source: "chain store"})
	s, ts := newTest(t, Config{History: h})
	var paths []string
	for i := range 60 { // distinct daily windows: one scan, merged
		from := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 17*i)
		paths = append(paths, fmt.Sprintf("/api/v1/hashprice/history?every=day&from=%s&to=%s", from.Format(time.DateOnly), from.AddDate(0, 2, 0).Format(time.DateOnly)))
	}
	for i := range 20 { // distinct weekly windows
		from := time.Date(2021, 1, 4, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 28*i)
		paths = append(paths, fmt.Sprintf("/api/v1/hashprice/history?every=week&from=%s&to=%s", from.Format(time.DateOnly), from.AddDate(0, 6, 0).Format(time.DateOnly)))
	}
	for i := range 10 { // distinct epoch windows
		paths = append(paths, fmt.Sprintf("/api/v1/hashprice/history?every=epoch&from=%d-01-01", 2020+i%6)+fmt.Sprintf("&to=%d-12-31", 2021+i%6+i/6))
	}
	for _, w := range []string{"1d", "1w", "30d", "1y", "36h", "2w", "90d", "12h", "3d", "180d"} {
		paths = append(paths, "/api/v1/pools?window="+w)
	}
	if len(paths) != 100 {
		t.Fatalf("%d paths", len(paths))
	}
	codes := make([]int, len(paths))
	bodies := make([]string, len(paths))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var healthBad []string
	var healthN int
	healthDone := make(chan struct{})
	go func() {
		defer close(healthDone)
		for i := 0; i < 500; i++ {
			select {
			case <-stop:
				return
			default:
			}
			code, _, body := call("GET", ts.URL+"/healthz", "", safety)
			healthN++
			if code != 200 {
				healthBad = append(healthBad, fmt.Sprintf("%d %.200s", code, body))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, bodies[i] = call("GET", ts.URL+p, "", 2*DefaultRequestTimeout)
		}()
	}
	wg.Wait()
	close(stop)
	<-healthDone
	count := map[int]int{}
	for i, c := range codes {
		count[c]++
		if c != 200 {
			t.Errorf("%s: %d %.300s", paths[i], c, bodies[i])
		}
	}
	for _, b := range healthBad {
		t.Errorf("/healthz: %s", b)
	}
	if healthN == 0 {
		t.Error("/healthz was never probed")
	}
	// The served history precomputes the dashboard's answers in the
	// background (ChainHistory's refresh), so a computation may still be
	// running when the requests are answered; none may be left behind.
	waitFor(t, "every merged computation finished", func() bool { return h.flight.inFlight() == 0 })
	t.Logf("status counts %v; /healthz probed %d times; budget %+v", count, healthN, s.budget.stats())
}
