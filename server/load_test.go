package server

import (
	"io"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

// TestLoadHashprice sends a bounded load to /api/v1/hashprice over
// loopback (2,000 requests, 8 at a time, keep-alive) and reports
// throughput and latency quantiles. It asserts correctness only (every
// answer a 200 with a body), never a speed: the figures are logged for
// docs/server.md.
func TestLoadHashprice(t *testing.T) {
	const total, workers = 2000, 8
	_, ts := newTest(t, Config{})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 30 * time.Second}
	lat := make([]time.Duration, total)
	errs := make([]error, total)
	jobs := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t0 := time.Now()
				res, err := client.Get(ts.URL + "/api/v1/hashprice")
				if err == nil {
					var n int64
					n, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && (res.StatusCode != 200 || n < 100) {
						err = &apiError{Message: res.Status}
					}
				}
				lat[i], errs[i] = time.Since(t0), err
			}
		}()
	}
	for i := 0; i < total; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
			if failed < 5 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d requests failed", failed, total)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration { return lat[int(p*float64(total-1))] }
	t.Logf("GET /api/v1/hashprice: %d requests, %d concurrent, 0 errors, %.0f requests/s; latency p50 %v, p90 %v, p99 %v, max %v",
		total, workers, float64(total)/elapsed.Seconds(), q(0.50).Round(time.Microsecond), q(0.90).Round(time.Microsecond), q(0.99).Round(time.Microsecond), lat[total-1].Round(time.Microsecond))
}

// BenchmarkHashpriceHandler measures one request through the whole
// handler stack without the network.
func BenchmarkHashpriceHandler(b *testing.B) {
	s, err := New(Config{Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	req, _ := http.NewRequest("GET", "http://127.0.0.1/api/v1/hashprice", nil)
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		s.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = 200
	}
	return len(b), nil
}
func (w *discardWriter) WriteHeader(c int) { w.code = c }
