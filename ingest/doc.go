// Package ingest copies blocks from a Bitcoin Core-compatible JSON-RPC
// node (Bitcoin Core, Knots, btcd) into a store: resumable, idempotent,
// reorg-safe, with bounded parallel fetching and batched writes, and an
// optional follow mode that tracks the tip. It also imports files
// (raw headers, the blocks CSV, daily prices) into a store, each file in one
// transaction (import.go).
//
// It is an adapter that wires chain/noderpc (the RPC client and the
// getblock dialect), chain/chainfile (the file readers) and chain's core
// (block extraction, the header Verifier and its one loop, Verifier.Run)
// to store (through the store.ChainWriter interface, so any storage will
// do). It must not import cmd/ or server; domain packages must not import
// it. Flags, environment variables and progress bars live in
// cmd/hashlab.
package ingest
