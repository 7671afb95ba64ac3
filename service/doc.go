// Package service holds hashlab's use cases: what the CLI (cmd/hashlab)
// and the HTTP API (server) both answer. Each use case is a method of
// [Service] that returns a result struct with JSON tags; the CLI prints it
// as text or JSON and the API encodes it, so the two faces cannot drift.
//
// A Service is pure orchestration over a [netstate.Source] (the network
// state "now": the embedded snapshot, a chain store, a node, a mempool
// API) and an injected clock. It does no I/O of its own, reads no flags,
// no environment and no HTTP request: faces parse their input into the
// query structs here and render what comes back. Every answer that uses
// "now" carries a [Freshness]: the source, the time its state is true as
// of, its age and the values the caller overrode.
//
// Defaults shared by both faces (the power price of the miner table, the
// confidence of the retarget interval, the Monte Carlo seed, the
// confirmation depths of the attack-cost table) are defined once here.
//
// Bad input is reported as *hashlab.InputError whose Field is the API's
// parameter name (snake_case, e.g. "tip_time"); the CLI turns it into its
// flag name ("--tip-time"). A source that cannot answer is an ordinary
// error naming the source.
//
// It must not import net/http, os, database/sql or any adapter package.
package service
