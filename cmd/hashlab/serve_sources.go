package main

import (
	"flag"

	"github.com/hashlab/hashlab/server"
)

// addServeSources plugs the simulator and the chain store into the server
// when they are available.
func addServeSources(cfg *server.Config, fs *flag.FlagSet) error {
	return nil
}
