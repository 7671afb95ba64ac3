package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/mining"
	"github.com/hashlab/hashlab/pivot"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/snapshot"
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

	api("GET", "/api/v1/hashprice", false, s.apiHashprice)
	api("GET", "/api/v1/hashprice/history", false, s.apiHashpriceHistory)
	api("GET", "/api/v1/network/next-adjustment", false, s.apiNextAdjustment)
	api("GET", "/api/v1/network/halving", false, s.apiHalving)
	api("GET", "/api/v1/network/adjustments", false, s.apiAdjustments)
	api("GET", "/api/v1/miners", false, s.apiMiners)
	api("POST", "/api/v1/fleet", true, s.apiFleet)
	api("POST", "/api/v1/pivot", true, s.apiPivot)
	api("GET", "/api/v1/pools", false, s.apiPools)
	api("GET", "/api/v1/security/double-spend", false, s.apiDoubleSpend)
	api("GET", "/api/v1/security/confirmations", false, s.apiConfirmations)
	api("GET", "/api/v1/security/selfish", true, s.apiSelfish)
	api("GET", "/api/v1/security/attack-cost", false, s.apiAttackCost)
	api("GET", "/api/v1/security/concentration", false, s.apiConcentration)
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

// breakevenEfficiencies are the J/TH points of the breakeven table (the
// CLI's hashprice command uses the same).
var breakevenEfficiencies = []float64{12, 15, 17.5, 21.5, 30, 38}

// market is resolved hashprice inputs and where they came from.
type market struct {
	in     hashprice.Inputs
	res    hashprice.Result
	bits   uint32 // exact nBits when known
	source string
	tip    Tip
}

// readMarket reads difficulty|bits, height, fees_btc, price; unset values
// come from the history's tip (the embedded snapshot by default), exactly
// as the CLI's market flags fall back to the snapshot.
func (s *Server) readMarket(ctx context.Context, q *query) (market, error) {
	tip, err := s.hist.Tip(ctx)
	if err != nil {
		return market{}, err
	}
	m := market{tip: tip, source: tip.Source, bits: tip.Bits}
	price := tip.PriceUSD
	if price == 0 {
		price = snapshot.Default().PriceUSD
	}
	in := hashprice.Inputs{Height: tip.Height, FeesPerBlock: tip.FeesPerBlock, PriceUSD: price, Params: consensus.MainNet}
	in.Difficulty = consensus.Difficulty(consensus.Bits(tip.Bits))
	set := false
	d := q.float("difficulty", 0, math.SmallestNonzeroFloat64, math.MaxFloat64, "> 0")
	bitsS := q.str("bits", "", 10)
	if q.has("difficulty") {
		in.Difficulty, m.bits, set = d, 0, true
	}
	if bitsS != "" {
		if q.has("difficulty") {
			q.fail(badParam("bits", bitsS, "is given with difficulty", "difficulty or bits, not both"))
		}
		b, err := parseBits(bitsS)
		if err != nil {
			q.fail(badParam("bits", bitsS, "is not a valid compact target", "8 hex digits of a positive target up to the mainnet limit 0x1d00ffff, e.g. 0x1701d936"))
		} else {
			in.Difficulty, m.bits, set = consensus.Difficulty(consensus.Bits(b)), b, true
		}
	}
	if q.has("height") {
		set = true
	}
	in.Height = q.int("height", in.Height, 0, 100_000_000, "0 to 100,000,000")
	if q.has("fees_btc") {
		set = true
	}
	fees := q.float("fees_btc", float64(in.FeesPerBlock)/consensus.SatsPerBTC, 0, 21e6, "0 to 21,000,000 BTC per block")
	in.FeesPerBlock = consensus.Sats(math.Round(fees * consensus.SatsPerBTC))
	if q.has("price") {
		set = true
	}
	in.PriceUSD = q.float("price", in.PriceUSD, 0, 1e12, ">= 0 USD per BTC")
	if q.err != nil {
		return m, q.err
	}
	if set {
		m.source += " + parameters"
	}
	m.in = in
	m.res, err = hashprice.Compute(in)
	if err != nil {
		return m, badRequest("%v", err)
	}
	return m, nil
}

func parseBits(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 32)
	if err != nil {
		return 0, err
	}
	if _, err := consensus.TargetFromBits(consensus.Bits(v), consensus.MainNet.PowLimit); err != nil {
		return 0, err
	}
	return uint32(v), nil
}

func bitsHex(b uint32) string { return fmt.Sprintf("0x%08x", b) }

// HashpriceResponse is GET /api/v1/hashprice: the CLI's `hashprice --json`.
type HashpriceResponse struct {
	hashprice.Result
	Bits                 string             `json:"bits"`
	Source               string             `json:"source"`
	AsOf                 string             `json:"as_of,omitempty"`
	BreakevenUSDPerKWhAt map[string]float64 `json:"breakeven_usd_per_kwh_at_jth"`
}

func (s *Server) hashpriceNow(ctx context.Context, q *query) (HashpriceResponse, error) {
	m, err := s.readMarket(ctx, q)
	if err != nil {
		return HashpriceResponse{}, err
	}
	if e := q.done(); e != nil {
		return HashpriceResponse{}, e
	}
	out := HashpriceResponse{Result: m.res, Source: m.source, BreakevenUSDPerKWhAt: map[string]float64{}}
	if m.bits != 0 {
		out.Bits = bitsHex(m.bits)
	} else if tg, err := consensus.TargetFromDifficulty(m.in.Difficulty); err == nil {
		out.Bits = bitsHex(uint32(consensus.BitsFromTarget(tg)))
	}
	if m.source == m.tip.Source {
		out.AsOf = m.tip.Time.Format(time.RFC3339)
	}
	for _, j := range breakevenEfficiencies {
		out.BreakevenUSDPerKWhAt[strconv.FormatFloat(j, 'g', -1, 64)] = hashprice.BreakevenUSDPerKWh(m.res.USDPerPHDay, j)
	}
	return out, nil
}

func (s *Server) apiHashprice(r *http.Request) (any, error) {
	return s.hashpriceNow(r.Context(), newQuery(r.URL.Query()))
}

// HistoryResponse is GET /api/v1/hashprice/history.
type HistoryResponse struct {
	Source string           `json:"source"`
	Every  string           `json:"every"`
	Note   string           `json:"note,omitempty"`
	Points []HashpricePoint `json:"points"`
	// AllTimeLow is the lowest point: by USD when every point has a USD
	// value, else by BTC hashvalue (Unit says which).
	AllTimeLow *HashpricePoint `json:"all_time_low,omitempty"`
	Unit       string          `json:"all_time_low_unit,omitempty"`
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
	tip, err := s.hist.Tip(r.Context())
	if err != nil {
		return nil, err
	}
	out := HistoryResponse{Source: tip.Source, Every: every, Points: pts}
	if out.Points == nil {
		out.Points = []HashpricePoint{}
	}
	allUSD := len(pts) > 0
	for _, p := range pts {
		if p.USDPerPHDay == nil {
			allUSD = false
		}
	}
	for i := range pts {
		p := &pts[i]
		if out.AllTimeLow == nil {
			out.AllTimeLow = p
			continue
		}
		if allUSD && *p.USDPerPHDay < *out.AllTimeLow.USDPerPHDay || !allUSD && p.BTCPerPHDay < out.AllTimeLow.BTCPerPHDay {
			out.AllTimeLow = p
		}
	}
	noFees := false
	for _, p := range pts {
		noFees = noFees || !p.FeesIncluded
	}
	const subsidyOnly = "from the block subsidy alone where fees are unknown (the embedded epoch table and imported files have none; blocks ingested from a node do)"
	if allUSD {
		out.Unit = "USD/PH/day"
		if noFees {
			out.Note = "hashprice " + subsidyOnly
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
	tip, err := s.hist.Tip(r.Context())
	if err != nil {
		return nil, err
	}
	q := newQuery(r.URL.Query())
	tipHeight := q.int("tip_height", tip.Height, 0, 100_000_000, "0 to 100,000,000")
	tipTime := q.int("tip_time", tip.Time.Unix(), 0, 1<<32, "0 to 4294967296 (Unix seconds)")
	first := q.int("epoch_first_time", 0, 0, 1<<32, "0 to 4294967296 (Unix seconds)")
	conf := q.floatOpen("confidence", 0.9, 0, 1, "0 < c < 1")
	if e := q.done(); e != nil {
		return nil, e
	}
	return nextAdjustment(tip, tipHeight, tipTime, first, q.v.Has("epoch_first_time"), conf)
}

// NextAdjustment is the CLI's `next-adjustment --json`.
type NextAdjustment struct {
	hashprice.Projection
	CurrentBits  string `json:"current_bits,omitempty"`
	ExpectedDate string `json:"expected_date"`
	EarliestDate string `json:"earliest_date"`
	LatestDate   string `json:"latest_date"`
	NextHalving  int64  `json:"next_halving_height"`
}

func nextAdjustment(tip Tip, tipHeight, tipTime, first int64, firstSet bool, conf float64) (NextAdjustment, error) {
	p := consensus.MainNet
	interval := p.RetargetInterval()
	start := tipHeight / interval * interval
	var bits uint32
	if !firstSet {
		for _, e := range snapshot.Epochs() {
			if e.FirstHeight == start {
				first, bits = e.FirstTime, e.Bits
			}
		}
		if tip.Height/interval*interval == start && tip.EpochFirstTime != 0 {
			first, bits = tip.EpochFirstTime, tip.Bits
		}
		if first == 0 {
			return NextAdjustment{}, badParam("epoch_first_time", "", "is needed: the history has no first-block time for the epoch starting at "+strconv.FormatInt(start, 10), "Unix seconds of that epoch's first block")
		}
	}
	if tipTime < first {
		return NextAdjustment{}, badParam("tip_time", strconv.FormatInt(tipTime, 10), fmt.Sprintf("is before the epoch's first block time %d", first), fmt.Sprintf(">= %d", first))
	}
	pr, err := hashprice.ProjectRetarget(hashprice.RetargetInputs{EpochStartHeight: start, EpochFirstTimeUnix: first, TipHeight: tipHeight, TipTimeUnix: tipTime, Confidence: conf, Params: p})
	if err != nil {
		return NextAdjustment{}, badRequest("%v", err)
	}
	out := NextAdjustment{Projection: pr, ExpectedDate: unixDate(pr.ExpectedRetargetUnix), EarliestDate: unixDate(pr.EarliestUnix), LatestDate: unixDate(pr.LatestUnix), NextHalving: consensus.NextHalvingHeight(tipHeight, p)}
	if bits != 0 {
		out.CurrentBits = bitsHex(bits)
	}
	return out, nil
}

func unixDate(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02 15:04 UTC") }

// Halving is the CLI's `halving --json` (hashprice.Halving).
type Halving = hashprice.Halving

func (s *Server) apiHalving(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	m, err := s.readMarket(r.Context(), q)
	if err != nil {
		return nil, err
	}
	interval := q.float("block_interval", 600, 1, 1e6, "1 to 1,000,000 seconds per block")
	if e := q.done(); e != nil {
		return nil, e
	}
	out, err := hashprice.NextHalving(m.in)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if !m.tip.Time.IsZero() && !q.v.Has("height") {
		out.ExpectedDate = m.tip.Time.Add(time.Duration(float64(out.BlocksToGo)*interval) * time.Second).UTC().Format("2006-01-02")
	}
	return out, nil
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

// DefaultPowerUSDPerKWh is the power price the miners table assumes when
// none is given (the CLI's default: a typical North American industrial
// tariff in 2025).
const DefaultPowerUSDPerKWh = 0.06

// MinersResponse is the CLI's `miners --json`.
type MinersResponse struct {
	Source               string            `json:"source"`
	HashpriceUSDPerPHDay float64           `json:"hashprice_usd_per_ph_day"`
	Conditions           mining.Conditions `json:"conditions"`
	Models               []mining.Merit    `json:"models"`
}

func (s *Server) apiMiners(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	m, err := s.readMarket(r.Context(), q)
	if err != nil {
		return nil, err
	}
	power := q.float("power_price", DefaultPowerUSDPerKWh, 0, 10, "0 to 10 USD per kWh")
	fee := q.float("pool_fee", mining.DefaultPoolFee, 0, 0.5, "0 to 0.5 (fraction; 0.02 = 2%)")
	uptime := q.float("uptime", mining.DefaultUptime, 0, 1, "0 to 1 (fraction of time hashing)")
	overhead := q.float("overhead", 0, 0, 10, "0 to 10 USD per kWh")
	if e := q.done(); e != nil {
		return nil, e
	}
	cond := mining.Conditions{HashvalueBTCPerPHDay: m.res.BTCPerPHDay, PriceUSD: m.in.PriceUSD, PowerUSDPerKWh: power, PoolFee: fee, Uptime: uptime, OverheadUSDPerKWh: overhead}
	if err := cond.Validate(); err != nil {
		return nil, badRequest("%v", err)
	}
	ranked, err := mining.RankModels(mining.Catalogue(), cond)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return MinersResponse{m.source, m.res.USDPerPHDay, cond, ranked}, nil
}

// FleetResponse is the CLI's `fleet --json`.
type FleetResponse struct {
	Source string `json:"source"`
	mining.FleetResult
}

func (s *Server) apiFleet(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	m, err := s.readMarket(r.Context(), q)
	if err != nil {
		return nil, err
	}
	if e := q.done(); e != nil {
		return nil, e
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	fleet, err := mining.ParseFleet(body)
	if err != nil {
		return nil, badRequest("fleet: %v", err)
	}
	res, err := mining.EvaluateFleet(fleet, mining.Conditions{HashvalueBTCPerPHDay: m.res.BTCPerPHDay, PriceUSD: m.in.PriceUSD})
	if err != nil {
		return nil, badRequest("fleet: %v", err)
	}
	return FleetResponse{m.source, res}, nil
}

// --------------------------------------------------------------- pivot

// PivotResponse is the CLI's `pivot SITE --json`.
type PivotResponse struct {
	HashpriceUSDPerPHDay float64           `json:"hashprice_usd_per_ph_day"`
	Path                 string            `json:"hashprice_path"`
	HashpricePath        []float64         `json:"hashprice_by_year"`
	MonteCarlo           *pivot.MonteCarlo `json:"monte_carlo,omitempty"`
	pivot.Result
}

// maxPivotPaths bounds the Monte Carlo paths one request may ask for.
const maxPivotPaths = 20_000

func (s *Server) apiPivot(r *http.Request) (any, error) {
	tip, err := s.hist.Tip(r.Context())
	if err != nil {
		return nil, err
	}
	snapHP, feeShare := tipHashprice(tip)
	q := newQuery(r.URL.Query())
	hp := q.float("hashprice", snapHP, 0, 1e6, "0 to 1,000,000 USD/PH/day")
	path := q.enum("path", "halving", "flat", "halving")
	paths := q.int("paths", 0, 0, maxPivotPaths, fmt.Sprintf("0 to %d Monte Carlo paths", maxPivotPaths))
	seed := q.int("seed", 1, 0, math.MaxInt64, ">= 0")
	vol := q.float("volatility", 0.6, 0, 5, "0 to 5 (yearly volatility of log hashprice)")
	drift := q.float("drift", -0.1, -5, 5, "-5 to 5 (yearly drift of log hashprice)")
	if e := q.done(); e != nil {
		return nil, e
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	site, err := pivot.ParseSite(body)
	if err != nil {
		return nil, badRequest("site: %v", err)
	}
	if site.HourlyPricesCSV != "" {
		return nil, badParam("hourly_prices_csv", site.HourlyPricesCSV, "names a file, which the API does not read", "leave it out over the API (use the CLI for hourly curtailment)")
	}
	var mkt pivot.Market
	if path == "flat" {
		mkt.HashpriceUSDPerPHDay = pivot.FlatPath(hp, site.HorizonYears)
	} else {
		yearsToHalving := float64(consensus.NextHalvingHeight(tip.Height, consensus.MainNet)-tip.Height) * 600 / (365.25 * 86400)
		mkt.HashpriceUSDPerPHDay = pivot.HalvingPath(hp, feeShare, yearsToHalving, site.HorizonYears)
	}
	release, err := s.acquireHeavy(r.Context())
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := pivot.Evaluate(site, pivot.Inputs{Market: mkt})
	if err != nil {
		return nil, badRequest("site: %v", err)
	}
	out := PivotResponse{HashpriceUSDPerPHDay: hp, Path: path, HashpricePath: mkt.HashpriceUSDPerPHDay, Result: res}
	if paths > 0 {
		mc, err := pivot.RunMonteCarlo(site, pivot.GBMPaths(hp, drift, vol, site.HorizonYears, int(paths), uint64(seed)))
		if err != nil {
			return nil, badRequest("%v", err)
		}
		out.MonteCarlo = &mc
	}
	return out, nil
}

// tipHashprice is the hashprice at the tip (default price and fees) and
// its fee share.
func tipHashprice(tip Tip) (float64, float64) {
	price := tip.PriceUSD
	if price == 0 {
		price = snapshot.Default().PriceUSD
	}
	r, err := hashprice.Compute(hashprice.Inputs{Difficulty: consensus.Difficulty(consensus.Bits(tip.Bits)), Height: tip.Height, FeesPerBlock: tip.FeesPerBlock, PriceUSD: price})
	if err != nil {
		return 0, 0
	}
	return r.USDPerPHDay, r.FeeShare
}

// --------------------------------------------------------------- pools

// PoolsResponse is GET /api/v1/pools.
type PoolsResponse struct {
	Source        string                       `json:"source"`
	Window        string                       `json:"window"`
	Blocks        int64                        `json:"blocks"`
	Concentration security.ConcentrationReport `json:"concentration"`
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
	rep, err := security.Concentration(shares)
	if err != nil {
		return nil, fmt.Errorf("pools: %w", err)
	}
	tip, _ := s.hist.Tip(r.Context())
	return PoolsResponse{Source: tip.Source, Window: ws, Blocks: blocks, Concentration: rep}, nil
}

// ------------------------------------------------------------ security

func (q *query) method() security.Method {
	s := q.enum("method", "exact", "nakamoto", "exact")
	m, _ := security.ParseMethod(s)
	return m
}

// zList reads "6", "0-10" or "1,2,6" (at most 1,000 values).
func (q *query) zList(name, def string) []int {
	s := q.str(name, def, 200)
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if a, b, ok := strings.Cut(part, "-"); ok {
			lo, err1 := strconv.Atoi(a)
			hi, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi > 10000 {
				q.fail(badParam(name, s, fmt.Sprintf("has a bad range %q", part), "a-b with 0 <= a <= b <= 10000, a number, or a comma list"))
				return nil
			}
			for z := lo; z <= hi; z++ {
				out = append(out, z)
			}
			continue
		}
		z, err := strconv.Atoi(part)
		if err != nil || z < 0 || z > 10000 {
			q.fail(badParam(name, s, fmt.Sprintf("has %q, which is not an integer from 0 to 10000", part), "a-b with 0 <= a <= b <= 10000, a number, or a comma list"))
			return nil
		}
		out = append(out, z)
	}
	if len(out) > 1000 {
		q.fail(badParam(name, s, fmt.Sprintf("lists %d values", len(out)), "at most 1000 values"))
		return nil
	}
	return out
}

// DoubleSpendEntry is one z of GET /api/v1/security/double-spend (the CLI's
// JSON entries).
type DoubleSpendEntry struct {
	Z int     `json:"z"`
	P float64 `json:"p"`
}

func (s *Server) apiDoubleSpend(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	share := q.float("q", 0.1, 0, 0.999999, "0 <= q < 1 (attacker's share of hashrate)")
	zs := q.zList("z", "0-10")
	m := q.method()
	if e := q.done(); e != nil {
		return nil, e
	}
	out := make([]DoubleSpendEntry, 0, len(zs))
	for _, z := range zs {
		p, err := security.DoubleSpendProbability(share, z, m)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		out = append(out, DoubleSpendEntry{z, p})
	}
	return struct {
		Q       float64            `json:"q"`
		Method  security.Method    `json:"method"`
		Entries []DoubleSpendEntry `json:"entries"`
	}{share, m, out}, nil
}

func (s *Server) apiConfirmations(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	share := q.float("q", 0.1, 0, 0.4999, "0 <= q < 0.5 (attacker's share of hashrate)")
	risk := q.floatOpen("risk", 0.001, 0, 1, "0 < risk < 1 (acceptable success probability)")
	m := q.method()
	if e := q.done(); e != nil {
		return nil, e
	}
	z, err := security.ConfirmationsFor(share, risk, m)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	p, _ := security.DoubleSpendProbability(share, z, m)
	return struct {
		Q      float64 `json:"q"`
		Risk   float64 `json:"risk"`
		Method string  `json:"method"`
		Z      int     `json:"z"`
		P      float64 `json:"p"`
		// Minutes is z blocks at the 600 s target spacing.
		Minutes float64 `json:"expected_wait_minutes"`
	}{share, risk, string(m), z, p, float64(z) * 10}, nil
}

func (s *Server) apiSelfish(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	alpha := q.float("alpha", 1.0/3, 0, 0.499, "0 <= alpha < 0.5 (attacker's share of hashrate)")
	gamma := q.float("gamma", 0, 0, 1, "0 to 1 (share of honest miners that mine on the attacker's block in a tie)")
	acc := q.float("accuracy", 1e-4, 1e-6, 0.1, "1e-6 to 0.1")
	if e := q.done(); e != nil {
		return nil, e
	}
	if _, err := security.SM1Revenue(alpha, gamma); err != nil {
		return nil, badRequest("%v", err) // bad input answers before waiting for a slot
	}
	release, err := s.acquireHeavy(r.Context())
	if err != nil {
		return nil, err
	}
	defer release()
	c, err := security.CompareSelfish(alpha, gamma, acc)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	thr, _ := security.SM1Threshold(gamma)
	return struct {
		security.SelfishComparison
		SM1Threshold float64 `json:"sm1_threshold"`
	}{c, thr}, nil
}

// AttackCostResponse is the CLI's `security attack-cost --json`.
type AttackCostResponse struct {
	Inputs  security.AttackInputs `json:"inputs"`
	Results []security.AttackCost `json:"results"`
}

func (s *Server) apiAttackCost(r *http.Request) (any, error) {
	tip, err := s.hist.Tip(r.Context())
	if err != nil {
		return nil, err
	}
	hp, _ := tipHashprice(tip)
	netHs := hashprice.ImpliedHashrateHs(consensus.Difficulty(consensus.Bits(tip.Bits)), consensus.MainNet.TargetSpacingSec)
	def := security.DefaultAttackInputs(netHs, hp)
	q := newQuery(r.URL.Query())
	in := def
	in.NetworkHashrateHs = 1e18 * q.float("network_ehs", netHs/1e18, 0.000001, 1e6, "> 0 EH/s (network hashrate before the exodus)")
	in.ExodusFraction = q.float("exodus", 0, 0, 0.99, "0 to 0.99 (fraction of hashrate that left)")
	in.TargetShare = q.float("share", def.TargetShare, 0.01, 0.99, "0.01 to 0.99 (attacker's target share)")
	zs := q.zList("z", "1,2,3,6,12,24")
	in.HashpriceUSDPerPHDay = q.float("hashprice", hp, 0, 1e6, "0 to 1,000,000 USD/PH/day")
	in.PowerUSDPerKWh = q.float("power_price", def.PowerUSDPerKWh, 0, 10, "0 to 10 USD/kWh")
	in.NewUSDPerTH = q.float("new_usd_per_th", def.NewUSDPerTH, 0, 1e5, "0 to 100,000 USD per TH/s")
	rent := q.float("rent_premium", 1.1, 0, 100, "0 to 100 (rental price as a multiple of hashprice)")
	in.RentUSDPerPHDay = rent * in.HashpriceUSDPerPHDay
	in.RentDepthHs = 1e18 * q.float("rent_depth_ehs", def.RentDepthHs/1e18, 0, 1e6, ">= 0 EH/s")
	in.IdleUSDPerTH = q.float("idle_usd_per_th", def.IdleUSDPerTH, 0, 1e5, "0 to 100,000 USD per TH/s")
	in.IdleAvailableFraction = q.float("idle_available", def.IdleAvailableFraction, 0, 1, "0 to 1 (fraction of the exodus hashrate for sale)")
	if e := q.done(); e != nil {
		return nil, e
	}
	if len(zs) > 100 {
		return nil, badParam("z", q.v.Get("z"), fmt.Sprintf("lists %d depths", len(zs)), "at most 100 depths")
	}
	out := AttackCostResponse{Inputs: in}
	for _, z := range zs {
		c, err := security.AttackCostFor(in, z)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		out.Results = append(out.Results, c)
	}
	return out, nil
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
	rep, err := security.Concentration(shares)
	if err != nil {
		return nil, badRequest("shares: %v", err)
	}
	return rep, nil
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
	return s.jobs.cancelJob(r.PathValue("id"))
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
