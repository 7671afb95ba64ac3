// Package node is the "node" network-state source: any Bitcoin Core,
// Knots or btcd JSON-RPC (chain/noderpc). It reads the tip, the bits in
// force for the next block, the epoch's first block and the fees of a
// window of recent blocks: from getblockstats where the node has it
// (Core, Knots) and from the coinbase of the serialized block (getblock
// HASH 0, decoded by chain.BlockFromRaw) where it does not (btcd). A node
// has no BTC price: give Config.Price for one.
//
// It may import chain's core, consensus, netstate and noderpc; never
// store, the web sources or cmd.
package node
