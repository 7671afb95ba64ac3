// Package hashlab holds the few types that every layer of hashlab shares:
// the one input-error type ([InputError]) and the network state "now"
// ([NetworkState]) with the source and as-of time of every value, and the
// small interface a source of that state implements ([StateSource]).
//
// The domain packages (consensus, hashprice, mining, pivot, sim, security,
// history and chain's pure core) build on these; adapters (chain/noderpc,
// store, the web-API sources, server) produce or consume them; cmd/hashlab
// and server render what the shared service returns.
//
// This package imports only the standard library and does no I/O.
package hashlab
