package sim

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/pivot"
	"github.com/hashlab/hashlab/snapshot"
)

// Scenario is one simulation set-up, as written in a scenario file (YAML;
// JSON is valid YAML). Every field has a default (DefaultScenario); a file
// is decoded onto the defaults, so a field it gives, zero included, is
// kept and a field it leaves out keeps its default. See docs/sim.md and
// the shipped files in scenarios/ for examples.
type Scenario struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description,omitempty"`
	// Years is the default horizon (the CLI's --years overrides it).
	Years float64 `yaml:"years" json:"years"`
	// Network is the consensus network; only its retarget and subsidy
	// rules are used (default mainnet).
	Network string     `yaml:"network" json:"network,omitempty"`
	Start   Start      `yaml:"start" json:"start"`
	Price   PriceModel `yaml:"price" json:"price"`
	Fees    FeeModel   `yaml:"fees" json:"fees"`
	// Population is the miners. Leave it out to use the default
	// population calibrated to the start state.
	Population Population `yaml:"population" json:"population"`
	Expansion  Expansion  `yaml:"expansion" json:"expansion"`
	AIDemand   AIDemand   `yaml:"ai_demand" json:"ai_demand"`
	// Conversions are scheduled conversions of named operators' capacity
	// to AI (pivot.ExportConversions writes this list).
	Conversions []pivot.Conversion `yaml:"conversions" json:"conversions,omitempty"`
	// HashratePath, when set, makes network hashrate exogenous: the start
	// hashrate times a factor interpolated linearly between the points
	// (held after the last). The population is then not simulated. Used
	// by validation scenarios that replay an observed hashrate path.
	HashratePath []PathPoint `yaml:"hashrate_path" json:"hashrate_path,omitempty"`
	// Source says where the scenario's numbers come from.
	Source string `yaml:"source" json:"source,omitempty"`
}

// Start is the chain state the simulation begins from: the tip block.
// Zero fields come from the embedded snapshot (snapshot.Default()).
type Start struct {
	Height int64 `yaml:"height" json:"height"`
	// Bits is the tip's compact target, 8 hex digits.
	Bits string `yaml:"bits" json:"bits"`
	// Time is the tip's timestamp (Unix seconds).
	Time int64 `yaml:"time" json:"time"`
	// EpochFirstTime is the timestamp of the first block of the tip's
	// epoch; defaults to the embedded epoch table's value.
	EpochFirstTime int64 `yaml:"epoch_first_time" json:"epoch_first_time"`
	// HashrateHs is the network hashrate at the start; default: implied by
	// the difficulty (D·2^32/600).
	HashrateHs float64 `yaml:"hashrate_hs" json:"hashrate_hs"`
}

// PriceModel is the BTC price process.
type PriceModel struct {
	// Model: gbm (default), bootstrap, replay or flat.
	Model    string  `yaml:"model" json:"model"`
	StartUSD float64 `yaml:"start_usd" json:"start_usd"`
	// Drift and Volatility are GBM's μ and σ per year (drift is the
	// expected arithmetic return rate: E[P_t] = P_0·e^{μt}).
	Drift      float64 `yaml:"drift" json:"drift"`
	Volatility float64 `yaml:"volatility" json:"volatility"`
	// Returns are daily log returns that bootstrap resamples (whole days,
	// with replacement). ReturnsFile names a CSV (date,usd closes) the CLI
	// turns into Returns.
	Returns     []float64 `yaml:"returns" json:"returns,omitempty"`
	ReturnsFile string    `yaml:"returns_file" json:"returns_file,omitempty"`
	// Series are daily USD prices that replay plays from day 0 (held after
	// the end). SeriesFile names a CSV (date,usd) the CLI reads.
	Series     []float64 `yaml:"series" json:"series,omitempty"`
	SeriesFile string    `yaml:"series_file" json:"series_file,omitempty"`
	// Shocks multiply the price on top of the model.
	Shocks []Shock `yaml:"shocks" json:"shocks,omitempty"`
}

// Shock moves the price by Change (−0.5 = halve) spread evenly (in log
// terms) over Days days from Day (days after the start) or Date.
type Shock struct {
	Day    float64 `yaml:"day" json:"day"`
	Date   string  `yaml:"date" json:"date,omitempty"`
	Change float64 `yaml:"change" json:"change"`
	Days   float64 `yaml:"days" json:"days"`
}

// FeeModel is the fees per block: a daily log-normal draw with the given
// mean and log-standard deviation.
type FeeModel struct {
	BTCPerBlock float64 `yaml:"btc_per_block" json:"btc_per_block"`
	Volatility  float64 `yaml:"volatility" json:"volatility"`
	// Series, when given, replays daily mean fees per block (BTC) instead
	// of the draw, the last value held after its end (validation runs).
	Series []float64 `yaml:"series" json:"series,omitempty"`
}

// Population sets up the miners.
type Population struct {
	// Preset: default (calibrated to the start state, see population.go).
	Preset string `yaml:"preset" json:"preset"`
	// Seed draws the population (which operator runs which machines at what
	// power price). It is fixed across Monte Carlo paths: paths differ in
	// price, fees and luck, not in who the miners are.
	Seed uint64 `yaml:"seed" json:"seed"`
	// Operators is the number of operator agents (default 1000).
	Operators int `yaml:"operators" json:"operators"`
	// Hysteresis: a running machine stops when hashprice falls below
	// breakeven·(1−h) and a stopped one restarts above breakeven·(1+h).
	Hysteresis float64 `yaml:"hysteresis" json:"hysteresis"`
	// PoolFee is deducted from revenue in the run decision.
	PoolFee float64 `yaml:"pool_fee" json:"pool_fee"`
	// SmoothingDays: operators decide on an exponential moving average of
	// hashprice with this time constant, not on one day's noise
	// (default 7; 1 = today's hashprice).
	SmoothingDays float64 `yaml:"smoothing_days" json:"smoothing_days"`
	// PowerScale multiplies the classes' power price ranges and the listed
	// miners' power prices (not the cost tail): the level of the cost
	// curve, fitted on the 2022 drawdown (docs/sim.md, validation).
	PowerScale float64 `yaml:"power_scale" json:"power_scale"`
	// CostTail is the share of unnamed operators on near-free power
	// (stranded and flared gas, surplus hydro, curtailed renewables).
	CostTail CostTail `yaml:"cost_tail" json:"cost_tail"`
	// Contracts are take-or-pay power and hosting contracts with
	// minimum-run obligations.
	Contracts Contracts `yaml:"contracts" json:"contracts"`
}

// CostTail is the cheap end of the power-cost distribution: a share of the
// unnamed operators pays a power price drawn log-uniformly in [LoUSDPerKWh,
// HiUSDPerKWh] instead of its class's range (defaults 5%, $0.005–0.025;
// see docs/sim.md for the sources).
type CostTail struct {
	Share       float64 `yaml:"share" json:"share"`
	LoUSDPerKWh float64 `yaml:"lo_usd_per_kwh" json:"lo_usd_per_kwh"`
	HiUSDPerKWh float64 `yaml:"hi_usd_per_kwh" json:"hi_usd_per_kwh"`
}

// Contracts: a Share of the unnamed operators buys power under a
// take-or-pay or hosting contract that charges TakeOrPay of the energy
// whether the machines run or not; their run decision sees only the rest
// of the power price (defaults 20%, 0.5).
type Contracts struct {
	Share     float64 `yaml:"share" json:"share"`
	TakeOrPay float64 `yaml:"take_or_pay" json:"take_or_pay"`
}

// Expansion is how operators grow.
type Expansion struct {
	// Disabled turns expansion off.
	Disabled bool `yaml:"disabled" json:"disabled"`
	// Hurdle is the yearly return on new machines (margin over power per
	// year / capex) above which operators order more.
	Hurdle float64 `yaml:"hurdle" json:"hurdle"`
	// MaxGrowthPerMonth caps orders as a fraction of running hashrate,
	// reached when the return is twice the hurdle.
	MaxGrowthPerMonth float64 `yaml:"max_growth_per_month" json:"max_growth_per_month"`
	LagDays           int     `yaml:"lag_days" json:"lag_days"`
	// USDPerTH is the price of new machines; 0 = auto: NewMachineDays
	// days of the start hashprice (machine prices track hashprice).
	USDPerTH float64 `yaml:"usd_per_th" json:"usd_per_th"`
	// JoulesPerTH is the new machines' efficiency; 0 = auto: the mean of
	// the newest catalogue models released by the start date.
	JoulesPerTH float64 `yaml:"joules_per_th" json:"joules_per_th"`
}

// AIDemand converts capacity to AI when the lease pays more per kWh than
// mining, up to what the AI market absorbs.
type AIDemand struct {
	// MWPerYear is the most mining capacity AI tenants absorb per year
	// (0 = none: only scheduled conversions happen).
	MWPerYear float64 `yaml:"mw_per_year" json:"mw_per_year"`
	// LeaseUSDPerKWMonth is the rent (default pivot.DefaultLease's).
	LeaseUSDPerKWMonth float64 `yaml:"lease_usd_per_kw_month" json:"lease_usd_per_kw_month"`
	// MinRatio: convert when lease revenue per kWh ≥ MinRatio × mining
	// revenue per kWh (a premium for the conversion's capex and risk).
	MinRatio float64 `yaml:"min_ratio" json:"min_ratio"`
}

// PathPoint is one point of an exogenous hashrate path.
type PathPoint struct {
	Day    float64 `yaml:"day" json:"day"`
	Factor float64 `yaml:"factor" json:"factor"`
}

//go:embed scenarios/*.yaml
var shipped embed.FS

// Scenarios returns the names of the shipped scenarios, sorted.
func Scenarios() []string {
	ents, _ := shipped.ReadDir("scenarios")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// ShippedScenario returns the shipped scenario file's bytes.
func ShippedScenario(name string) ([]byte, error) {
	b, err := shipped.ReadFile("scenarios/" + name + ".yaml")
	if err != nil {
		return nil, hashlab.Invalid("scenario", name, "a shipped scenario ("+strings.Join(Scenarios(), ", ")+") or a scenario file")
	}
	return b, nil
}

// LoadShipped parses a shipped scenario.
func LoadShipped(name string) (*Scenario, error) {
	b, err := ShippedScenario(name)
	if err != nil {
		return nil, err
	}
	return ParseScenario(b)
}

// DefaultScenario is a scenario with every default except the start
// block, which ParseScenario takes from the embedded snapshot when the
// file gives none: mainnet, one year, GBM price from the snapshot's price
// (no drift or volatility unless given) and its fees per block, the
// default population of 1,000 operators (seed 1, hysteresis 0.02, 7-day
// smoothing, 2% pool fee, class power prices ×1.3, 5% of operators on $0.005–0.025/kWh power, 20%
// under take-or-pay contracts owing half their energy), expansion at a 40%
// hurdle (4%/month at most, 90 days' lag, machine price and efficiency
// from the start date), and AI demand at pivot.DefaultLease's
// rent with a 2x premium.
func DefaultScenario() Scenario {
	snap := snapshot.Default()
	return Scenario{
		Years:   1,
		Network: "mainnet",
		Price:   PriceModel{Model: "gbm", StartUSD: snap.PriceUSD},
		Fees:    FeeModel{BTCPerBlock: snap.FeesPerBlockBTC},
		Population: Population{Preset: "default", Seed: 1, Operators: 1000, Hysteresis: 0.02, SmoothingDays: 7, PoolFee: 0.02, PowerScale: 1.3,
			CostTail:  CostTail{Share: 0.05, LoUSDPerKWh: 0.005, HiUSDPerKWh: 0.025},
			Contracts: Contracts{Share: 0.2, TakeOrPay: 0.5}},
		Expansion: Expansion{Hurdle: 0.4, MaxGrowthPerMonth: 0.04, LagDays: 90},
		AIDemand:  AIDemand{LeaseUSDPerKWMonth: pivot.DefaultLease.USDPerKWMonth, MinRatio: 2},
	}
}

// ParseScenario decodes a scenario file onto DefaultScenario, fills the
// start block and validates it. Unknown fields are errors. Every error is
// a *hashlab.InputError naming the field (errors.Is(err,
// hashlab.ErrInput)). Files named in price.returns_file or
// price.series_file must be resolved by the caller (Returns/Series set)
// before Run.
func ParseScenario(data []byte) (sc *Scenario, err error) {
	defer func() {
		// The YAML decoder must not take the process down on a hostile
		// file; whatever it chokes on is bad input.
		if r := recover(); r != nil {
			sc, err = nil, hashlab.Invalidf("scenario file", "unreadable", scenarioAllowed, fmt.Errorf("yaml: %v", r))
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	s := DefaultScenario()
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, hashlab.Invalid("scenario file", "empty", scenarioAllowed)
		}
		return nil, hashlab.Invalidf("scenario file", "unreadable", scenarioAllowed, err)
	}
	if err := s.applyDefaults(); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

const scenarioAllowed = "a YAML or JSON mapping with at least name: (see 'hashlab sim show baseline')"

// errf returns the *hashlab.InputError for field, prefixed with the
// scenario's name.
func (s *Scenario) errf(field string, v any, allowed string) error {
	return s.wrap(hashlab.Invalid(field, v, allowed))
}

func (s *Scenario) wrap(err error) error {
	name := s.Name
	if name == "" {
		name = "(unnamed)"
	}
	return fmt.Errorf("sim: scenario %s: %w", name, err)
}

// applyDefaults fills the start block from the embedded snapshot when the
// file gives no height, bits and time (zero height, bits and time are not
// valid values, so nothing explicit is replaced), and the epoch's first
// block time from the embedded epoch table.
func (s *Scenario) applyDefaults() error {
	snap := snapshot.Default()
	st := &s.Start
	if st.Height == 0 && st.Bits == "" && st.Time == 0 {
		st.Height = snap.Height
		st.Bits = snap.BitsHex
		st.Time = snap.AsOf.Unix()
	}
	if p, err := consensus.ParamsByName(s.Network); err == nil && st.EpochFirstTime == 0 && st.Height > 0 {
		n := p.RetargetInterval()
		first := st.Height - st.Height%n
		if first == st.Height {
			st.EpochFirstTime = st.Time
		} else if p == consensus.MainNet {
			for _, e := range snapshot.Epochs() {
				if e.FirstHeight == first && e.FirstTime != 0 {
					st.EpochFirstTime = e.FirstTime
				}
			}
		}
	}
	return nil
}

// Validate checks every field and names the one at fault.
func (s *Scenario) Validate() error {
	if s.Name == "" {
		return s.errf("name", `""`, "a non-empty name")
	}
	if _, err := consensus.ParamsByName(s.Network); err != nil {
		return s.errf("network", s.Network, "mainnet, testnet3, testnet4, signet, regtest")
	}
	if !(s.Years > 0 && s.Years <= 50) {
		return s.errf("years", s.Years, "0 < years <= 50")
	}
	st := s.Start
	if st.Height < 1 {
		return s.errf("start.height", st.Height, ">= 1")
	}
	if _, err := s.startBits(); err != nil {
		return s.wrap(err)
	}
	if st.Time <= 0 {
		return s.errf("start.time", st.Time, "Unix seconds > 0")
	}
	if st.EpochFirstTime <= 0 || st.EpochFirstTime > st.Time {
		return s.errf("start.epoch_first_time", st.EpochFirstTime, "Unix seconds of the epoch's first block, <= start.time (no default outside the embedded epoch table)")
	}
	if st.HashrateHs < 0 || math.IsNaN(st.HashrateHs) || math.IsInf(st.HashrateHs, 0) {
		return s.errf("start.hashrate_hs", st.HashrateHs, ">= 0 H/s (0 = implied by difficulty)")
	}
	p := s.Price
	switch p.Model {
	case "gbm", "flat", "bootstrap", "replay":
	default:
		return s.errf("price.model", strconv.Quote(p.Model), "gbm, bootstrap, replay, flat")
	}
	if !(p.StartUSD > 0) {
		return s.errf("price.start_usd", p.StartUSD, "> 0")
	}
	if !(p.Volatility >= 0 && p.Volatility <= 5) {
		return s.errf("price.volatility", p.Volatility, "0 to 5 per sqrt(year)")
	}
	if !(math.Abs(p.Drift) <= 5) {
		return s.errf("price.drift", p.Drift, "-5 to 5 per year")
	}
	if p.Model == "bootstrap" && len(p.Returns) == 0 && p.ReturnsFile == "" {
		return s.errf("price.returns", "[]", "daily log returns (or price.returns_file) for model bootstrap")
	}
	if p.Model == "replay" && len(p.Series) == 0 && p.SeriesFile == "" {
		return s.errf("price.series", "[]", "daily USD prices (or price.series_file) for model replay")
	}
	for i, r := range p.Returns {
		if math.IsNaN(r) || math.Abs(r) > 2 {
			return s.errf(fmt.Sprintf("price.returns[%d]", i), r, "a daily log return between -2 and 2")
		}
	}
	for i, v := range p.Series {
		if !(v > 0) || math.IsInf(v, 0) {
			return s.errf(fmt.Sprintf("price.series[%d]", i), v, "> 0 USD")
		}
	}
	for i, sh := range p.Shocks {
		f := fmt.Sprintf("price.shocks[%d]", i)
		if !(sh.Change > -1 && sh.Change <= 100) {
			return s.errf(f+".change", sh.Change, "> -1 (a fraction: -0.5 halves the price)")
		}
		if !(sh.Days >= 0) {
			return s.errf(f+".days", sh.Days, ">= 0")
		}
		if sh.Date != "" {
			if _, err := time.Parse(time.DateOnly, sh.Date); err != nil {
				return s.errf(f+".date", strconv.Quote(sh.Date), "YYYY-MM-DD")
			}
		} else if !(sh.Day >= 0) {
			return s.errf(f+".day", sh.Day, ">= 0")
		}
	}
	if !(s.Fees.BTCPerBlock >= 0 && s.Fees.BTCPerBlock <= 1000) {
		return s.errf("fees.btc_per_block", s.Fees.BTCPerBlock, "0 to 1000 BTC")
	}
	for i, v := range s.Fees.Series {
		if !(v >= 0 && v <= 1000) {
			return s.errf(fmt.Sprintf("fees.series[%d]", i), v, "0 to 1000 BTC per block")
		}
	}
	if !(s.Fees.Volatility >= 0 && s.Fees.Volatility <= 5) {
		return s.errf("fees.volatility", s.Fees.Volatility, "0 to 5 (log-sd per day)")
	}
	pop := s.Population
	if pop.Preset != "default" {
		return s.errf("population.preset", strconv.Quote(pop.Preset), "default")
	}
	if pop.Operators < 20 || pop.Operators > 1_000_000 {
		return s.errf("population.operators", pop.Operators, "20 to 1,000,000")
	}
	if !(pop.Hysteresis >= 0 && pop.Hysteresis < 0.5) {
		return s.errf("population.hysteresis", pop.Hysteresis, "0 <= h < 0.5")
	}
	if !(pop.SmoothingDays >= 1 && pop.SmoothingDays <= 365) {
		return s.errf("population.smoothing_days", pop.SmoothingDays, "1 to 365 days")
	}
	if !(pop.PoolFee >= 0 && pop.PoolFee < 0.5) {
		return s.errf("population.pool_fee", pop.PoolFee, "0 <= fee < 0.5")
	}
	if !(pop.PowerScale > 0 && pop.PowerScale <= 10) {
		return s.errf("population.power_scale", pop.PowerScale, "0 < scale <= 10")
	}
	if ct := pop.CostTail; !(ct.Share >= 0 && ct.Share <= 0.5) {
		return s.errf("population.cost_tail.share", ct.Share, "0 to 0.5")
	} else if !(ct.LoUSDPerKWh > 0 && ct.LoUSDPerKWh <= ct.HiUSDPerKWh && ct.HiUSDPerKWh <= 1) {
		return s.errf("population.cost_tail", fmt.Sprintf("lo %g hi %g", ct.LoUSDPerKWh, ct.HiUSDPerKWh), "0 < lo_usd_per_kwh <= hi_usd_per_kwh <= 1")
	}
	if c := pop.Contracts; !(c.Share >= 0 && c.Share <= 1) {
		return s.errf("population.contracts.share", c.Share, "0 to 1")
	} else if !(c.TakeOrPay >= 0 && c.TakeOrPay <= 1) {
		return s.errf("population.contracts.take_or_pay", c.TakeOrPay, "0 to 1 (share of the energy owed whether or not the machines run)")
	}
	e := s.Expansion
	if !(e.Hurdle > 0 && e.Hurdle < 10) {
		return s.errf("expansion.hurdle", e.Hurdle, "0 < hurdle < 10 (yearly return)")
	}
	if !(e.MaxGrowthPerMonth >= 0 && e.MaxGrowthPerMonth <= 1) {
		return s.errf("expansion.max_growth_per_month", e.MaxGrowthPerMonth, "0 to 1")
	}
	if e.LagDays < 0 || e.LagDays > 3650 {
		return s.errf("expansion.lag_days", e.LagDays, "0 to 3650")
	}
	if !(e.USDPerTH >= 0 && e.USDPerTH < 1e6) {
		return s.errf("expansion.usd_per_th", e.USDPerTH, "0 (auto) or a price > 0")
	}
	if !(e.JoulesPerTH >= 0 && e.JoulesPerTH < 1000) {
		return s.errf("expansion.joules_per_th", e.JoulesPerTH, "0 (auto) or 0 < J/TH < 1000")
	}
	a := s.AIDemand
	if !(a.MWPerYear >= 0) {
		return s.errf("ai_demand.mw_per_year", a.MWPerYear, ">= 0")
	}
	if !(a.LeaseUSDPerKWMonth > 0) {
		return s.errf("ai_demand.lease_usd_per_kw_month", a.LeaseUSDPerKWMonth, "> 0")
	}
	if !(a.MinRatio > 0) {
		return s.errf("ai_demand.min_ratio", a.MinRatio, "> 0")
	}
	for i, c := range s.Conversions {
		f := fmt.Sprintf("conversions[%d]", i)
		if err := c.Validate(); err != nil {
			if ie, ok := hashlab.AsInput(err); ok {
				q := *ie
				q.Field = f + "." + q.Field
				return s.wrap(&q)
			}
			return s.wrap(hashlab.Invalidf(f, "invalid", "a conversion: mw, start, end", err))
		}
		if c.Operator == "" {
			return s.errf(f+".operator", `""`, "a named operator of the population: "+strings.Join(ListedNames(), ", "))
		}
		if _, ok := listedIndex(c.Operator); !ok {
			return s.errf(f+".operator", strconv.Quote(c.Operator), strings.Join(ListedNames(), ", "))
		}
	}
	if len(s.HashratePath) > 0 {
		if len(s.Conversions) > 0 || s.AIDemand.MWPerYear > 0 {
			return s.errf("hashrate_path", "set", "either an exogenous hashrate_path or conversions/ai_demand, not both")
		}
		last := -1.0
		for i, pt := range s.HashratePath {
			f := fmt.Sprintf("hashrate_path[%d]", i)
			if !(pt.Day > last) {
				return s.errf(f+".day", pt.Day, fmt.Sprintf("> %g (days strictly increasing from 0)", last))
			}
			if !(pt.Factor > 0 && pt.Factor < 1000) {
				return s.errf(f+".factor", pt.Factor, "0 < factor < 1000")
			}
			last = pt.Day
		}
	}
	return nil
}

// startBits parses and checks start.bits on the scenario's network with
// consensus.ParseBits and consensus.CheckBits (one spelling and one rule
// for nBits everywhere).
func (s *Scenario) startBits() (consensus.Bits, error) {
	allowed := "8 hex digits of a valid positive compact target, e.g. 1701d936"
	b, err := consensus.ParseBits(s.Start.Bits)
	if err != nil || len(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s.Start.Bits), "0x"), "0X")) != 8 {
		return 0, hashlab.Invalid("start.bits", strconv.Quote(s.Start.Bits), allowed)
	}
	p, err := consensus.ParamsByName(s.Network)
	if err != nil {
		return 0, hashlab.Invalid("network", s.Network, "mainnet, testnet3, testnet4, signet, regtest")
	}
	if err := consensus.CheckBits("start.bits", b, p); err != nil {
		return 0, err
	}
	return b, nil
}

// dayOf turns a YYYY-MM-DD date into days after start (may be negative).
func dayOf(date string, start int64) (float64, error) {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0, err
	}
	return float64(t.Unix()-start) / 86400, nil
}

// StartHashrateHs is the network hashrate the simulation starts from:
// start.hashrate_hs, or the hashrate the start difficulty implies
// (D·2^32/spacing).
func (s *Scenario) StartHashrateHs() (float64, error) {
	if s.Start.HashrateHs > 0 {
		return s.Start.HashrateHs, nil
	}
	p, err := consensus.ParamsByName(s.Network)
	if err != nil {
		return 0, s.errf("network", s.Network, "mainnet, testnet3, testnet4, signet, regtest")
	}
	bits, err := s.startBits()
	if err != nil {
		return 0, s.wrap(err)
	}
	return hashprice.ImpliedHashrateHs(consensus.Difficulty(bits), p.TargetSpacingSec), nil
}
