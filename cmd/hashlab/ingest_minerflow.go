package main

import (
	"context"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/ingest"
	"github.com/hashlab/hashlab/store"
)

// ingestMinerFlow decides whether an ingest tracks miner flow: when
// --miner-flow asks for it, and always for a database that already tracks
// it (so its series have no gap). It needs serialized blocks.
func ingestMinerFlow(ctx context.Context, db *store.DB, asked bool, verbosity int, pools *chain.Pools) (*ingest.MinerFlow, error) {
	_, tracked, err := db.MinerFlowFrom(ctx)
	if err != nil {
		return nil, err
	}
	if !asked && !tracked {
		return nil, nil
	}
	if verbosity != 0 {
		if asked {
			return nil, usagef("--miner-flow needs serialized blocks (allowed: --getblock-verbosity 0)")
		}
		return nil, usagef("this database tracks miner flow, which needs serialized blocks (allowed: --getblock-verbosity 0)")
	}
	return &ingest.MinerFlow{IsPayout: ingest.PayoutSet(pools)}, nil
}
