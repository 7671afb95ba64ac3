// Package pool is pool luck, the payout audit of a pool account and
// template groups: values in, values out.
//
// Definitions (docs/pool.md derives and cites them):
//
//	expected blocks  λ = Σ over the spans of a day at one difficulty D:
//	                     hashrate [H/s] × seconds / (D × 2^32)
//	luck               = k / λ for k blocks found
//	exact band (95%)   = Garwood's interval for a Poisson mean given k,
//	                     [Gamma(k,1) quantile α/2, Gamma(k+1,1) quantile
//	                     1-α/2], divided by λ; the p-value is the exact
//	                     two-sided Poisson tail of k under mean λ
//	FPPS payout        = hashrate/1e15 × hashvalue [sats/PH/day, subsidy
//	                     plus fees] × (1 − pool fee)
//
// The difficulty in force at each moment comes from a [Timeline] built
// from the consensus nBits of the blocks (or the epoch table). Template
// groups are pools known to mine on another pool's block templates
// (b10c, "Block Template Similarities between Mining Pools: AntPool and
// friends?", 2024-09-16): see [TemplateGroups].
//
// The package is pure: no I/O, no clock. It must not import os, net,
// database/sql or any hashlab adapter package.
package pool
