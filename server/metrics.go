package server

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/service"
)

// httpStats counts requests per route pattern and status code, and their
// total duration, for /metrics.
type httpStats struct {
	mu    sync.Mutex
	count map[[2]string]uint64 // {pattern, code}
	secs  map[string]float64   // pattern → total seconds
	n     map[string]uint64    // pattern → requests
}

func newHTTPStats() *httpStats {
	return &httpStats{count: map[[2]string]uint64{}, secs: map[string]float64{}, n: map[string]uint64{}}
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

func (st *httpStats) wrap(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(t0).Seconds()
		st.mu.Lock()
		st.count[[2]string{pattern, strconv.Itoa(sw.code)}]++
		st.secs[pattern] += d
		st.n[pattern]++
		st.mu.Unlock()
	})
}

// metrics writes the Prometheus text exposition format (version 0.0.4) by
// hand: a few gauges computed from the history's tip at scrape time, and
// the request counters.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, promFloat(v))
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	tip, err := s.hist.Tip(ctx)
	if err != nil {
		http.Error(w, "history unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if hp, err := s.svc.Hashprice(ctx, service.Overrides{}); err == nil {
		gauge("hashlab_hashprice_usd_per_ph_day", "Hashprice: USD earned per PH/s per day at the tip's difficulty, subsidy, fees and BTC price.", hp.USDPerPHDay)
		gauge("hashlab_hashprice_btc_per_ph_day", "Hashvalue: BTC earned per PH/s per day.", hp.BTCPerPHDay)
		gauge("hashlab_btc_price_usd", "BTC price the hashprice uses, USD.", hp.PriceUSD)
		gauge("hashlab_difficulty", "Network difficulty at the tip.", hp.Difficulty)
		gauge("hashlab_network_hashrate_implied_hs", "Network hashrate implied by the difficulty (hashes per second).", hp.NetworkHashrateHs)
		gauge("hashlab_security_budget_usd_per_day", "What all miners earn per day at 144 blocks per day, USD.", hp.SecurityBudgetUSDPerDay)
		gauge("hashlab_state_age_seconds", "Age of the network state the answers use (now minus the tip's time), seconds.", float64(hp.AgeSeconds))
	}
	if sa, ok := s.cfg.State.(interface {
		SourceAges(now time.Time) []service.SourceAge
	}); ok {
		if ages := sa.SourceAges(s.now()); len(ages) > 0 {
			b.WriteString("# HELP hashlab_source_age_seconds Age of each source's part of the network state (now minus its as-of time), seconds, by source and value.\n# TYPE hashlab_source_age_seconds gauge\n")
			for _, a := range ages {
				fmt.Fprintf(&b, "hashlab_source_age_seconds{source=%q,what=%q} %s\n", a.Source, a.What, promFloat(a.AgeSeconds))
			}
		}
	}
	gauge("hashlab_tip_height", "Height of the newest block the server knows.", float64(tip.Height))
	gauge("hashlab_tip_timestamp_seconds", "Timestamp of that block, Unix seconds.", float64(tip.Time.Unix()))
	if na, err := s.svc.NextAdjustment(ctx, service.AdjustmentQuery{Confidence: service.DefaultConfidence}); err == nil {
		gauge("hashlab_next_adjustment_expected_change_ratio", "Projected relative difficulty change at the next retarget (0.05 = +5%).", na.ExpectedChange)
		gauge("hashlab_next_adjustment_low_change_ratio", "Lower bound of the 90% interval of that change.", na.LowChange)
		gauge("hashlab_next_adjustment_high_change_ratio", "Upper bound of the 90% interval of that change.", na.HighChange)
		gauge("hashlab_next_adjustment_blocks_remaining", "Blocks until the next retarget.", float64(na.BlocksRemaining))
		gauge("hashlab_next_adjustment_expected_timestamp_seconds", "Expected time of the retarget block, Unix seconds.", float64(na.ExpectedRetargetUnix))
		if na.MeanIntervalSec > 0 && na.CurrentBits != nil {
			est := hashprice.ImpliedHashrateHs(consensus.Difficulty(*na.CurrentBits), 1) / na.MeanIntervalSec
			gauge("hashlab_network_hashrate_estimate_hs", "Network hashrate estimated from this epoch's block times (hashes per second).", est)
		}
	}
	if tip.BlocksBehind >= 0 {
		gauge("hashlab_blocks_behind_tip", "Blocks the chain store is behind its node while following.", float64(tip.BlocksBehind))
	}
	bs := s.budget.stats()
	gauge("hashlab_heavy_budget_units", "Heavy-work budget: estimated CPU work that may be admitted at once (1 unit = 1 µs of one core).", float64(bs.Capacity))
	gauge("hashlab_heavy_budget_used_units", "Estimated work of the heavy requests and jobs running now.", float64(bs.Used))
	gauge("hashlab_heavy_running", "Heavy requests and jobs holding part of the budget.", float64(bs.Running))
	gauge("hashlab_heavy_waiting", "Heavy requests waiting for the budget.", float64(bs.Waiting))
	fmt.Fprintf(&b, "# HELP hashlab_heavy_admitted_total Heavy requests admitted against the budget.\n# TYPE hashlab_heavy_admitted_total counter\nhashlab_heavy_admitted_total %d\n", bs.Admitted)
	b.WriteString("# HELP hashlab_heavy_refused_total Heavy requests refused: cost over the per-request limit (400), queue full (429), ended while waiting (503).\n# TYPE hashlab_heavy_refused_total counter\n")
	for _, reason := range []string{"cost", "queue_full", "deadline"} {
		fmt.Fprintf(&b, "hashlab_heavy_refused_total{reason=%q} %d\n", reason, bs.Refused[reason])
	}
	s.stats.mu.Lock()
	keys := make([][2]string, 0, len(s.stats.count))
	for k := range s.stats.count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	b.WriteString("# HELP hashlab_http_requests_total HTTP requests served, by route and status code.\n# TYPE hashlab_http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "hashlab_http_requests_total{route=%q,code=%q} %d\n", k[0], k[1], s.stats.count[k])
	}
	pats := make([]string, 0, len(s.stats.n))
	for p := range s.stats.n {
		pats = append(pats, p)
	}
	sort.Strings(pats)
	b.WriteString("# HELP hashlab_http_request_duration_seconds Time spent serving HTTP requests, by route.\n# TYPE hashlab_http_request_duration_seconds summary\n")
	for _, p := range pats {
		fmt.Fprintf(&b, "hashlab_http_request_duration_seconds_sum{route=%q} %s\n", p, promFloat(s.stats.secs[p]))
		fmt.Fprintf(&b, "hashlab_http_request_duration_seconds_count{route=%q} %d\n", p, s.stats.n[p])
	}
	s.stats.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

func promFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
