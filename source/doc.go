// Package source holds what hashlab's web sources share: one HTTP GET
// that decodes JSON or text and turns every failure into an [*Error] that
// names the source, the URL (never with credentials) and why, with a
// sentinel per kind of fault ([ErrTimeout], [ErrRateLimited],
// [ErrServer], [ErrStatus], [ErrMalformed], [ErrImplausible]) that
// callers test with errors.Is; and the daily close type that the price
// sources return for `import prices --from`.
//
// The sources themselves are adapters in subpackages: [mempool] for any
// mempool.space-compatible REST API and [exchange] for exchanges' public
// tickers and daily candles with their median index. They implement
// netstate.Source and netstate.PriceSource.
//
// This package does network I/O only through the *http.Client it is
// given; it reads no configuration, environment or clock of its own
// (tests replay recorded responses from an httptest server). It must not
// import cmd/, store or server.
//
// [mempool]: github.com/hashlab/hashlab/source/mempool
// [exchange]: github.com/hashlab/hashlab/source/exchange
package source
