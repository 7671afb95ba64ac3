package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeMustShow: `hashlab serve` with no flags but a free port answers
// /api/v1/hashprice with the same numbers as `hashlab hashprice --json`,
// and /metrics carries hashlab_hashprice_usd_per_ph_day; cancelling the
// context shuts it down cleanly.
func TestServeMustShow(t *testing.T) {
	base, stop := startServe(t, "--addr", "127.0.0.1:0")
	get := func(path string) []byte { return httpGet200(t, base+path) }
	var api, cli map[string]any
	if err := json.Unmarshal(get("/api/v1/hashprice"), &api); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := fndRun(t, "hashprice", "--json")
	if code != 0 {
		t.Fatal(errOut)
	}
	if err := json.Unmarshal([]byte(out), &cli); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"usd_per_ph_day", "btc_per_ph_day", "network_hashrate_hs", "difficulty", "height", "price_usd", "bits", "as_of", "breakeven_usd_per_kwh_at_jth"} {
		a, _ := json.Marshal(api[k])
		c, _ := json.Marshal(cli[k])
		if string(a) != string(c) {
			t.Errorf("%s: API %s, CLI %s", k, a, c)
		}
	}
	if m := get("/metrics"); !regexp.MustCompile(`(?m)^hashlab_hashprice_usd_per_ph_day 40\.1\d*$`).Match(m) {
		t.Errorf("metrics:\n%s", m)
	}
	stop()
}

// startServe runs `hashlab serve args...` in-process until stop, which
// cancels it and checks that it exits 0. It returns the base URL the
// server printed.
func startServe(t *testing.T, args ...string) (base string, stop func()) {
	t.Helper()
	var stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	env := &Env{Stdout: io.Discard, Stderr: &stderr, Stdin: strings.NewReader(""), Now: time.Now, Getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, append([]string{"serve"}, args...)) }()
	re := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return base, func() {
		t.Helper()
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("exit %d: %s", code, stderr.String())
			}
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
}

// httpGet200 fetches url and fails the test unless it answers 200.
func httpGet200(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("%s: %d %s", url, res.StatusCode, b)
	}
	return b
}

func TestServeRefusesPublicAddressWithoutToken(t *testing.T) {
	code, _, stderr := fndRun(t, "serve", "--addr", "0.0.0.0:0")
	if code != 2 || !strings.Contains(stderr, "token") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, _, stderr = fndRun(t, "serve", "extra")
	if code != 2 {
		t.Errorf("positional argument: exit %d: %s", code, stderr)
	}
}

// TestServeJSON: with --json, serve prints the address it listens on as
// one JSON line on stdout (so a script can use --addr 127.0.0.1:0), and
// that address answers.
func TestServeJSON(t *testing.T) {
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	env := &Env{Stdout: &stdout, Stderr: &stderr, Stdin: strings.NewReader(""), Now: time.Now, Getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, []string{"serve", "--addr", "127.0.0.1:0", "--json"}) }()
	var line struct{ URL, API string }
	for deadline := time.Now().Add(10 * time.Second); line.URL == ""; time.Sleep(10 * time.Millisecond) {
		if out := stdout.String(); strings.HasSuffix(out, "\n") {
			if err := json.Unmarshal([]byte(out), &line); err != nil || !strings.HasPrefix(line.URL, "http://127.0.0.1:") {
				cancel()
				t.Fatalf("stdout %q: %v", out, err)
			}
		} else if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no JSON line; stderr %s", stderr.String())
		}
	}
	httpGet200(t, line.URL+line.API+"hashprice")
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, stderr.String())
	}
}

// TestServeToken: a token of at least 16 characters is accepted; a
// shorter one, from --token or HASHLAB_TOKEN, is refused without echoing
// it (issue 15, item 4).
func TestServeToken(t *testing.T) {
	_, stop := startServe(t, "--addr", "127.0.0.1:0", "--token", "0123456789abcdef")
	stop()
	code, out, stderr := fndRun(t, "serve", "--addr", "127.0.0.1:0", "--token", "abc")
	if code != 2 || out != "" || !strings.Contains(stderr, "--token = 3 characters (allowed: at least 16 characters") || strings.Contains(stderr, "abc") {
		t.Errorf("--token abc: exit %d, stderr %q", code, stderr)
	}
	var errb strings.Builder
	env := &Env{Stdout: io.Discard, Stderr: &errb, Now: time.Now, Getenv: func(k string) string {
		if k == "HASHLAB_TOKEN" {
			return "secret-but-short"[:10]
		}
		return ""
	}}
	if code := run(context.Background(), env, []string{"serve", "--addr", "127.0.0.1:0"}); code != 2 || !strings.Contains(errb.String(), "HASHLAB_TOKEN = 10 characters") || strings.Contains(errb.String(), "secret") {
		t.Errorf("HASHLAB_TOKEN: exit %d, stderr %q", code, errb.String())
	}
}
