// Package security computes the numbers a risk team needs to judge
// Bitcoin's safety as hashrate moves: the probability that a double spend
// succeeds after z confirmations (Nakamoto 2008 §11 and the exact closed
// form of Grunspan & Pérez-Marco 2018), the confirmations needed for a
// target risk, the cost of acquiring majority hashrate by buying, renting
// or re-activating idled machines and the largest amount that is safe at
// each confirmation count (Budish 2018), selfish-mining revenue (Eyal &
// Sirer 2014 and the optimal policy of Sapirshtein, Sompolinsky & Zohar
// 2016 by solving their Markov decision process), and concentration
// measures (HHI, Nakamoto coefficient, cartel and censorship
// probabilities).
//
// Input bounds are defined once, as Range values (AnyShare,
// MinorityShare, Risk, Gamma, Accuracy) that the CLI and the API call;
// every input error is a *hashlab.InputError. Unknown and "other" blocks
// are not entities in the concentration figures unless asked
// (ConcentrationOptions.IncludeUnknown).
//
// The package is pure: no I/O, no clock, no global randomness. It depends
// on consensus alone (the probes over simulator paths are in
// sim/secreport) and must not import os, net, database/sql or any hashlab
// adapter package.
package security

import "github.com/hashlab/hashlab"

// inputErr returns the one input-error type, *hashlab.InputError
// (errors.Is(err, hashlab.ErrInput) holds).
func inputErr(field string, value any, allowed string) error {
	return hashlab.Invalid(field, value, allowed)
}
