package server

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashlab/hashlab/mining"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

// maxBuyPaths bounds the simulator paths of one buy request, as for
// simulator jobs.
const maxBuyPaths = MaxSimPaths

// apiBuy is GET /api/v1/miners/buy (the catalogue's prices feed the price
// index) and POST /api/v1/miners/buy (the body is a quotes CSV,
// date,model,usd_per_th[,source]): service.Buy, the JSON of `hashlab
// miners --buy --json`. path=montecarlo is cost-bounded like a simulator
// run over the machine's life.
func (s *Server) apiBuy(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	bq := service.BuyQuery{Market: q.overrides()}
	bq.PowerUSDPerKWh = q.float("power_price", service.DefaultPowerUSDPerKWh, 0, 10, "0 to 10 USD per kWh")
	bq.PoolFee = q.float("pool_fee", mining.DefaultPoolFee, 0, 0.5, "0 to 0.5 (fraction; 0.02 = 2%)")
	bq.Uptime = q.float("uptime", mining.DefaultUptime, 0, 1, "0 to 1 (fraction of time hashing)")
	bq.OverheadUSDPerKWh = q.float("overhead", 0, 0, 10, "0 to 10 USD per kWh")
	if q.has("machine_price") {
		p := q.floatIn("machine_price", 0, func(v float64) bool { return v > 0 && v <= 1e5 }, "> 0 and <= 100,000 USD per TH/s")
		bq.MachinePriceUSDPerTH = &p
	}
	if m := q.str("model", "", 1000); m != "" {
		for _, n := range strings.Split(m, ",") {
			bq.Models = append(bq.Models, strings.TrimSpace(n))
		}
	}
	bq.LifeYears = q.float("life_years", mining.DefaultLifeYears, 1.0/365.25, mining.MaxLifeYears, fmt.Sprintf("1 day (0.00274) to %d years", mining.MaxLifeYears))
	bq.Path = q.enum("path", service.DefaultBuyPath, service.BuyPaths...)
	bq.Curtail = q.enum("curtail", "false", "true", "false") == "true"
	scenario := q.str("scenario", service.DefaultBuyScenario, 100)
	bq.Paths = int(q.int("paths", service.DefaultBuyPaths, 1, maxBuyPaths, fmt.Sprintf("1 to %d", maxBuyPaths)))
	bq.Seed = uint64(q.int("seed", int64(service.DefaultSeed), 0, 1<<62, "0 to 2^62"))
	if e := q.done(); e != nil {
		return nil, e
	}
	if r.Method == http.MethodPost {
		body, err := s.body(r)
		if err != nil {
			return nil, err
		}
		quotes, err := mining.ParseQuotes(bytes.NewReader(body))
		if err != nil {
			return nil, clientErr("quotes", err)
		}
		bq.Quotes, bq.QuotesSource = quotes, "request body"
	}
	if err := service.CheckBuyQuery(bq); err != nil {
		return nil, clientErr("buy", err)
	}
	cost := minCost
	if bq.Path == "montecarlo" {
		sc, err := sim.LoadShipped(scenario)
		if err != nil {
			return nil, badParam("scenario", scenario, "is not a shipped scenario", strings.Join(sim.Scenarios(), ", "))
		}
		bq.Scenario = sc
		run := &simRun{sc: sc, paths: bq.Paths, years: float64(mining.LifeDays(bq.LifeYears)) / 365.25, seed: bq.Seed}
		c := run.Cost()
		if err := s.budget.check("paths", fmt.Sprint(bq.Paths), c.Units, fmt.Sprintf("paths × operators (%s) × days (%d) × %g ≤ %s units", thousands(int64(c.Operators)), c.Days, simUnitsPerOperatorDay, thousands(s.budget.maxCost()))); err != nil {
			return nil, err
		}
		cost = c.Units
	}
	release, err := s.admit(r.Context(), cost)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := s.svc.Buy(r.Context(), bq)
	return res, clientErr("buy", err)
}
