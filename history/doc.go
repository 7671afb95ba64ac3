// Package history answers history questions from stored chain data: every
// difficulty adjustment, the network hashrate per day with its confidence
// interval, hashvalue and hashprice per day, week or epoch, and block shares
// by mining pool with their concentration (HHI, Nakamoto coefficient).
//
// It reads through the small interfaces declared here (BlockReader,
// PriceReader), which store.DB implements; the domain math comes from
// consensus, hashprice and security. These are the library functions the
// CLI (hashlab history, hashlab pools) and the server use. Daily, weekly
// and per-epoch figures are sums over BlockGroups (the blocks of one day,
// epoch, nBits and subsidy): a store that keeps them as rollups
// (GroupReader, as store.DB does) answers without reading every block,
// with the same figures to the last bit.
//
// history is a domain package: it does no I/O of its own beyond its
// readers and must not depend on os, net/http, database/sql, store or any
// other adapter, nor on sim, pivot, mining or YAML (internal/archtest
// checks its transitive imports). Bad arguments are *hashlab.InputError.
package history
