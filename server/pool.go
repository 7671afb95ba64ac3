package server

import (
	"bytes"
	"fmt"
	"math"
	"net/http"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/pool"
	"github.com/hashlab/hashlab/pool/poolfile"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/snapshot"
)

// registerPool wires the pool routes (called from register).
func (s *Server) registerPool(api func(method, path string, heavy bool, f apiFunc)) {
	api("POST", "/api/v1/pool/audit", true, s.apiPoolAudit)
	api("POST", "/api/v1/pool/luck", true, s.apiPoolLuck)
}

// apiPoolAudit audits the account export in the body (CSV, the format of
// hashlab pool audit) against its scheme's expected payout; the
// difficulty comes from the embedded epoch table.
func (s *Server) apiPoolAudit(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	scheme := q.enum("scheme", "fpps", "fpps", "pps+", "pplns", "solo")
	fee := q.float("fee", 0.02, 0, math.Nextafter(1, 0), "a fraction 0 <= fee < 1 (0.02 = 2%)")
	feesBTC := q.float("fees_btc", snapshot.Default().FeesPerBlockBTC, 0, 21e6, "0 to 21,000,000 BTC per block")
	feesGiven := q.has("fees_btc")
	poolEHs := q.float("pool_hashrate_ehs", 0, 0, 1e9, "0 (none) or the pool's hashrate in EH/s")
	conf := q.floatOpen("confidence", service.DefaultLuckConfidence, 0, 1, "0 < c < 1")
	if e := q.done(); e != nil {
		return nil, e
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	release, err := s.admit(r.Context(), minCost+int64(len(body)))
	if err != nil {
		return nil, err
	}
	defer release()
	days, err := poolfile.AccountExport(bytes.NewReader(body))
	if err != nil {
		return nil, clientErr("export", err)
	}
	ans, err := s.svc.PoolAudit(r.Context(), service.PoolAuditRequest{
		Days: days, Scheme: pool.Scheme(scheme), PoolFee: fee, Confidence: conf, PoolHashrateHs: poolEHs * 1e18,
		DefaultFeesPerBlock: consensus.Sats(math.Round(feesBTC * consensus.SatsPerBTC)),
		FeesParam:           "fees_btc", FeesGiven: feesGiven,
	})
	return ans, clientErr("export", err)
}

// apiPoolLuck is a whole pool's luck: its reported daily hashrate in the
// body (CSV date,pool_key,hashrate in H/s) against its blocks in the
// served chain store.
func (s *Server) apiPoolLuck(r *http.Request) (any, error) {
	q := newQuery(r.URL.Query())
	slug := q.str("pool", "", 64)
	from := q.str("from", "", 10)
	to := q.str("to", "", 10)
	every := q.enum("every", "month", "day", "month", "year", "all")
	conf := q.floatOpen("confidence", service.DefaultLuckConfidence, 0, 1, "0 < c < 1")
	if e := q.done(); e != nil {
		return nil, e
	}
	ch, ok := unwrapChainHistory(s.hist)
	if !ok {
		return nil, errNoChainStore
	}
	body, err := s.body(r)
	if err != nil {
		return nil, err
	}
	days, key, err := poolfile.ReportedHashrate(bytes.NewReader(body), slug)
	if err != nil {
		return nil, clientErr("hashrate", err)
	}
	if slug != "" {
		key = slug
	}
	// A scan of the days' blocks: about 144 blocks a day, charged per day.
	release, err := s.admit(r.Context(), minCost+int64(len(body))+int64(len(days))*144)
	if err != nil {
		return nil, err
	}
	defer release()
	ans, err := s.svc.PoolLuck(r.Context(), ch.r.BlocksByTime, service.PoolLuckRequest{
		Pool: key, Hashrate: days, From: from, To: to, Every: pool.Period(every), Confidence: conf, BlocksSource: ch.source,
	})
	return ans, clientErr("hashrate", err)
}

// errNoChainStore answers pool luck on a server without a chain store.
var errNoChainStore = fmt.Errorf("%w: pool luck reads the pool's blocks from a chain store (serve --db FILE)", ErrNoData)

// unwrapChainHistory finds the chain store behind the server's history.
func unwrapChainHistory(h History) (*ChainHistory, bool) {
	if th, ok := h.(*timedHistory); ok {
		h = th.History
	}
	ch, ok := h.(*ChainHistory)
	return ch, ok
}
