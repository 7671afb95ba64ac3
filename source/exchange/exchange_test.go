package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/internal/webreplay"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source"
)

// The replay server answers from testdata/<exchange>/, hand-made answers in
// each exchange's documented shape (see testdata/README.md), with the Date
// header of the moment they stand for. No test uses the network. override
// replaces the answer of one path (no leading or trailing slash).
func replay(t *testing.T, name string, override map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	return webreplay.New(t, filepath.Join("testdata", name), webreplay.Options{Date: webreplay.ExchangeDate, Override: override})
}

var testNow = time.Date(2026, 4, 22, 22, 0, 30, 0, time.UTC)

func newExchange(t *testing.T, name string, srv *httptest.Server) *Exchange {
	t.Helper()
	x, err := New(name, Config{BaseURL: srv.URL, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

var want = map[string]struct {
	usd      float64
	at       time.Time
	pair     string
	c20, c21 float64
}{
	"coinbase": {78420, time.Date(2026, 4, 22, 21, 59, 58, 123456000, time.UTC), "BTC-USD", 77480, 78290.1},
	"kraken":   {78415, time.Date(2026, 4, 22, 21, 59, 59, 0, time.UTC), "XBT/USD", 77485, 78295},
	"bitstamp": {78430, time.Date(2026, 4, 22, 21, 59, 55, 0, time.UTC), "btcusd", 77510, 78300},
	"gemini":   {78411, time.Date(2026, 4, 22, 22, 0, 0, 0, time.UTC), "btcusd", 77470, 78280},
}

func TestPriceAndDailyCloses(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			w := want[name]
			srv := replay(t, name, nil)
			x := newExchange(t, name, srv)
			p, err := x.Price(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			q := netstate.Quote{Exchange: name, Pair: w.pair, USD: w.usd, Time: w.at}
			if p.USD != w.usd || !p.AsOf.Equal(w.at) || p.Source != name || p.Detail != srv.URL || len(p.Quotes) != 1 || p.Quotes[0] != q {
				t.Errorf("price = %+v, want %v at %v", p, w.usd, w.at)
			}
			cs, err := x.DailyCloses(context.Background(), time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			// 2026-04-22 is still running on the test clock: left out.
			wc := []source.DailyClose{{Day: "2026-04-20", USD: w.c20, Source: name}, {Day: "2026-04-21", USD: w.c21, Source: name}}
			if fmt.Sprint(cs) != fmt.Sprint(wc) {
				t.Errorf("closes = %v, want %v", cs, wc)
			}
			cs, err = x.DailyCloses(context.Background(), time.Date(2026, 4, 21, 0, 0, 0, 0, time.UTC))
			if err != nil || len(cs) != 1 || cs[0].Day != "2026-04-21" {
				t.Errorf("since 2026-04-21: %v, %v", cs, err)
			}
		})
	}
}

// All four replay servers in one: /coinbase/..., /kraken/... .
func exchanges(t *testing.T, names []string, override map[string]http.HandlerFunc) []netstate.PriceSource {
	t.Helper()
	var out []netstate.PriceSource
	for _, n := range names {
		ov := map[string]http.HandlerFunc{}
		for k, h := range override {
			if rest, ok := strings.CutPrefix(k, n+"/"); ok {
				ov[rest] = h
			}
		}
		out = append(out, newExchange(t, n, replay(t, n, ov)))
	}
	return out
}

func TestIndexMedian(t *testing.T) {
	ix := NewIndex(time.Second, exchanges(t, DefaultNames, nil)...)
	p, err := ix.Price(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if p.USD != 78420 || len(p.Quotes) != 3 || p.Source != "exchanges" {
		t.Fatalf("price = %+v, want the median 78420 of 3 quotes", p)
	}
	// Oldest answer: bitstamp's 21:59:55.
	if !p.AsOf.Equal(want["bitstamp"].at) {
		t.Errorf("as_of = %v, want the oldest quote's time %v", p.AsOf, want["bitstamp"].at)
	}
	for i, n := range []string{"bitstamp", "coinbase", "kraken"} {
		if q := p.Quotes[i]; q.Exchange != n || q.USD != want[n].usd || !q.Time.Equal(want[n].at) {
			t.Errorf("quote %d = %+v", i, q)
		}
	}
	p, err = NewIndex(time.Second, exchanges(t, Names(), nil)...).Price(context.Background())
	if err != nil || p.USD != 78417.5 || len(p.Quotes) != 4 {
		t.Errorf("four exchanges: %+v, %v; want the mean of the two middle answers, 78417.5", p, err)
	}
}

func TestIndexPartial(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	srcs := exchanges(t, Names(), map[string]http.HandlerFunc{
		"kraken/0/public/Ticker":     hang,
		"gemini/v1/pubticker/btcusd": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", 503) },
	})
	start := time.Now()
	p, err := NewIndex(300*time.Millisecond, srcs...).Price(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("index waited %v for a hanging exchange (deadline 300ms)", el)
	}
	// coinbase 78420 and bitstamp 78430 answered.
	if p.USD != 78425 || len(p.Quotes) != 2 {
		t.Errorf("price = %+v, want the median 78425 of coinbase and bitstamp", p)
	}
	if want := `median of 2 quotes from bitstamp, coinbase; no answer from gemini (server error: HTTP 503 (body "busy")), kraken (timeout: no answer before the deadline)`; p.Detail != want {
		t.Errorf("detail = %q\nwant     %q", p.Detail, want)
	}
	for _, s := range []string{"from bitstamp, coinbase", "kraken (timeout", "gemini (server error: HTTP 503"} {
		if !strings.Contains(p.Detail, s) {
			t.Errorf("detail %q lacks %q", p.Detail, s)
		}
	}
}

func TestIndexNoneAnswered(t *testing.T) {
	srcs := exchanges(t, DefaultNames, map[string]http.HandlerFunc{
		"kraken/0/public/Ticker": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"error":["EGeneral:Too many requests"]}`)
		},
		"bitstamp/api/v2/ticker/btcusd": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "oops", 500) },
		"coinbase/products/BTC-USD/ticker": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"price":"0","time":"2026-04-22T21:59:58Z"}`)
		},
	})
	p, err := NewIndex(time.Second, srcs...).Price(context.Background())
	if err == nil {
		t.Fatalf("price = %+v, want an error", p)
	}
	msg := err.Error()
	for _, s := range []string{"none of 3 price sources answered", "bitstamp: GET ", "HTTP 500", "coinbase: GET ", "last trade price is 0 USD", "kraken: GET ", "Too many requests"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	for _, k := range []error{source.ErrServer, source.ErrImplausible, source.ErrRateLimited} {
		if !errors.Is(err, k) {
			t.Errorf("errors.Is(err, %v) = false", k)
		}
	}
}

// Each fault gives an error naming the exchange, the URL and why.
func TestFaults(t *testing.T) {
	body := func(code int, b string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if code == 429 {
				w.Header().Set("Retry-After", "10")
			}
			w.WriteHeader(code)
			fmt.Fprint(w, b)
		}
	}
	cases := []struct {
		name, exchange, path string
		h                    http.HandlerFunc
		kind                 error
		why                  string
	}{
		{"429", "coinbase", "products/BTC-USD/ticker", body(429, `{"message":"Public rate limit exceeded"}`), source.ErrRateLimited, "HTTP 429, retry after 10s"},
		{"502", "gemini", "v1/pubticker/btcusd", body(502, "Bad Gateway"), source.ErrServer, "HTTP 502"},
		{"malformed JSON", "bitstamp", "api/v2/ticker/btcusd", body(200, `{"last": "78430", "timestamp": `), source.ErrMalformed, "not the documented JSON"},
		{"HTML instead of JSON", "kraken", "0/public/Ticker", body(200, `<html>maintenance</html>`), source.ErrMalformed, `body "<html>maintenance</html>"`},
		{"price not a number", "bitstamp", "api/v2/ticker/btcusd", body(200, `{"last":"n/a","timestamp":"1776895195"}`), source.ErrMalformed, `last "n/a" is not a number`},
		{"price zero", "gemini", "v1/pubticker/btcusd", body(200, `{"last":"0.00","volume":{"timestamp":1776895200000}}`), source.ErrImplausible, "last trade price is 0 USD"},
		{"price negative", "kraken", "0/public/Ticker", body(200, `{"error":[],"result":{"XXBTZUSD":{"c":["-1.0","1"]}}}`), source.ErrImplausible, "last trade price is -1 USD"},
		{"price NaN", "bitstamp", "api/v2/ticker/btcusd", body(200, `{"last":"NaN","timestamp":"1776895195"}`), source.ErrImplausible, "is NaN USD"},
		{"no time", "coinbase", "products/BTC-USD/ticker", body(200, `{"price":"78420.00"}`), source.ErrMalformed, "no price or time field"},
		{"kraken service error", "kraken", "0/public/Ticker", body(200, `{"error":["EService:Unavailable"],"result":{}}`), source.ErrServer, `Kraken error "EService:Unavailable"`},
		{"kraken without Date", "kraken", "0/public/Ticker", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Date"] = nil
			fmt.Fprint(w, `{"error":[],"result":{"XXBTZUSD":{"c":["78415.0","1"]}}}`)
		}, source.ErrMalformed, "no HTTP Date header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := replay(t, c.exchange, map[string]http.HandlerFunc{c.path: c.h})
			_, err := newExchange(t, c.exchange, srv).Price(context.Background())
			checkErr(t, err, c.exchange, srv.URL+"/"+c.path, c.kind, c.why)
		})
	}
}

func TestCloseFaults(t *testing.T) {
	srv := replay(t, "bitstamp", map[string]http.HandlerFunc{"api/v2/ohlc/btcusd": func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":{"pair":"BTC/USD","ohlc":[{"timestamp":"1776729600","close":"0"}]}}`)
	}})
	_, err := newExchange(t, "bitstamp", srv).DailyCloses(context.Background(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	checkErr(t, err, "bitstamp", srv.URL+"/api/v2/ohlc/btcusd/?limit=1000&start=1775001600&step=86400", source.ErrImplausible, "close of 2026-04-21 is 0 USD")
}

func TestTimeout(t *testing.T) {
	srv := replay(t, "coinbase", map[string]http.HandlerFunc{"products/BTC-USD/ticker": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := newExchange(t, "coinbase", srv).Price(ctx)
	checkErr(t, err, "coinbase", srv.URL+"/products/BTC-USD/ticker", source.ErrTimeout, "no answer before the deadline")
}

func TestNewRejects(t *testing.T) {
	if _, err := New("binance", Config{}); !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), "bitstamp, coinbase, gemini, kraken") {
		t.Errorf("unknown exchange: %v", err)
	}
	if _, err := NewAll([]string{"kraken", "Kraken"}, Config{}); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("duplicate exchange: %v", err)
	}
	if _, err := New("kraken", Config{BaseURL: "api.kraken.com"}); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("base URL without scheme: %v", err)
	}
}

func checkErr(t *testing.T, err error, name, url string, kind error, why string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, kind) {
		t.Errorf("err = %v, want kind %v", err, kind)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, name+": GET "+url) || !strings.Contains(msg, why) {
		t.Errorf("err = %q\nwant prefix %q and %q", msg, name+": GET "+url, why)
	}
}
