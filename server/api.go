package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/history"
	"github.com/hashlab/hashlab/mining"
	"github.com/hashlab/hashlab/pivot"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/service"
)

// register wires every route. The OpenAPI test checks this table against
// openapi.json in both directions.
func (s *Server) register() {
	api := func(method, path string, heavy bool, f apiFunc) {
		s.handle(method, path, heavy, true, s.jsonHandler(f))
	}
	s.handle("GET", "/healthz", false, true, http.HandlerFunc(s.healthz))
	s.handle("GET", "/metrics", false, true, http.HandlerFunc(s.metrics))
	s.handle("GET", "/api/v1/openapi.json", false, true, http.HandlerFunc(serveOpenAPI))

	api("GET", "/api/v1/overview", false, s.apiOverview)
	s.handle("GET", "/api/v1/hashprice", false, true, s.hashpriceHandler())
	// Routes that scan a chain store wait for merged scans (ScanTimeout).
	scan := func(method, path string, f apiFunc) {
		s.handle(method, path, false, true, s.jsonHandlerTimeout(f, s.cfg.ScanTimeout))
	}
	scan("GET", "/api/v1/hashprice/history", s.apiHashpriceHistory)
	api("GET", "/api/v1/network/next-adjustment", false, s.apiNextAdjustment)
	api("GET", "/api/v1/network/halving", false, s.apiHalving)
	scan("GET", "/api/v1/network/adjustments", s.apiAdjustments)
	api("GET", "/api/v1/miners", false, s.apiMiners)
	api("GET", "/api/v1/miners/buy", true, s.apiBuy)
	api("POST", "/api/v1/miners/buy", true, s.apiBuy)
	api("POST", "/api/v1/fleet", true, s.apiFleet)
	api("POST", "/api/v1/pivot", true, s.apiPivot)
	api("POST", "/api/v1/hedge", true, s.apiHedge)
	scan("GET", "/api/v1/pools", s.apiPools)
	s.registerPoolsHistory(scan)
	s.registerMinerFlow(scan)
	api("GET", "/api/v1/security/double-spend", false, s.apiDoubleSpend)
	api("GET", "/api/v1/security/confirmations", false, s.apiConfirmations)
	api("GET", "/api/v1/security/selfish", true, s.apiSelfish)
	api("GET", "/api/v1/security/attack-cost", false, s.apiAttackCost)
	api("GET", "/api/v1/security/concentration", false, s.apiConcentration)
	s.registerPool(api)
	api("GET", "/api/v1/sim/scenarios", false, s.apiSimScenarios)
	api("GET", "/api/v1/sim/jobs", false, s.apiSimJobs)
	api("POST", "/api/v1/sim/jobs", true, s.apiSimSubmit)
	api("GET", "/api/v1/sim/jobs/{id}", false, s.apiSimJob)
	api("DELETE", "/api/v1/sim/jobs/{id}", true, s.apiSimCancel)

	s.registerWeb()
}

// bodyReader lets a JSON handler read the body under the limit. The
// handler runs with the request only, so the limit is applied to the body
// here with a nil ResponseWriter (MaxBytesReader tolerates it).
func (s *Server) body(r *http.Request) ([]byte, error) { return s.bodyBytes(nil, r) }

// ---------------------------------------------------------------- market

// overrides reads the market parameters difficulty|bits, height,
// fees_btc and price; unset values keep the state's (service.Overrides).
func (q *query) overrides() service.Overrides {
	var o service.Overrides
	if q.has("difficulty") {
		d := q.float("difficulty", 0, math.SmallestNonzeroFloat64, math.MaxFloat64, "> 0")
		o.Difficulty = &d
	}
	if bitsS := q.str("bits", "", 10); bitsS != "" {
		b, err := consensus.ParseBits(bitsS)
		if err == nil {
			err = consensus.CheckBits("bits", b, consensus.MainNet)
		}
		if err != nil {
			q.fail(badParam("bits", bitsS, "is not a valid compact target", "8 hex digits of a positive target up to the mainnet limit 0x1d00ffff, e.g. 0x17021369"))
		}
		o.Bits = &b
	}
	if q.has("height") {
		h := q.int("height", 0, 0, service.MaxHeight, "0 to 100,000,000")
		o.Height = &h
	}
	if q.has("fees_btc") {
		f := q.float("fees_btc", 0, 0, 21e6, "0 to 21,000,000 BTC per block")
		sats := consensus.Sats(math.Round(f * consensus.SatsPerBTC))
		o.FeesPerBlock = &sats
	}
	if q.has("price") {
		p := q.float("price", 0, 0, 1e12, ">= 0 USD per BTC")
		o.PriceUSD = &p
	}
	return o
}

func (s *Server) apiHashprice(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	o := q.overrides()
	method := q.enum("difficulty_method", string(service.DifficultyInForce), string(service.DifficultyInForce), string(service.DifficultyRealised), "realized")
	if e := q.done(); e != nil {
		return nil, e
	}
	dm, err := service.ParseDifficultyMethod(method)
	if err != nil {
		return nil, err
	}
	// The same JSON as `hashlab hashprice --json`, method included; the
	// fee window is the one the server's source was opened with.
	return s.svc.HashpriceWith(r.Context(), service.HashpriceQuery{Market: o, Difficulty: dm})
}

func (s *Server) apiOverview(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	o := q.overrides()
	power := q.float("power_price", service.DefaultPowerUSDPerKWh, 0, 10, "0 to 10 USD per kWh")
	if e := q.done(); e != nil {
		return nil, e
	}
	return s.svc.Overview(r.Context(), service.OverviewQuery{Market: o, PowerUSDPerKWh: power})
}

// HistoryResponse is GET /api/v1/hashprice/history.
type HistoryResponse struct {
	Source string           `json:"source"`
	Every  string           `json:"every"`
	Note   string           `json:"note,omitempty"`
	Points []HashpricePoint `json:"points"`
	// AllTimeLow is the lowest point: by USD when any point has a USD
	// value (the priced points), else by BTC hashvalue (Unit says which).
	AllTimeLow *HashpricePoint `json:"all_time_low,omitempty"`
	Unit       string          `json:"all_time_low_unit,omitempty"`
	// UnpricedPoints counts the points without a BTC price (null USD).
	UnpricedPoints int `json:"unpriced_points"`
}

func (s *Server) apiHashpriceHistory(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	every := q.enum("every", "epoch", "epoch", "day", "week")
	from, _ := q.date("from")
	to, hasTo := q.date("to")
	if e := q.done(); e != nil {
		return nil, e
	}
	if hasTo {
		to = to.Add(24*time.Hour - time.Second)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return nil, badParam("to", r.URL.Query().Get("to"), "is before from", "a date on or after from")
	}
	pts, err := s.hist.Hashprice(r.Context(), from, to, every)
	if err != nil {
		return nil, err
	}
	pts = s.movingAverages(r.Context(), pts, from, to, every)
	tip, err := s.hist.Tip(r.Context())
	if err != nil {
		return nil, err
	}
	out := HistoryResponse{Source: tip.Source, Every: every, Points: pts}
	if out.Points == nil {
		out.Points = []HashpricePoint{}
	}
	// The series is in USD when any point has a price: the points without
	// one keep a null USD value (unpriced days are marked, not dropped),
	// and the all-time low is the lowest priced point.
	for _, p := range pts {
		if p.USDPerPHDay == nil {
			out.UnpricedPoints++
		}
	}
	usd := len(pts) > 0 && out.UnpricedPoints < len(pts)
	for i := range pts {
		p := &pts[i]
		if usd && p.USDPerPHDay == nil {
			continue
		}
		if out.AllTimeLow == nil {
			out.AllTimeLow = p
			continue
		}
		if usd && *p.USDPerPHDay < *out.AllTimeLow.USDPerPHDay || !usd && p.BTCPerPHDay < out.AllTimeLow.BTCPerPHDay {
			out.AllTimeLow = p
		}
	}
	noFees := false
	for _, p := range pts {
		noFees = noFees || !p.FeesIncluded
	}
	const subsidyOnly = "from the block subsidy alone where fees are unknown (the embedded epoch table and imported files have none; blocks ingested from a node and days with imported fees do)"
	if usd {
		out.Unit = "USD/PH/day"
		if out.UnpricedPoints > 0 {
			out.Note = fmt.Sprintf("%d of %d points have no BTC price (null USD, not drawn)", out.UnpricedPoints, len(pts))
		}
		if noFees {
			if out.Note != "" {
				out.Note += "; "
			}
			out.Note += "hashprice " + subsidyOnly
		}
	} else if len(pts) > 0 {
		out.Unit = "BTC/PH/day"
		out.Note = "no BTC price history: hashvalue in BTC per PH/s per day"
		if noFees {
			out.Note += ", " + subsidyOnly
		}
	}
	return out, nil
}

// ------------------------------------------------------------ network

func (s *Server) apiNextAdjustment(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	aq := service.AdjustmentQuery{Confidence: q.floatOpen("confidence", service.DefaultConfidence, 0, 1, "0 < c < 1")}
	if q.has("tip_height") {
		v := q.int("tip_height", 0, 0, service.MaxHeight, "0 to 100,000,000")
		aq.TipHeight = &v
	}
	if q.has("tip_time") {
		v := q.int("tip_time", 0, 0, math.MaxUint32, "0 to 4294967295 (Unix seconds)")
		aq.TipTime = &v
	}
	if q.has("epoch_first_time") {
		v := q.int("epoch_first_time", 0, 0, math.MaxUint32, "0 to 4294967295 (Unix seconds)")
		aq.EpochFirstTime = &v
	}
	if e := q.done(); e != nil {
		return nil, e
	}
	return s.svc.NextAdjustment(r.Context(), aq)
}

func (s *Server) apiHalving(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	o := q.overrides()
	interval := q.float("block_interval", service.DefaultBlockIntervalSec, 1, 1e6, "1 to 1,000,000 seconds per block")
	if e := q.done(); e != nil {
		return nil, e
	}
	return s.svc.Halving(r.Context(), service.HalvingQuery{Market: o, BlockIntervalSec: interval})
}

// AdjustmentsResponse is GET /api/v1/network/adjustments.
type AdjustmentsResponse struct {
	Source      string       `json:"source"`
	Count       int          `json:"count"`
	Adjustments []Adjustment `json:"adjustments"`
	// LargestDrop and LargestRise are over the returned range.
	LargestDrop *Adjustment `json:"largest_drop,omitempty"`
	LargestRise *Adjustment `json:"largest_rise,omitempty"`
}

func (s *Server) apiAdjustments(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	from, _ := q.date("from")
	to, hasTo := q.date("to")
	if e := q.done(); e != nil {
		return nil, e
	}
	if hasTo {
		to = to.Add(24*time.Hour - time.Second)
	}
	all, err := s.hist.Adjustments(r.Context())
	if err != nil {
		return nil, err
	}
	tip, err := s.hist.Tip(r.Context())
	if err != nil {
		return nil, err
	}
	out := AdjustmentsResponse{Source: tip.Source, Adjustments: []Adjustment{}}
	for _, a := range all {
		if (!from.IsZero() && a.Time.Before(from)) || (!to.IsZero() && a.Time.After(to)) {
			continue
		}
		out.Adjustments = append(out.Adjustments, a)
	}
	for i := range out.Adjustments {
		a := &out.Adjustments[i]
		if out.LargestDrop == nil || a.ChangePct < out.LargestDrop.ChangePct {
			out.LargestDrop = a
		}
		if out.LargestRise == nil || a.ChangePct > out.LargestRise.ChangePct {
			out.LargestRise = a
		}
	}
	out.Count = len(out.Adjustments)
	return out, nil
}

// -------------------------------------------------------------- mining

func (s *Server) apiMiners(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	mq := service.MinersQuery{Market: q.overrides()}
	mq.PowerUSDPerKWh = q.float("power_price", service.DefaultPowerUSDPerKWh, 0, 10, "0 to 10 USD per kWh")
	mq.PoolFee = q.float("pool_fee", mining.DefaultPoolFee, 0, 0.5, "0 to 0.5 (fraction; 0.02 = 2%)")
	mq.Uptime = q.float("uptime", mining.DefaultUptime, 0, 1, "0 to 1 (fraction of time hashing)")
	mq.OverheadUSDPerKWh = q.float("overhead", 0, 0, 10, "0 to 10 USD per kWh")
	if e := q.done(); e != nil {
		return nil, e
	}
	return s.svc.Miners(r.Context(), mq)
}

func (s *Server) apiFleet(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	o := q.overrides()
	if e := q.done(); e != nil {
		return nil, e
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	// Parsing and evaluating are linear in the document: 1 unit a byte.
	release, err := s.admit(r.Context(), minCost+int64(len(body)))
	if err != nil {
		return nil, err
	}
	defer release()
	fleet, err := mining.ParseFleet(body)
	if err != nil {
		return nil, clientErr("fleet", err)
	}
	res, err := s.svc.Fleet(r.Context(), fleet, o)
	return res, clientErr("fleet", err)
}

// maxPivotPaths bounds the Monte Carlo paths one request may ask for (the
// CLI allows service.MaxPivotPaths; a server shares its cores).
const maxPivotPaths = 20_000

func (s *Server) apiPivot(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	pq := service.PivotQuery{Path: q.enum("path", service.DefaultPivotPath, "flat", "halving")}
	if q.has("hashprice") {
		hp := q.float("hashprice", 0, 0, 1e6, "0 to 1,000,000 USD/PH/day")
		pq.HashpriceUSDPerPHDay = &hp
	}
	pq.Paths = int(q.int("paths", 0, 0, maxPivotPaths, fmt.Sprintf("0 to %d Monte Carlo paths", maxPivotPaths)))
	pq.Seed = uint64(q.int("seed", int64(service.DefaultSeed), 0, math.MaxInt64, ">= 0"))
	pq.Volatility = q.float("volatility", service.DefaultPivotVolatility, 0, 5, "0 to 5 (yearly volatility of log hashprice)")
	pq.Drift = q.float("drift", service.DefaultPivotDrift, -5, 5, "-5 to 5 (yearly drift of log hashprice)")
	if e := q.done(); e != nil {
		return nil, e
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	site, err := pivot.ParseSite(body)
	if err != nil {
		return nil, clientErr("site", err)
	}
	if site.HourlyPricesCSV != "" {
		return nil, badParam("hourly_prices_csv", site.HourlyPricesCSV, "names a file, which the API does not read", "leave it out over the API (use the CLI for hourly curtailment)")
	}
	cost := minCost + int64(len(body)) + units(float64(pq.Paths)*float64(max(1, site.HorizonYears))*pivotUnitsPerPathYear)
	if err := s.budget.check("paths", fmt.Sprint(pq.Paths), cost, fmt.Sprintf("paths × horizon_years (%d) ≤ %s", site.HorizonYears, thousands(units(float64(s.budget.maxCost())/pivotUnitsPerPathYear)))); err != nil {
		return nil, err
	}
	release, err := s.admit(r.Context(), cost)
	if err != nil {
		return nil, err
	}
	defer release()
	// pivot.RunMonteCarlo takes no context: its cost is bounded above
	// (0.2 s at 20,000 paths × 10 years); the request's end is checked
	// before it starts.
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	res, err := s.svc.Pivot(r.Context(), site, pq)
	return res, clientErr("site", err)
}

// --------------------------------------------------------------- pools

// PoolsResponse is GET /api/v1/pools.
type PoolsResponse struct {
	Source        string                       `json:"source"`
	Window        string                       `json:"window"`
	Blocks        int64                        `json:"blocks"`
	Concentration security.ConcentrationReport `json:"concentration"`
	// Pools are the window's pools by slug with their display names.
	Pools []history.PoolShare `json:"pools,omitempty"`
}

// parseWindow reads 1d, 1w, 30d, 1y or a Go duration.
func parseWindow(s string) (time.Duration, bool) {
	if len(s) >= 2 {
		n, err := strconv.Atoi(s[:len(s)-1])
		if err == nil && n > 0 {
			switch s[len(s)-1] {
			case 'd':
				return time.Duration(n) * 24 * time.Hour, true
			case 'w':
				return time.Duration(n) * 7 * 24 * time.Hour, true
			case 'y':
				return time.Duration(n) * 365 * 24 * time.Hour, true
			}
		}
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d > 0
}

func (s *Server) apiPools(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	ws := q.str("window", "1w", 16)
	inc := q.enum("include_unknown", "false", "false", "true") == "true"
	if e := q.done(); e != nil {
		return nil, e
	}
	win, ok := parseWindow(ws)
	if !ok || win > 20*365*24*time.Hour {
		return nil, badParam("window", ws, "is not a window", "a positive length up to 20y: 1d, 1w, 30d, 1y or a Go duration such as 36h")
	}
	shares, blocks, err := s.hist.Pools(r.Context(), win)
	if err != nil {
		return nil, err
	}
	rep, err := s.svc.Concentration(shares, security.ConcentrationOptions{IncludeUnknown: inc})
	if err != nil {
		return nil, fmt.Errorf("pools: %w", err)
	}
	tip, _ := s.hist.Tip(r.Context())
	return PoolsResponse{Source: tip.Source, Window: ws, Blocks: blocks, Concentration: *rep, Pools: s.poolsWithSlugs(r.Context(), win)}, nil
}

// ------------------------------------------------------------ security

func (q *query) method() security.Method {
	s := q.enum("method", "exact", "nakamoto", "exact")
	m, _ := security.ParseMethod(s)
	return m
}

// zList reads "6", "0-10" or "1,2,6" with service.ParseZList (the CLI's
// rule too: 0 to 10,000, at most 1,000 values).
func (q *query) zList(name, def string) []int {
	s := q.str(name, def, 200)
	z, err := service.ParseZList(name, s)
	if err != nil {
		ie, _ := hashlab.AsInput(err)
		q.fail(inputAPIError(ie, err))
		return nil
	}
	return z
}

func (s *Server) apiDoubleSpend(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	share := q.floatIn("q", 0.1, security.AnyShare.Contains, security.AnyShare.Allowed)
	zs := q.zList("z", "0-10")
	m := q.method()
	if e := q.done(); e != nil {
		return nil, e
	}
	return s.svc.DoubleSpend(share, zs, m)
}

func (s *Server) apiConfirmations(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	share := q.floatIn("q", 0.1, security.MinorityShare.Contains, security.MinorityShare.Allowed)
	risk := q.floatIn("risk", 0.001, security.Risk.Contains, security.Risk.Allowed)
	m := q.method()
	if e := q.done(); e != nil {
		return nil, e
	}
	return s.svc.Confirmations(share, risk, m)
}

// selfishCost is what one optimal selfish-mining solve is charged: the
// states of the largest truncation the solver may build (budget.go).
var selfishCost = units(3 * float64(security.MaxSelfishTruncation+1) * float64(security.MaxSelfishTruncation+1) * selfishUnitsPerState)

func (s *Server) apiSelfish(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	alpha := q.floatIn("alpha", 1.0/3, security.MinorityShare.Contains, security.MinorityShare.Allowed)
	gamma := q.floatIn("gamma", 0, security.Gamma.Contains, security.Gamma.Allowed)
	acc := q.float("accuracy", security.DefaultSelfishAccuracy, security.MinSelfishAccuracy, security.MaxSelfishAccuracy, security.SelfishAccuracyAllowed)
	if e := q.done(); e != nil {
		return nil, e
	}
	if _, err := security.SM1Revenue(alpha, gamma); err != nil {
		return nil, clientErr("", err) // bad input answers before waiting for a slot
	}
	// Identical solves in flight are merged: one computation, charged
	// once, under a context that ends when the last request waiting for
	// it ends (its deadline passed or its client left).
	key := fmt.Sprintf("selfish %v %v %v", alpha, gamma, acc)
	v, err := s.flight.do(r.Context(), key, func(ctx context.Context) (any, error) {
		release, err := s.admit(ctx, selfishCost)
		if err != nil {
			return nil, err
		}
		defer release()
		c, err := security.CompareSelfish(ctx, alpha, gamma, acc)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err // every request ended: not the client's input
			}
			return nil, clientErr("", err)
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	c := v.(security.SelfishComparison)
	thr, _ := security.SM1Threshold(gamma)
	return struct {
		security.SelfishComparison
		SM1Threshold float64 `json:"sm1_threshold"`
	}{c, thr}, nil
}

func (s *Server) apiAttackCost(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	opt := func(name string, scale, lo, hi float64, allowed string) *float64 {
		if !q.has(name) {
			return nil
		}
		v := scale * q.float(name, 0, lo, hi, allowed)
		return &v
	}
	aq := service.AttackQuery{
		NetworkHs:      opt("network_ehs", 1e18, 0.000001, 1e6, "> 0 EH/s (network hashrate before the exodus)"),
		ExodusFraction: q.float("exodus", 0, 0, 0.99, "0 to 0.99 (fraction of hashrate that left)"),
		// The share's bound is security's (AttackInputs.Validate: 0 < share
		// < 1, and not one half for the race), the same as the CLI's.
		TargetShare:           opt("share", 1, 0, 1, "0 < share < 1 (attacker's target share)"),
		HashpriceUSDPerPHDay:  opt("hashprice", 1, 0, 1e6, "0 to 1,000,000 USD/PH/day"),
		PowerUSDPerKWh:        opt("power_price", 1, 0, 10, "0 to 10 USD/kWh"),
		NewUSDPerTH:           opt("new_usd_per_th", 1, 0, 1e5, "0 to 100,000 USD per TH/s"),
		RentPremium:           opt("rent_premium", 1, 0, 100, "0 to 100 (rental price as a multiple of hashprice)"),
		RentDepthHs:           opt("rent_depth_ehs", 1e18, 0, 1e6, ">= 0 EH/s"),
		IdleUSDPerTH:          opt("idle_usd_per_th", 1, 0, 1e5, "0 to 100,000 USD per TH/s"),
		IdleAvailableFraction: opt("idle_available", 1, 0, 1, "0 to 1 (fraction of the exodus hashrate for sale)"),
		TimeBudgetHours:       opt("budget_hours", 1, 0, 8760, "0 to 8760 hours (attacker's time budget; 0: none)"),
	}
	aq.Z = q.zList("z", service.DefaultAttackZ)
	if e := q.done(); e != nil {
		return nil, e
	}
	if len(aq.Z) > 100 {
		return nil, badParam("z", q.v.Get("z"), fmt.Sprintf("lists %d depths", len(aq.Z)), "at most 100 depths")
	}
	return s.svc.AttackCost(r.Context(), aq)
}

// parseShareList reads "foundry=0.3,antpool=0.18".
func parseShareList(field, s string) ([]security.Share, *apiError) {
	var out []security.Share
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || err != nil || strings.TrimSpace(name) == "" || !(f >= 0) || math.IsInf(f, 0) {
			return nil, badParam(field, s, fmt.Sprintf("has entry %q, which is not name=share", part), `name=share pairs with shares >= 0, comma-separated, e.g. "foundry=0.30,antpool=0.18,other=0.52" (any scale; normalised)`)
		}
		out = append(out, security.Share{Name: strings.TrimSpace(name), Share: f})
	}
	if len(out) == 0 {
		return nil, badParam(field, s, "has no entries", `name=share pairs, e.g. "foundry=0.30,antpool=0.18,other=0.52"`)
	}
	if len(out) > 1000 {
		return nil, badParam(field, s[:40], fmt.Sprintf("has %d entries", len(out)), "at most 1000 entries")
	}
	return out, nil
}

func (s *Server) apiConcentration(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	spec := q.str("shares", "", 20000)
	inc := q.enum("include_unknown", "false", "false", "true") == "true"
	by := q.enum("by", "pool", "pool", "template")
	if e := q.done(); e != nil {
		return nil, e
	}
	if spec == "" {
		return nil, badParam("shares", "", "is required", `name=share pairs, e.g. "foundry=0.30,antpool=0.18,other=0.52"`)
	}
	shares, ae := parseShareList("shares", spec)
	if ae != nil {
		return nil, ae
	}
	if by == "template" {
		rep, err := s.svc.ConcentrationByTemplate(shares, security.ConcentrationOptions{IncludeUnknown: inc})
		return rep, clientErr("shares", err)
	}
	rep, err := s.svc.Concentration(shares, security.ConcentrationOptions{IncludeUnknown: inc})
	return rep, clientErr("shares", err)
}

// ----------------------------------------------------------------- sim

func (s *Server) apiSimScenarios(r *http.Request) (any, error) {
	if e := newQuery(r.URL.Query()).done(); e != nil {
		return nil, e
	}
	if s.cfg.Sim == nil {
		return nil, errNoSim
	}
	return s.cfg.Sim.Scenarios(), nil
}

func (s *Server) apiSimJobs(r *http.Request) (any, error) {
	if e := newQuery(r.URL.Query()).done(); e != nil {
		return nil, e
	}
	return s.jobs.list(), nil
}

func (s *Server) apiSimSubmit(r *http.Request) (any, error) {
	if e := newQuery(r.URL.Query()).done(); e != nil {
		return nil, e
	}
	if s.cfg.Sim == nil {
		return nil, errNoSim
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	return s.jobs.submit(body)
}

func (s *Server) apiSimJob(r *http.Request) (any, error) {
	if e := newQuery(r.URL.Query()).done(); e != nil {
		return nil, e
	}
	j, err := s.jobs.get(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return j.snapshot(true), nil
}

func (s *Server) apiSimCancel(r *http.Request) (any, error) {
	if e := newQuery(r.URL.Query()).done(); e != nil {
		return nil, e
	}
	return s.jobs.cancelJob(r.Context(), r.PathValue("id"))
}

// healthz answers 200 "ok" when the history source answers.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), min(5*time.Second, s.cfg.RequestTimeout))
	defer cancel()
	tip, err := s.hist.Tip(ctx)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "source": tip.Source, "height": tip.Height})
}
