package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

// simStartFlags are sim run's --start and the source flags: with --start
// now the scenario begins from the network state now of --source (the
// tip's height, bits and time, the epoch's first block time, the BTC
// price and the mean fees per block), instead of the scenario file's
// start block. The choice is a flag, not a scenario key, so that one
// scenario file runs from its fixed, reproducible start by default and
// from today's state on demand.
type simStartFlags struct {
	start  string
	source *sourceFlags
	// label names the state's source and age after apply with --start now.
	label string
}

func addSimStartFlags(fs *flag.FlagSet) *simStartFlags {
	s := &simStartFlags{source: addSourceFlag(fs)}
	fs.StringVar(&s.start, "start", "scenario", "start block: scenario (the file's start, reproducible) or now (the state now of --source: tip, bits, epoch, price, fees)")
	return s
}

// apply replaces sc's start with the state now when --start now, and
// notes the source and its age on stderr.
func (s *simStartFlags) apply(ctx context.Context, env *Env, sc *sim.Scenario) error {
	switch s.start {
	case "scenario":
		return nil
	case "now":
	default:
		return usagef("--start %q (allowed: scenario or now)", s.start)
	}
	svc, err := openService(env, s.source)
	if err != nil {
		return err
	}
	st, err := svc.State(ctx)
	if err != nil {
		return err
	}
	p, err := consensus.ParamsByName(st.Network)
	if err != nil || p != consensus.MainNet {
		return fmt.Errorf("--start now: source %s serves %s; the simulator's scenarios are mainnet's", st.Tip.Source, st.Network)
	}
	n := p.RetargetInterval()
	first := st.Tip.Height - st.Tip.Height%n
	if st.Epoch.FirstHeight != first || st.Epoch.FirstTime.IsZero() {
		return fmt.Errorf("--start now: the tip %d ends its epoch and source %s does not give block %d's time; run again after the next block", st.Tip.Height, st.Tip.Source, first)
	}
	sc.Start = sim.Start{Height: st.Tip.Height, Bits: st.Epoch.Bits.String()[2:], Time: st.Tip.Time.Unix(), EpochFirstTime: st.Epoch.FirstTime.Unix()}
	if st.Price != nil {
		sc.Price.StartUSD = st.Price.USD
	}
	sc.Fees.BTCPerBlock = st.Fees.PerBlock.BTC()
	if err := sc.Validate(); err != nil {
		return fmt.Errorf("--start now from source %s: %w", st.Tip.Source, err)
	}
	f := service.Freshness{Source: st.Tip.Source, SourceDetail: st.Tip.Detail, AsOf: st.Tip.Time, AgeSeconds: int64(st.Age(env.Now()).Seconds())}
	s.label = f.Label()
	fmt.Fprintf(env.Stderr, "hashlab: sim starts from block %d (%s, bits %s, BTC $%.0f, fees %.8g BTC/block)\n", st.Tip.Height, f.Label(), st.Epoch.Bits, sc.Price.StartUSD, sc.Fees.BTCPerBlock)
	noteFreshness(env, f)
	return nil
}
