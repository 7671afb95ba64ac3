package server

import (
	"context"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/service"
)

// /metrics is served by github.com/prometheus/client_golang from two
// gatherers: the server's registry (request counters and latency
// histograms per route, job queue, store query latency, the heavy-work
// budget, build info, the Go runtime and the process) and the values of the
// network state, computed at scrape time under the request's deadline (a
// scrape that cannot read the history's tip is a 503, not stale numbers).
// docs/server.md lists every metric.

// httpLatencyBuckets spans a cached hashprice answer (tens of µs) to a
// scan of a whole chain store (minutes).
var httpLatencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

// storeLatencyBuckets spans an in-memory tip (µs) to a full history scan.
var storeLatencyBuckets = []float64{0.00001, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 120}

// serverMetrics is the server's registry and the instruments the request
// path uses.
type serverMetrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	store    *prometheus.HistogramVec
}

func newServerMetrics() *serverMetrics {
	m := &serverMetrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashlab_http_requests_total",
			Help: "HTTP requests served, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hashlab_http_request_duration_seconds",
			Help:    "Time spent serving HTTP requests, by route.",
			Buckets: httpLatencyBuckets,
		}, []string{"route"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hashlab_store_query_duration_seconds",
			Help:    "Time the server spends reading its history (the chain store, or the embedded snapshot), by query: tip, hashprice, adjustments, pools.",
			Buckets: storeLatencyBuckets,
		}, []string{"query"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.store,
		buildInfo(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// buildInfo is hashlab_build_info{version, go_version, revision} 1, from
// the binary's embedded build information.
func buildInfo() prometheus.Collector {
	version, goVersion, revision := "unknown", "unknown", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version, goVersion = bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "hashlab_build_info",
		Help:        "Always 1; the labels say which hashlab build is running (module version, Go version, VCS revision when the build recorded one).",
		ConstLabels: prometheus.Labels{"version": version, "go_version": goVersion, "revision": revision},
	})
	g.Set(1)
	return g
}

// routeMetrics are one route's instruments, resolved when the route is
// registered: a request observes its latency and bumps its counter without
// a label lookup. The counter per status code is resolved the first time
// the route answers that code and kept in codes.
type routeMetrics struct {
	route    string
	requests *prometheus.CounterVec
	duration prometheus.Observer
	codes    [600 - 100]atomic.Pointer[codeCounter]
}

type codeCounter struct{ prometheus.Counter }

func (m *serverMetrics) route(pattern string) *routeMetrics {
	return &routeMetrics{route: pattern, requests: m.requests, duration: m.duration.WithLabelValues(pattern)}
}

func (rm *routeMetrics) observe(code int, d time.Duration) {
	rm.duration.Observe(d.Seconds())
	i := code - 100
	if i < 0 || i >= len(rm.codes) {
		rm.requests.WithLabelValues(rm.route, itoa3(code)).Inc()
		return
	}
	c := rm.codes[i].Load()
	if c == nil {
		c = &codeCounter{rm.requests.WithLabelValues(rm.route, itoa3(code))}
		rm.codes[i].Store(c)
	}
	c.Inc()
}

// itoa3 formats a status code.
func itoa3(code int) string {
	if code >= 100 && code < 1000 {
		return string([]byte{byte('0' + code/100), byte('0' + code/10%10), byte('0' + code%10)})
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusWriters are reused: a request's writer is not used after its
// handler returns (jsonHandler answers from the handler's own goroutine).
var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// instrument counts and times every request to one route.
func (rm *routeMetrics) instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		sw := statusWriters.Get().(*statusWriter)
		sw.ResponseWriter, sw.code = w, 0
		returned := false
		defer func() {
			code := sw.code
			switch {
			case !returned:
				code = http.StatusInternalServerError // panicking: the middleware answers 500
			case code == 0:
				code = http.StatusOK
			}
			sw.ResponseWriter = nil
			statusWriters.Put(sw)
			rm.observe(code, time.Since(t0))
		}()
		h.ServeHTTP(sw, r)
		returned = true
	})
}

// timedHistory observes each History call's duration in
// hashlab_store_query_duration_seconds; the observers are resolved once.
type timedHistory struct {
	History
	tip, hashprice, adjustments, pools prometheus.Observer
}

func newTimedHistory(h History, m *serverMetrics) *timedHistory {
	return &timedHistory{History: h,
		tip:         m.store.WithLabelValues("tip"),
		hashprice:   m.store.WithLabelValues("hashprice"),
		adjustments: m.store.WithLabelValues("adjustments"),
		pools:       m.store.WithLabelValues("pools"),
	}
}

func since(o prometheus.Observer, t0 time.Time) { o.Observe(time.Since(t0).Seconds()) }

func (h *timedHistory) Tip(ctx context.Context) (Tip, error) {
	defer since(h.tip, time.Now())
	return h.History.Tip(ctx)
}

func (h *timedHistory) Hashprice(ctx context.Context, from, to time.Time, every string) ([]HashpricePoint, error) {
	defer since(h.hashprice, time.Now())
	return h.History.Hashprice(ctx, from, to, every)
}

func (h *timedHistory) Adjustments(ctx context.Context) ([]Adjustment, error) {
	defer since(h.adjustments, time.Now())
	return h.History.Adjustments(ctx)
}

func (h *timedHistory) Pools(ctx context.Context, window time.Duration) ([]security.Share, int64, error) {
	defer since(h.pools, time.Now())
	return h.History.Pools(ctx, window)
}

// workCollector reads the heavy-work budget and the simulator job queue at
// scrape time (one lock of each).
type workCollector struct {
	b *budget
	q *jobQueue
}

var (
	descBudget      = prometheus.NewDesc("hashlab_heavy_budget_units", "Heavy-work budget: estimated CPU work that may be admitted at once (1 unit = 1 µs of one core).", nil, nil)
	descBudgetUsed  = prometheus.NewDesc("hashlab_heavy_budget_used_units", "Estimated work of the heavy requests and jobs running now.", nil, nil)
	descRunning     = prometheus.NewDesc("hashlab_heavy_running", "Heavy requests and jobs holding part of the budget.", nil, nil)
	descWaiting     = prometheus.NewDesc("hashlab_heavy_waiting", "Heavy requests waiting for the budget.", nil, nil)
	descAdmitted    = prometheus.NewDesc("hashlab_heavy_admitted_total", "Heavy requests admitted against the budget.", nil, nil)
	descRefused     = prometheus.NewDesc("hashlab_heavy_refused_total", "Heavy requests refused: cost over the per-request limit (400), queue full (429), ended while waiting (503).", []string{"reason"}, nil)
	descJobs        = prometheus.NewDesc("hashlab_sim_jobs", "Simulator jobs kept by the server, by state: queued (waiting for the run slot or the budget: the queue depth), running, done, failed, cancelled.", []string{"state"}, nil)
	descJobsCancels = prometheus.NewDesc("hashlab_sim_jobs_cancelled_total", "Simulator jobs that ended cancelled (DELETE, or the server shutting down).", nil, nil)
)

func (c workCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBudget, descBudgetUsed, descRunning, descWaiting, descAdmitted, descRefused, descJobs, descJobsCancels} {
		ch <- d
	}
}

func (c workCollector) Collect(ch chan<- prometheus.Metric) {
	bs := c.b.stats()
	ch <- prometheus.MustNewConstMetric(descBudget, prometheus.GaugeValue, float64(bs.Capacity))
	ch <- prometheus.MustNewConstMetric(descBudgetUsed, prometheus.GaugeValue, float64(bs.Used))
	ch <- prometheus.MustNewConstMetric(descRunning, prometheus.GaugeValue, float64(bs.Running))
	ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(bs.Waiting))
	ch <- prometheus.MustNewConstMetric(descAdmitted, prometheus.CounterValue, float64(bs.Admitted))
	for _, reason := range []string{"cost", "queue_full", "deadline"} {
		ch <- prometheus.MustNewConstMetric(descRefused, prometheus.CounterValue, float64(bs.Refused[reason]), reason)
	}
	states := c.q.states()
	for _, st := range []JobState{JobQueued, JobRunning, JobDone, JobFailed, JobCancelled} {
		ch <- prometheus.MustNewConstMetric(descJobs, prometheus.GaugeValue, float64(states[st]), string(st))
	}
	ch <- prometheus.MustNewConstMetric(descJobsCancels, prometheus.CounterValue, float64(c.q.cancelled.Load()))
}

// Descriptions of the values computed at scrape time.
func gaugeDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descHashprice      = gaugeDesc("hashlab_hashprice_usd_per_ph_day", "Hashprice: USD earned per PH/s per day at the tip's difficulty, subsidy, fees and BTC price.")
	descHashvalue      = gaugeDesc("hashlab_hashprice_btc_per_ph_day", "Hashvalue: BTC earned per PH/s per day.")
	descPrice          = gaugeDesc("hashlab_btc_price_usd", "BTC price the hashprice uses, USD.")
	descDifficulty     = gaugeDesc("hashlab_difficulty", "Network difficulty at the tip.")
	descImplied        = gaugeDesc("hashlab_network_hashrate_implied_hs", "Network hashrate implied by the difficulty (hashes per second).")
	descSecBudget      = gaugeDesc("hashlab_security_budget_usd_per_day", "What all miners earn per day at 144 blocks per day, USD.")
	descStateAge       = gaugeDesc("hashlab_state_age_seconds", "Age of the network state the answers use (now minus the tip's time), seconds.")
	descSourceAge      = gaugeDesc("hashlab_source_age_seconds", "Age of each source's part of the network state (now minus its as-of time), seconds, by source and value.", "source", "what")
	descTipHeight      = gaugeDesc("hashlab_tip_height", "Height of the newest block the server knows.")
	descTipTime        = gaugeDesc("hashlab_tip_timestamp_seconds", "Timestamp of that block, Unix seconds.")
	descAdjExpected    = gaugeDesc("hashlab_next_adjustment_expected_change_ratio", "Projected relative difficulty change at the next retarget (0.05 = +5%).")
	descAdjLow         = gaugeDesc("hashlab_next_adjustment_low_change_ratio", "Lower bound of the 90% interval of that change.")
	descAdjHigh        = gaugeDesc("hashlab_next_adjustment_high_change_ratio", "Upper bound of the 90% interval of that change.")
	descAdjBlocks      = gaugeDesc("hashlab_next_adjustment_blocks_remaining", "Blocks until the next retarget.")
	descAdjTime        = gaugeDesc("hashlab_next_adjustment_expected_timestamp_seconds", "Expected time of the retarget block, Unix seconds.")
	descHashrateEst    = gaugeDesc("hashlab_network_hashrate_estimate_hs", "Network hashrate estimated from this epoch's block times (hashes per second).")
	descHashrateEstLow = gaugeDesc("hashlab_network_hashrate_estimate_low_hs", "Lower bound of the interval of that estimate at the next-adjustment confidence (90%) (hashes per second).")
	descHashrateEstHi  = gaugeDesc("hashlab_network_hashrate_estimate_high_hs", "Upper bound of that interval (hashes per second).")
	descBehind         = gaugeDesc("hashlab_blocks_behind_tip", "Blocks the chain store is behind its node while following.")
)

// stateValues is a Gatherer of metrics computed for one scrape.
type stateValues []prometheus.Metric

func (v stateValues) Describe(chan<- *prometheus.Desc) {} // unchecked: the values vary by source

func (v stateValues) Collect(ch chan<- prometheus.Metric) {
	for _, m := range v {
		ch <- m
	}
}

// metrics serves /metrics.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	tip, err := s.hist.Tip(ctx)
	if err != nil {
		http.Error(w, "history unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	var v stateValues
	gauge := func(d *prometheus.Desc, x float64, labels ...string) {
		v = append(v, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, x, labels...))
	}
	if hp, err := s.svc.Hashprice(ctx, service.Overrides{}); err == nil {
		gauge(descHashprice, hp.USDPerPHDay)
		gauge(descHashvalue, hp.BTCPerPHDay)
		gauge(descPrice, hp.PriceUSD)
		gauge(descDifficulty, hp.Difficulty)
		gauge(descImplied, hp.NetworkHashrateHs)
		gauge(descSecBudget, hp.SecurityBudgetUSDPerDay)
		gauge(descStateAge, float64(hp.AgeSeconds))
	}
	if sa, ok := s.cfg.State.(interface {
		SourceAges(now time.Time) []service.SourceAge
	}); ok {
		for _, a := range sa.SourceAges(s.now()) {
			gauge(descSourceAge, a.AgeSeconds, a.Source, a.What)
		}
	}
	gauge(descTipHeight, float64(tip.Height))
	gauge(descTipTime, float64(tip.Time.Unix()))
	if na, err := s.svc.NextAdjustment(ctx, service.AdjustmentQuery{Confidence: service.DefaultConfidence}); err == nil {
		gauge(descAdjExpected, na.ExpectedChange)
		gauge(descAdjLow, na.LowChange)
		gauge(descAdjHigh, na.HighChange)
		gauge(descAdjBlocks, float64(na.BlocksRemaining))
		gauge(descAdjTime, float64(na.ExpectedRetargetUnix))
		if na.MeanIntervalSec > 0 && na.CurrentBits != nil {
			// The epoch's blocks over their time: the hashrate implied at
			// one block per second divided by the mean interval.
			est := hashprice.ImpliedHashrateHs(consensus.Difficulty(*na.CurrentBits), 1) / na.MeanIntervalSec
			gauge(descHashrateEst, est)
			if n := na.BlocksMined - 1; n >= 1 {
				// The exact Poisson interval of EstimateHashrate for the
				// epoch's n block intervals, at the projection's confidence.
				lo, hi := hashprice.PoissonRateFactors(n, na.Confidence)
				gauge(descHashrateEstLow, est*lo)
				gauge(descHashrateEstHi, est*hi)
			}
		}
	}
	if tip.BlocksBehind >= 0 {
		gauge(descBehind, float64(tip.BlocksBehind))
	}
	scrape := prometheus.NewRegistry()
	scrape.MustRegister(v)
	w.Header().Set("Cache-Control", "no-store")
	promhttp.HandlerFor(prometheus.Gatherers{s.metricsReg.reg, scrape}, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}
