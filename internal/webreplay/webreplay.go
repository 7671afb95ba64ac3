// Package webreplay serves hand-made answers of public web APIs from a
// directory, so that the web sources (source/mempool, source/exchange)
// and the commands that use them are tested without the network. It is
// test plumbing only; product code must not import it.
//
// The directory mirrors the API's URL paths: the file dir/a/b answers
// GET {server}{Prefix}/a/b (a trailing slash and the query string are
// ignored). A body starting with '{' or '[' is sent as JSON, anything
// else as text/plain. The recorded sets are source/mempool/testdata/api
// (MempoolDir) and source/exchange/testdata/<exchange> (ExchangeDir);
// their READMEs say what is real and what is made up.
package webreplay

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

// Options tune a replay server.
type Options struct {
	// Prefix is the API root's path on the server ("/api" for mempool);
	// requests outside it are 404.
	Prefix string
	// Date, when set, is sent as every answer's Date header (an RFC 7231
	// date; Kraken's ticker is timed by it).
	Date string
	// Override answers the given paths (relative to Prefix, no leading
	// or trailing slash) instead of the files.
	Override map[string]http.HandlerFunc
}

// New starts a replay server over dir, closed when the test ends.
func New(tb testing.TB, dir string, o Options) *httptest.Server {
	tb.Helper()
	if _, err := os.Stat(dir); err != nil {
		tb.Fatalf("webreplay: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Date != "" {
			w.Header().Set("Date", o.Date)
		}
		p, ok := strings.CutPrefix(r.URL.Path, o.Prefix)
		if !ok || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		p = strings.Trim(p, "/")
		if h, ok := o.Override[p]; ok {
			h(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || strings.Contains(p, "..") {
			http.NotFound(w, r)
			return
		}
		if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "text/plain")
		}
		w.Write(b)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// MempoolDir is the mempool answers' directory (serve it with Prefix
// "/api"; the tip is block 946,236 of 2026-04-22).
func MempoolDir(tb testing.TB) string {
	return filepath.Join(sharedtest.RepoRoot(tb), "source", "mempool", "testdata", "api")
}

// ExchangeDir is the named exchange's answers' directory (serve it with
// Date "Wed, 22 Apr 2026 21:59:59 GMT").
func ExchangeDir(tb testing.TB, name string) string {
	return filepath.Join(sharedtest.RepoRoot(tb), "source", "exchange", "testdata", name)
}

// ExchangeDate is the moment the exchange answers stand for, as a Date
// header.
const ExchangeDate = "Wed, 22 Apr 2026 21:59:59 GMT"

// Text answers body with 200 OK.
func Text(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }
}

// Status answers body with the status code (and Retry-After: 30 for a 429).
func Status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

// Hang never answers; it returns when the client gives up.
func Hang(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
