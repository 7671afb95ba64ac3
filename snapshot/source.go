package snapshot

import (
	"context"
	"fmt"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
)

// SourceName is the name of the embedded snapshot among the state
// sources.
const SourceName = "snapshot"

// Source is the embedded snapshot as a netstate.Source: the tip is
// network.json's block, the epoch's first height, first-block time and
// bits come from the embedded epoch table, and the fees and the BTC price
// are network.json's reference assumptions, each with its own provenance.
// It never fails and never changes; its age grows with the clock of the
// caller.
type Source struct {
	st netstate.State
}

// NewSource builds the snapshot source. It panics if the embedded files
// disagree (the snapshot's bits are not those of its epoch in the table,
// or its epoch has no first-block time): a build defect that the package
// tests catch.
func NewSource() *Source {
	n := Default()
	p := consensus.MainNet
	start := n.Height / p.RetargetInterval() * p.RetargetInterval()
	var ep *Epoch
	for _, e := range Epochs() {
		if e.FirstHeight == start {
			ep = &e
			break
		}
	}
	if ep == nil || ep.FirstTime == 0 || ep.Bits != n.Bits() {
		panic(fmt.Sprintf("snapshot: network.json's height %d and bits 0x%08x do not match the embedded epoch table", n.Height, n.Bits()))
	}
	detail := "embedded snapshot of " + n.AsOf.UTC().Format("2006-01-02")
	tipProv := netstate.Provenance{Source: SourceName, Detail: detail, AsOf: n.AsOf.UTC()}
	priceProv := netstate.Provenance{Source: SourceName, Detail: "reference assumption of " + n.PriceAsOf.UTC().Format("2006-01-02") + ", not a market quote", AsOf: n.PriceAsOf.UTC()}
	feeProv := netstate.Provenance{Source: SourceName, Detail: "reference assumption of late 2025, not a measurement", AsOf: n.PriceAsOf.UTC()}
	return &Source{st: netstate.State{
		Network: n.NetworkName,
		Tip:     netstate.Tip{Height: n.Height, Time: n.AsOf.UTC(), Provenance: tipProv},
		Epoch: netstate.Epoch{FirstHeight: start, FirstTime: unixUTC(ep.FirstTime), Bits: consensus.Bits(ep.Bits),
			Provenance: netstate.Provenance{Source: SourceName, Detail: "embedded epoch table", AsOf: n.AsOf.UTC()}},
		Fees:  netstate.Fees{PerBlock: n.FeesPerBlock(), Provenance: feeProv},
		Price: &netstate.Price{USD: n.PriceUSD, Provenance: priceProv},
	}}
}

// Name implements netstate.Source.
func (s *Source) Name() string { return SourceName }

// State implements netstate.Source: a fresh copy of the embedded state.
func (s *Source) State(context.Context) (*netstate.State, error) {
	st := s.st
	p := *s.st.Price
	st.Price = &p
	st.Overridden = nil
	return &st, nil
}
