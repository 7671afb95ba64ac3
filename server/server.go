package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/snapshot"
)

// Defaults of Config's limits.
const (
	DefaultMaxBodyBytes   = 1 << 20 // 1 MiB: a site or fleet file is a few kB
	DefaultRequestTimeout = 30 * time.Second
	DefaultScanTimeout    = 2 * time.Minute
	// MinTokenLength is the shortest token Config accepts (the CLI's
	// serve --token refuses shorter ones too).
	MinTokenLength = 16
	// handlerGrace is how long a timed-out request waits for its handler's
	// own answer before answering the timeout.
	handlerGrace = 100 * time.Millisecond
)

// Config is everything the server needs; cmd/hashlab fills it from flags.
type Config struct {
	// Addr is the address the server listens on. It decides whether the
	// token is mandatory: any address that is not loopback needs one.
	Addr string
	// Token, when set, is required as "Authorization: Bearer TOKEN" on
	// every endpoint that writes or starts heavy work.
	Token string
	// History is the chain-history source; nil uses the embedded snapshot.
	History History
	// State is the source of the network state now that every "now"
	// answer starts from; nil derives it from History's tip (the
	// embedded snapshot when History is nil too).
	State netstate.Source
	// Sim runs simulator scenarios; nil disables the /api/v1/sim routes'
	// work (they answer 404 with a message).
	Sim SimRunner
	// Logger receives one line per request at Debug and errors at Error;
	// nil discards.
	Logger *slog.Logger
	// Now is the clock (job timestamps); nil is time.Now.
	Now func() time.Time
	// MaxBodyBytes limits request bodies; 0 is DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RequestTimeout bounds each API request's handler; 0 is
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// HeavyBudget is the estimated CPU work (units of 1 µs of one core)
	// that heavy routes may have admitted at once: simulator jobs, pivot,
	// fleet, the selfish-mining MDP and chain-store history scans. One
	// request may use at most half of it (400 above). 0 is
	// DefaultHeavyBudget. See budget.go for the cost model.
	HeavyBudget int64
	// MaxQueue bounds the heavy requests waiting for the budget (429
	// with Retry-After beyond); 0 is DefaultMaxQueue.
	MaxQueue int
	// ScanTimeout bounds the requests of the routes that scan a chain
	// store (history, adjustments, pools): on a cold or just-changed
	// store they wait for one merged scan per period, which on a busy
	// machine takes longer than RequestTimeout; repeats are cache hits.
	// 0 is DefaultScanTimeout (never less than RequestTimeout).
	ScanTimeout time.Duration
	// MaxJobs bounds the simulator jobs kept (running and finished); 0 is 16.
	MaxJobs int
}

// Server serves the API, the dashboard and the metrics.
type Server struct {
	cfg    Config
	hist   History
	svc    *service.Service
	log    *slog.Logger
	now    func() time.Time
	mux    *http.ServeMux
	routes []route
	budget *budget
	// flight merges identical heavy computations in flight (selfish).
	flight     flightGroup
	metricsReg *serverMetrics
	jobs       *jobQueue
	handler    http.Handler
	// stopWarm ends a ChainHistory's KeepWarm (startWarm).
	stopWarm func()
}

// route is one registered endpoint.
type route struct {
	Method string
	Path   string
	// Heavy routes write or start heavy work: they need the token when one
	// is configured and run under the heavy-work limit.
	Heavy bool
	// API routes are documented in openapi.json.
	API bool
	h   http.Handler
}

// IsLoopback reports whether addr (host:port) names a loopback interface.
// A bare ":port" or an unspecified address listens on every interface and
// is not loopback.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	// netip parses without allocating (this runs on every request); a
	// zone is refused as net.ParseIP refuses it.
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.Zone() == "" && ip.Unmap().IsLoopback()
}

// New builds a server. It refuses a non-loopback address without a token.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		return nil, errors.New("server: Addr is empty (allowed: host:port, e.g. 127.0.0.1:8080)")
	}
	if n := len(cfg.Token); n > 0 && n < MinTokenLength {
		return nil, hashlab.Invalid("token", fmt.Sprintf("(%d characters)", n), fmt.Sprintf("at least %d characters (e.g. openssl rand -hex 16)", MinTokenLength))
	}
	if !IsLoopback(cfg.Addr) && cfg.Token == "" {
		return nil, fmt.Errorf("server: address %q is not loopback and no token is set (allowed: a loopback address such as 127.0.0.1:8080, or give a token so that heavy endpoints need Authorization: Bearer TOKEN)", cfg.Addr)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.HeavyBudget <= 0 {
		cfg.HeavyBudget = DefaultHeavyBudget
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.ScanTimeout <= 0 {
		cfg.ScanTimeout = max(DefaultScanTimeout, cfg.RequestTimeout)
	}
	if cfg.MaxJobs <= 0 {
		cfg.MaxJobs = 16
	}
	s := &Server{cfg: cfg, hist: cfg.History, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(),
		budget: newBudget(cfg.HeavyBudget, cfg.MaxQueue), metricsReg: newServerMetrics()}
	if s.hist == nil {
		s.hist = NewSnapshotHistory()
	}
	if ch, ok := s.hist.(*ChainHistory); ok {
		ch.admit = s.budget.acquire
	}
	s.hist = newTimedHistory(s.hist, s.metricsReg)
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	state := cfg.State
	switch {
	case state != nil:
	case cfg.History == nil:
		state = snapshot.NewSource()
	default:
		state = historyState{h: s.hist, source: "db"}
	}
	s.svc = service.New(state, s.now)
	// Simulator runs use every core themselves: one runs at a time.
	s.jobs = newJobQueue(cfg.Sim, cfg.MaxJobs, make(chan struct{}, 1), s.now, s.log)
	s.jobs.budget = s.budget
	s.metricsReg.reg.MustRegister(workCollector{b: s.budget, q: s.jobs})
	s.register()
	s.handler = s.middleware(s.mux)
	if ch, ok := cfg.History.(*ChainHistory); ok {
		s.stopWarm = startWarm(ch, s.log)
	}
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Close cancels running simulator jobs and stops precomputing the
// chain history's answers.
func (s *Server) Close() {
	s.jobs.close()
	if s.stopWarm != nil {
		s.stopWarm()
	}
}

// Serve serves on ln until ctx is done, then shuts down gracefully (10 s
// for in-flight requests). The http.Server has read, write and idle
// timeouts.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      max(s.cfg.RequestTimeout, s.cfg.ScanTimeout) + 10*time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handle registers a route. JSON API handlers return a value to encode or
// an error; plain handlers write their own response.
func (s *Server) handle(method, path string, heavy, api bool, h http.Handler) {
	rt := route{Method: method, Path: path, Heavy: heavy, API: api, h: h}
	s.routes = append(s.routes, rt)
	var hh http.Handler = h
	if heavy {
		hh = s.requireToken(hh)
		hh = s.sameSiteOnly(hh)
	}
	pattern := path
	if method != "" {
		pattern = method + " " + path
	}
	s.mux.Handle(pattern, s.metricsReg.route(pattern).instrument(hh))
}

// apiFunc is a JSON endpoint: it returns the value to encode, or an error
// (an *apiError for client errors).
type apiFunc func(r *http.Request) (any, error)

// jsonHandler turns an apiFunc into a handler with a per-request timeout.
func (s *Server) jsonHandler(f apiFunc) http.Handler {
	return s.jsonHandlerTimeout(f, s.cfg.RequestTimeout)
}

// jsonHandlerTimeout is jsonHandler with the given per-request timeout.
func (s *Server) jsonHandlerTimeout(f apiFunc, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r = r.WithContext(ctx)
		type result struct {
			v   any
			err error
		}
		done := make(chan result, 1)
		go func() {
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("panic in handler", "path", r.URL.Path, "panic", p)
					done <- result{err: fmt.Errorf("internal error")}
				}
			}()
			v, err := f(r)
			done <- result{v, err}
		}()
		respond := func(res result) {
			if res.err != nil {
				s.writeError(w, res.err)
				return
			}
			writeJSONFor(w, r, http.StatusOK, res.v)
		}
		select {
		case res := <-done:
			respond(res)
		case <-ctx.Done():
			// The handler's context is cancelled: heavy work checks it and
			// hands its budget back (budget.go). A handler that was
			// waiting for the budget answers at once with its own 503;
			// give it a moment to say so.
			t := time.NewTimer(handlerGrace)
			defer t.Stop()
			select {
			case res := <-done:
				respond(res)
				return
			case <-t.C:
			}
			s.writeError(w, &apiError{Status: http.StatusServiceUnavailable, RetryAfter: 1, Message: fmt.Sprintf("request took longer than the %s limit", timeout)})
		}
	})
}

// writeError maps an error to a JSON response.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	var mbe *http.MaxBytesError
	ie, isInput := hashlab.AsInput(err)
	switch {
	case errors.As(err, &ae):
		if ae.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(ae.RetryAfter))
		}
		writeJSON(w, ae.Status, ae)
	case isInput:
		writeJSON(w, http.StatusBadRequest, inputAPIError(ie, err))
	case errors.As(err, &mbe):
		writeJSON(w, http.StatusRequestEntityTooLarge, &apiError{Message: fmt.Sprintf("request body is larger than %d bytes (allowed: at most %d bytes)", mbe.Limit, mbe.Limit), Field: "body", Allowed: fmt.Sprintf("<= %d bytes", mbe.Limit)})
	case errors.Is(err, ErrNoData):
		writeJSON(w, http.StatusNotFound, &apiError{Message: err.Error()})
	case errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, &apiError{RetryAfter: 1, Message: fmt.Sprintf("request took longer than the %s limit", s.cfg.RequestTimeout)})
	default:
		s.log.Error("request failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, &apiError{Message: err.Error()})
	}
}

// writeJSON writes v as compact JSON (encode.go). A value JSON cannot
// carry (NaN, ±Inf; the domain packages avoid them) is a 500 naming the
// problem.
func writeJSON(w http.ResponseWriter, status int, v any) { writeJSONFor(w, nil, status, v) }

// writeJSONFor is writeJSON indented when r asks for ?pretty.
func writeJSONFor(w http.ResponseWriter, r *http.Request, status int, v any) {
	pretty := wantsPretty(r)
	body, err := encodeJSON(v, pretty)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = encodeJSON(&apiError{Message: "encoding the response: " + err.Error()}, pretty)
	}
	writeBody(w, status, body)
}

// bodyBytes reads the request body under the size limit.
func (s *Server) bodyBytes(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, &apiError{Status: 400, Message: "request body is empty (allowed: a YAML or JSON document)", Field: "body", Allowed: "a YAML or JSON document"}
	}
	return b, nil
}

// requireToken checks the bearer token on heavy routes when one is set.
func (s *Server) requireToken(next http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.Token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hashlab"`)
			writeJSON(w, http.StatusUnauthorized, &apiError{Message: "this endpoint needs the server's token (allowed: header Authorization: Bearer TOKEN)", Field: "Authorization", Allowed: "Bearer TOKEN"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// middleware applies what every request gets: security headers, a Host
// check on loopback servers (against DNS rebinding), an Origin check on
// state-changing methods (against cross-site requests), and a recover.
// securityHeaders go on every response; the value slices are allocated
// once (net/http only reads them).
var securityHeaders = []struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"Content-Security-Policy", []string{"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"}},
}

func (s *Server) middleware(next http.Handler) http.Handler {
	loopback := IsLoopback(s.cfg.Addr)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic", "path", r.URL.Path, "panic", p)
				writeJSON(w, http.StatusInternalServerError, &apiError{Message: "internal error"})
			}
		}()
		h := w.Header()
		for _, kv := range securityHeaders {
			h[kv.key] = kv.value
		}
		if loopback && !IsLoopback(hostPort(r.Host)) {
			writeJSON(w, http.StatusForbidden, &apiError{Message: fmt.Sprintf("Host %q is not a loopback name on a loopback server (allowed: localhost, 127.0.0.1, [::1])", r.Host), Field: "Host", Value: r.Host, Allowed: "localhost, 127.0.0.1, [::1]"})
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions {
			if e := crossSite(r); e != nil {
				writeJSON(w, http.StatusForbidden, e)
				return
			}
		}
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path)
		}
		next.ServeHTTP(w, r)
	})
}

func hostPort(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return host + ":0"
}

// sameOrigin reports whether origin (scheme://host[:port]) is the
// server's own: http or https with exactly the request's Host.
func sameOrigin(origin, host string) bool {
	for _, scheme := range []string{"http://", "https://"} {
		if rest, ok := strings.CutPrefix(strings.ToLower(origin), scheme); ok {
			return rest == strings.ToLower(host)
		}
	}
	return false
}

// crossSite returns the 403 of a request another site made a browser
// send: an Origin that is not the server's own (including "null", what
// sandboxed iframes, data: URLs and some redirects send), or
// Sec-Fetch-Site: cross-site. Requests without these headers (curl,
// scripts) pass; a browser always sends Origin on POST and DELETE.
func crossSite(r *http.Request) *apiError {
	if o, ok := r.Header["Origin"]; ok {
		v := strings.Join(o, ",")
		if len(o) != 1 || !sameOrigin(v, r.Host) {
			return &apiError{Status: http.StatusForbidden, Message: fmt.Sprintf("cross-origin %s %s from Origin %q refused (allowed: no Origin, or the server's own origin http://%s)", r.Method, r.URL.Path, v, r.Host),
				Field: "Origin", Value: v, Allowed: "the server's own origin http://" + r.Host}
		}
	}
	if v := r.Header.Get("Sec-Fetch-Site"); v == "cross-site" {
		return &apiError{Status: http.StatusForbidden, Message: fmt.Sprintf("cross-site %s %s refused (Sec-Fetch-Site %q; allowed: same-origin, same-site, none)", r.Method, r.URL.Path, v),
			Field: "Sec-Fetch-Site", Value: v, Allowed: "same-origin, same-site, none"}
	}
	return nil
}

// sameSiteOnly refuses cross-site requests to a route that computes or
// changes state, whatever the method (a cross-site <img> could otherwise
// start an MDP solve with a GET).
func (s *Server) sameSiteOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := crossSite(r); e != nil {
			writeJSON(w, http.StatusForbidden, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// admit charges a heavy request's estimate to the budget (budget.go).
func (s *Server) admit(ctx context.Context, cost int64) (release func(), err error) {
	return s.budget.acquire(ctx, cost)
}

// isFinite reports whether f is a finite float.
func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
