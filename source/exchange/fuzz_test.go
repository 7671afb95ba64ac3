package exchange

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashlab/hashlab/internal/webreplay"
)

// bodyRT answers every request with one body (no server, for fuzzing).
type bodyRT []byte

func (b bodyRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(b)),
		Header: http.Header{"Date": {webreplay.ExchangeDate}}, Request: r}, nil
}

// Whatever an exchange answers, Price returns an error or a finite price
// above 0 with a time; DailyCloses returns an error or closes above 0.
func FuzzAnswers(f *testing.F) {
	for _, p := range []string{"coinbase/products/BTC-USD/ticker", "kraken/0/public/Ticker", "bitstamp/api/v2/ticker/btcusd", "gemini/v1/pubticker/btcusd",
		"coinbase/products/BTC-USD/candles", "kraken/0/public/OHLC", "bitstamp/api/v2/ohlc/btcusd", "gemini/v2/candles/btcusd/1day"} {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"price":"-0","time":"2026-04-22T21:59:58Z"}`))
	f.Add([]byte(`{"last":"1e400","timestamp":"1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, n := range Names() {
			x, err := New(n, Config{HTTP: &http.Client{Transport: bodyRT(body)}, Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatal(err)
			}
			if p, err := x.Price(context.Background()); err == nil {
				if !(p.USD > 0) || math.IsInf(p.USD, 0) || p.AsOf.IsZero() || len(p.Quotes) != 1 {
					t.Errorf("%s: price %+v from %q", n, p, body)
				}
			}
			cs, err := x.DailyCloses(context.Background(), testNow.Add(-10*24*time.Hour))
			if err == nil {
				for _, c := range cs {
					if !(c.USD > 0) || math.IsInf(c.USD, 0) {
						t.Errorf("%s: close %+v from %q", n, c, body)
					}
				}
			}
		}
	})
}
