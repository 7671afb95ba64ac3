package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/netstate"
)

// DefaultBlockIntervalSec is the assumed mean block interval until the
// halving: the mainnet target spacing, from the params.
var DefaultBlockIntervalSec = float64(consensus.MainNet.TargetSpacingSec)

// Defaults shared by the CLI and the API. Each is defined once.
const (
	// DefaultPowerUSDPerKWh is the power price of the miner table when
	// none is given: a typical North American industrial tariff in 2025.
	DefaultPowerUSDPerKWh = 0.06
	// DefaultConfidence is the coverage of the retarget projection's
	// interval.
	DefaultConfidence = 0.9
	// DefaultSeed seeds every Monte Carlo run (pivot paths, simulator
	// jobs) when the user gives no seed, on both faces.
	DefaultSeed uint64 = 1
	// DefaultAttackZ are the confirmation depths of the attack-cost table.
	DefaultAttackZ = "1,2,3,6,12,24"
	// DefaultRentPremium is the hashrate rental price as a multiple of
	// hashprice.
	DefaultRentPremium = 1.1
	// DefaultPivotPath is the hashprice path of the pivot analysis.
	DefaultPivotPath = "halving"
	// DefaultPivotVolatility and DefaultPivotDrift are the yearly
	// volatility and drift of log hashprice for the pivot Monte Carlo.
	DefaultPivotVolatility = 0.6
	DefaultPivotDrift      = -0.1
	// MaxHeight bounds every height a user gives.
	MaxHeight = 100_000_000
	// StaleAfter is the age beyond which the CLI warns that the state is
	// old.
	StaleAfter = 7 * 24 * time.Hour
)

// BreakevenEfficienciesJPerTH are the efficiencies (J/TH) of the
// breakeven table of the hashprice answer.
var BreakevenEfficienciesJPerTH = []float64{12, 15, 17.5, 21.5, 30, 38}

// Service answers the use cases from one source of network state and a
// clock. It is safe for concurrent use when its source is.
type Service struct {
	src    netstate.Source
	now    func() time.Time
	params *consensus.Params
}

// New returns a Service over src with clock now (nil: the Unix epoch, so
// that a forgotten clock shows as a huge age rather than hiding one).
// The network is mainnet.
func New(src netstate.Source, now func() time.Time) *Service {
	if now == nil {
		now = func() time.Time { return time.Unix(0, 0) }
	}
	return &Service{src: src, now: now, params: consensus.MainNet}
}

// Source returns the service's state source.
func (s *Service) Source() netstate.Source { return s.src }

// State returns the source's state now. A failure is an error naming the
// source ("service: source mempool: ..."), never a fallback.
func (s *Service) State(ctx context.Context) (*netstate.State, error) {
	if s.src == nil {
		return nil, errors.New("service: no state source")
	}
	st, err := s.src.State(ctx)
	if err != nil {
		return nil, fmt.Errorf("service: source %s: %w", s.src.Name(), err)
	}
	if st == nil {
		return nil, fmt.Errorf("service: source %s answered no state", s.src.Name())
	}
	return st, nil
}

// paramsOf returns the network of the state (a node or a store may serve
// regtest or a testnet); mainnet when the state does not say.
func (s *Service) paramsOf(st *netstate.State) *consensus.Params {
	if st != nil && st.Network != "" {
		if p, err := consensus.ParamsByName(st.Network); err == nil {
			return p
		}
	}
	return s.params
}

// Freshness says where the state behind an answer came from and how old
// it is. Every answer that uses "now" embeds it, so its JSON carries
// source, as_of and age_seconds.
type Freshness struct {
	// Source is the source's kind ("snapshot", "db", "node", "mempool").
	Source string `json:"source"`
	// SourceDetail names the instance ("embedded snapshot of 2026-04-22",
	// a URL, a database path).
	SourceDetail string `json:"source_detail,omitempty"`
	// AsOf is the time of the state's tip block, UTC.
	AsOf time.Time `json:"as_of"`
	// AgeSeconds is now - AsOf in whole seconds (never negative).
	AgeSeconds int64 `json:"age_seconds"`
	// Overridden lists the state values the caller replaced ("difficulty",
	// "bits", "height", "fees_btc", "price", "tip_height", ...).
	Overridden []string `json:"overridden,omitempty"`
	// PriceSource and PriceAsOf say where the BTC price came from and when
	// it was true, when that is not the tip's source and time (a dated
	// reference assumption, an exchange's quote).
	PriceSource string    `json:"price_source,omitempty"`
	PriceAsOf   time.Time `json:"price_as_of,omitzero"`
}

func (s *Service) freshness(st *netstate.State) Freshness {
	f := Freshness{Source: st.Tip.Source, SourceDetail: st.Tip.Detail, AsOf: st.Tip.Time.UTC(), AgeSeconds: int64(st.Age(s.now()) / time.Second)}
	if f.Source == "" {
		f.Source = s.src.Name()
	}
	if f.AsOf.IsZero() {
		f.AsOf = st.Tip.AsOf.UTC()
	}
	if st.Price != nil && (st.Price.Source != f.Source || !st.Price.AsOf.Equal(f.AsOf)) {
		f.PriceSource = st.Price.Source
		if st.Price.Detail != "" {
			f.PriceSource = st.Price.Detail
		}
		f.PriceAsOf = st.Price.AsOf.UTC()
	}
	f.Overridden = append(f.Overridden, st.Overridden...)
	return f
}

// Age returns the state's age as a duration.
func (f Freshness) Age() time.Duration { return time.Duration(f.AgeSeconds) * time.Second }

// Stale reports whether the state is older than StaleAfter.
func (f Freshness) Stale() bool { return f.Age() > StaleAfter }

// Label is the human form: "embedded snapshot of 2026-04-22, 222 days
// old", with "; overridden: price, height" when the caller replaced
// values.
func (f Freshness) Label() string {
	name := f.SourceDetail
	if name == "" {
		name = f.Source
	}
	s := name + ", " + AgeString(f.Age()) + " old"
	if f.PriceSource != "" {
		s += "; BTC price: " + f.PriceSource
	}
	if len(f.Overridden) > 0 {
		s += "; overridden: "
		for i, o := range f.Overridden {
			if i > 0 {
				s += ", "
			}
			s += o
		}
	}
	return s
}

// AgeString prints an age in the largest whole unit that fits: "45 s",
// "12 min", "5 h", "222 days".
func AgeString(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + " s"
	case d < time.Hour:
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min"
	case d < 48*time.Hour:
		return strconv.FormatInt(int64(d/time.Hour), 10) + " h"
	}
	n := int64(d / (24 * time.Hour))
	return strconv.FormatInt(n, 10) + " days"
}

// Overrides replace single values of the state: the inputs of every
// market use case (hashprice, halving, miners, fleet, overview). A nil
// field keeps the state's value. Difficulty and Bits exclude each other.
type Overrides struct {
	// Difficulty is a network difficulty (> 0, finite).
	Difficulty *float64
	// Bits is the compact target in force; it must be a valid mainnet
	// target.
	Bits *consensus.Bits
	// Height is the height of the next block (0 to MaxHeight).
	Height *int64
	// FeesPerBlock is the average fees per block, sats (0 to 21e6 BTC).
	FeesPerBlock *consensus.Sats
	// PriceUSD is the BTC price in USD (0 to 1e12, finite).
	PriceUSD *float64
}

// Market is the resolved market state: the hashprice inputs from the
// state and the overrides, and the hashprice they give.
type Market struct {
	State  *netstate.State
	Inputs hashprice.Inputs
	// Bits is the nBits in force: exact when BitsExact, else the nearest
	// compact target at or below a difficulty given as a number.
	Bits      consensus.Bits
	BitsExact bool
	Result    hashprice.Result
	Freshness Freshness
	overrides Overrides
}

// Market reads the state and applies o.
func (s *Service) Market(ctx context.Context, o Overrides) (*Market, error) {
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	return s.market(st, o)
}

// CheckOverrides validates o without reading the state, so that faces can
// reject bad input before any output.
func CheckOverrides(o Overrides) error {
	switch {
	case o.Difficulty != nil && o.Bits != nil:
		return hashlab.Invalid("bits", *o.Bits, "difficulty or bits, not both")
	case o.Difficulty != nil && (!(*o.Difficulty > 0) || math.IsInf(*o.Difficulty, 0)):
		return hashlab.Invalid("difficulty", *o.Difficulty, "> 0 and finite")
	case o.Height != nil && (*o.Height < 0 || *o.Height > MaxHeight):
		return hashlab.Invalid("height", *o.Height, "0 to 100,000,000")
	case o.FeesPerBlock != nil && (*o.FeesPerBlock < 0 || *o.FeesPerBlock > 21e6*consensus.SatsPerBTC):
		return hashlab.Invalid("fees_btc", o.FeesPerBlock.BTC(), "0 to 21,000,000 BTC per block")
	case o.PriceUSD != nil && (!(*o.PriceUSD >= 0) || *o.PriceUSD > 1e12):
		return hashlab.Invalid("price", *o.PriceUSD, "0 to 1e12 USD per BTC, finite")
	}
	if o.Bits != nil {
		if err := consensus.CheckBits("bits", *o.Bits, consensus.MainNet); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) market(st *netstate.State, o Overrides) (*Market, error) {
	if err := CheckOverrides(o); err != nil {
		return nil, err
	}
	m := &Market{State: st, Bits: st.Epoch.Bits, BitsExact: true, overrides: o}
	f := s.freshness(st)
	// The subsidy a PH/s earns now is read at the tip's height, as the
	// hashprice indexes quote it (the next block's subsidy differs only at
	// a halving block).
	p := s.paramsOf(st)
	in := hashprice.Inputs{Height: st.Tip.Height, FeesPerBlock: st.Fees.PerBlock, Params: p}
	if st.Price != nil {
		in.PriceUSD = st.Price.USD
	} else if o.PriceUSD == nil {
		// No price is not a price of 0.
		return nil, hashlab.Invalid("price", "", fmt.Sprintf("a BTC price in USD: source %s has none (give --price, or import prices into the store)", f.Source))
	}
	if err := consensus.CheckBits("bits", st.Epoch.Bits, p); err != nil {
		return nil, fmt.Errorf("service: source %s: %w", f.Source, err)
	}
	in.Difficulty = consensus.Difficulty(st.Epoch.Bits)
	switch {
	case o.Difficulty != nil:
		in.Difficulty = *o.Difficulty
		f.Overridden = append(f.Overridden, "difficulty")
		m.BitsExact = false
		if tg, err := consensus.TargetFromDifficulty(in.Difficulty); err == nil {
			m.Bits = consensus.BitsFromTarget(tg)
		}
	case o.Bits != nil:
		in.Difficulty = consensus.Difficulty(*o.Bits)
		m.Bits = *o.Bits
		f.Overridden = append(f.Overridden, "bits")
	}
	if o.Height != nil {
		in.Height = *o.Height
		f.Overridden = append(f.Overridden, "height")
	}
	if o.FeesPerBlock != nil {
		in.FeesPerBlock = *o.FeesPerBlock
		f.Overridden = append(f.Overridden, "fees_btc")
	}
	if o.PriceUSD != nil {
		in.PriceUSD = *o.PriceUSD
		f.Overridden = append(f.Overridden, "price")
		f.PriceSource, f.PriceAsOf = "", time.Time{}
	}
	r, err := hashprice.Compute(in)
	if err != nil {
		return nil, inputErr("market", err)
	}
	m.Inputs, m.Result, m.Freshness = in, r, f
	return m, nil
}

// inputErr returns err when it already is a *hashlab.InputError, else an
// InputError for field caused by err: the domain packages' validation
// errors are all about the user's input.
func inputErr(field string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := hashlab.AsInput(err); ok {
		return err
	}
	return &hashlab.InputError{Field: field, Value: "(see cause)", Err: err}
}

// renameField returns err with an input error's field renamed by names
// (a domain package's field to the parameter the faces spell).
func renameField(err error, names map[string]string) error {
	ie, ok := hashlab.AsInput(err)
	if !ok {
		return err
	}
	n, ok := names[ie.Field]
	if !ok {
		return err
	}
	c := *ie
	c.Field = n
	return &c
}
