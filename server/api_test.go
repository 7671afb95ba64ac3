package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/mining"
)

// newTest starts the server on a loopback httptest listener.
func newTest(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

type resp struct {
	status int
	body   []byte
	header http.Header
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not a JSON object (%v): %s", err, r.body)
	}
	return m
}

func do(t *testing.T, method, u string, body string, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, b, res.Header}
}

func num(t *testing.T, m map[string]any, key string) float64 {
	t.Helper()
	v, ok := m[key].(float64)
	if !ok {
		t.Fatalf("%s missing or not a number in %v", key, m)
	}
	return v
}

func readExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHashpriceFromSnapshot(t *testing.T) {
	_, ts := newTest(t, Config{})
	r := do(t, "GET", ts.URL+"/api/v1/hashprice", "")
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	m := r.json(t)
	// The snapshot (block 946,236, bits 0x17021369, $86,000 and 0.02 BTC
	// fees as reference assumptions) gives 40.13 $/PH/day (README,
	// cmd/hashlab golden test).
	if hp := num(t, m, "usd_per_ph_day"); math.Abs(hp-40.13) > 0.01 {
		t.Errorf("usd_per_ph_day %v, want 40.13", hp)
	}
	if m["bits"] != "0x17022a27" && !strings.HasPrefix(m["bits"].(string), "0x17") {
		t.Errorf("bits %v", m["bits"])
	}
	if m["source"] != "snapshot" || m["source_detail"] != "embedded snapshot of 2026-04-22" || m["as_of"] != "2026-04-22T21:50:03Z" || m["age_seconds"] == nil {
		t.Errorf("source %v %v %v %v", m["source"], m["source_detail"], m["as_of"], m["age_seconds"])
	}
	be := m["breakeven_usd_per_kwh_at_jth"].(map[string]any)
	if v := be["17.5"].(float64); math.Abs(v-0.0955) > 0.0001 {
		t.Errorf("breakeven at 17.5 J/TH %v, want 0.0955", v)
	}
	// Parameters override the snapshot: doubling the price doubles USD.
	m2 := do(t, "GET", ts.URL+"/api/v1/hashprice?price=172000", "").json(t)
	if got := num(t, m2, "usd_per_ph_day"); math.Abs(got-2*num(t, m, "usd_per_ph_day")) > 1e-9 {
		t.Errorf("price doubled: %v", got)
	}
	if ov, _ := m2["overridden"].([]any); len(ov) != 1 || ov[0] != "price" || m2["source"] != "snapshot" {
		t.Errorf("overridden %v, source %v", m2["overridden"], m2["source"])
	}
	m3 := do(t, "GET", ts.URL+"/api/v1/hashprice?bits=0x1d00ffff&height=0&fees_btc=0&price=1", "").json(t)
	if got := num(t, m3, "difficulty"); got != 1 {
		t.Errorf("difficulty of 0x1d00ffff = %v, want 1", got)
	}
	if got := num(t, m3, "subsidy_sats"); got != 50e8 {
		t.Errorf("subsidy at height 0 = %v", got)
	}
}

// TestBadParameters: every parameter is validated with a JSON 400 that
// names the field and the value and says what is allowed.
func TestBadParameters(t *testing.T) {
	_, ts := newTest(t, Config{})
	cases := []struct{ method, path, field, value string }{
		{"GET", "/api/v1/hashprice?price=-1", "price", "-1"},
		{"GET", "/api/v1/hashprice?price=abc", "price", "abc"},
		{"GET", "/api/v1/hashprice?price=NaN", "price", "NaN"},
		{"GET", "/api/v1/hashprice?difficulty=0", "difficulty", "0"},
		{"GET", "/api/v1/hashprice?bits=0xzz", "bits", "0xzz"},
		{"GET", "/api/v1/hashprice?bits=0x1d00ffff&difficulty=5", "bits", "0x1d00ffff"},
		{"GET", "/api/v1/hashprice?height=-5", "height", "-5"},
		{"GET", "/api/v1/hashprice?fees_btc=22000000", "fees_btc", "22000000"},
		{"GET", "/api/v1/hashprice?price=1&price=2", "price", "1,2"},
		{"GET", "/api/v1/hashprice?pirce=1", "pirce", "1"},
		{"GET", "/api/v1/hashprice/history?every=month", "every", "month"},
		{"GET", "/api/v1/hashprice/history?from=2021-13-01", "from", "2021-13-01"},
		{"GET", "/api/v1/hashprice/history?from=2022-01-01&to=2021-01-01", "to", "2021-01-01"},
		{"GET", "/api/v1/network/next-adjustment?confidence=1", "confidence", "1"},
		{"GET", "/api/v1/network/next-adjustment?tip_time=5", "tip_time", "5"},
		{"GET", "/api/v1/network/next-adjustment?tip_height=x", "tip_height", "x"},
		{"GET", "/api/v1/network/halving?block_interval=0", "block_interval", "0"},
		{"GET", "/api/v1/network/adjustments?to=yesterday", "to", "yesterday"},
		{"GET", "/api/v1/miners?power_price=11", "power_price", "11"},
		{"GET", "/api/v1/miners?pool_fee=0.9", "pool_fee", "0.9"},
		{"GET", "/api/v1/miners?uptime=2", "uptime", "2"},
		{"GET", "/api/v1/miners?overhead=-0.1", "overhead", "-0.1"},
		{"POST", "/api/v1/fleet?price=-3", "price", "-3"},
		{"POST", "/api/v1/pivot?path=sideways", "path", "sideways"},
		{"POST", "/api/v1/pivot?paths=1000000", "paths", "1000000"},
		{"POST", "/api/v1/pivot?volatility=9", "volatility", "9"},
		{"GET", "/api/v1/pools?window=forever", "window", "forever"},
		{"GET", "/api/v1/security/double-spend?q=1", "q", "1"},
		{"GET", "/api/v1/security/double-spend?z=5-2", "z", "5-2"},
		{"GET", "/api/v1/security/double-spend?method=guess", "method", "guess"},
		{"GET", "/api/v1/security/confirmations?q=0.5", "q", "0.5"},
		{"GET", "/api/v1/security/confirmations?risk=0", "risk", "0"},
		{"GET", "/api/v1/security/selfish?alpha=0.6", "alpha", "0.6"},
		{"GET", "/api/v1/security/selfish?gamma=-1", "gamma", "-1"},
		{"GET", "/api/v1/security/selfish?accuracy=1", "accuracy", "1"},
		{"GET", "/api/v1/security/attack-cost?exodus=1", "exodus", "1"},
		{"GET", "/api/v1/security/attack-cost?z=a", "z", "a"},
		{"GET", "/api/v1/security/attack-cost?share=0", "share", "0"},
		{"GET", "/api/v1/security/attack-cost?idle_available=3", "idle_available", "3"},
		{"GET", "/api/v1/security/concentration?shares=foundry:0.3", "shares", "foundry:0.3"},
		{"GET", "/api/v1/security/concentration", "shares", ""},
		{"GET", "/api/v1/sim/jobs?x=1", "x", "1"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			r := do(t, c.method, ts.URL+c.path, "name: x")
			if r.status != 400 {
				t.Fatalf("status %d, want 400: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			m := r.json(t)
			msg, _ := m["error"].(string)
			if m["field"] != c.field || !strings.Contains(msg, c.field) {
				t.Errorf("error %q (field %v) does not name field %q", msg, m["field"], c.field)
			}
			if c.value != "" && (m["value"] != c.value || !strings.Contains(msg, c.value)) {
				t.Errorf("error %q (value %v) does not name value %q", msg, m["value"], c.value)
			}
			if a, _ := m["allowed"].(string); a == "" || !strings.Contains(msg, "allowed") {
				t.Errorf("error %q does not say what is allowed", msg)
			}
		})
	}
}

func TestHistoryFromSnapshot(t *testing.T) {
	_, ts := newTest(t, Config{})
	m := do(t, "GET", ts.URL+"/api/v1/hashprice/history", "").json(t)
	pts := m["points"].([]any)
	if len(pts) < 460 {
		t.Fatalf("%d points, want one per epoch with times (>460)", len(pts))
	}
	low := m["all_time_low"].(map[string]any)
	min := math.Inf(1)
	for _, p := range pts {
		v := p.(map[string]any)["btc_per_ph_day"].(float64)
		min = math.Min(min, v)
		if p.(map[string]any)["usd_per_ph_day"] != nil {
			t.Fatal("snapshot history has no prices; usd must be null")
		}
	}
	if low["btc_per_ph_day"].(float64) != min || m["all_time_low_unit"] != "BTC/PH/day" {
		t.Errorf("all-time low %v (%v), want min %v BTC/PH/day", low["btc_per_ph_day"], m["all_time_low_unit"], min)
	}
	// Genesis epoch: difficulty 1, 50 BTC: 1e15·86400/2^32 blocks/day ×
	// 50 BTC.
	first := pts[0].(map[string]any)
	if want := 1e15 * 86400 / math.Exp2(32) * 50; math.Abs(first["btc_per_ph_day"].(float64)/want-1) > 1e-12 {
		t.Errorf("genesis hashvalue %v, want %v", first["btc_per_ph_day"], want)
	}
	// Filter by dates.
	m2 := do(t, "GET", ts.URL+"/api/v1/hashprice/history?from=2021-01-01&to=2021-12-31", "").json(t)
	n := len(m2["points"].([]any))
	if n < 24 || n > 28 {
		t.Errorf("2021 has %d epochs, want about 26", n)
	}
	// Daily history needs a chain store.
	r := do(t, "GET", ts.URL+"/api/v1/hashprice/history?every=day", "")
	if r.status != 404 || !strings.Contains(r.json(t)["error"].(string), "--db") {
		t.Errorf("every=day without a store: %d %s", r.status, r.body)
	}
}

func TestAdjustmentsRealRecord(t *testing.T) {
	_, ts := newTest(t, Config{})
	m := do(t, "GET", ts.URL+"/api/v1/network/adjustments", "").json(t)
	// The July 2021 retarget at 689472 is -27.94%, the largest drop ever
	// (epochs.csv, from real headers).
	d := m["largest_drop"].(map[string]any)
	if d["height"].(float64) != 689472 || math.Abs(d["change_pct"].(float64)+27.94) > 0.01 {
		t.Errorf("largest drop %v", d)
	}
	if num(t, m, "count") < 460 {
		t.Errorf("count %v", m["count"])
	}
	m2 := do(t, "GET", ts.URL+"/api/v1/network/adjustments?from=2021-07-01&to=2021-07-31", "").json(t)
	adj := m2["adjustments"].([]any)
	if len(adj) != 3 {
		t.Fatalf("July 2021 has 3 retargets (689472, 691488, 693504), got %d", len(adj))
	}
	a := adj[0].(map[string]any)
	if a["height"].(float64) != 689472 || a["epoch_duration_sec"].(float64) < 17*86400 {
		t.Errorf("first July 2021 retarget %v (the epoch before took ~19.6 days)", a)
	}
}

func TestNextAdjustmentAndHalving(t *testing.T) {
	_, ts := newTest(t, Config{})
	m := do(t, "GET", ts.URL+"/api/v1/network/next-adjustment", "").json(t)
	if num(t, m, "retarget_height") != 947520 || m["current_bits"] != "0x17021369" || m["expected_date"] == "" {
		t.Errorf("next adjustment %v", m)
	}
	if lo, hi, e := num(t, m, "low_change"), num(t, m, "high_change"), num(t, m, "expected_change"); !(lo <= e && e <= hi) {
		t.Errorf("interval %v..%v does not hold %v", lo, hi, e)
	}
	h := do(t, "GET", ts.URL+"/api/v1/network/halving", "").json(t)
	if num(t, h, "next_halving_height") != 1050000 || num(t, h, "blocks_to_go") != 103764 {
		t.Errorf("halving %v", h)
	}
	if after, now := num(t, h, "hashprice_after_usd_per_ph_day"), num(t, h, "hashprice_now_usd_per_ph_day"); !(after < now && after > now/2) {
		t.Errorf("hashprice after halving %v vs now %v (fees keep it above half)", after, now)
	}
	if h["expected_date"] != "2028-04-12" {
		t.Errorf("expected date %v", h["expected_date"])
	}
}

func TestMiners(t *testing.T) {
	_, ts := newTest(t, Config{})
	m := do(t, "GET", ts.URL+"/api/v1/miners?power_price=0.08", "").json(t)
	models := m["models"].([]any)
	if len(models) != len(mining.Catalogue()) {
		t.Fatalf("%d models, want %d", len(models), len(mining.Catalogue()))
	}
	prev := math.Inf(1)
	for _, x := range models {
		e := x.(map[string]any)["economics"].(map[string]any)
		be, run, margin := e["breakeven_power_usd_per_kwh"].(float64), e["run"].(bool), e["margin"].(float64)
		if run != (be > 0.08) {
			t.Errorf("%v: run=%v with breakeven %v at 0.08 $/kWh", x.(map[string]any)["spec"].(map[string]any)["model"], run, be)
		}
		if margin > prev+1e-12 {
			t.Error("not sorted by margin")
		}
		prev = margin
	}
}

func TestFleet(t *testing.T) {
	_, ts := newTest(t, Config{MaxBodyBytes: 4096})
	r := do(t, "POST", ts.URL+"/api/v1/fleet", readExample(t, "fleet.yaml"), "Content-Type", "application/yaml")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	if len(m["groups"].([]any)) != 5 || m["name"] != "Example private miner" {
		t.Errorf("fleet %v", m)
	}
	// JSON is accepted too.
	r = do(t, "POST", ts.URL+"/api/v1/fleet", `{"power_usd_per_kwh":0.05,"machines":[{"model":"Antminer S21","count":2}]}`)
	if r.status != 200 || num(t, r.json(t), "net_usd_per_day") <= 0 {
		t.Errorf("JSON fleet: %d %s", r.status, r.body)
	}
	// Errors from the domain parser name the field.
	r = do(t, "POST", ts.URL+"/api/v1/fleet", "machines:\n  - model: Antminer S21\n    count: -3\n")
	if r.status != 400 || !strings.Contains(r.json(t)["error"].(string), "count") {
		t.Errorf("bad count: %d %s", r.status, r.body)
	}
	r = do(t, "POST", ts.URL+"/api/v1/fleet", "machinez: []\n")
	if r.status != 400 || !strings.Contains(r.json(t)["error"].(string), "machinez") {
		t.Errorf("unknown field: %d %s", r.status, r.body)
	}
	r = do(t, "POST", ts.URL+"/api/v1/fleet", "")
	if r.status != 400 || r.json(t)["field"] != "body" {
		t.Errorf("empty body: %d %s", r.status, r.body)
	}
	r = do(t, "POST", ts.URL+"/api/v1/fleet", "name: "+strings.Repeat("x", 5000))
	if r.status != 413 || !strings.Contains(r.json(t)["error"].(string), "4096") {
		t.Errorf("large body: %d %s", r.status, r.body)
	}
	r = do(t, "GET", ts.URL+"/api/v1/fleet", "")
	if r.status != 405 {
		t.Errorf("GET fleet: %d", r.status)
	}
}

func TestPivot(t *testing.T) {
	_, ts := newTest(t, Config{})
	site := readExample(t, "site-example.yaml")
	r := do(t, "POST", ts.URL+"/api/v1/pivot", site)
	if r.status != 400 || r.json(t)["field"] != "hourly_prices_csv" {
		t.Fatalf("a site naming a file: %d %s", r.status, r.body)
	}
	var kept []string
	for _, l := range strings.Split(site, "\n") {
		if !strings.HasPrefix(l, "hourly_prices_csv") {
			kept = append(kept, l)
		}
	}
	r = do(t, "POST", ts.URL+"/api/v1/pivot?hashprice=35.7&path=flat&paths=200&seed=3", strings.Join(kept, "\n"))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	opts := m["options"].([]any)
	if len(opts) < 5 || m["best_by_npv"] == "" || m["monte_carlo"] == nil {
		t.Errorf("pivot %v", m)
	}
	for _, o := range opts {
		if o.(map[string]any)["name"] == "lease to AI tenant" {
			// README: a $150/kW-month lease earns $0.2055/kWh.
			if v := o.(map[string]any)["revenue_usd_per_kwh"].(float64); math.Abs(v-0.2055) > 0.0005 {
				t.Errorf("lease revenue %v $/kWh, want 0.2055", v)
			}
		}
	}
	if mc := m["monte_carlo"].(map[string]any); mc["paths"].(float64) != 200 {
		t.Errorf("monte carlo %v", mc)
	}
	r = do(t, "POST", ts.URL+"/api/v1/pivot", "gross_mw: -5\n")
	if r.status != 400 || !strings.Contains(r.json(t)["error"].(string), "gross_mw") {
		t.Errorf("bad site: %d %s", r.status, r.body)
	}
}

func TestPoolsNeedStore(t *testing.T) {
	_, ts := newTest(t, Config{})
	r := do(t, "GET", ts.URL+"/api/v1/pools", "")
	if r.status != 404 || !strings.Contains(r.json(t)["error"].(string), "--db") {
		t.Errorf("%d %s", r.status, r.body)
	}
}

func TestSecurityCalculators(t *testing.T) {
	_, ts := newTest(t, Config{})
	// Nakamoto's whitepaper, q=0.1: z=5 → 0.0009137.
	m := do(t, "GET", ts.URL+"/api/v1/security/double-spend?q=0.1&z=0-10&method=nakamoto", "").json(t)
	e := m["entries"].([]any)
	if len(e) != 11 || math.Abs(e[5].(map[string]any)["p"].(float64)-0.0009137) > 5e-8 {
		t.Errorf("double spend %v", e)
	}
	c := do(t, "GET", ts.URL+"/api/v1/security/confirmations?q=0.1&risk=0.001&method=nakamoto", "").json(t)
	if num(t, c, "z") != 5 || num(t, c, "expected_wait_minutes") != 50 {
		t.Errorf("confirmations %v", c)
	}
	// Whitepaper table for P < 0.1%: q=0.3 needs 24.
	c = do(t, "GET", ts.URL+"/api/v1/security/confirmations?q=0.3&method=nakamoto", "").json(t)
	if num(t, c, "z") != 24 {
		t.Errorf("q=0.3: %v", c)
	}
	s := do(t, "GET", ts.URL+"/api/v1/security/selfish?alpha=0.35&gamma=0&accuracy=0.001", "").json(t)
	// Sapirshtein et al. Table 1: α=0.35, γ=0 → 0.37077; SM1 0.36650.
	if math.Abs(num(t, s, "optimal")-0.37077) > 2e-3 || math.Abs(num(t, s, "sm1")-0.3665) > 1e-3 || math.Abs(num(t, s, "sm1_threshold")-1.0/3) > 1e-9 {
		t.Errorf("selfish %v", s)
	}
	a := do(t, "GET", ts.URL+"/api/v1/security/attack-cost?exodus=0.3&z=6", "").json(t)
	res := a["results"].([]any)[0].(map[string]any)
	in := a["inputs"].(map[string]any)
	if res["z"].(float64) != 6 || in["exodus_fraction"].(float64) != 0.3 || res["cheapest_usd"].(float64) <= 0 {
		t.Errorf("attack cost %v", res)
	}
	honest := res["honest_hs"].(float64)
	if net := in["network_hashrate_hs"].(float64); math.Abs(honest/net-0.7) > 1e-9 {
		t.Errorf("honest %v after a 30%% exodus of %v", honest, net)
	}
	k := do(t, "GET", ts.URL+"/api/v1/security/concentration?"+url.Values{"shares": {"a=3,b=1,c=1"}}.Encode(), "").json(t)
	// Shares 0.6, 0.2, 0.2: HHI 0.44 → 4400.
	if math.Abs(num(t, k, "hhi_10000")-4400) > 1e-6 || num(t, k, "nakamoto_coefficient_50") != 1 {
		t.Errorf("concentration %v", k)
	}
}

func TestTokenAndSafety(t *testing.T) {
	if _, err := New(Config{Addr: "0.0.0.0:8080"}); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("non-loopback without token: %v", err)
	}
	if _, err := New(Config{Addr: ":8080"}); err == nil {
		t.Error(":8080 listens everywhere and needs a token")
	}
	for _, a := range []string{"127.0.0.1:8080", "localhost:1", "[::1]:8080", "127.0.0.2:80"} {
		if !IsLoopback(a) {
			t.Errorf("%s is loopback", a)
		}
	}
	for _, a := range []string{"0.0.0.0:8080", ":8080", "192.168.1.5:80", "example.com:80"} {
		if IsLoopback(a) {
			t.Errorf("%s is not loopback", a)
		}
	}
	// A public address with a token: heavy endpoints need it, reads don't.
	_, ts := newTest(t, Config{Addr: "0.0.0.0:8080", Token: "s3cret-0123456789abcdef"})
	fleet := `{"machines":[{"model":"Antminer S21","count":1}]}`
	if r := do(t, "POST", ts.URL+"/api/v1/fleet", fleet); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", ts.URL+"/api/v1/fleet", fleet, "Authorization", "Bearer wrong"); r.status != 401 {
		t.Errorf("wrong token: %d", r.status)
	}
	if r := do(t, "POST", ts.URL+"/api/v1/fleet", fleet, "Authorization", "Bearer s3cret-0123456789abcdef"); r.status != 200 {
		t.Errorf("right token: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", ts.URL+"/api/v1/security/selfish?alpha=0.3&accuracy=0.01", ""); r.status != 401 {
		t.Errorf("selfish is heavy: %d", r.status)
	}
	if r := do(t, "GET", ts.URL+"/api/v1/hashprice", ""); r.status != 200 {
		t.Errorf("reads need no token: %d", r.status)
	}
	// Loopback server: a foreign Host (DNS rebinding) and a cross-site
	// POST are refused.
	_, lts := newTest(t, Config{})
	if r := do(t, "GET", lts.URL+"/api/v1/hashprice", "", "Host", "evil.example:8080"); r.status != 403 {
		t.Errorf("foreign Host: %d", r.status)
	}
	if r := do(t, "POST", lts.URL+"/api/v1/fleet", fleet, "Origin", "http://evil.example"); r.status != 403 {
		t.Errorf("cross-origin POST: %d", r.status)
	}
	if r := do(t, "POST", lts.URL+"/api/v1/fleet", fleet, "Origin", lts.URL); r.status != 200 {
		t.Errorf("same-origin POST: %d %s", r.status, r.body)
	}
	r := do(t, "GET", lts.URL+"/", "")
	if r.header.Get("Content-Security-Policy") == "" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("security headers missing: %v", r.header)
	}
}

// slowHistory blocks until the request's context ends.
type slowHistory struct{ *SnapshotHistory }

func (slowHistory) Tip(ctx context.Context) (Tip, error) {
	<-ctx.Done()
	return Tip{}, ctx.Err()
}

func TestRequestTimeout(t *testing.T) {
	_, ts := newTest(t, Config{History: slowHistory{NewSnapshotHistory()}, RequestTimeout: 50 * time.Millisecond})
	r := do(t, "GET", ts.URL+"/api/v1/hashprice", "")
	if r.status != 503 || !strings.Contains(r.json(t)["error"].(string), "50ms") {
		t.Errorf("%d %s", r.status, r.body)
	}
	// Metrics and health answer 503 instead of hanging.
	for _, p := range []string{"/metrics", "/healthz"} {
		if r := do(t, "GET", ts.URL+p, ""); r.status != 503 {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	_, ts := newTest(t, Config{})
	h := do(t, "GET", ts.URL+"/healthz", "")
	if h.status != 200 || h.json(t)["status"] != "ok" {
		t.Errorf("healthz %d %s", h.status, h.body)
	}
	do(t, "GET", ts.URL+"/api/v1/hashprice", "")
	do(t, "GET", ts.URL+"/api/v1/hashprice?price=x", "")
	r := do(t, "GET", ts.URL+"/metrics", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("%d %v", r.status, r.header)
	}
	vals := parseProm(t, string(r.body))
	if v := vals["hashlab_hashprice_usd_per_ph_day"]; math.Abs(v-40.13) > 0.01 {
		t.Errorf("hashlab_hashprice_usd_per_ph_day %v", v)
	}
	for _, k := range []string{"hashlab_hashprice_btc_per_ph_day", "hashlab_network_hashrate_implied_hs", "hashlab_network_hashrate_estimate_hs", "hashlab_next_adjustment_expected_change_ratio", "hashlab_tip_height"} {
		if _, ok := vals[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
	if _, ok := vals["hashlab_blocks_behind_tip"]; ok {
		t.Error("blocks behind tip only while following a store")
	}
	if vals[`hashlab_http_requests_total{code="200",route="GET /api/v1/hashprice"}`] != 1 || vals[`hashlab_http_requests_total{code="400",route="GET /api/v1/hashprice"}`] != 1 {
		t.Errorf("request counters: %s", r.body)
	}
	if est, imp := vals["hashlab_network_hashrate_estimate_hs"], vals["hashlab_network_hashrate_implied_hs"]; est/imp < 0.5 || est/imp > 2 {
		t.Errorf("estimate %v vs implied %v", est, imp)
	}
}

// parseProm checks the text format line by line and returns samples.
func parseProm(t *testing.T, s string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	typed := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			f := strings.Fields(line)
			if len(f) != 4 {
				t.Fatalf("line %d: %q", i+1, line)
			}
			typed[f[2]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			t.Fatalf("line %d: %q", i+1, line)
		}
		name, val := line[:sp], line[sp+1:]
		var v float64
		if err := json.Unmarshal([]byte(val), &v); err != nil {
			t.Fatalf("line %d: value %q: %v", i+1, val, err)
		}
		base := name
		if j := strings.IndexByte(base, '{'); j >= 0 {
			base = base[:j]
		}
		base = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(base, "_sum"), "_count"), "_bucket")
		if !typed[base] {
			t.Errorf("line %d: %s has no # TYPE", i+1, base)
		}
		out[name] = v
	}
	return out
}

func TestDashboardAssets(t *testing.T) {
	_, ts := newTest(t, Config{})
	for path, want := range map[string]string{"/": `data-page="overview"`, "/fleet": `data-page="fleet"`, "/security": `data-page="security"`, "/simulator": `data-page="simulator"`} {
		r := do(t, "GET", ts.URL+path, "")
		if r.status != 200 || !bytes.Contains(r.body, []byte(want)) || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
		// No CDN: every script and stylesheet is local.
		if bytes.Contains(r.body, []byte("http://")) && !bytes.Contains(r.body, []byte("http://www.w3.org")) || bytes.Contains(r.body, []byte("https://")) {
			t.Errorf("%s refers to a remote URL", path)
		}
	}
	for path, ct := range map[string]string{"/assets/app.js": "javascript", "/assets/charts.js": "javascript", "/assets/style.css": "text/css"} {
		r := do(t, "GET", ts.URL+path, "")
		if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), ct) || len(r.body) < 1000 {
			t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := do(t, "GET", ts.URL+"/nope", ""); r.status != 404 {
		t.Errorf("/nope: %d", r.status)
	}
}
