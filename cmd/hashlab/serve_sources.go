package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/server"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/store"
)

// addServeSources declares serve's data-source flags (--db) on fs and
// returns what plugs them into the server once the flags are parsed: the
// simulator always, and with --db FILE the chain store as live history
// (without it, the embedded snapshot). The returned close releases the
// store.
//
// With --source (or HASHLAB_SOURCE, or source: in the config file) the
// state "now" comes from that source (service registry, as the other
// commands), kept by a service.Refresher: asked again every --refresh
// and whenever the --db store's data changes; /metrics then has
// hashlab_source_age_seconds per source.
func addServeSources(env *Env, fs *flag.FlagSet) func(ctx context.Context, cfg *server.Config) (close func(), err error) {
	dbPath := fs.String("db", "", "serve live history from this chain store (written by hashlab import or hashlab ingest --follow); default: the embedded snapshot")
	var fl ConfigFlags
	fs.StringVar(&fl.Source, "source", "", "network-state source of the \"now\" answers: "+strings.Join(sourceNames, ", ")+" (env "+envSource+"; default: the --db store's tip, else the snapshot)")
	fs.StringVar(&fl.MempoolURL, "mempool-url", "", "mempool.space-compatible API root (env "+envMempoolURL+")")
	fs.StringVar(&fl.Exchanges, "exchanges", "", "price index exchanges, comma-separated (env "+envExchanges+")")
	fs.StringVar(&fl.ExchangeURLs, "exchange-urls", "", "replace exchanges' API roots: name=URL,... (env "+envExchURLs+")")
	fs.StringVar(&fl.RPCURL, "rpc", "", "node JSON-RPC URL (env "+envRPCURL+")")
	fs.StringVar(&fl.RPCUser, "rpc-user", "", "RPC user (env "+envRPCUser+")")
	fs.StringVar(&fl.RPCPassword, "rpc-pass", "", "RPC password (env "+envRPCPassword+")")
	fs.StringVar(&fl.RPCCookie, "rpc-cookie", "", "Bitcoin Core .cookie file (env "+envRPCCookie+")")
	refresh := fs.Duration("refresh", service.DefaultRefresh, "with a --source: ask the source again after this long (1s to 24h), and whenever the --db store changes")
	return func(ctx context.Context, cfg *server.Config) (func(), error) {
		cfg.Sim = server.NewSimRunner()
		if *refresh < time.Second || *refresh > 24*time.Hour {
			return nil, hashlab.Invalid("--refresh", refresh.String(), "1s to 24h")
		}
		var db *store.DB
		closers := []func(){}
		closeAll := func() {
			for i := len(closers) - 1; i >= 0; i-- {
				closers[i]()
			}
		}
		if *dbPath != "" {
			var err error
			var params *consensus.Params
			if db, params, err = openServeDB(ctx, *dbPath); err != nil {
				return nil, err
			}
			if params != consensus.MainNet {
				fmt.Fprintf(env.Stderr, "hashlab: --db %s holds %s blocks: answers use %s's rules\n", *dbPath, params.Name, params.Name)
			}
			closers = append(closers, func() { db.Close() })
			if _, ok, err := db.LastBlock(ctx); err != nil {
				closeAll()
				return nil, fmt.Errorf("--db %s: %w", *dbPath, err)
			} else if !ok {
				fmt.Fprintf(env.Stderr, "hashlab: --db %s holds no blocks yet: history answers 404 and /healthz 503 until hashlab import or hashlab ingest writes some\n", *dbPath)
			}
			cfg.History = server.NewChainHistory(db, server.ChainHistoryOptions{Source: "chain store " + dbName(db), Now: env.Now, Params: params})
		}
		fl.DB = *dbPath
		conf, err := LoadConfig(env, fl)
		if err != nil {
			closeAll()
			return nil, cliErr(err)
		}
		if conf.From["source"] == FromDefault {
			return closeAll, nil
		}
		src, err := stateSources(env, conf, &sourceFlags{fl: fl, window: service.FeeWindow{Blocks: service.DefaultFeeWindowBlocks}}).Open(conf.Source)
		if err != nil {
			closeAll()
			return nil, cliErr(err)
		}
		r := &service.Refresher{Src: src, Interval: *refresh, Now: env.Now}
		if db != nil {
			r.Generation = db.Generation
		}
		// The first answer before listening: an explicit source that
		// fails stops serve (exit 1) naming it.
		if _, err := r.State(ctx); err != nil {
			closeAll()
			return nil, fmt.Errorf("source %s: %w", conf.Source, err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); r.Run(rctx, 2*time.Second) }()
		closers = append(closers, func() { cancel(); <-done })
		cfg.State = r
		return closeAll, nil
	}
}

// openServeDB opens an existing chain store and returns the parameters of
// the network its blocks belong to (mainnet when it records none). It
// never creates one: a path that does not exist is a usage error. A
// non-mainnet store is served with its own network's rules (a regtest
// store answers regtest's subsidy and difficulty); the embedded snapshot
// and the simulator stay mainnet's.
func openServeDB(ctx context.Context, path string) (*store.DB, *consensus.Params, error) {
	db, err := openExistingDB(ctx, path) // bad input (exit 2) unless a hashlab database
	if err != nil {
		return nil, nil, err
	}
	n, err := db.Network(ctx)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("--db %s: %w", path, err)
	}
	if n == "" {
		return db, consensus.MainNet, nil
	}
	p, err := consensus.ParamsByName(n)
	if err != nil {
		db.Close()
		return nil, nil, usagef("--db %s: the database holds blocks of an unknown network %q", path, n)
	}
	return db, p, nil
}
