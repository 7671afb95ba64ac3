// Package mining models the economics of SHA-256 mining machines and
// fleets: an embedded ASIC catalogue; revenue, power cost and profit per
// machine and per fleet at a given hashprice; breakeven power price,
// hashprice and BTC price; the cost to produce one BTC; which machines to
// curtail; and how long a BTC treasury lasts against a deficit.
//
// Money is float64 USD (not rounded internally; renderers round to cents),
// power in W and kWh, hashrate in TH/s at this package's boundary
// (HashrateTHs) and H/s elsewhere in hashlab.
//
// The package is pure: fleet files are parsed from bytes the caller has
// read. It must not import os, net, database/sql or any hashlab adapter.
package mining
