package exchange

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab/source"
)

const day = 24 * time.Hour

func init() {
	addSpec(&spec{name: "coinbase", base: "https://api.exchange.coinbase.com", pair: "BTC-USD", ticker: coinbaseTicker, daily: coinbaseDaily})
	addSpec(&spec{name: "kraken", base: "https://api.kraken.com", pair: "XBT/USD", ticker: krakenTicker, daily: krakenDaily})
	addSpec(&spec{name: "bitstamp", base: "https://www.bitstamp.net", pair: "btcusd", ticker: bitstampTicker, daily: bitstampDaily})
	addSpec(&spec{name: "gemini", base: "https://api.gemini.com", pair: "btcusd", ticker: geminiTicker, daily: geminiDaily})
}

// Coinbase Exchange: GET /products/BTC-USD/ticker answers
// {"price": "string", "time": "RFC 3339", ...}.
func coinbaseTicker(ctx context.Context, x *Exchange) (float64, time.Time, string, error) {
	u := x.base + "/products/BTC-USD/ticker"
	var t struct {
		Price *string `json:"price"`
		Time  *string `json:"time"`
	}
	if _, err := x.c.GetJSON(ctx, u, &t); err != nil {
		return 0, time.Time{}, u, err
	}
	if t.Price == nil || t.Time == nil {
		return 0, time.Time{}, u, x.c.Fail(u, source.ErrMalformed, "no price or time field")
	}
	usd, err := x.parseUSD(u, "price", *t.Price)
	if err != nil {
		return 0, time.Time{}, u, err
	}
	at, err := time.Parse(time.RFC3339Nano, *t.Time)
	if err != nil {
		return 0, time.Time{}, u, x.c.Fail(u, source.ErrMalformed, "time %q is not RFC 3339", clip(*t.Time))
	}
	return usd, at, u, nil
}

// Coinbase Exchange: GET /products/BTC-USD/candles?granularity=86400
// &start&end answers [[time, low, high, open, close, volume], ...], at
// most 300 candles per request, so the range is asked in 300-day pages.
func coinbaseDaily(ctx context.Context, x *Exchange, since, now time.Time) ([]candle, error) {
	var out []candle
	for start := since; start.Before(now); start = start.Add(300 * day) {
		end := start.Add(299 * day)
		if end.After(now) {
			end = now
		}
		q := url.Values{"granularity": {"86400"}, "start": {start.Format(time.RFC3339)}, "end": {end.Format(time.RFC3339)}}
		u := x.base + "/products/BTC-USD/candles?" + q.Encode()
		var rows [][]float64
		if _, err := x.c.GetJSON(ctx, u, &rows); err != nil {
			return nil, err
		}
		for i, r := range rows {
			if len(r) < 5 {
				return nil, x.c.Fail(u, source.ErrMalformed, "candle %d has %d fields (want time, low, high, open, close, volume)", i, len(r))
			}
			out = append(out, candle{day: unixDay(int64(r[0])), close: r[4], url: u})
		}
	}
	return out, nil
}

// krakenAnswer is Kraken's envelope: {"error": [...], "result": {...}}.
type krakenAnswer struct {
	Error  []string                   `json:"error"`
	Result map[string]json.RawMessage `json:"result"`
}

func (x *Exchange) krakenGet(ctx context.Context, u string) (*krakenAnswer, *source.Answer, error) {
	var k krakenAnswer
	a, err := x.c.GetJSON(ctx, u, &k)
	if err != nil {
		return nil, nil, err
	}
	if len(k.Error) > 0 {
		msg := strings.Join(k.Error, "; ")
		kind := source.ErrStatus
		switch {
		case strings.Contains(msg, "Too many requests") || strings.Contains(msg, "Rate limit"):
			kind = source.ErrRateLimited
		case strings.HasPrefix(msg, "EService"):
			kind = source.ErrServer
		}
		return nil, nil, x.c.Fail(u, kind, "Kraken error %q", clip(msg))
	}
	if k.Result == nil {
		return nil, nil, x.c.Fail(u, source.ErrMalformed, "no result")
	}
	return &k, a, nil
}

// pairResult returns the one pair entry of a Kraken result ("XXBTZUSD"),
// ignoring "last".
func (x *Exchange) krakenPair(u string, k *krakenAnswer) (json.RawMessage, error) {
	var found json.RawMessage
	n := 0
	for key, v := range k.Result {
		if key == "last" {
			continue
		}
		found = v
		n++
	}
	if n != 1 {
		return nil, x.c.Fail(u, source.ErrMalformed, "result has %d pairs, want 1", n)
	}
	return found, nil
}

// Kraken: GET /0/public/Ticker?pair=XBTUSD answers {"error": [],
// "result": {"XXBTZUSD": {"c": ["price", "lot volume"], ...}}}. The
// ticker has no timestamp; the answer's HTTP Date (RFC 7231) is used.
func krakenTicker(ctx context.Context, x *Exchange) (float64, time.Time, string, error) {
	u := x.base + "/0/public/Ticker?pair=XBTUSD"
	k, a, err := x.krakenGet(ctx, u)
	if err != nil {
		return 0, time.Time{}, u, err
	}
	raw, err := x.krakenPair(u, k)
	if err != nil {
		return 0, time.Time{}, u, err
	}
	var t struct {
		C []string `json:"c"`
	}
	if err := json.Unmarshal(raw, &t); err != nil || len(t.C) == 0 {
		return 0, time.Time{}, u, x.c.Fail(u, source.ErrMalformed, "no last trade c[0]")
	}
	usd, err := x.parseUSD(u, "last trade c[0]", t.C[0])
	if err != nil {
		return 0, time.Time{}, u, err
	}
	at, ok := a.Date()
	if !ok {
		return 0, time.Time{}, u, x.c.Fail(u, source.ErrMalformed, "no HTTP Date header to time the ticker (Kraken's ticker has no timestamp)")
	}
	return usd, at, u, nil
}

// Kraken: GET /0/public/OHLC?pair=XBTUSD&interval=1440&since=UNIX answers
// {"error": [], "result": {"XXBTZUSD": [[time, "open", "high", "low",
// "close", "vwap", "volume", count], ...], "last": time}}; Kraken keeps
// only the last 720 candles, whatever since says.
func krakenDaily(ctx context.Context, x *Exchange, since, now time.Time) ([]candle, error) {
	u := x.base + "/0/public/OHLC?" + url.Values{"pair": {"XBTUSD"}, "interval": {"1440"}, "since": {strconv.FormatInt(since.Unix()-1, 10)}}.Encode()
	k, _, err := x.krakenGet(ctx, u)
	if err != nil {
		return nil, err
	}
	raw, err := x.krakenPair(u, k)
	if err != nil {
		return nil, err
	}
	var rows [][]json.RawMessage
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, x.c.Fail(u, source.ErrMalformed, "OHLC rows are not arrays")
	}
	out := make([]candle, 0, len(rows))
	for i, r := range rows {
		var ts int64
		var cl string
		if len(r) < 5 || json.Unmarshal(r[0], &ts) != nil || json.Unmarshal(r[4], &cl) != nil {
			return nil, x.c.Fail(u, source.ErrMalformed, "OHLC row %d is not [time, open, high, low, close, ...]", i)
		}
		v, err := x.parseUSD(u, "close", cl)
		if err != nil {
			return nil, err
		}
		out = append(out, candle{day: unixDay(ts), close: v, url: u})
	}
	return out, nil
}

// Bitstamp: GET /api/v2/ticker/btcusd/ answers {"last": "string",
// "timestamp": "unix seconds", ...}.
func bitstampTicker(ctx context.Context, x *Exchange) (float64, time.Time, string, error) {
	u := x.base + "/api/v2/ticker/btcusd/"
	var t struct {
		Last      *string `json:"last"`
		Timestamp *string `json:"timestamp"`
	}
	if _, err := x.c.GetJSON(ctx, u, &t); err != nil {
		return 0, time.Time{}, u, err
	}
	if t.Last == nil || t.Timestamp == nil {
		return 0, time.Time{}, u, x.c.Fail(u, source.ErrMalformed, "no last or timestamp field")
	}
	usd, err := x.parseUSD(u, "last", *t.Last)
	if err != nil {
		return 0, time.Time{}, u, err
	}
	sec, err := strconv.ParseInt(*t.Timestamp, 10, 64)
	if err != nil {
		return 0, time.Time{}, u, x.c.Fail(u, source.ErrMalformed, "timestamp %q is not Unix seconds", clip(*t.Timestamp))
	}
	return usd, time.Unix(sec, 0), u, nil
}

// Bitstamp: GET /api/v2/ohlc/btcusd/?step=86400&limit=1000&start=UNIX
// answers {"data": {"pair": "BTC/USD", "ohlc": [{"timestamp": "unix",
// "close": "string", ...}]}}, at most 1000 candles per request.
func bitstampDaily(ctx context.Context, x *Exchange, since, now time.Time) ([]candle, error) {
	var out []candle
	for start := since; start.Before(now); start = start.Add(1000 * day) {
		q := url.Values{"step": {"86400"}, "limit": {"1000"}, "start": {strconv.FormatInt(start.Unix(), 10)}}
		u := x.base + "/api/v2/ohlc/btcusd/?" + q.Encode()
		var a struct {
			Data *struct {
				OHLC []struct {
					Timestamp string `json:"timestamp"`
					Close     string `json:"close"`
				} `json:"ohlc"`
			} `json:"data"`
		}
		if _, err := x.c.GetJSON(ctx, u, &a); err != nil {
			return nil, err
		}
		if a.Data == nil {
			return nil, x.c.Fail(u, source.ErrMalformed, "no data.ohlc")
		}
		for _, r := range a.Data.OHLC {
			sec, err := strconv.ParseInt(r.Timestamp, 10, 64)
			if err != nil {
				return nil, x.c.Fail(u, source.ErrMalformed, "timestamp %q is not Unix seconds", clip(r.Timestamp))
			}
			v, err := x.parseUSD(u, "close", r.Close)
			if err != nil {
				return nil, err
			}
			out = append(out, candle{day: unixDay(sec), close: v, url: u})
		}
	}
	return out, nil
}

// Gemini: GET /v1/pubticker/btcusd answers {"bid", "ask", "last":
// "string", "volume": {"BTC", "USD", "timestamp": ms}}.
func geminiTicker(ctx context.Context, x *Exchange) (float64, time.Time, string, error) {
	u := x.base + "/v1/pubticker/btcusd"
	var t struct {
		Last   *string `json:"last"`
		Volume *struct {
			Timestamp *int64 `json:"timestamp"`
		} `json:"volume"`
	}
	if _, err := x.c.GetJSON(ctx, u, &t); err != nil {
		return 0, time.Time{}, u, err
	}
	if t.Last == nil || t.Volume == nil || t.Volume.Timestamp == nil {
		return 0, time.Time{}, u, x.c.Fail(u, source.ErrMalformed, "no last or volume.timestamp field")
	}
	usd, err := x.parseUSD(u, "last", *t.Last)
	if err != nil {
		return 0, time.Time{}, u, err
	}
	return usd, time.UnixMilli(*t.Volume.Timestamp), u, nil
}

// Gemini: GET /v2/candles/btcusd/1day answers [[time ms, open, high, low,
// close, volume], ...], newest first, as far back as Gemini keeps.
func geminiDaily(ctx context.Context, x *Exchange, since, now time.Time) ([]candle, error) {
	u := x.base + "/v2/candles/btcusd/1day"
	var rows [][]float64
	if _, err := x.c.GetJSON(ctx, u, &rows); err != nil {
		return nil, err
	}
	out := make([]candle, 0, len(rows))
	for i, r := range rows {
		if len(r) < 5 {
			return nil, x.c.Fail(u, source.ErrMalformed, "candle %d has %d fields (want time, open, high, low, close, volume)", i, len(r))
		}
		out = append(out, candle{day: source.Day(time.UnixMilli(int64(r[0]))), close: r[4], url: u})
	}
	return out, nil
}
