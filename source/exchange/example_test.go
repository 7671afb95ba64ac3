package exchange_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source/exchange"
)

// fixed is a price source with a fixed answer (instead of an exchange's
// public API, which examples must not call).
type fixed struct {
	name string
	usd  float64
}

func (f fixed) Name() string { return f.name }
func (f fixed) Price(context.Context) (*netstate.Price, error) {
	at := time.Date(2026, 4, 22, 21, 59, 55, 0, time.UTC)
	return &netstate.Price{USD: f.usd, Quotes: []netstate.Quote{{Exchange: f.name, Pair: "BTC/USD", USD: f.usd, Time: at}}}, nil
}

// The index is the median of the answers; every answer stays a quote.
func ExampleIndex() {
	ix := exchange.NewIndex(2*time.Second, fixed{"coinbase", 78420}, fixed{"kraken", 78415}, fixed{"bitstamp", 78430})
	p, err := ix.Price(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f USD (%s) as of %s\n", p.USD, p.Detail, p.AsOf.Format(time.RFC3339))
	for _, q := range p.Quotes {
		fmt.Printf("  %-8s %.2f\n", q.Exchange, q.USD)
	}
	// Output:
	// 78420.00 USD (median of 3 quotes from coinbase, kraken, bitstamp) as of 2026-04-22T21:59:55Z
	//   bitstamp 78430.00
	//   coinbase 78420.00
	//   kraken   78415.00
}
