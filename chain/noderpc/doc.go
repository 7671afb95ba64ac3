// Package noderpc is the node adapter of the chain core: a JSON-RPC 1.0
// client for Bitcoin Core, Knots and btcd (HTTP POST with basic auth or a
// cookie file, batches, retries when the node is busy), and the RPC
// dialect of their answers: getblockchaininfo, getblockheader and
// getblock at verbosity 2, whose Core and btcd field names differ
// (BlockFromRPC turns either into a chain.BlockRecord; chain.BlockFromRaw
// reads verbosity 0).
//
// Tests run against a local httptest server replaying the nodes'
// documented answers and, in ingest, against a real btcd in regtest.
package noderpc
