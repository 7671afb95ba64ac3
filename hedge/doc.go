// Package hedge values hashprice forwards and swaps under Monte Carlo
// paths of the daily hashprice (USD/PH/day) and BTC price (USD), such as
// the simulator's (sim.Options.PathSink): the fair forward with its Monte
// Carlo standard error, the distribution of an operator's margin per PH/s
// hedged and unhedged, the minimum-variance hedge ratio and the variance
// it removes, and a BTC-denominated forward on hashvalue (selling N months
// of production forward in BTC).
//
// Conventions (see docs/hedge.md for the derivations):
//
//   - A contract on 1 PH/s over a term of T days starting at day 0 of the
//     paths settles on the arithmetic mean of the T daily values (days
//     0..T-1): R = (1/T) Σ_d hp_d. Amounts are per PH/s per day of term;
//     multiply by T for the term's total.
//   - Hedge ratio h > 0 means the operator SELLS the forward: receives the
//     fixed strike K and pays the realised R on h PH/s per PH/s produced.
//   - No discounting (rate 0): the fair forward is the expectation of R
//     under the paths' own measure, E[R], estimated by the mean over paths.
//
// The package is pure: it takes paths as values, does no I/O and reads no
// clock. It must not import os, net, database/sql or any hashlab adapter
// package.
package hedge
