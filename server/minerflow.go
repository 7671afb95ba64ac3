package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/service"
)

// registerMinerFlow wires the miners' reserves history (a chain-store
// scan, under the scan timeout).
func (s *Server) registerMinerFlow(scan func(method, path string, f apiFunc)) {
	scan("GET", "/api/v1/history/miners", s.apiMinersFlow)
}

// minerFlowReader is the chain history when its store can read miner flow.
func (s *Server) minerFlowReader() (*ChainHistory, service.MinerFlowReader, bool) {
	ch, ok := s.cfg.History.(*ChainHistory)
	if !ok {
		return nil, nil, false
	}
	r, ok := ch.r.(service.MinerFlowReader)
	return ch, r, ok
}

// apiMinersFlow answers `hashlab history miners --json`: miners' coins per
// day and pool from a chain store ingested with --miner-flow (404 without
// one). Labels files are a CLI option only. Like the other history routes
// it is cached per store generation, identical requests are merged, and
// the computation is charged to the heavy-work budget as a scan of every
// stored block (tracked coins are about one per block).
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
	ch, rd, ok := s.minerFlowReader()
	if !ok {
		return nil, fmt.Errorf("%w: miners' reserves need a chain store ingested with --miner-flow (serve --db FILE)", ErrNoData)
	}
	ctx := r.Context()
	cost, err := ch.scanCost(ctx, time.Time{}, time.Time{})
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("miners %d %d %q", from.Unix(), to.Unix(), pool)
	ans, err := cached(ctx, ch, key, cost, func(ctx context.Context) (service.MinersFlowAnswer, error) {
		return service.MinersFlow(ctx, rd, ch.name, service.MinersFlowQuery{From: from, To: to, Pool: pool})
	})
	if ie, ok := hashlab.AsInput(err); ok && ie.Field == "database" {
		return nil, fmt.Errorf("%w: the served database has no miner flow to show (allowed: %s): %v", ErrNoData, ie.Allowed, ie.Err)
	}
	return ans, err
}
