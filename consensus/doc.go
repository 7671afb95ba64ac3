// Package consensus implements Bitcoin's proof-of-work consensus arithmetic
// exactly as Bitcoin Core does: compact "nBits" encoding of 256-bit targets
// (arith_uint256::SetCompact / GetCompact, including the sign bit and
// overflow rules), difficulty, work per block and cumulative chainwork, the
// block subsidy schedule and total issued supply, the difficulty retarget
// (pow.cpp: GetNextWorkRequired / CalculateNextWorkRequired, including the
// testnet minimum-difficulty rule and BIP94), 80-byte header parsing and the
// proof-of-work check.
//
// Network parameters are data (Params); mainnet, testnet3, testnet4, signet
// and regtest differ only by a Params value.
//
// The package is pure: it performs no I/O, reads no clock and keeps no
// global mutable state. It must not import os, net, database/sql or any
// hashlab adapter package (chain, store, server).
//
// Big-integer hygiene: functions never mutate their *big.Int arguments and
// always return freshly allocated results.
package consensus
