package source_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source"
)

type fakeState struct{}

func (fakeState) Name() string { return "node" }
func (fakeState) State(context.Context) (*netstate.State, error) {
	return &netstate.State{Network: "mainnet", Tip: netstate.Tip{Height: 946236}}, nil
}

type fakePrice struct {
	usd float64
	err error
}

func (fakePrice) Name() string { return "exchanges" }
func (f fakePrice) Price(context.Context) (*netstate.Price, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &netstate.Price{USD: f.usd, Provenance: netstate.Provenance{Source: "exchanges", AsOf: time.Unix(1776894600, 0)}}, nil
}

func TestWithPrice(t *testing.T) {
	st, err := source.WithPrice(fakeState{}, fakePrice{usd: 78420}).State(context.Background())
	if err != nil || st.Price == nil || st.Price.USD != 78420 || st.Tip.Height != 946236 {
		t.Fatalf("state %+v, %v", st, err)
	}
	cause := &source.Error{Source: "kraken", Kind: source.ErrTimeout}
	_, err = source.WithPrice(fakeState{}, fakePrice{err: cause}).State(context.Background())
	if !errors.Is(err, source.ErrTimeout) || !strings.HasPrefix(err.Error(), "node: price from exchanges: kraken: timeout") {
		t.Errorf("err = %v", err)
	}
}
