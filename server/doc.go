// Package server is hashlab's HTTP adapter: a JSON API under /api/v1/, an
// embedded dashboard (HTML, hand-written JS and CSS, SVG charts drawn in the
// browser; no CDN, works offline), Prometheus metrics at /metrics and a
// health check at /healthz.
//
// It turns HTTP parameters into typed values, validates them (every error
// names the field, the value and what is allowed, as JSON with status 400)
// and calls the pure domain packages (consensus, hashprice, mining, pivot,
// security, sim). Chain history comes through the small History interface:
// nil means history derived from the embedded snapshot's epoch table, a
// chain store plugs in for live history. The simulator plugs in through
// SimRunner.
//
// Safe by default: the caller decides the address, but New refuses a
// non-loopback address without a token; with a token, every endpoint that
// writes or starts heavy work requires "Authorization: Bearer TOKEN".
// Request bodies are size-limited, handlers run under a per-request
// timeout, heavy work under a concurrency limit, and Serve sets the
// http.Server's read, write and idle timeouts.
//
// Configuration (flags, environment) is read in cmd/hashlab, never here.
// Logging goes to the *slog.Logger the caller passes.
package server
