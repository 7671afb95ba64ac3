package main

import (
	"flag"

	"github.com/hashlab/hashlab/server"
)

// addServeSources plugs the simulator (and, with --db, the chain store)
// into the server.
func addServeSources(cfg *server.Config, fs *flag.FlagSet) error {
	cfg.Sim = server.NewSimRunner()
	return nil
}
