package noderpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file is a minimal JSON-RPC 1.0 client for Bitcoin Core-compatible
// nodes (Bitcoin Core, Knots, btcd), written on net/http rather than on
// btcd's rpcclient: it speaks exactly what bitcoin-cli speaks (HTTP POST,
// basic auth, {"jsonrpc":"1.0","id":n,"method":...,"params":[...]}), so
// it works with every node that bitcoin-cli works with, and it turns the
// HTTP-level answers of the nodes (Core: 401 with an empty body, 403 for
// rpcallowip, 500/404 carrying a JSON-RPC error, 503 when the work queue is
// full; btcd: 401, 503 when it has too many clients) into errors a user can
// act on.

// DefaultRPCTimeout bounds one HTTP request. getblock with verbosity 2 on a
// full mainnet block takes seconds on a slow node, so it is generous.
const DefaultRPCTimeout = 2 * time.Minute

// CookieUser is the user name Bitcoin Core writes into its .cookie file.
const CookieUser = "__cookie__"

var (
	// ErrAuth is wrapped by the error a call returns when the node answers
	// HTTP 401: wrong user/password or a stale cookie.
	ErrAuth = errors.New("noderpc: rpc authentication failed")
	// ErrUnreachable is wrapped when the node cannot be reached at all
	// (connection refused, DNS failure, timeout).
	ErrUnreachable = errors.New("noderpc: rpc node unreachable")
)

// Error is an error the node returned in a JSON-RPC response.
type Error struct {
	Method  string
	Code    int
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("noderpc: rpc %s: %s (code %d)", e.Method, e.Message, e.Code)
}

// authError is what a 401 turns into; errors.Is(err, ErrAuth) holds.
type authError struct {
	user, url, cookie string
}

func (e *authError) Error() string {
	s := fmt.Sprintf("rpc: authentication failed for user %q at %s", e.user, e.url)
	if e.cookie != "" {
		s += " (credentials from cookie file " + e.cookie + ")"
	}
	return "noderpc: " + s + "; check --rpc-user/--rpc-pass or --rpc-cookie"
}

func (e *authError) Unwrap() error { return ErrAuth }

// Config says how to reach and authenticate to a node.
type Config struct {
	// URL is http://host:port (a path such as /wallet/x is kept). A bare
	// host:port gets http://. User info in the URL is used when User is
	// empty.
	URL string
	// User and Password are the rpcuser/rpcpassword (or rpcauth)
	// credentials.
	User     string
	Password string
	// CookieFile is read when User is empty: Bitcoin Core's
	// "__cookie__:password" file. It is re-read once after a 401, so a
	// node restart (which rewrites the cookie) does not end a --follow.
	CookieFile string
	// Timeout bounds each HTTP request; 0 means DefaultRPCTimeout.
	Timeout time.Duration
	// MaxConns is the number of idle keep-alive connections kept (set it
	// to the number of concurrent callers); 0 means 4.
	MaxConns int
}

// Client is a JSON-RPC client for one node. It is safe for concurrent
// use.
type Client struct {
	endpoint string // URL without user info
	cookie   string
	hc       *http.Client
	nextID   atomic.Uint64

	mu   sync.Mutex
	user string
	pass string
}

// NewClient checks cfg and returns a client. It does not contact the
// node; the first call does.
func NewClient(cfg Config) (*Client, error) {
	raw := strings.TrimSpace(cfg.URL)
	if raw == "" {
		return nil, errors.New("noderpc: rpc URL is empty (want http://host:port)")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("noderpc: rpc URL %q: %w", cfg.URL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("noderpc: rpc URL %q has scheme %q (allowed: http, https)", cfg.URL, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("noderpc: rpc URL %q has no host", cfg.URL)
	}
	c := &Client{user: cfg.User, pass: cfg.Password, cookie: cfg.CookieFile}
	if u.User != nil {
		if c.user == "" {
			c.user = u.User.Username()
			c.pass, _ = u.User.Password()
		}
		u.User = nil
	}
	c.endpoint = u.String()
	if c.user == "" && c.cookie != "" {
		if err := c.readCookie(); err != nil {
			return nil, err
		}
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultRPCTimeout
	}
	conns := cfg.MaxConns
	if conns <= 0 {
		conns = 4
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	c.hc = &http.Client{Transport: tr, Timeout: timeout}
	return c, nil
}

// ReadCookieFile reads a Bitcoin Core .cookie file ("user:password").
func ReadCookieFile(path string) (user, pass string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("noderpc: rpc cookie: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	user, pass, ok := strings.Cut(line, ":")
	if !ok || user == "" {
		return "", "", fmt.Errorf("noderpc: rpc cookie file %s is not of the form user:password", path)
	}
	return user, pass, nil
}

func (c *Client) readCookie() error {
	user, pass, err := ReadCookieFile(c.cookie)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.user, c.pass = user, pass
	c.mu.Unlock()
	return nil
}

// URL is the endpoint without credentials (safe to print).
func (c *Client) URL() string { return c.endpoint }

// User is the user name sent to the node.
func (c *Client) User() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user
}

// CloseIdleConnections releases kept-alive connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type rpcResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	ID json.RawMessage `json:"id"`
}

func (r *rpcResponse) err(method string) error {
	if r.Error == nil {
		return nil
	}
	return &Error{Method: method, Code: r.Error.Code, Message: r.Error.Message}
}

// Call invokes method with params and decodes the result into result
// (which may be nil to discard it).
func (c *Client) Call(ctx context.Context, method string, result any, params ...any) error {
	if params == nil {
		params = []any{}
	}
	req := rpcRequest{JSONRPC: "1.0", ID: c.nextID.Add(1), Method: method, Params: params}
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("noderpc: rpc %s: encoding params: %w", method, err)
	}
	raw, err := c.post(ctx, method, body)
	if err != nil {
		return err
	}
	var resp rpcResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return fmt.Errorf("noderpc: rpc %s: decoding response from %s: %w", method, c.endpoint, err)
	}
	if err := resp.err(method); err != nil {
		return err
	}
	return decodeResult(method, resp.Result, result)
}

func decodeResult(method string, raw json.RawMessage, result any) error {
	if result == nil {
		return nil
	}
	if r, ok := result.(*json.RawMessage); ok {
		// The caller wants the answer as it came, null included
		// (submitblock answers null on success).
		*r = append((*r)[:0], raw...)
		return nil
	}
	if len(raw) == 0 || string(raw) == "null" {
		return fmt.Errorf("noderpc: rpc %s: empty result", method)
	}
	if err := json.Unmarshal(raw, result); err != nil {
		return fmt.Errorf("noderpc: rpc %s: decoding result: %w", method, err)
	}
	return nil
}

// BatchCall is one call of a Batch. Result receives the decoded result;
// Err is set when this call failed.
type BatchCall struct {
	Method string
	Params []any
	Result any
	Err    error
}

// Batch sends calls in one HTTP request (a JSON-RPC batch, which Bitcoin
// Core and btcd both accept). It returns an error when the request as a
// whole failed; per-call failures are in calls[i].Err.
func (c *Client) Batch(ctx context.Context, calls []BatchCall) error {
	if len(calls) == 0 {
		return nil
	}
	reqs := make([]rpcRequest, len(calls))
	byID := make(map[uint64]int, len(calls))
	for i, call := range calls {
		p := call.Params
		if p == nil {
			p = []any{}
		}
		id := c.nextID.Add(1)
		reqs[i] = rpcRequest{JSONRPC: "1.0", ID: id, Method: call.Method, Params: p}
		byID[id] = i
	}
	body, err := json.Marshal(reqs)
	if err != nil {
		return fmt.Errorf("noderpc: rpc batch: encoding params: %w", err)
	}
	raw, err := c.post(ctx, calls[0].Method, body)
	if err != nil {
		return err
	}
	var resps []rpcResponse
	if err := json.Unmarshal(raw, &resps); err != nil {
		// A node that does not do batches answers with one error object.
		var one rpcResponse
		if json.Unmarshal(raw, &one) == nil && one.Error != nil {
			return one.err("batch")
		}
		return fmt.Errorf("noderpc: rpc batch: decoding response from %s: %w", c.endpoint, err)
	}
	seen := make([]bool, len(calls))
	for _, r := range resps {
		var id uint64
		if err := json.Unmarshal(r.ID, &id); err != nil {
			return fmt.Errorf("noderpc: rpc batch: response id %s is not one we sent", r.ID)
		}
		i, ok := byID[id]
		if !ok || seen[i] {
			return fmt.Errorf("noderpc: rpc batch: response id %d is not one we sent", id)
		}
		seen[i] = true
		if err := r.err(calls[i].Method); err != nil {
			calls[i].Err = err
			continue
		}
		calls[i].Err = decodeResult(calls[i].Method, r.Result, calls[i].Result)
	}
	for i, ok := range seen {
		if !ok {
			calls[i].Err = fmt.Errorf("noderpc: rpc %s: no response in batch", calls[i].Method)
		}
	}
	return nil
}

// post sends one HTTP request, retrying a few times when the node says it
// is busy (HTTP 503) and once with a re-read cookie after a 401.
func (c *Client) post(ctx context.Context, method string, body []byte) ([]byte, error) {
	const maxBusyRetries = 6
	backoff := 50 * time.Millisecond
	cookieRetried := false
	for attempt := 0; ; attempt++ {
		raw, status, err := c.postOnce(ctx, body)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("noderpc: rpc %s: %w", method, ctx.Err())
			}
			return nil, fmt.Errorf("%w: %s at %s: %v", ErrUnreachable, method, c.endpoint, err)
		}
		switch {
		case status == http.StatusOK:
			return raw, nil
		case status == http.StatusUnauthorized:
			if c.cookie != "" && !cookieRetried {
				cookieRetried = true
				if c.readCookie() == nil {
					continue
				}
			}
			return nil, &authError{user: c.User(), url: c.endpoint, cookie: c.cookie}
		case status == http.StatusForbidden:
			return nil, fmt.Errorf("noderpc: rpc %s: node at %s refused the connection (HTTP 403; is this address allowed by the node's rpcallowip?)", method, c.endpoint)
		case status == http.StatusServiceUnavailable && attempt < maxBusyRetries:
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("noderpc: rpc %s: %w", method, ctx.Err())
			case <-time.After(backoff):
			}
			backoff *= 2
			continue
		}
		// Core answers RPC errors with 500 (or 404 for an unknown
		// method) and a JSON-RPC error in the body: pass it through.
		var resp rpcResponse
		if json.Unmarshal(raw, &resp) == nil && resp.Error != nil {
			return raw, nil
		}
		var resps []rpcResponse
		if json.Unmarshal(raw, &resps) == nil && len(resps) > 0 {
			return raw, nil
		}
		return nil, fmt.Errorf("noderpc: rpc %s: node at %s answered HTTP %d: %s", method, c.endpoint, status, snippet(raw))
	}
}

func (c *Client) postOnce(ctx context.Context, body []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	c.mu.Lock()
	user, pass := c.user, c.pass
	c.mu.Unlock()
	if user != "" || pass != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, err
	}
	return raw, resp.StatusCode, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// ChainInfo is the part of getblockchaininfo the ingester uses.
type ChainInfo struct {
	// Chain is the node's network name: Core says main, test, testnet4,
	// signet, regtest; btcd says mainnet, testnet3, testnet4, signet,
	// regtest, simnet. NetworkName normalises it.
	Chain                string `json:"chain"`
	Blocks               int64  `json:"blocks"`
	Headers              int64  `json:"headers"`
	BestBlockHash        string `json:"bestblockhash"`
	MedianTime           int64  `json:"mediantime"`
	InitialBlockDownload bool   `json:"initialblockdownload"`
	Pruned               bool   `json:"pruned"`
	PruneHeight          int64  `json:"pruneheight"`
}

// ChainInfo calls getblockchaininfo.
func (c *Client) ChainInfo(ctx context.Context) (ChainInfo, error) {
	var ci ChainInfo
	err := c.Call(ctx, "getblockchaininfo", &ci)
	return ci, err
}

// BlockCount calls getblockcount: the height of the node's best block.
func (c *Client) BlockCount(ctx context.Context) (int64, error) {
	var n int64
	err := c.Call(ctx, "getblockcount", &n)
	return n, err
}

// BlockHash calls getblockhash.
func (c *Client) BlockHash(ctx context.Context, height int64) (string, error) {
	var h string
	err := c.Call(ctx, "getblockhash", &h, height)
	return h, err
}

// BlockHashes calls getblockhash for heights from..to (inclusive) in one
// batch.
func (c *Client) BlockHashes(ctx context.Context, from, to int64) ([]string, error) {
	if to < from {
		return nil, nil
	}
	n := to - from + 1
	out := make([]string, n)
	calls := make([]BatchCall, n)
	for i := range calls {
		calls[i] = BatchCall{Method: "getblockhash", Params: []any{from + int64(i)}, Result: &out[i]}
	}
	if err := c.Batch(ctx, calls); err != nil {
		return nil, err
	}
	for i := range calls {
		if calls[i].Err != nil {
			return nil, fmt.Errorf("height %d: %w", from+int64(i), calls[i].Err)
		}
	}
	return out, nil
}

// Header is getblockheader's verbose answer (fields both Core and btcd
// give, plus Core's mediantime, zero from btcd).
type Header struct {
	Hash          string `json:"hash"`
	Confirmations int64  `json:"confirmations"`
	Height        int64  `json:"height"`
	Version       int32  `json:"version"`
	MerkleRoot    string `json:"merkleroot"`
	Time          int64  `json:"time"`
	MedianTime    int64  `json:"mediantime"`
	Nonce         uint64 `json:"nonce"`
	Bits          string `json:"bits"`
	PreviousHash  string `json:"previousblockhash"`
}

// BlockHeader calls getblockheader hash true.
func (c *Client) BlockHeader(ctx context.Context, hash string) (Header, error) {
	var h Header
	err := c.Call(ctx, "getblockheader", &h, hash, true)
	return h, err
}

// Block calls getblock hash 2 (every transaction decoded). btcd puts the
// transactions in "rawtx", Core in "tx"; Block returns them in Tx either
// way, leaving each undecoded (Block.Coinbase decodes the first).
func (c *Client) Block(ctx context.Context, hash string) (*Block, error) {
	var b Block
	if err := c.Call(ctx, "getblock", &b, hash, 2); err != nil {
		return nil, err
	}
	if len(b.Tx) == 0 && len(b.RawTx) > 0 {
		b.Tx, b.RawTx = b.RawTx, nil
	}
	return &b, nil
}

// RawBlock calls getblock hash 0: the serialized block, which
// BlockFromRaw reads. The node does no transaction decoding, so on
// mainnet this is several times cheaper than Block.
func (c *Client) RawBlock(ctx context.Context, hash string) ([]byte, error) {
	var h string
	if err := c.Call(ctx, "getblock", &h, hash, 0); err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("noderpc: getblock %s 0: the answer is not hex: %w", hash, err)
	}
	return raw, nil
}
