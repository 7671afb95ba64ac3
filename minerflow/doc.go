// Package minerflow follows miners' coins from the chain: the outputs of
// every coinbase, one hop further the outputs that spending transactions
// pay to a pool's known payout addresses, and the spends of both. ScanBlock
// finds them in a decoded block; Compute turns the tracked coins into daily
// series per pool (BTC mined, moved out of coinbase outputs and out of
// payout addresses, the balance still unspent and its age profile) and the
// Miners' Position Index where prices exist.
//
// It is a domain package: it takes values and returns values, and must not
// import database/sql, net, os or any adapter (internal/archtest checks it).
package minerflow
