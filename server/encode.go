package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/service"
)

// JSON responses are compact; a request with the parameter pretty
// (?pretty, ?pretty=1) gets them indented by two spaces. Every body ends
// with a newline.

// encodeJSON encodes v compact, or indented when pretty.
func encodeJSON(v any, pretty bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// The headers of every JSON response, allocated once: a handler assigns
// these slices to the header map (net/http only reads them; Set and Add
// replace or copy, never write into them).
var (
	hdrContentTypeJSON = []string{"application/json; charset=utf-8"}
	hdrNoStore         = []string{"no-store"}
)

// writeBody writes an encoded JSON body with the JSON headers.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = hdrContentTypeJSON
	h["Cache-Control"] = hdrNoStore
	w.WriteHeader(status)
	w.Write(body)
}

// wantsPretty reports whether the request asks for indented JSON.
func wantsPretty(r *http.Request) bool {
	if r == nil || r.URL.RawQuery == "" {
		return false
	}
	_, ok := r.URL.Query()["pretty"]
	return ok
}

// prettyOnly reads a raw query that carries no parameter but pretty:
// plain is false when it has any other, and pretty says whether pretty
// is given ("pretty", "pretty=", "pretty=1", ...).
func prettyOnly(rawQuery string) (pretty, plain bool) {
	if rawQuery == "" {
		return false, true
	}
	name, _, _ := strings.Cut(rawQuery, "=")
	if name != "pretty" || strings.ContainsAny(rawQuery, "&;") {
		return false, false
	}
	return true, true
}

// ------------------------------------------------ GET /api/v1/hashprice

// The answer of GET /api/v1/hashprice without parameters depends only on
// the network state and on the state's age in whole seconds (Freshness).
// It is encoded once per state (a refresh of `serve --source`, a new
// generation of the --db store: whatever changes the state's values) and
// per second of age, in both spellings, and served from there: a request
// that hits reads the state, compares it and writes the bytes.

// hashpriceEntry is one encoded answer with what it was computed from.
type hashpriceEntry struct {
	key        stateKey
	quotes     []netstate.Quote
	overridden []string
	age        int64
	compact    []byte
	pretty     []byte
}

// stateKey holds the comparable values of a netstate.State (its slices
// are compared apart).
type stateKey struct {
	network   string
	tip       netstate.Tip
	epoch     netstate.Epoch
	fees      netstate.Fees
	hasPrice  bool
	priceUSD  float64
	priceProv netstate.Provenance
	hasWindow bool
	window    netstate.Window
}

func keyOf(st *netstate.State) stateKey {
	k := stateKey{network: st.Network, tip: st.Tip, epoch: st.Epoch, fees: st.Fees}
	if st.Price != nil {
		k.hasPrice, k.priceUSD, k.priceProv = true, st.Price.USD, st.Price.Provenance
	}
	if st.Window != nil {
		k.hasWindow, k.window = true, *st.Window
	}
	return k
}

func (e *hashpriceEntry) matches(st *netstate.State, age int64) bool {
	if e.age != age || e.key != keyOf(st) || !slices.Equal(e.overridden, st.Overridden) {
		return false
	}
	var quotes []netstate.Quote
	if st.Price != nil {
		quotes = st.Price.Quotes
	}
	return slices.Equal(e.quotes, quotes)
}

// lazyTimeout is the request's context with the request timeout, made
// (context.WithTimeout: a clock read and a runtime timer) only when the
// source asks for the deadline, Done or Err: a source that answers from
// memory (the embedded snapshot, a kept state) never does, so a request
// answered from the encoded bytes starts no timer. (Value is the made
// context's too, so context.Cause and the like see the timeout.) The deadline counts
// from that first use. release ends it, as the handler returns.
type lazyTimeout struct {
	context.Context // the request's
	timeout         time.Duration
	once            sync.Once
	ctx             context.Context
	cancel          context.CancelFunc
}

func (c *lazyTimeout) made() context.Context {
	c.once.Do(func() { c.ctx, c.cancel = context.WithTimeout(c.Context, c.timeout) })
	return c.ctx
}

func (c *lazyTimeout) Deadline() (time.Time, bool) { return c.made().Deadline() }
func (c *lazyTimeout) Done() <-chan struct{}       { return c.made().Done() }
func (c *lazyTimeout) Err() error                  { return c.made().Err() }
func (c *lazyTimeout) Value(key any) any           { return c.made().Value(key) }

// release cancels the timeout if it was made; a use after it (a source's
// stray goroutine) sees the request's context.
func (c *lazyTimeout) release() {
	c.once.Do(func() { c.ctx = c.Context })
	if c.cancel != nil {
		c.cancel()
	}
}

// fixedState is a netstate.Source that answers one state.
type fixedState struct {
	name string
	st   *netstate.State
}

func (f fixedState) Name() string { return f.name }
func (f fixedState) State(context.Context) (*netstate.State, error) {
	st := *f.st
	return &st, nil
}

// encodeHashprice computes the answer from st at the instant now, as the
// service computes it for a request, and encodes it both ways.
func (s *Server) encodeHashprice(ctx context.Context, st *netstate.State, now time.Time, age int64) (*hashpriceEntry, error) {
	e := &hashpriceEntry{key: keyOf(st), overridden: slices.Clone(st.Overridden), age: age}
	if st.Price != nil {
		e.quotes = slices.Clone(st.Price.Quotes)
	}
	svc := service.New(fixedState{name: s.svc.Source().Name(), st: st}, func() time.Time { return now })
	hp, err := svc.HashpriceWith(ctx, service.HashpriceQuery{})
	if err != nil {
		return nil, err
	}
	if e.compact, err = encodeJSON(hp, false); err != nil {
		return nil, err
	}
	if e.pretty, err = encodeJSON(hp, true); err != nil {
		return nil, err
	}
	return e, nil
}

// hashpriceHandler serves GET /api/v1/hashprice: from the encoded answer
// when the request has no parameter but pretty and the state and its age
// are those it was encoded for; everything else (overrides, a bad
// parameter, a source that fails) takes the general JSON path.
func (s *Server) hashpriceHandler() http.Handler {
	general := s.jsonHandler(s.apiHashprice)
	var cache atomic.Pointer[hashpriceEntry]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pretty, plain := prettyOnly(r.URL.RawQuery)
		if !plain {
			general.ServeHTTP(w, r)
			return
		}
		ctx := &lazyTimeout{Context: r.Context(), timeout: s.cfg.RequestTimeout}
		defer ctx.release()
		st, err := s.svc.State(ctx)
		if err != nil {
			general.ServeHTTP(w, r)
			return
		}
		now := s.now()
		age := int64(st.Age(now) / time.Second)
		e := cache.Load()
		if e == nil || !e.matches(st, age) {
			if e, err = s.encodeHashprice(ctx, st, now, age); err != nil {
				general.ServeHTTP(w, r)
				return
			}
			cache.Store(e)
		}
		body := e.compact
		if pretty {
			body = e.pretty
		}
		writeBody(w, http.StatusOK, body)
	})
}
