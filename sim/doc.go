// Package sim is hashlab's agent-based Bitcoin network simulator and its
// Monte Carlo runner.
//
// One path steps day by day. Miners are operators (garage to listed
// companies) built for the scenario's start date (the machines released by
// then with an installed-base age profile, a power-cost curve with a tail
// of near-free power, take-or-pay contracts) whose machines form a
// merit-order supply curve by breakeven hashprice; each day every machine
// that earns its power at the expected hashprice runs (with hysteresis for
// shutdown and restart costs), operators sell BTC to cover their costs,
// expand when margins beat a hurdle (with a delivery lag) and convert sites
// to AI on a scenario's schedule or when AI lease revenue per kWh wins.
// Blocks arrive as a Poisson process with rate H/(D·2^32); within a day the
// engine draws the number of blocks and, when a difficulty epoch ends, the
// exact arrival time of its last block (an order statistic), so retargets
// run Bitcoin's exact rule (consensus.NextBits: 2015 intervals, 4x clamp)
// on simulated timestamps. A plain block-by-block engine (Options.BlockByBlock)
// exists to check the fast one.
//
// Monte Carlo results are quantile bands (p5/p25/p50/p75/p95) per day and
// per retarget, streamed into fixed-width histograms whose integer counts
// merge exactly: the same seed gives the same bytes for any number of
// workers or shards, and memory does not grow with the number of paths.
// A path whose network stops is counted as halted, not banded as 0 H/s.
// RunSensitivity is the one-at-a-time tornado over the behavioural
// parameters on common random numbers (price and fees have their own
// stream).
//
// Units: hashrate in H/s, money in USD (float64, not rounded), BTC as float64
// BTC in outputs (satoshi-exact subsidy internally), time in Unix seconds and
// days. Scenario files decode onto DefaultScenario (an explicit zero
// stays zero) and every error about a file or an option is a
// *hashlab.InputError naming the field (Options.Validate is the one bound
// of paths, workers and years). Hashprice, the implied hashrate and the
// work of a block are hashprice's functions, not retyped here. The
// security metrics along paths are in sim/secreport. The package is pure: scenarios are parsed from bytes, randomness is
// seeded by the caller, there is no clock. It must not import os, net,
// database/sql or any hashlab adapter package.
package sim
