// Package chain is hashlab's pure chain core: block records with typed
// hashes (consensus.Hash), bits (consensus.Bits) and satoshis
// (consensus.Sats); the header Verifier, which is a consensus.HeaderCtx
// and checks every header with consensus.NextWorkRequired (BIP94 and the
// testnet minimum-difficulty rule included) in the one header-verification
// loop (Verifier.Run); serialized-block decoding, coinbase parsing
// (coinbase tag, payout addresses, fees as coinbase minus subsidy) and
// pool attribution with the embedded mempool pools-v2 list.
//
// chain does no I/O: it must not import os, net, net/http, database/sql,
// os/exec or any adapter package. The adapters live in subpackages:
// chain/noderpc (the JSON-RPC client of Bitcoin Core, Knots and btcd, and
// the RPC dialect of getblock) and chain/chainfile (raw header files, the
// blocks CSV and price CSVs, plain or gzip). internal/archtest enforces
// this.
package chain
