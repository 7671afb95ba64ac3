package server

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/snapshot"
)

func unixUTC(t int64) time.Time { return time.Unix(t, 0).UTC() }

// historyState answers the network state now from a History's tip (a
// chain store's newest block, its epoch and its recent fees). A store
// without prices gets the embedded snapshot's reference price, which the
// state's price provenance names with its own date.
type historyState struct {
	h      History
	source string
}

func (hs historyState) Name() string { return hs.source }

func (hs historyState) State(ctx context.Context) (*netstate.State, error) {
	tip, err := hs.h.Tip(ctx)
	if err != nil {
		return nil, err
	}
	p := consensus.MainNet
	if hp, ok := hs.h.(interface{ Params() *consensus.Params }); ok && hp.Params() != nil {
		p = hp.Params()
	}
	start := tip.Height / p.RetargetInterval() * p.RetargetInterval()
	prov := netstate.Provenance{Source: hs.source, Detail: tip.Source, AsOf: tip.Time.UTC()}
	st := &netstate.State{
		Network: p.Name,
		Tip:     netstate.Tip{Height: tip.Height, Time: tip.Time.UTC(), Provenance: prov},
		Epoch:   netstate.Epoch{FirstHeight: start, Bits: consensus.Bits(tip.Bits), Provenance: prov},
		Fees:    netstate.Fees{PerBlock: tip.FeesPerBlock, Provenance: prov},
	}
	if tip.EpochFirstTime != 0 {
		st.Epoch.FirstTime = unixUTC(tip.EpochFirstTime)
	}
	var snap *netstate.State
	snapState := func() (*netstate.State, error) {
		if snap != nil {
			return snap, nil
		}
		var err error
		snap, err = snapshot.NewSource().State(ctx)
		return snap, err
	}
	if !tip.FeesKnown {
		// No recent block's fees are known (blocks imported from files):
		// the snapshot's reference fees, labelled as such, not 0.
		ss, err := snapState()
		if err != nil {
			return nil, err
		}
		st.Fees = ss.Fees
	}
	if tip.PriceUSD > 0 {
		st.Price = &netstate.Price{USD: tip.PriceUSD, Provenance: prov}
		if !tip.PriceTime.IsZero() {
			st.Price.AsOf = tip.PriceTime.UTC()
			st.Price.Detail = "price stored for " + tip.PriceTime.UTC().Format("2006-01-02")
		}
	} else {
		ss, err := snapState()
		if err != nil {
			return nil, err
		}
		st.Price = ss.Price
	}
	return st, nil
}

// clientErr passes an input error through (writeError turns it into a
// 400 with field, value and allowed) and makes any other error of a
// domain package a plain 400 prefixed by what was being read.
func clientErr(what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := hashlab.AsInput(err); ok {
		return err
	}
	var ae *apiError
	if errors.As(err, &ae) {
		return err
	}
	// The request's end is not the client's mistake: writeError answers
	// a deadline with a 503 (and a gone client gets nothing).
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err
	}
	if what == "" {
		return badRequest("%s", err.Error())
	}
	return badRequest("%s: %s", what, err.Error())
}

// inputAPIError is the 400 body of an input error: the message and its
// field, value and allowed, the API's names for them (the service's
// names are the API's parameter names already).
func inputAPIError(ie *hashlab.InputError, err error) *apiError {
	return &apiError{Status: 400, Message: err.Error(), Field: strings.TrimPrefix(ie.Field, "--"), Value: ie.Value, Allowed: ie.Allowed}
}
