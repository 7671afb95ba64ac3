package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/hashlab/hashlab/hedge"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

// HedgeRequest is the body of POST /api/v1/hedge: the fields of
// `hashlab hedge`, with the same defaults (service.DefaultHedge...).
// Omitted pointers take the defaults: the fair forward as strike, the
// minimum-variance hedge ratio, and the cost of
// service.DefaultHedgeEfficiencyJPerTH J/TH at
// service.DefaultPowerUSDPerKWh.
type HedgeRequest struct {
	Scenario   string   `json:"scenario"`
	TermMonths *int     `json:"term_months"`
	Strike     *float64 `json:"strike"`
	HedgeRatio *float64 `json:"hedge_ratio"`
	Cost       *float64 `json:"cost"`
	PowerPrice *float64 `json:"power_price"`
	Efficiency *float64 `json:"efficiency"`
	Curtail    bool     `json:"curtail"`
	Paths      *int     `json:"paths"`
	Seed       *uint64  `json:"seed"`
}

// maxHedgePaths bounds the simulator paths of one hedge request, as for
// simulator jobs.
const maxHedgePaths = MaxSimPaths

// apiHedge is POST /api/v1/hedge: service.Hedge, cost-bounded like a
// simulator run of the term (operators × paths × days).
func (s *Server) apiHedge(r *http.Request) (any, error) {
	// Every input is in the body; the query takes no parameters.
	if e := newQuery(r.URL.Query()).done(); e != nil {
		return nil, e
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	var req HedgeRequest
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			return nil, hedgeDecodeError(err)
		}
	}
	q := service.HedgeQuery{TermMonths: service.DefaultHedgeTermMonths, Paths: service.DefaultHedgePaths, Seed: service.DefaultSeed,
		StrikeUSDPerPHDay: req.Strike, HedgeRatio: req.HedgeRatio, CostUSDPerPHDay: req.Cost, PowerUSDPerKWh: req.PowerPrice, EfficiencyJPerTH: req.Efficiency, Curtail: req.Curtail}
	if req.TermMonths != nil {
		q.TermMonths = *req.TermMonths
	}
	if req.Paths != nil {
		q.Paths = *req.Paths
	}
	if req.Seed != nil {
		q.Seed = *req.Seed
	}
	if q.Paths < 1 || q.Paths > maxHedgePaths {
		return nil, badParam("paths", fmt.Sprint(q.Paths), "is out of range", fmt.Sprintf("1 to %d", maxHedgePaths))
	}
	if err := service.CheckHedgeQuery(q); err != nil {
		return nil, clientErr("hedge", err)
	}
	name := req.Scenario
	if name == "" {
		name = service.DefaultHedgeScenario
	}
	if q.Scenario, err = sim.LoadShipped(name); err != nil {
		return nil, badParam("scenario", name, "is not a shipped scenario", strings.Join(sim.Scenarios(), ", "))
	}
	termDays, err := hedge.TermDays(q.TermMonths) // checked by CheckHedgeQuery
	if err != nil {
		return nil, clientErr("hedge", err)
	}
	run := &simRun{sc: q.Scenario, paths: q.Paths, years: float64(termDays) / 365.25, seed: q.Seed}
	c := run.Cost()
	if err := s.budget.check("paths", fmt.Sprint(q.Paths), c.Units, fmt.Sprintf("paths × operators (%s) × days (%d) × %g ≤ %s units", thousands(int64(c.Operators)), c.Days, simUnitsPerOperatorDay, thousands(s.budget.maxCost()))); err != nil {
		return nil, err
	}
	release, err := s.admit(r.Context(), c.Units)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := s.svc.Hedge(r.Context(), q)
	return res, clientErr("hedge", err)
}

// hedgeFields are the fields of a hedge request, for error messages.
const hedgeFields = "scenario, term_months, strike, hedge_ratio, cost, power_price, efficiency, curtail, paths, seed"

// hedgeDecodeError names the field, the value and what is allowed for a
// body that does not decode into a HedgeRequest.
func hedgeDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return badParam(te.Field, te.Value, "has the wrong type", "a JSON "+jsonKind(te.Type.Kind())+" (fields: "+hedgeFields+")")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return badParam(name, name, "is not a field of a hedge request", hedgeFields)
	}
	return badParam("body", err.Error(), "is not a JSON object", "a JSON object with the fields "+hedgeFields)
}

// jsonKind names a Go kind as JSON calls it.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "integer (no fraction)" + map[bool]string{true: " >= 0", false: ""}[k == reflect.Uint64]
	case reflect.Float64:
		return "number"
	}
	return k.String()
}
