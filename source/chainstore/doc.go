// Package chainstore is the "db" network-state source: the SQLite chain
// store that `hashlab ingest` and the imports write (store). It answers
// the stored tip, the bits in force for the next block, the epoch's first
// block, the mean fees of the last N blocks whose fees are known (blocks
// ingested from a node), else the newest imported day of fee totals, and
// the newest imported daily price with its own date.
//
// It may import store, chain's core, consensus and netstate; never the
// web sources or cmd.
package chainstore
