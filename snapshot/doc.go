// Package snapshot embeds hashlab's default view of the Bitcoin network so
// that every command works offline on first run: a network snapshot
// (block 946,236 of 2026-04-22: height, time, bits; plus a BTC price and
// average fees per block that are reference assumptions, labelled so,
// because no permissively licensed price or fee series that recent exists
// to embed; see network.json for the source of each value) and the table
// of every difficulty epoch since genesis (epochs.csv: bits of epochs
// 0-473 and the first/last block timestamps of epochs 0-469). [Source]
// serves the snapshot as a netstate.Source, "the state now" of the
// offline default.
//
// epochs.csv is a verbatim copy of shared/data/headers/difficulty_epochs.csv,
// assembled from permissively licensed public data: block headers from
// EthanYuan/ckb-bitcoin-spv-testdata (WTFPL), bitcoinj checkpoints
// (Apache-2.0), Electrum checkpoints (MIT) and per-block timestamps from
// sorukumar/bitcoin-mining-pools (BSD-2-Clause). No Coin Metrics data is
// embedded.
//
// The package does no I/O beyond reading its embedded files.
package snapshot
