// Package hashprice turns network state into miner revenue: hashvalue (BTC
// and sats earned per PH/s per day), hashprice (USD per PH/s per day), the
// network hashrate implied by difficulty, a statistical estimate of network
// hashrate from observed blocks with a confidence interval, the projection
// of the current epoch's difficulty adjustment, and the breakeven power
// price of a machine efficiency.
//
// Formulas (see docs/hashprice.md for derivations and choices):
//
//	expected blocks per day for 1 PH/s = 1e15 * 86400 / (D * 2^32)
//	hashvalue [BTC/PH/day]            = that * (subsidy + average fees) / 1e8
//	hashprice [USD/PH/day]            = hashvalue * price
//	breakeven [USD/kWh]               = hashprice / 1000 / (J/TH * 0.024)
//
// The package is pure: no I/O, no clock. It must not import os, net,
// database/sql or any hashlab adapter package.
package hashprice
