package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/hashlab/hashlab/server"
	"github.com/hashlab/hashlab/store"
)

// addServeSources declares serve's data-source flags (--db) on fs and
// returns what plugs them into the server once the flags are parsed: the
// simulator always, and with --db FILE the chain store as live history
// (without it, the embedded snapshot). The returned close releases the
// store.
func addServeSources(env *Env, fs *flag.FlagSet) func(ctx context.Context, cfg *server.Config) (close func(), err error) {
	dbPath := fs.String("db", "", "serve live history from this chain store (written by hashlab import or hashlab ingest --follow); default: the embedded snapshot")
	return func(ctx context.Context, cfg *server.Config) (func(), error) {
		cfg.Sim = server.NewSimRunner()
		if *dbPath == "" {
			return func() {}, nil
		}
		db, err := openServeDB(ctx, *dbPath)
		if err != nil {
			return nil, err
		}
		if _, ok, err := db.LastBlock(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("--db %s: %w", *dbPath, err)
		} else if !ok {
			fmt.Fprintf(env.Stderr, "hashlab: --db %s holds no blocks yet: history answers 404 and /healthz 503 until hashlab import or hashlab ingest writes some\n", *dbPath)
		}
		cfg.History = server.NewChainHistory(db, server.ChainHistoryOptions{Source: "chain store " + filepath.Base(*dbPath), Now: env.Now})
		return func() { db.Close() }, nil
	}
}

// openServeDB opens an existing mainnet chain store. It never creates one:
// a path that does not exist is a usage error.
func openServeDB(ctx context.Context, path string) (*store.DB, error) {
	db, err := openExistingDB(ctx, path) // bad input (exit 2) unless a hashlab database
	if err != nil {
		return nil, err
	}
	if n, err := db.Network(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("--db %s: %w", path, err)
	} else if n != "" && n != "mainnet" {
		db.Close()
		return nil, usagef("--db %s: the database holds %s blocks; serve answers for mainnet (allowed: a mainnet database)", path, n)
	}
	return db, nil
}
