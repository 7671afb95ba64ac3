package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/minerflow"
	"github.com/hashlab/hashlab/service"
)

// registerMinerFlow wires the miners' reserves history (a chain-store
// scan, under the scan timeout).
func (s *Server) registerMinerFlow(scan func(method, path string, f apiFunc)) {
	scan("GET", "/api/v1/history/miners", s.apiMinersFlow)
}

// minerFlowReader is the chain store behind History when it can read miner
// flow, with the pools' display names.
func (s *Server) minerFlowReader() (service.MinerFlowReader, func(string) string, bool) {
	ch, ok := s.cfg.History.(*ChainHistory)
	if !ok {
		return nil, nil, false
	}
	r, ok := ch.r.(service.MinerFlowReader)
	return r, ch.name, ok
}

// apiMinersFlow answers `hashlab history miners --json`: miners' coins per
// day and pool from a chain store ingested with --miner-flow (404 without
// one). Labels files are a CLI option only.
func (s *Server) apiMinersFlow(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	from, _ := q.date("from")
	to, hasTo := q.date("to")
	pool := q.str("pool", "", 64)
	if e := q.done(); e != nil {
		return nil, e
	}
	if hasTo {
		to = to.Add(24 * time.Hour)
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return nil, badParam("to", r.URL.Query().Get("to"), "is before from", "a date on or after from")
	}
	rd, name, ok := s.minerFlowReader()
	if !ok {
		return nil, fmt.Errorf("%w: miners' reserves need a chain store ingested with --miner-flow (serve --db FILE)", ErrNoData)
	}
	ans, err := service.MinersFlow(r.Context(), rd, name, service.MinersFlowQuery{From: from, To: to, Pool: pool})
	if ie, ok := hashlab.AsInput(err); ok && ie.Field == "database" {
		return nil, fmt.Errorf("%w: %v", ErrNoData, minerflow.ErrNotTracked)
	}
	return ans, err
}
