package server

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiError is a client error: status, a message that names the field, the
// value and what is allowed, and the same three as separate JSON fields.
type apiError struct {
	Status  int    `json:"-"`
	Message string `json:"error"`
	Field   string `json:"field,omitempty"`
	Value   string `json:"value,omitempty"`
	Allowed string `json:"allowed,omitempty"`
	// RetryAfter, when > 0, is sent as the Retry-After header (seconds)
	// and as retry_after_seconds.
	RetryAfter int `json:"retry_after_seconds,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

// badParam is a 400 error for one parameter.
func badParam(field, value, problem, allowed string) *apiError {
	msg := fmt.Sprintf("%s: value %q %s (allowed: %s)", field, value, problem, allowed)
	return &apiError{Status: 400, Message: msg, Field: field, Value: value, Allowed: allowed}
}

// badRequest is a 400 error that is not about one parameter (e.g. a body
// the domain package rejected; its message already names the field).
func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: 400, Message: fmt.Sprintf(format, args...)}
}

// query reads and validates URL query parameters. Each getter records the
// first error; Err returns it. Unknown parameters are errors too, so a typo
// is never silently ignored: Done checks that every given parameter was
// read.
type query struct {
	v    url.Values
	read map[string]bool
	err  *apiError
}

func newQuery(v url.Values) *query { return &query{v: v, read: map[string]bool{}} }

func (q *query) fail(e *apiError) {
	if q.err == nil {
		q.err = e
	}
}

// raw returns the parameter's single value and whether it was given.
func (q *query) raw(name string) (string, bool) {
	q.read[name] = true
	vals, ok := q.v[name]
	if !ok {
		return "", false
	}
	if len(vals) != 1 {
		q.fail(badParam(name, strings.Join(vals, ","), fmt.Sprintf("is given %d times", len(vals)), "once"))
		return "", false
	}
	return strings.TrimSpace(vals[0]), true
}

// has reports whether the parameter was given (and marks it read).
func (q *query) has(name string) bool {
	_, ok := q.raw(name)
	return ok
}

// float reads a float in [lo, hi] (either bound may be ±Inf; NaN and ±Inf
// values are always rejected). allowed describes the range with its unit.
func (q *query) float(name string, def, lo, hi float64, allowed string) float64 {
	return q.floatIn(name, def, func(v float64) bool { return v >= lo && v <= hi }, allowed)
}

// floatOpen reads a float in the open-ended range lo < v < hi.
func (q *query) floatOpen(name string, def, lo, hi float64, allowed string) float64 {
	return q.floatIn(name, def, func(v float64) bool { return v > lo && v < hi }, allowed)
}

// floatIn reads a finite float for which in holds.
func (q *query) floatIn(name string, def float64, in func(float64) bool, allowed string) float64 {
	s, ok := q.raw(name)
	if !ok {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		q.fail(badParam(name, s, "is not a number", allowed))
		return def
	}
	if !in(v) {
		q.fail(badParam(name, s, "is out of range", allowed))
		return def
	}
	return v
}

// int reads an integer in [lo, hi].
func (q *query) int(name string, def, lo, hi int64, allowed string) int64 {
	s, ok := q.raw(name)
	if !ok {
		return def
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		q.fail(badParam(name, s, "is not an integer", allowed))
		return def
	}
	if v < lo || v > hi {
		q.fail(badParam(name, s, "is out of range", allowed))
		return def
	}
	return v
}

// enum reads one of the allowed words.
func (q *query) enum(name, def string, allowed ...string) string {
	s, ok := q.raw(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	q.fail(badParam(name, s, "is unknown", strings.Join(allowed, ", ")))
	return def
}

// date reads a YYYY-MM-DD date (UTC midnight).
func (q *query) date(name string) (time.Time, bool) {
	s, ok := q.raw(name)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		q.fail(badParam(name, s, "is not a date", "YYYY-MM-DD, e.g. 2021-07-03"))
		return time.Time{}, false
	}
	return t, true
}

// str reads a free string (bounded length).
func (q *query) str(name, def string, maxLen int) string {
	s, ok := q.raw(name)
	if !ok {
		return def
	}
	if len(s) > maxLen {
		q.fail(badParam(name, s[:32]+"…", fmt.Sprintf("is %d characters long", len(s)), fmt.Sprintf("at most %d characters", maxLen)))
		return def
	}
	return s
}

// done checks for unknown parameters and returns the first error.
func (q *query) done() *apiError {
	if q.err != nil {
		return q.err
	}
	var unknown []string
	for k := range q.v {
		if !q.read[k] && k != "pretty" { // ?pretty indents any JSON answer (encode.go)
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := make([]string, 0, len(q.read))
		for k := range q.read {
			known = append(known, k)
		}
		sort.Strings(known)
		allowed := strings.Join(known, ", ")
		if allowed == "" {
			allowed = "no parameters"
		}
		return &apiError{Status: 400, Message: fmt.Sprintf("unknown parameter %q with value %q (allowed: %s)", unknown[0], q.v.Get(unknown[0]), allowed), Field: unknown[0], Value: q.v.Get(unknown[0]), Allowed: allowed}
	}
	return nil
}

// names returns the parameters a handler read (for the OpenAPI check).
func (q *query) names() []string {
	out := make([]string, 0, len(q.read))
	for k := range q.read {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
