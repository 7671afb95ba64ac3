package noderpc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// coreLike is a fake node that answers like Bitcoin Core at the HTTP
// level: 401 with an empty body on bad credentials, HTTP 500 with a
// JSON-RPC error body for RPC errors, batches answered in any order.
type coreLike struct {
	user, pass string
	busy       atomic.Int32 // answer 503 this many times first
	calls      atomic.Int32
}

func (c *coreLike) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.calls.Add(1)
	u, p, ok := r.BasicAuth()
	if !ok || u != c.user || p != c.pass {
		w.Header().Set("WWW-Authenticate", `Basic realm="jsonrpc"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if c.busy.Load() > 0 {
		c.busy.Add(-1)
		http.Error(w, "Work queue depth exceeded", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	type req struct {
		ID     uint64 `json:"id"`
		Method string `json:"method"`
		Params []any  `json:"params"`
	}
	answer := func(q req) (map[string]any, int) {
		switch q.Method {
		case "getblockcount":
			return map[string]any{"result": 840000, "error": nil, "id": q.ID}, 200
		case "getblockhash":
			h := q.Params[0].(float64)
			if h > 10 {
				return map[string]any{"result": nil, "error": map[string]any{"code": -8, "message": "Block height out of range"}, "id": q.ID}, 500
			}
			return map[string]any{"result": strings.Repeat("0", 62) + string(rune('a'+int(h)%6)) + "0", "error": nil, "id": q.ID}, 200
		}
		return map[string]any{"result": nil, "error": map[string]any{"code": -32601, "message": "Method not found"}, "id": q.ID}, 404
	}
	if strings.HasPrefix(strings.TrimSpace(string(body)), "[") {
		var qs []req
		json.Unmarshal(body, &qs)
		out := make([]map[string]any, len(qs))
		for i := range qs {
			// Answer in reverse order: ids must be matched.
			out[len(qs)-1-i], _ = answer(qs[i])
		}
		json.NewEncoder(w).Encode(out)
		return
	}
	var q req
	json.Unmarshal(body, &q)
	a, status := answer(q)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(a)
}

func newTestClient(t *testing.T, srv *httptest.Server, cfg Config) *Client {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = srv.URL
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRPCCallAndErrors(t *testing.T) {
	node := &coreLike{user: "alice", pass: "secret"}
	srv := httptest.NewServer(node)
	defer srv.Close()
	ctx := context.Background()

	c := newTestClient(t, srv, Config{User: "alice", Password: "secret"})
	n, err := c.BlockCount(ctx)
	if err != nil || n != 840000 {
		t.Fatalf("BlockCount = %d, %v", n, err)
	}
	_, err = c.BlockHash(ctx, 11)
	var rerr *Error
	if !errors.As(err, &rerr) || rerr.Code != -8 || rerr.Method != "getblockhash" {
		t.Fatalf("out-of-range error %v, want Error code -8", err)
	}
	err = c.Call(ctx, "nosuchmethod", nil)
	if !errors.As(err, &rerr) || rerr.Code != -32601 {
		t.Fatalf("unknown method: %v", err)
	}

	bad := newTestClient(t, srv, Config{User: "alice", Password: "wrong"})
	_, err = bad.BlockCount(ctx)
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	want := `rpc: authentication failed for user "alice" at ` + srv.URL
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("auth error %q: want it to contain %q and not the password", err, want)
	}
}

func TestRPCBatchMatchesIDs(t *testing.T) {
	node := &coreLike{user: "u", pass: "p"}
	srv := httptest.NewServer(node)
	defer srv.Close()
	c := newTestClient(t, srv, Config{User: "u", Password: "p"})
	hashes, err := c.BlockHashes(context.Background(), 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range hashes {
		height := 3 + i
		if want := strings.Repeat("0", 62) + string(rune('a'+height%6)) + "0"; h != want {
			t.Errorf("height %d: %s, want %s", height, h, want)
		}
	}
	if node.calls.Load() != 1 {
		t.Errorf("%d HTTP requests for one batch", node.calls.Load())
	}
	if _, err := c.BlockHashes(context.Background(), 9, 12); err == nil || !strings.Contains(err.Error(), "height 11") {
		t.Errorf("batch with out-of-range heights: %v", err)
	}
}

func TestRPCRetriesWhenBusy(t *testing.T) {
	node := &coreLike{user: "u", pass: "p"}
	node.busy.Store(2)
	srv := httptest.NewServer(node)
	defer srv.Close()
	c := newTestClient(t, srv, Config{User: "u", Password: "p"})
	if _, err := c.BlockCount(context.Background()); err != nil {
		t.Fatalf("after two 503s: %v", err)
	}
	if got := node.calls.Load(); got != 3 {
		t.Errorf("%d requests, want 3", got)
	}
}

// TestRPCCookieReread: a node restart rewrites the cookie; the client
// re-reads it once after a 401.
func TestRPCCookieReread(t *testing.T) {
	node := &coreLike{user: CookieUser, pass: "old"}
	srv := httptest.NewServer(node)
	defer srv.Close()
	cookie := filepath.Join(t.TempDir(), ".cookie")
	if err := os.WriteFile(cookie, []byte(CookieUser+":old"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, srv, Config{CookieFile: cookie})
	ctx := context.Background()
	if _, err := c.BlockCount(ctx); err != nil {
		t.Fatal(err)
	}
	node.pass = "new"
	if err := os.WriteFile(cookie, []byte(CookieUser+":new\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BlockCount(ctx); err != nil {
		t.Fatalf("after cookie change: %v", err)
	}
	node.pass = "newer" // cookie file not updated: a clear auth error
	_, err := c.BlockCount(ctx)
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), cookie) {
		t.Fatalf("stale cookie: %v", err)
	}
}

func TestRPCUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c, err := NewClient(Config{URL: addr, User: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BlockCount(context.Background())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "http://"+addr) {
		t.Fatalf("closed port: %v", err)
	}
}

func TestRPCHTTPErrorWithoutJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, Config{})
	if _, err := c.BlockCount(context.Background()); err == nil || !strings.Contains(err.Error(), "rpcallowip") {
		t.Errorf("403: %v", err)
	}
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "teapot", http.StatusTeapot)
	}))
	defer srv2.Close()
	c2 := newTestClient(t, srv2, Config{})
	if _, err := c2.BlockCount(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 418") {
		t.Errorf("418: %v", err)
	}
}

func TestNewRPCClientURL(t *testing.T) {
	tests := []struct {
		url, wantURL, wantUser string
		err                    bool
	}{
		{"127.0.0.1:8332", "http://127.0.0.1:8332", "", false},
		{"http://bob:pw@node.lan:8332/", "http://node.lan:8332/", "bob", false},
		{"https://node.example:443/wallet/w1", "https://node.example:443/wallet/w1", "", false},
		{"ftp://node:8332", "", "", true},
		{"", "", "", true},
		{"http://", "", "", true},
	}
	for _, tt := range tests {
		c, err := NewClient(Config{URL: tt.url})
		if (err != nil) != tt.err {
			t.Errorf("NewClient(%q): error %v, want error %v", tt.url, err, tt.err)
			continue
		}
		if err == nil && (c.URL() != tt.wantURL || c.User() != tt.wantUser) {
			t.Errorf("NewClient(%q): URL %q user %q, want %q %q", tt.url, c.URL(), c.User(), tt.wantURL, tt.wantUser)
		}
	}
	// Explicit credentials win over URL user info.
	c, err := NewClient(Config{URL: "http://bob:pw@h:1", User: "carol", Password: "x"})
	if err != nil || c.User() != "carol" {
		t.Errorf("explicit user: %v %v", c, err)
	}
}

func TestReadCookieFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	u, p, err := ReadCookieFile(write("ok", "__cookie__:abc123\n"))
	if err != nil || u != "__cookie__" || p != "abc123" {
		t.Errorf("ok: %q %q %v", u, p, err)
	}
	if _, _, err := ReadCookieFile(write("bad", "no colon")); err == nil {
		t.Error("bad cookie accepted")
	}
	if _, _, err := ReadCookieFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing cookie accepted")
	}
}
