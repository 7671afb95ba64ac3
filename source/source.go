package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Sentinels for the kinds of failure; every *Error matches exactly one
// with errors.Is.
var (
	// ErrTimeout: no answer before the context's deadline or the HTTP
	// client's timeout.
	ErrTimeout = errors.New("timeout")
	// ErrUnreachable: the connection failed (DNS, refused, TLS).
	ErrUnreachable = errors.New("unreachable")
	// ErrRateLimited: HTTP 429; Error.RetryAfter holds the server's
	// Retry-After when it sent one.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: an HTTP 5xx answer.
	ErrServer = errors.New("server error")
	// ErrStatus: any other answer than 200 OK (a 404 from an instance
	// without the endpoint, a 403).
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrMalformed: the body is not in the documented shape (bad JSON, a
	// missing field, a number that does not parse).
	ErrMalformed = errors.New("malformed answer")
	// ErrImplausible: the answer parses but cannot be true: a price of 0
	// or less, a height that went backwards, a difficulty that disagrees
	// with the bits, a tip whose endpoints disagree.
	ErrImplausible = errors.New("implausible answer")
)

// Error is a source's failure to answer. Its message reads
// "<source>: GET <url>: <why>" so that a user sees which source, which
// instance and what went wrong.
type Error struct {
	// Source is the source's name ("mempool", "coinbase", ...).
	Source string
	// URL is the request's URL with any user:password removed; empty for
	// a failure that concerns no single request.
	URL string
	// Kind is one of the sentinels above.
	Kind error
	// Status is the HTTP status code, 0 when there was no answer.
	Status int
	// RetryAfter is the server's Retry-After for a 429, 0 when absent.
	RetryAfter time.Duration
	// Why says what was wrong, in words.
	Why string
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	b.WriteString(": ")
	if e.URL != "" {
		b.WriteString("GET ")
		b.WriteString(e.URL)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.Error())
	if e.Why != "" {
		b.WriteString(": ")
		b.WriteString(e.Why)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is matches the error's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Redact returns rawURL without user information (user:password@), so it
// can be printed and logged. A URL that does not parse is returned as
// "(unparsable URL)".
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	return u.String()
}

// ParseBaseURL checks that raw is an absolute http or https URL with a
// host and returns it without a trailing slash. The error says what is
// wrong; callers wrap it in a hashlab.InputError naming their setting.
func ParseBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return "", errors.New("no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("a base URL takes no query or fragment")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// DefaultTimeout bounds one request when the caller's context has no
// earlier deadline.
const DefaultTimeout = 10 * time.Second

// MaxBody is the largest answer read (mempool's full price history is the
// largest expected, a few MB).
const MaxBody = 32 << 20

// UserAgent is sent with every request; some APIs (Coinbase) refuse
// requests without one.
const UserAgent = "hashlab (+https://github.com/hashlab/hashlab)"

// Client performs GET requests for one named source.
type Client struct {
	// Source names the source in errors ("mempool", "kraken").
	Source string
	// HTTP is the client used; nil means a client with DefaultTimeout.
	HTTP *http.Client
}

// Answer is a successful response: its body and headers.
type Answer struct {
	Body   []byte
	Header http.Header
}

// Date is the response's Date header (RFC 7231), for APIs whose ticker
// carries no timestamp of its own; ok is false when absent or
// unparsable.
func (a *Answer) Date() (t time.Time, ok bool) {
	d := a.Header.Get("Date")
	if d == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(d)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// Fail returns an *Error for rawURL (redacted) of kind with why
// formatted from format and args.
func (c *Client) Fail(rawURL string, kind error, format string, args ...any) *Error {
	e := &Error{Source: c.Source, Kind: kind, Why: fmt.Sprintf(format, args...)}
	if rawURL != "" {
		e.URL = Redact(rawURL)
	}
	return e
}

// Get fetches rawURL and returns the body of a 200 answer. Every other
// outcome is an *Error: a deadline or client timeout (ErrTimeout), a
// failed connection (ErrUnreachable), 429 (ErrRateLimited), 5xx
// (ErrServer), any other status (ErrStatus), a body over MaxBody
// (ErrMalformed).
func (c *Client) Get(ctx context.Context, rawURL string) (*Answer, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &Error{Source: c.Source, URL: Redact(rawURL), Kind: ErrStatus, Why: "cannot build the request", Err: err}
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/json, text/plain")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.transportError(ctx, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, c.transportError(ctx, rawURL, err)
	}
	if len(body) > MaxBody {
		return nil, c.Fail(rawURL, ErrMalformed, "answer larger than %d bytes", MaxBody)
	}
	if resp.StatusCode == http.StatusOK {
		return &Answer{Body: body, Header: resp.Header}, nil
	}
	e := c.Fail(rawURL, ErrStatus, "HTTP %d%s", resp.StatusCode, excerpt(body))
	e.Status = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		if e.RetryAfter > 0 {
			e.Why = fmt.Sprintf("HTTP 429, retry after %s%s", e.RetryAfter, excerpt(body))
		}
	case resp.StatusCode >= 500:
		e.Kind = ErrServer
	}
	return nil, e
}

// GetJSON fetches rawURL and decodes its JSON body into v. A body that
// is not valid JSON of v's shape is ErrMalformed.
func (c *Client) GetJSON(ctx context.Context, rawURL string, v any) (*Answer, error) {
	a, err := c.Get(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(a.Body, v); err != nil {
		e := c.Fail(rawURL, ErrMalformed, "body is not the documented JSON%s", excerpt(a.Body))
		e.Err = err
		return nil, e
	}
	return a, nil
}

// GetText fetches rawURL and returns its body with surrounding white
// space removed (mempool's plain-text endpoints).
func (c *Client) GetText(ctx context.Context, rawURL string) (string, error) {
	a, err := c.Get(ctx, rawURL)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(a.Body)), nil
}

func (c *Client) transportError(ctx context.Context, rawURL string, err error) *Error {
	// net/http wraps the cause in a *url.Error that repeats the URL;
	// the message already names it.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	mk := func(kind error, why string) *Error {
		return &Error{Source: c.Source, URL: Redact(rawURL), Kind: kind, Why: why, Err: err}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return mk(ErrTimeout, "no answer before the deadline")
	case errors.As(err, &ne) && ne.Timeout():
		return mk(ErrTimeout, "no answer within the HTTP client's timeout")
	case errors.Is(err, context.Canceled):
		return mk(ErrUnreachable, "request canceled")
	}
	return mk(ErrUnreachable, "connection failed")
}

// excerpt returns ": " and the body's first 120 bytes on one line, or ""
// for an empty body, to show what came back instead of the expected
// answer.
func excerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if s == "" {
		return ""
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return fmt.Sprintf(" (body %q)", s)
}

// CheckUSD returns an ErrImplausible *Error unless usd is a usable price:
// finite and greater than 0. what names the value ("last trade price").
func (c *Client) CheckUSD(rawURL, what string, usd float64) error {
	if usd > 0 && !math.IsInf(usd, 1) {
		return nil
	}
	return c.Fail(rawURL, ErrImplausible, "%s is %v USD (allowed: a finite price > 0)", what, usd)
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	var sec int
	if _, err := fmt.Sscanf(v, "%d", &sec); err == nil && sec > 0 {
		return time.Duration(sec) * time.Second
	}
	return 0
}
