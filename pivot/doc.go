// Package pivot answers an operator's question: keep mining, mine with
// curtailment, lease the site to an AI tenant, run GPUs, convert part of
// it, or sell — for one site and for a portfolio with a conversion
// schedule. It computes revenue and margin per kWh, yearly EBITDA, NPV,
// IRR, payback, capex and time to first revenue per option; each option's
// revenue per kWh relative to mining's; the hashprice at which mining
// beats each option; a tornado of the inputs that matter; and, under Monte
// Carlo hashprice paths, the probability that converting beats mining and
// the value of waiting a year.
//
// Money is float64 USD, energy kWh, power MW/kW, time in years. The package
// is pure: site files are parsed from bytes, hourly prices passed as
// values, randomness seeded by the caller. It must not import os, net,
// database/sql or any hashlab adapter package.
package pivot
