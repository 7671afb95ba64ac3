// Package exchange gives the BTC price in USD from exchanges' public,
// unauthenticated market-data endpoints, and their median, the index
// hashlab uses by default (like the Hashrate Index's three-exchange
// price). Each exchange is a netstate.PriceSource (its ticker's last
// trade price with the ticker's own timestamp) and a source.DailyCloser
// (its daily candles' closes, for `import prices --from EXCHANGE`).
// [Index] asks several price sources at once with a short deadline and
// returns the median of those that answered, keeping every answer as a
// netstate.Quote.
//
// APIs followed (public endpoints, no key):
//   - coinbase: Coinbase Exchange REST API, "Get product ticker"
//     GET /products/BTC-USD/ticker (price, time) and "Get product candles"
//     GET /products/BTC-USD/candles?granularity=86400 ([time, low, high,
//     open, close, volume], at most 300 per request),
//     https://docs.cdp.coinbase.com/exchange/reference/exchangerestapi_getproductticker
//   - kraken: Kraken Spot REST API, "Get Ticker Information"
//     GET /0/public/Ticker?pair=XBTUSD (c = last trade [price, volume]; no
//     timestamp, so the answer's HTTP Date is the quote's time) and "Get
//     OHLC Data" GET /0/public/OHLC?pair=XBTUSD&interval=1440 ([time, open,
//     high, low, close, vwap, volume, count], the last 720 only),
//     https://docs.kraken.com/api/docs/rest-api/get-ticker-information
//   - bitstamp: Bitstamp HTTP API v2, "Ticker" GET /api/v2/ticker/btcusd/
//     (last, timestamp) and "OHLC data" GET /api/v2/ohlc/btcusd/?step=86400
//     (data.ohlc[].timestamp/close, at most 1000 per request),
//     https://www.bitstamp.net/api/
//   - gemini: Gemini REST API, "Ticker" GET /v1/pubticker/btcusd (last,
//     volume.timestamp in ms) and "Candles" GET /v2/candles/btcusd/1day
//     ([time ms, open, high, low, close, volume]),
//     https://docs.gemini.com/rest/market-data
//
// Terms: each exchange's market data is subject to its own terms of use
// and rate limits (429 answers are reported as source.ErrRateLimited);
// hashlab asks for one ticker per exchange per refresh and stores no
// exchange data except the daily closes a user imports. Test data under
// testdata/ is hand-made in the documented shapes, not recorded from the
// exchanges.
//
// This package must not import cmd/, store, server or ingest.
package exchange
