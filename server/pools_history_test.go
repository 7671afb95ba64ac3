package server

import (
	"strings"
	"testing"
)

// TestPoolsHistoryRoutes: without a chain store the pools history and
// the fee share are 404s that say what to run; bad parameters are 400s
// naming the field, the value and what is allowed; the embedded epoch
// history carries null moving averages.
func TestPoolsHistoryRoutes(t *testing.T) {
	_, ts := newTest(t, Config{})
	for _, c := range []struct {
		path, want string
		status     int
		field      string
	}{
		{"/api/v1/pools/history", "serve --db", 404, ""},
		{"/api/v1/history/fee-share", "serve --db", 404, ""},
		{"/api/v1/pools/history?every=day", "week, month", 400, "every"},
		{"/api/v1/pools/history?top=31", "1 to 30", 400, "top"},
		{"/api/v1/pools/history?top=x", "1 to 30", 400, "top"},
		{"/api/v1/history/fee-share?from=2024-02-01&to=2024-01-01", "on or after from", 400, "to"},
		{"/api/v1/history/fee-share?from=20240101", "", 400, "from"},
	} {
		r := do(t, "GET", ts.URL+c.path, "")
		if r.status != c.status || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.path, r.status, r.body, c.status, c.want)
			continue
		}
		if c.field != "" {
			if f := r.json(t)["field"]; f != c.field {
				t.Errorf("%s: field %v, want %s", c.path, f, c.field)
			}
		}
	}
	r := do(t, "GET", ts.URL+"/api/v1/hashprice/history", "")
	pts := r.json(t)["points"].([]any)
	p := pts[len(pts)-1].(map[string]any)
	if v, ok := p["ma7_usd_per_ph_day"]; !ok || v != nil {
		t.Errorf("epoch point's 7-day mean: %v (present %v), want null", v, ok)
	}
}
