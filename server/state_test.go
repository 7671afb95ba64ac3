package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/snapshot"
)

// issueDay is 222 days after the embedded snapshot's tip.
var issueDay = time.Date(2026, 11, 30, 21, 50, 3, 0, time.UTC)

// TestOverviewIsTheServiceOverview: /api/v1/overview is service.Overview,
// the struct `hashlab overview --json` prints, byte for byte.
func TestOverviewIsTheServiceOverview(t *testing.T) {
	_, ts := newTest(t, Config{Now: func() time.Time { return issueDay }})
	r := do(t, "GET", ts.URL+"/api/v1/overview?power_price=0.05", "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	want, err := service.New(snapshot.NewSource(), func() time.Time { return issueDay }).Overview(context.Background(), service.OverviewQuery{PowerUSDPerKWh: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	// Compact by default, indented with ?pretty (encode.go).
	wb, _ := json.Marshal(want)
	if strings.TrimSpace(string(r.body)) != string(wb) {
		t.Fatalf("overview differs from service.Overview:\n%s\nwant\n%s", r.body, wb)
	}
	pr := do(t, "GET", ts.URL+"/api/v1/overview?power_price=0.05&pretty", "")
	if wi, _ := json.MarshalIndent(want, "", "  "); strings.TrimSpace(string(pr.body)) != string(wi) {
		t.Fatalf("?pretty overview differs from the indented service.Overview:\n%s\nwant\n%s", pr.body, wi)
	}
	m := r.json(t)
	if m["source"] != "snapshot" || m["age_seconds"] != float64(222*86400) {
		t.Fatal(m["source"], m["age_seconds"])
	}
}

// TestInputErrorsFilled: every error that is (or wraps) a
// hashlab.InputError is a 400 with error, field, value and allowed
// filled, including those that come from the service and the domain
// packages (they were flattened with %v).
func TestInputErrorsFilled(t *testing.T) {
	_, ts := newTest(t, Config{})
	cases := []struct{ method, path, body, field, value string }{
		// Issue 14 item 7: a past height without its time is refused.
		{"GET", "/api/v1/network/next-adjustment?tip_height=788000", "", "tip_time", `""`},
		{"GET", "/api/v1/network/next-adjustment?tip_height=788255&tip_time=1", "", "tip_time", "1"},
		{"GET", "/api/v1/miners?power_price=0&uptime=0", "", "uptime", "0"},
		{"POST", "/api/v1/fleet", "machines:\n  - model: Antminer S21\n    count: -4\n", "machines[0].count", "-4"},
		{"GET", "/api/v1/security/double-spend?z=3-1", "", "z", "3-1"},
		{"GET", "/api/v1/security/attack-cost?z=0-200", "", "z", "0-200"},
	}
	for _, c := range cases {
		r := do(t, c.method, ts.URL+c.path, c.body)
		m := r.json(t)
		if r.status != 400 || m["field"] != c.field || m["value"] != c.value || m["allowed"] == "" || m["allowed"] == nil || m["error"] == "" {
			t.Errorf("%s %s: %d %s, want 400 with field %q value %q", c.method, c.path, r.status, r.body, c.field, c.value)
		}
	}
}

// Issue 14 item 7 on the API: the real times of a past epoch and the same
// halving answer as the CLI.
func TestPastEpochAndHalvingOverride(t *testing.T) {
	_, ts := newTest(t, Config{})
	m := do(t, "GET", ts.URL+"/api/v1/network/next-adjustment?tip_height=788255", "").json(t)
	if math.Round(num(t, m, "expected_change_pct")*100)/100 != -1.45 || m["tip_time_from"] != "epoch table" {
		t.Fatalf("%v", m)
	}
	h := do(t, "GET", ts.URL+"/api/v1/network/halving?height=839999", "").json(t)
	if d, ok := h["expected_date"]; !ok || d != nil || num(t, h, "blocks_to_go") != 1 {
		t.Fatalf("%v", h)
	}
}

// A computation stopped by the request's deadline is a 503, never a 400
// blaming the input (the pivot Monte Carlo and the simulator return the
// context's error wrapped).
func TestClientErrKeepsDeadline(t *testing.T) {
	s, _ := newTest(t, Config{})
	for _, err := range []error{
		fmt.Errorf("pivot: monte carlo: %w", context.DeadlineExceeded),
		fmt.Errorf("sim: %w", context.Canceled),
	} {
		got := clientErr("site", err)
		var ae *apiError
		if errors.As(got, &ae) {
			t.Fatalf("clientErr(%v) = API error %d %q; want the context's error", err, ae.Status, ae.Message)
		}
		if !errors.Is(got, context.DeadlineExceeded) && !errors.Is(got, context.Canceled) {
			t.Fatalf("clientErr(%v) = %v", err, got)
		}
	}
	rec := httptest.NewRecorder()
	s.writeError(rec, clientErr("site", fmt.Errorf("pivot: %w", context.DeadlineExceeded)))
	if rec.Code != 503 {
		t.Fatalf("deadline answered %d, want 503: %s", rec.Code, rec.Body)
	}
}

// A served chain store of blocks imported from files knows no fees: the
// state takes the embedded snapshot's reference fees with their label,
// never a silent 0 (a new user's report: serve --db gave fees 0 and a
// lower hashprice while `hashprice --source db` refused).
func TestServedStoreWithoutFeesUsesLabelledReference(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a store of 335,554 blocks")
	}
	db, _ := chainStore(t)
	h := NewChainHistory(db, ChainHistoryOptions{Source: "chain store"})
	_, ts := newTest(t, Config{History: h})
	r := do(t, "GET", ts.URL+"/api/v1/hashprice", "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	snap, err := snapshot.NewSource().State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := r.json(t)
	if got, want := num(t, m, "fees_per_block_sats"), float64(snap.Fees.PerBlock); got != want || got == 0 {
		t.Fatalf("fees_per_block_sats %v, want the snapshot's reference %v", got, want)
	}
	method, _ := m["method"].(map[string]any)
	fees, _ := method["fees"].(string)
	if !strings.Contains(fees, snap.Fees.Detail) && !strings.Contains(fees, snap.Fees.Source) {
		t.Fatalf("method.fees %q does not name the snapshot's reference (%q / %q)", fees, snap.Fees.Source, snap.Fees.Detail)
	}
}
