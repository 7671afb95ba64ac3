package source

import (
	"context"
	"fmt"

	"github.com/hashlab/hashlab/netstate"
)

// WithPrice returns a netstate.Source that answers src's state with its
// price replaced by price's answer (for a node, which has no price, or a
// mempool instance whose price should be the exchanges' median). Its
// Name is src's. When the price source fails, State fails with an error
// naming both: a state is never returned without the price it was asked
// to carry.
func WithPrice(src netstate.Source, price netstate.PriceSource) netstate.Source {
	return &withPrice{src: src, price: price}
}

type withPrice struct {
	src   netstate.Source
	price netstate.PriceSource
}

func (w *withPrice) Name() string { return w.src.Name() }

func (w *withPrice) State(ctx context.Context) (*netstate.State, error) {
	st, err := w.src.State(ctx)
	if err != nil {
		return nil, err
	}
	p, err := w.price.Price(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: price from %s: %w", w.src.Name(), w.price.Name(), err)
	}
	st.Price = p
	return st, nil
}
