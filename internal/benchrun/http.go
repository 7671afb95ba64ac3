package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// GET /api/v1/hashprice from `hashlab serve` against a hello-world
// net/http server (built here from the source below), each its own
// process, under the same load generator: 50 keep-alive connections over
// loopback, a fixed number of requests per round.
func init() {
	register("http", benchHTTP)
}

const helloSrc = `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/api/v1/hashprice", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{\"hello\":\"world\"}\n"))
	})
	if err := http.ListenAndServe(os.Args[1], nil); err != nil {
		panic(err)
	}
}
`

const (
	httpConns = 50
	// Each round alternates httpBursts bursts of httpRequests requests on
	// each side, so that a change in the machine's load between bursts
	// moves both sides alike; the best burst of each side is kept.
	httpRequests = 5000
	httpBursts   = 4
)

func benchHTTP(ctx context.Context, e *env) ([]row, error) {
	dir := filepath.Join(e.tmp, "hello")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(helloSrc), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.22\n"), 0o644); err != nil {
		return nil, err
	}
	hello := filepath.Join(e.tmp, "hello-server")
	b := exec.CommandContext(ctx, "go", "build", "-o", hello, ".")
	b.Dir, b.Stderr = dir, os.Stderr
	if err := b.Run(); err != nil {
		return nil, fmt.Errorf("building the hello-world server: %w", err)
	}
	ourAddr, helloAddr := freeAddr(), freeAddr()
	stopOurs, err := startServer(ctx, ourAddr, e.hashlab, "serve", "--addr", ourAddr)
	if err != nil {
		return nil, err
	}
	defer stopOurs()
	stopHello, err := startServer(ctx, helloAddr, hello, helloAddr)
	if err != nil {
		return nil, err
	}
	defer stopHello()

	var ours, base []load
	for i := 0; i < e.rounds*httpBursts; i++ {
		a, err := runLoad(ctx, "http://"+ourAddr+"/api/v1/hashprice")
		if err != nil {
			return nil, err
		}
		b, err := runLoad(ctx, "http://"+helloAddr+"/api/v1/hashprice")
		if err != nil {
			return nil, err
		}
		ours, base = append(ours, a), append(base, b)
	}
	// Best round of each side: the highest throughput and the lowest p99.
	bestRPS := func(ls []load) (v float64) {
		for _, l := range ls {
			v = max(v, l.rps)
		}
		return v
	}
	bestP99 := func(ls []load) time.Duration {
		v := ls[0].p99
		for _, l := range ls {
			v = min(v, l.p99)
		}
		return v
	}
	or, br := bestRPS(ours), bestRPS(base)
	op, bp := bestP99(ours), bestP99(base)
	return []row{
		{work: fmt.Sprintf("GET /api/v1/hashprice, %d connections (requests/s)", httpConns), hashlab: fmt.Sprintf("%.0f/s", or),
			baseline: fmt.Sprintf("hello-world net/http: %.0f/s", br), ratio: or / br, goal: ">= 0.8×", met: or/br >= 0.8},
		{work: "GET /api/v1/hashprice (p99 latency)", hashlab: fmtDur(op), baseline: "hello-world net/http: " + fmtDur(bp),
			ratio: float64(op) / float64(bp), goal: "<= 1.5×", met: float64(op)/float64(bp) <= 1.5},
	}, nil
}

type load struct {
	rps float64
	p99 time.Duration
}

// runLoad sends httpRequests GETs over httpConns keep-alive connections
// and returns the throughput and the 99th-percentile latency. Every
// answer must be a 200.
func runLoad(ctx context.Context, url string) (load, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: httpConns, MaxConnsPerHost: httpConns}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	lat := make([]time.Duration, httpRequests)
	var next int64 = -1
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := 0; c < httpConns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				next++
				i := next
				mu.Unlock()
				if i >= httpRequests || ctx.Err() != nil {
					return
				}
				s := time.Now()
				res, err := client.Get(url)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != 200 {
						err = fmt.Errorf("%s: %s", url, res.Status)
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				lat[i] = time.Since(s)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return load{}, firstErr
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return load{rps: float64(httpRequests) / elapsed.Seconds(), p99: lat[httpRequests*99/100]}, nil
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer starts a server process and waits until addr accepts
// connections.
func startServer(ctx context.Context, addr, name string, args ...string) (func(), error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	for i := 0; i < 200; i++ {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return stop, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	stop()
	return nil, fmt.Errorf("%s did not listen on %s", name, addr)
}
