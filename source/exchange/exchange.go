package exchange

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source"
)

// Config configures one exchange. The zero value asks the exchange's
// public API.
type Config struct {
	// BaseURL replaces the exchange's API root (tests, proxies); "" is
	// the public one.
	BaseURL string
	// HTTP is the client used; nil means one with source.DefaultTimeout.
	HTTP *http.Client
	// Now is the clock, used only for the candle ranges and to leave the
	// current, incomplete UTC day out of DailyCloses; nil means time.Now.
	Now func() time.Time
}

// Exchange is one exchange's BTC/USD market data. It implements
// netstate.PriceSource and source.DailyCloser.
type Exchange struct {
	spec *spec
	base string
	now  func() time.Time
	c    source.Client
}

var (
	_ netstate.PriceSource = (*Exchange)(nil)
	_ source.DailyCloser   = (*Exchange)(nil)
)

// candle is one daily candle: its UTC day and close in USD, and the URL
// that gave it (for errors).
type candle struct {
	day   string
	close float64
	url   string
}

// spec is what differs between exchanges: the API root, the pair and how
// to read the ticker and the daily candles.
type spec struct {
	name string
	base string
	pair string
	// ticker returns the last trade price and its time.
	ticker func(ctx context.Context, x *Exchange) (usd float64, at time.Time, url string, err error)
	// daily returns the daily candles from since through now, in any
	// order.
	daily func(ctx context.Context, x *Exchange, since, now time.Time) ([]candle, error)
}

var specs = map[string]*spec{}

func addSpec(s *spec) { specs[s.name] = s }

// Names returns the supported exchanges' names, sorted.
func Names() []string {
	out := make([]string, 0, len(specs))
	for n := range specs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DefaultNames are the exchanges the index asks by default: three, so the
// median is one exchange's answer when all answer.
var DefaultNames = []string{"bitstamp", "coinbase", "kraken"}

// New returns the named exchange ("coinbase", "kraken", "bitstamp",
// "gemini"). An unknown name or a bad base URL is a *hashlab.InputError
// naming "exchanges" or "exchange_url".
func New(name string, cfg Config) (*Exchange, error) {
	sp, ok := specs[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, hashlab.Invalid("exchanges", name, strings.Join(Names(), ", "))
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = sp.base
	}
	base, err := source.ParseBaseURL(raw)
	if err != nil {
		return nil, hashlab.Invalidf("exchange_url", source.Redact(raw), "an http or https API root such as "+sp.base, err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Exchange{spec: sp, base: base, now: now, c: source.Client{Source: sp.name, HTTP: cfg.HTTP}}, nil
}

// NewAll returns the named exchanges, in the order given; duplicates are
// an input error.
func NewAll(names []string, cfg Config) ([]*Exchange, error) {
	out := make([]*Exchange, 0, len(names))
	var seen []string
	for _, n := range names {
		x, err := New(n, cfg)
		if err != nil {
			return nil, err
		}
		if slices.Contains(seen, x.Name()) {
			return nil, hashlab.Invalid("exchanges", strings.Join(names, ","), "each exchange once")
		}
		seen = append(seen, x.Name())
		out = append(out, x)
	}
	return out, nil
}

// Name returns the exchange's name, as Quote.Exchange and Provenance.Source.
func (x *Exchange) Name() string { return x.spec.name }

// Pair is the market asked, in the exchange's own spelling.
func (x *Exchange) Pair() string { return x.spec.pair }

// Price returns the ticker's last trade price in USD, with the ticker's
// timestamp (Kraken: the answer's HTTP Date) as as_of and one Quote. A
// price of 0 or less, or a missing time, is a *source.Error of kind
// ErrImplausible or ErrMalformed.
func (x *Exchange) Price(ctx context.Context) (*netstate.Price, error) {
	usd, at, u, err := x.spec.ticker(ctx, x)
	if err != nil {
		return nil, err
	}
	if err := x.c.CheckUSD(u, "last trade price", usd); err != nil {
		return nil, err
	}
	if at.IsZero() || at.Unix() <= 0 {
		return nil, x.c.Fail(u, source.ErrMalformed, "no time for the price")
	}
	at = at.UTC()
	return &netstate.Price{
		USD:        usd,
		Quotes:     []netstate.Quote{{Exchange: x.Name(), Pair: x.Pair(), USD: usd, Time: at}},
		Provenance: netstate.Provenance{Source: x.Name(), Detail: source.Redact(x.base), AsOf: at},
	}, nil
}

// DailyCloses returns one close per UTC day from since's day through
// yesterday, oldest first, from the exchange's daily candles (the
// candle's close is the last trade of that UTC day). Days without a
// candle are absent; a close of 0 or less is an ErrImplausible error
// naming the day.
func (x *Exchange) DailyCloses(ctx context.Context, since time.Time) ([]source.DailyClose, error) {
	now := x.now().UTC()
	from, today := source.Day(since), source.Day(now)
	if from >= today {
		return nil, nil
	}
	start, _ := time.Parse(time.DateOnly, from)
	cs, err := x.spec.daily(ctx, x, start, now)
	if err != nil {
		return nil, err
	}
	byDay := map[string]float64{}
	for _, c := range cs {
		if c.day < from || c.day >= today {
			continue
		}
		if err := x.c.CheckUSD(c.url, "close of "+c.day, c.close); err != nil {
			return nil, err
		}
		byDay[c.day] = c.close
	}
	out := make([]source.DailyClose, 0, len(byDay))
	for d, v := range byDay {
		out = append(out, source.DailyClose{Day: d, USD: v, Source: x.Name()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}

// parseUSD parses a price the exchange sends as a string.
func (x *Exchange) parseUSD(u, field, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, x.c.Fail(u, source.ErrMalformed, "%s %q is not a number", field, clip(s))
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func unixDay(sec int64) string { return source.Day(time.Unix(sec, 0)) }
