// Package poolfile reads the files of pool luck and the payout audit (an
// adapter of package pool): a pool's reported daily hashrate
// (date,pool_key,hashrate in H/s, the format of
// shared/data/pools/foundryusa_reported_hashrate_*.csv), a pool
// account's export (date, hashrate with its unit, payout, optional
// blocks) and a blocks CSV (height,time,pool_slug) as a stream of block
// records.
//
// Every content error is a *hashlab.InputError naming the line, the
// column, the value and what is allowed; the caller adds the file name.
package poolfile
