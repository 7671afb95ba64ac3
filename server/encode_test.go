package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/snapshot"
)

// changingSource is the snapshot's state with a price the test changes,
// as a `serve --source` refresh would.
type changingSource struct {
	mu    sync.Mutex
	price float64
}

func (c *changingSource) Name() string { return "snapshot" }
func (c *changingSource) State(ctx context.Context) (*netstate.State, error) {
	st, err := snapshot.NewSource().State(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.price > 0 {
		st.Price.USD = c.price
	}
	return st, nil
}

func (c *changingSource) set(p float64) { c.mu.Lock(); c.price = p; c.mu.Unlock() }

// GET /api/v1/hashprice answers from bytes encoded once per state and
// second of age: they are exactly the service's answer (compact, or
// indented with ?pretty), and a new state or a new second gives a new
// answer.
func TestHashpriceEncodedOncePerState(t *testing.T) {
	var mu sync.Mutex
	now := issueDay
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	src := &changingSource{}
	_, ts := newTest(t, Config{Now: clock, State: src})
	want := func() (compact, pretty string) {
		hp, err := service.New(src, clock).Hashprice(context.Background(), service.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		c, _ := json.Marshal(hp)
		p, _ := json.MarshalIndent(hp, "", "  ")
		return string(c) + "\n", string(p) + "\n"
	}
	check := func(what string) {
		t.Helper()
		wc, wp := want()
		for range 3 { // the first encodes, the others are served the bytes
			r := do(t, "GET", ts.URL+"/api/v1/hashprice", "")
			if r.status != 200 || string(r.body) != wc {
				t.Fatalf("%s: %d\n%s\nwant\n%s", what, r.status, r.body, wc)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("%s: Content-Type %q", what, ct)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("%s: Cache-Control %q", what, cc)
			}
			for _, q := range []string{"pretty", "pretty=1", "pretty="} {
				if p := do(t, "GET", ts.URL+"/api/v1/hashprice?"+q, ""); p.status != 200 || string(p.body) != wp {
					t.Fatalf("%s: ?%s: %d\n%s\nwant\n%s", what, q, p.status, p.body, wp)
				}
			}
		}
	}
	check("snapshot state")
	src.set(50000)
	check("after the state's price changed")
	if m := do(t, "GET", ts.URL+"/api/v1/hashprice", "").json(t); m["btc_price_usd"] != nil && m["btc_price_usd"] != 50000.0 {
		t.Fatalf("price %v", m["btc_price_usd"])
	}
	mu.Lock()
	now = now.Add(1500 * time.Millisecond)
	mu.Unlock()
	check("1.5 s later")
	mu.Lock()
	now = now.Add(24 * time.Hour)
	mu.Unlock()
	check("a day later")

	// The encoded answer is the general path's answer for the same state.
	fast := do(t, "GET", ts.URL+"/api/v1/hashprice", "")
	general := do(t, "GET", ts.URL+"/api/v1/hashprice?difficulty_method=in-force", "")
	if fast.status != 200 || string(fast.body) != string(general.body) {
		t.Fatalf("encoded answer differs from the general path's:\n%s\n%s", fast.body, general.body)
	}

	// Overrides and bad parameters take the general path.
	r := do(t, "GET", ts.URL+"/api/v1/hashprice?price=1000&pretty", "")
	if r.status != 200 || !strings.Contains(string(r.body), "\n  \"") || !strings.Contains(string(r.body), "\"price\"") {
		t.Fatalf("override: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", ts.URL+"/api/v1/hashprice?bogus=1", ""); r.status != 400 || !strings.Contains(string(r.body), "bogus") {
		t.Fatalf("bad parameter: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", ts.URL+"/api/v1/hashprice?pretty&pretty", ""); r.status != 200 {
		t.Fatalf("?pretty&pretty: %d %s", r.status, r.body)
	}
}

// A request served from the encoded bytes allocates a handful of small
// values (the request's timeout context, the state's copy), not the
// encoding: far fewer than encoding the answer.
func TestHashpriceCachedAllocations(t *testing.T) {
	s, _ := newTest(t, Config{Now: func() time.Time { return issueDay }})
	h := s.hashpriceHandler()
	req := httptest.NewRequest("GET", "/api/v1/hashprice", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatal(w.Code, w.Body)
	}
	a := testing.AllocsPerRun(200, func() {
		w.Body.Reset()
		h.ServeHTTP(w, req)
	})
	hp, _ := s.svc.Hashprice(context.Background(), service.Overrides{})
	enc := testing.AllocsPerRun(20, func() { encodeJSON(hp, false) })
	if a > 12 || a >= enc {
		t.Fatalf("a cached answer allocates %v times (encoding it: %v)", a, enc)
	}
	_ = http.StatusOK
}

// slowSource blocks until its context ends, as an unreachable node would.
type slowSource struct{}

func (slowSource) Name() string { return "node" }
func (slowSource) State(ctx context.Context) (*netstate.State, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// The request timeout still bounds a source that waits, though the
// hashprice handler makes its timer only when the source asks for it; a
// source answering from memory never does.
func TestHashpriceLazyTimeout(t *testing.T) {
	_, ts := newTest(t, Config{State: slowSource{}, RequestTimeout: 50 * time.Millisecond})
	done := make(chan resp, 1)
	go func() { done <- do(t, "GET", ts.URL+"/api/v1/hashprice", "") }()
	select {
	case r := <-done:
		if r.status < 500 {
			t.Fatalf("a source that never answers: %d %s", r.status, r.body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the request timeout did not end the wait for the source")
	}

	req := httptest.NewRequest("GET", "/api/v1/hashprice", nil)
	c := &lazyTimeout{Context: req.Context(), timeout: time.Hour}
	if c.ctx != nil {
		t.Fatal("made before use")
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("deadline %v %v", d, ok)
	}
	if c.Err() != nil {
		t.Fatal(c.Err())
	}
	c.release()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("after release: %v", c.Err())
	}
	// Released unused: the request's own context.
	u := &lazyTimeout{Context: req.Context(), timeout: time.Nanosecond}
	u.release()
	if u.Err() != nil || u.Done() != req.Context().Done() {
		t.Fatal("a released, unused timeout is not the request's context")
	}
}
