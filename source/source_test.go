package source

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRedactAndParseBaseURL(t *testing.T) {
	if got := Redact("http://alice:secret@node:8332/api?x=1"); got != "http://node:8332/api?x=1" {
		t.Errorf("Redact = %q", got)
	}
	for raw, want := range map[string]string{
		"https://mempool.space/api/":    "https://mempool.space/api",
		" http://umbrel.local:3006/api": "http://umbrel.local:3006/api",
	} {
		if got, err := ParseBaseURL(raw); err != nil || got != want {
			t.Errorf("ParseBaseURL(%q) = %q, %v", raw, got, err)
		}
	}
	for _, bad := range []string{"mempool.space/api", "ftp://x/api", "http:///api", "http://x/api?key=1", "::"} {
		if _, err := ParseBaseURL(bad); err == nil {
			t.Errorf("ParseBaseURL(%q) accepted", bad)
		}
	}
}

// The Date of an answer times a ticker without a timestamp; a body over
// MaxBody is refused, not read into memory.
func TestGetDateAndStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", "Wed, 22 Apr 2026 21:59:59 GMT")
		switch r.URL.Path {
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		case "/limited":
			w.Header().Set("Retry-After", "abc")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.Write([]byte("ok"))
		}
	}))
	defer srv.Close()
	c := Client{Source: "test"}
	a, err := c.Get(context.Background(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := a.Date(); !ok || !d.Equal(time.Date(2026, 4, 22, 21, 59, 59, 0, time.UTC)) {
		t.Errorf("Date = %v, %v", d, ok)
	}
	_, err = c.Get(context.Background(), srv.URL+"/teapot")
	var se *Error
	if !errors.Is(err, ErrStatus) || !errors.As(err, &se) || se.Status != 418 || !strings.HasPrefix(err.Error(), "test: GET "+srv.URL+"/teapot: unexpected HTTP status: HTTP 418") {
		t.Errorf("418: %v", err)
	}
	_, err = c.Get(context.Background(), srv.URL+"/limited")
	if !errors.Is(err, ErrRateLimited) || !errors.As(err, &se) || se.RetryAfter != 0 {
		t.Errorf("429 with a bad Retry-After: %v", err)
	}
}
