package server

import (
	"net/url"
	"os"
	"strings"
	"testing"
)

// POST /api/v1/pool/audit renders the service's audit of the export in
// the body; bad parameters and a bad export are 400s naming the field.
func TestPoolAuditRoute(t *testing.T) {
	_, ts := newTest(t, Config{})
	b, err := os.ReadFile("../examples/pool-export-example.csv")
	if err != nil {
		t.Fatal(err)
	}
	r := do(t, "POST", ts.URL+"/api/v1/pool/audit?scheme=fpps&fee=0.02&fees_btc=0.03", string(b))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	if m["scheme"] != "fpps" || num(t, m, "expected_sats") != 62698852 || num(t, m, "payout_sats") != 62410169 {
		t.Errorf("audit: scheme %v expected %v paid %v", m["scheme"], m["expected_sats"], m["payout_sats"])
	}
	for _, c := range []struct{ q, body, want string }{
		{"scheme=pps", string(b), "scheme"},
		{"fee=1", string(b), "fee"},
		{"", "date,hashrate_ths\n2024-11-01,1\n", "payout"},
	} {
		r := do(t, "POST", ts.URL+"/api/v1/pool/audit?"+c.q, c.body)
		if r.status != 400 || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%q: status %d %s (want 400 naming %s)", c.q, r.status, r.body, c.want)
		}
	}
	// Pool luck needs a chain store.
	if r := do(t, "POST", ts.URL+"/api/v1/pool/luck", "date,pool_key,hashrate\n2024-01-01,foundryusa,1e20\n"); r.status != 404 {
		t.Errorf("luck without a store: status %d %s", r.status, r.body)
	}
	// Concentration by template merges AntPool's friends.
	r = do(t, "GET", ts.URL+"/api/v1/security/concentration?by=template&shares="+url.QueryEscape("Foundry USA=30,AntPool=20,Binance Pool=5,poolin=2,F2Pool=10"), "")
	if r.status != 200 || !strings.Contains(string(r.body), `"AntPool \u0026 friends"`) && !strings.Contains(string(r.body), `"AntPool & friends"`) {
		t.Errorf("by template: %d %s", r.status, r.body)
	}
}
