// Package chain holds block records and the adapters that read chain data
// from the outside world: raw header files (plain or gzip), a Bitcoin
// Core-compatible JSON-RPC node, block/price CSV files, and mining-pool
// definition files for attributing blocks to pools. It verifies what it
// reads with the consensus package.
//
// chain is an adapter package: it may do I/O. Domain packages (consensus,
// hashprice, mining, pivot, sim, security) must never import it.
package chain
