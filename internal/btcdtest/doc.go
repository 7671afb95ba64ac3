// Package btcdtest runs real btcd nodes in regtest mode for integration
// tests: it builds btcd once per test process from the version pinned by
// go.mod's tool directive, starts nodes on free loopback ports in
// temporary directories, and mines blocks it builds itself (coinbase with a
// BIP34 height, a pool tag and chosen payout addresses; signed transactions
// that pay fees; under-claiming coinbases) through submitblock.
//
// It is test plumbing: product code must not import it. It may import
// chain (for the RPC client) and consensus, never store or ingest.
package btcdtest
