// Package chainfile reads chain data from files (an adapter of the chain
// core): raw 80-byte header files (plain or gzip; chain.Verifier.Run
// consumes a HeaderReader), the blocks CSV (height,time,pool_slug) and
// CSVs of daily BTC prices.
//
// Every content error (a malformed row, a height or date given twice, a
// header file that ends inside a header, a bad price) is a
// *hashlab.InputError naming the line (or byte offset), the field, the
// value and what is allowed; the caller adds the file name. Read failures
// of the underlying reader are returned as they are.
package chainfile
