package pivot

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/mining"
)

// Hours per year and per month (the lease convention: 8,760 h / 12 = 730 h).
const (
	HoursPerYear  = 8760.0
	HoursPerMonth = HoursPerYear / 12
)

// Market is what mining earns: a hashprice path (USD/PH/day, one value per
// year of the horizon, year 1 first).
type Market struct {
	HashpriceUSDPerPHDay []float64
}

// FlatPath holds hashprice constant.
func FlatPath(hp float64, years int) []float64 {
	out := make([]float64, years)
	for i := range out {
		out[i] = hp
	}
	return out
}

// HalvingPath holds difficulty, price and fees constant but halves the
// subsidy part of hashprice at each halving: the first yearsToHalving
// years from now (hashprice.YearsToNextHalving), then every mainnet
// halving interval (hashprice.HalvingIntervalYears: 210,000 blocks of
// 600 s, ≈3.99 years). feeShare is fees / (subsidy + fees) today. Each
// year's value is the time-weighted average within the year.
func HalvingPath(hp, feeShare, yearsToHalving float64, years int) []float64 {
	halvingYears := hashprice.HalvingIntervalYears(consensus.MainNet)
	out := make([]float64, years)
	sub, fee := hp*(1-feeShare), hp*feeShare
	at := func(t float64) float64 {
		n := 0.0
		if t >= yearsToHalving {
			n = 1 + math.Floor((t-yearsToHalving)/halvingYears)
		}
		return sub/math.Pow(2, n) + fee
	}
	for y := range out {
		const steps = 48
		s := 0.0
		for k := range steps {
			s += at(float64(y) + (float64(k)+0.5)/steps)
		}
		out[y] = s / steps
	}
	return out
}

// fleet summarises the site's mining load.
type fleet struct {
	ths, itKW, jth  float64
	poolFee, uptime float64
}

func (s *Site) fleet(fraction float64) (fleet, error) {
	f := fleet{poolFee: mining.DefaultPoolFee, uptime: mining.DefaultUptime}
	if s.PoolFee != nil {
		f.poolFee = *s.PoolFee
	}
	if s.Uptime != nil {
		f.uptime = *s.Uptime
	}
	capKW := s.GrossMW * 1000 / s.PUEMining * fraction
	if len(s.Machines) == 0 {
		m, err := mining.LookupModel(s.Model)
		if err != nil {
			return f, err
		}
		f.itKW, f.jth = capKW, m.JoulesPerTH()
		f.ths = capKW * 1000 / f.jth
		return f, nil
	}
	for _, e := range s.Machines {
		m := mining.Model{}
		if e.Custom != nil {
			m = *e.Custom
		} else {
			m, _ = mining.LookupModel(e.Model)
		}
		f.ths += m.HashrateTHs * float64(e.Count)
		f.itKW += m.PowerW * float64(e.Count) / 1000
	}
	f.jth = f.itKW * 1000 / f.ths
	if f.itKW > capKW/fraction*1.0000001 {
		return f, inputErr("machines (total IT load, kW)", math.Round(f.itKW), fmt.Sprintf("<= gross_mw/pue_mining = %.0f kW", capKW/fraction))
	}
	f.ths *= fraction
	f.itKW *= fraction
	return f, nil
}

// Option is one choice's economics.
type Option struct {
	Name string `json:"name"`
	// RevenuePerKWh is revenue per kWh of IT energy at full load in year
	// 1 (mining: gross at the machine, before pool fee and downtime, so
	// that it equals hashprice / (0.024·J/TH) / 1000).
	RevenuePerKWh float64 `json:"revenue_usd_per_kwh"`
	// MarginPerKWh is year-1 EBITDA per kWh of IT energy.
	MarginPerKWh float64 `json:"margin_usd_per_kwh"`
	// RatioToMining is RevenuePerKWh / mining's.
	RatioToMining float64   `json:"revenue_ratio_to_mining"`
	CapexUSD      float64   `json:"capex_usd"`
	EBITDAUSD     []float64 `json:"ebitda_usd_by_year"`
	Flows         []float64 `json:"cash_flows_usd"` // t=0 first, after tax
	NPVUSD        float64   `json:"npv_usd"`
	// IRR is nil (JSON null) when the flows have none (no capex, or flows
	// that never change sign); PaybackYears is nil when the investment
	// never pays back within the horizon.
	IRR          *float64 `json:"irr"`
	PaybackYears *float64 `json:"payback_years"`
	// FirstRevenueMonths is the time until the option earns anything.
	FirstRevenueMonths float64 `json:"time_to_first_revenue_months"`
	// SwitchHashprice is the flat hashprice at which keeping mining has
	// the same NPV as this option ($/PH/day): above it, mining wins. It
	// is nil (JSON null) when no hashprice equalises them: for keeping
	// mining itself, when mining wins even at a zero hashprice
	// (MiningWinsAtAnyHashprice), or when mining loses even at
	// MaxSwitchHashprice.
	SwitchHashprice          *float64 `json:"switch_hashprice_usd_per_ph_day"`
	MiningWinsAtAnyHashprice bool     `json:"mining_wins_at_any_hashprice"`
	Notes                    string   `json:"notes,omitempty"`
}

// Inputs of an evaluation besides the site file.
type Inputs struct {
	Market Market
	// HourlyPricesUSDPerKWh is one year of hourly power prices for the
	// curtailment option (nil: the site's flat price, no curtailment).
	HourlyPricesUSDPerKWh []float64
}

// rampFraction is the share of year y (1-based) after a build of months.
func rampFraction(y int, buildMonths float64) float64 {
	return min(max(float64(y)-buildMonths/12, 0), 1)
}

func (s *Site) finish(o *Option, capex float64) {
	o.CapexUSD = capex
	o.Flows = append([]float64{-capex}, make([]float64, len(o.EBITDAUSD))...)
	for i, e := range o.EBITDAUSD {
		tax := 0.0
		if e > 0 {
			tax = e * s.TaxRate
		}
		o.Flows[i+1] = e - tax
	}
	// Debt: borrow part of the capex at t=0, repay an annuity.
	if debt := capex * s.DebtFraction; debt > 0 {
		o.Flows[0] += debt
		pay := debt / float64(s.DebtYears)
		if s.DebtRate > 0 {
			pay = debt * s.DebtRate / (1 - math.Pow(1+s.DebtRate, -float64(s.DebtYears)))
		}
		for y := 1; y <= s.DebtYears && y < len(o.Flows); y++ {
			o.Flows[y] -= pay
		}
	}
	o.NPVUSD = NPV(s.DiscountRate, o.Flows)
	// IRR and payback describe an investment; without capex they are
	// undefined (and an IRR of sign-changing operating flows misleads).
	if capex <= 0 {
		return
	}
	if r, err := IRR(o.Flows); err == nil {
		o.IRR = &r
	}
	if p, ok := Payback(o.Flows); ok && capex > 0 {
		o.PaybackYears = &p
	}
}

// miningOption is keeping (a fraction of) the site mining at flat power.
func (s *Site) miningOption(name string, frac float64, in Inputs) (Option, error) {
	f, err := s.fleet(frac)
	if err != nil {
		return Option{}, err
	}
	o := Option{Name: name}
	hp := in.Market.HashpriceUSDPerPHDay
	o.RevenuePerKWh = hashprice.RevenuePerKWhUSD(hp[0], f.jth)
	kept := f.uptime * (1 - f.poolFee)
	for y := 0; y < s.HorizonYears; y++ {
		rev := hp[min(y, len(hp)-1)] * f.ths / 1000 * 365.25 * kept
		power := f.itKW * s.PUEMining * HoursPerYear * f.uptime * s.PowerUSDPerKWh
		opex := s.MiningOpexUSDPerMWYear * s.GrossMW * frac
		o.EBITDAUSD = append(o.EBITDAUSD, rev-power-opex)
	}
	o.MarginPerKWh = o.EBITDAUSD[0] / (f.itKW * HoursPerYear * f.uptime)
	s.finish(&o, 0)
	return o, nil
}

// curtailOption mines only in hours whose price is below the fleet's
// breakeven, earning demand-response payments for the MWh not drawn.
func (s *Site) curtailOption(in Inputs) (Option, error) {
	f, err := s.fleet(1)
	if err != nil {
		return Option{}, err
	}
	o := Option{Name: "mine with curtailment"}
	hp := in.Market.HashpriceUSDPerPHDay
	o.RevenuePerKWh = hashprice.RevenuePerKWhUSD(hp[0], f.jth)
	kept := f.uptime * (1 - f.poolFee)
	meterKW := f.itKW * s.PUEMining
	for y := 0; y < s.HorizonYears; y++ {
		// Revenue per hour at full load, and per kWh at the meter.
		revHour := hp[min(y, len(hp)-1)] * f.ths / 1000 / 24 * kept
		r := CurtailYear(revHour, meterKW*f.uptime, in.HourlyPricesUSDPerKWh, s.Curtailment.DemandResponseUSDPerMWh)
		// A series shorter than a year is taken as representative.
		scale := HoursPerYear / float64(len(in.HourlyPricesUSDPerKWh))
		o.EBITDAUSD = append(o.EBITDAUSD, r.ProfitUSD*scale-s.MiningOpexUSDPerMWYear*s.GrossMW)
		if y == 0 {
			o.Notes = fmt.Sprintf("runs %d of %d hours (%.1f%%)", r.HoursOn, len(in.HourlyPricesUSDPerKWh), 100*float64(r.HoursOn)/float64(max(1, len(in.HourlyPricesUSDPerKWh))))
		}
	}
	o.MarginPerKWh = o.EBITDAUSD[0] / (f.itKW * HoursPerYear * f.uptime)
	s.finish(&o, 0)
	return o, nil
}

// CurtailResult is one year of hourly curtailment.
type CurtailResult struct {
	HoursOn   int     `json:"hours_on"`
	ProfitUSD float64 `json:"profit_usd"`
	DRUSD     float64 `json:"demand_response_usd"`
}

// CurtailYear runs a load of loadKW that earns revPerHour whenever it
// runs, against hourly prices: it runs exactly the hours where revenue
// beats the power cost plus the demand-response payment forgone, which is
// optimal hour by hour because hours are independent. Curtailed hours earn
// drUSDPerMWh for the MWh not drawn.
func CurtailYear(revPerHour, loadKW float64, prices []float64, drUSDPerMWh float64) CurtailResult {
	var r CurtailResult
	dr := drUSDPerMWh * loadKW / 1000 // $ per curtailed hour
	for _, p := range prices {
		run := revPerHour - p*loadKW
		if run > dr {
			r.HoursOn++
			r.ProfitUSD += run
		} else {
			r.ProfitUSD += dr
			r.DRUSD += dr
		}
	}
	return r
}

func (s *Site) leaseOption(frac float64) Option {
	itMW := s.GrossMW / s.PUEAI * frac
	l := s.Lease
	o := Option{Name: "lease to AI tenant", FirstRevenueMonths: l.BuildMonths}
	o.RevenuePerKWh = l.USDPerKWMonth / HoursPerMonth
	for y := 1; y <= s.HorizonYears; y++ {
		f := rampFraction(y, l.BuildMonths)
		inTerm := float64(y)-l.BuildMonths/12 <= float64(l.TermYears)+1e-9
		rev := 0.0
		if inTerm {
			rev = l.USDPerKWMonth * 12 * itMW * 1000 * math.Pow(1+l.Escalator, float64(max(y-1, 0))) * f
		}
		o.EBITDAUSD = append(o.EBITDAUSD, rev-l.OpexUSDPerMWYear*itMW*f)
	}
	o.MarginPerKWh = (l.USDPerKWMonth*12*itMW*1000 - l.OpexUSDPerMWYear*itMW) / (itMW * 1000 * HoursPerYear)
	s.finish(&o, l.LandlordCapexUSDPerMW*itMW)
	o.Notes = "power passed through to the tenant; mining stops when the build starts"
	return o
}

func (s *Site) gpuOption() Option {
	itKW := s.GrossMW * 1000 / s.PUEAI
	g := s.GPU
	n := math.Floor(itKW / g.KWPerGPU)
	o := Option{Name: "own GPU cloud", FirstRevenueMonths: g.BuildMonths}
	o.RevenuePerKWh = g.RentUSDPerHour * g.Utilization / g.KWPerGPU
	years := min(s.HorizonYears, g.LifeYears)
	for y := 1; y <= years; y++ {
		f := rampFraction(y, g.BuildMonths)
		rent := g.RentUSDPerHour * math.Pow(1-g.RentDeclinePerYear, float64(y-1))
		rev := n * rent * HoursPerYear * g.Utilization * f
		power := n * g.KWPerGPU * s.PUEAI * HoursPerYear * s.PowerUSDPerKWh * f
		o.EBITDAUSD = append(o.EBITDAUSD, rev-power-n*g.OpexUSDPerGPUYear*f)
	}
	o.MarginPerKWh = (g.RentUSDPerHour*g.Utilization - g.KWPerGPU*s.PUEAI*s.PowerUSDPerKWh - g.OpexUSDPerGPUYear/HoursPerYear) / g.KWPerGPU
	s.finish(&o, n*g.USDPerGPU+g.FacilityCapexUSDPerMW*itKW/1000)
	o.Notes = fmt.Sprintf("%.0f GPUs; horizon capped at the GPUs' %d-year life", n, g.LifeYears)
	return o
}

func (s *Site) partialOption(in Inputs) (Option, error) {
	f := s.PartialAIFraction
	m, err := s.miningOption("", 1-f, in)
	if err != nil {
		return Option{}, err
	}
	l := s.leaseOption(f)
	o := Option{Name: fmt.Sprintf("partial: %.0f%% leased, rest mining", 100*f), FirstRevenueMonths: 0}
	for i := range m.EBITDAUSD {
		o.EBITDAUSD = append(o.EBITDAUSD, m.EBITDAUSD[i]+l.EBITDAUSD[i])
	}
	o.RevenuePerKWh = (1-f)*m.RevenuePerKWh + f*l.RevenuePerKWh
	o.MarginPerKWh = (1-f)*m.MarginPerKWh + f*l.MarginPerKWh
	s.finish(&o, l.CapexUSD)
	return o, nil
}

func (s *Site) saleOption() Option {
	o := Option{Name: "sell the site", EBITDAUSD: make([]float64, 0)}
	v := s.SaleUSDPerMW * s.GrossMW
	o.Flows = []float64{v}
	o.NPVUSD = v
	o.Notes = "one-off proceeds at t=0"
	return o
}

// Result is a full site evaluation.
type Result struct {
	Site    string   `json:"site"`
	Options []Option `json:"options"`
	Best    string   `json:"best_by_npv"`
	Tornado []Bar    `json:"tornado"`
}

// Evaluate computes every option for the site.
func Evaluate(s *Site, in Inputs) (Result, error) {
	if len(in.Market.HashpriceUSDPerPHDay) == 0 {
		return Result{}, inputErr("hashprice path", "empty", "one value per year")
	}
	for _, v := range in.Market.HashpriceUSDPerPHDay {
		if !(v >= 0) || math.IsInf(v, 0) {
			return Result{}, inputErr("hashprice (USD/PH/day)", v, ">= 0 and finite")
		}
	}
	res := Result{Site: s.Name}
	mine, err := s.miningOption("keep mining", 1, in)
	if err != nil {
		return Result{}, err
	}
	res.Options = append(res.Options, mine)
	if len(in.HourlyPricesUSDPerKWh) > 0 {
		c, err := s.curtailOption(in)
		if err != nil {
			return Result{}, err
		}
		res.Options = append(res.Options, c)
	}
	res.Options = append(res.Options, s.leaseOption(1), s.gpuOption())
	p, err := s.partialOption(in)
	if err != nil {
		return Result{}, err
	}
	res.Options = append(res.Options, p, s.saleOption())
	best := math.Inf(-1)
	for i := range res.Options {
		o := &res.Options[i]
		if mine.RevenuePerKWh > 0 && o.RevenuePerKWh > 0 {
			o.RatioToMining = o.RevenuePerKWh / mine.RevenuePerKWh
		}
		if i > 0 {
			o.SwitchHashprice, o.MiningWinsAtAnyHashprice = s.switchHashprice(o.NPVUSD)
		}
		if o.NPVUSD > best {
			best, res.Best = o.NPVUSD, o.Name
		}
	}
	res.Tornado = s.tornado(in)
	return res, nil
}

// miningNPVAt is keep-mining's NPV at a flat hashprice.
func (s *Site) miningNPVAt(hp float64) float64 {
	o, err := s.miningOption("", 1, Inputs{Market: Market{FlatPath(hp, s.HorizonYears)}})
	if err != nil {
		return math.NaN()
	}
	return o.NPVUSD
}

// MaxSwitchHashprice is the highest flat hashprice (USD/PH/day) the
// switch-hashprice search tries; above it no switch point is reported.
const MaxSwitchHashprice = 1e7

// switchHashprice finds the flat hashprice where mining's NPV equals npv
// (mining's NPV increases with hashprice). It returns nil when there is
// none: with always = true when mining's NPV at a zero hashprice already
// reaches npv, false when mining's NPV stays below npv up to
// MaxSwitchHashprice.
func (s *Site) switchHashprice(npv float64) (hp *float64, always bool) {
	if !(s.miningNPVAt(0) < npv) {
		return nil, true
	}
	lo, hi := 0.0, 10.0
	for s.miningNPVAt(hi) < npv {
		if hi >= MaxSwitchHashprice {
			return nil, false
		}
		hi *= 2
	}
	for range 100 {
		mid := (lo + hi) / 2
		if s.miningNPVAt(mid) < npv {
			lo = mid
		} else {
			hi = mid
		}
	}
	v := (lo + hi) / 2
	return &v, false
}

// Bar is one input of the tornado: the NPV advantage of the best AI
// option over keeping mining when the input moves −20% and +20%.
type Bar struct {
	Input string  `json:"input"`
	Low   float64 `json:"advantage_at_minus_20pct_usd"`
	High  float64 `json:"advantage_at_plus_20pct_usd"`
	Swing float64 `json:"swing_usd"`
}

// advantage is NPV(best of lease, GPU) − NPV(keep mining).
func (s *Site) advantage(in Inputs) float64 {
	m, err := s.miningOption("", 1, in)
	if err != nil {
		return math.NaN()
	}
	return max(s.leaseOption(1).NPVUSD, s.gpuOption().NPVUSD) - m.NPVUSD
}

func (s *Site) tornado(in Inputs) []Bar {
	type knob struct {
		name string
		set  func(*Site, *Inputs, float64)
	}
	knobs := []knob{
		{"hashprice", func(_ *Site, in *Inputs, k float64) {
			p := make([]float64, len(in.Market.HashpriceUSDPerPHDay))
			for i, v := range in.Market.HashpriceUSDPerPHDay {
				p[i] = v * k
			}
			in.Market.HashpriceUSDPerPHDay = p
		}},
		{"power price", func(s *Site, _ *Inputs, k float64) { s.PowerUSDPerKWh *= k }},
		{"lease $/kW-month", func(s *Site, _ *Inputs, k float64) { s.Lease.USDPerKWMonth *= k }},
		{"lease capex", func(s *Site, _ *Inputs, k float64) { s.Lease.LandlordCapexUSDPerMW *= k }},
		{"GPU rent $/h", func(s *Site, _ *Inputs, k float64) { s.GPU.RentUSDPerHour *= k }},
		{"GPU utilization", func(s *Site, _ *Inputs, k float64) { s.GPU.Utilization = min(s.GPU.Utilization*k, 1) }},
		{"GPU capex", func(s *Site, _ *Inputs, k float64) { s.GPU.USDPerGPU *= k; s.GPU.FacilityCapexUSDPerMW *= k }},
		{"discount rate", func(s *Site, _ *Inputs, k float64) { s.DiscountRate *= k }},
	}
	var bars []Bar
	for _, kb := range knobs {
		var vals [2]float64
		for i, k := range []float64{0.8, 1.2} {
			sc, ic := *s, in
			kb.set(&sc, &ic, k)
			vals[i] = sc.advantage(ic)
		}
		bars = append(bars, Bar{Input: kb.name, Low: vals[0], High: vals[1], Swing: math.Abs(vals[1] - vals[0])})
	}
	sort.SliceStable(bars, func(i, j int) bool { return bars[i].Swing > bars[j].Swing })
	return bars
}

// MonteCarlo is the decision under uncertain hashprice.
type MonteCarlo struct {
	Paths int `json:"paths"`
	// ProbConvertBeats is the share of paths where the best AI option's
	// NPV exceeds keeping mining's.
	ProbConvertBeats float64 `json:"prob_convert_beats_mining"`
	MeanMiningNPV    float64 `json:"mean_mining_npv_usd"`
	ConvertNowNPV    float64 `json:"convert_now_npv_usd"`
	// WaitYearNPV is the expected NPV of mining one more year and then
	// choosing the better of mining on or converting (knowing that year's
	// hashprice); WaitIsBetter compares it with converting now.
	WaitYearNPV  float64 `json:"wait_one_year_npv_usd"`
	WaitIsBetter bool    `json:"wait_is_better"`
}

// Bounds of the Monte Carlo hashprice process, shared by the CLI and the
// API (CheckGBM).
const (
	// MaxVolatilityPerYear bounds sigma: 0 <= sigma <= 5 per sqrt(year).
	MaxVolatilityPerYear = 5.0
	// MaxAbsDriftPerYear bounds mu: -5 <= mu <= 5 per year.
	MaxAbsDriftPerYear = 5.0
)

// CheckGBM validates GBMPaths' drift mu and volatility sigma (per year of
// log hashprice): finite, |mu| <= MaxAbsDriftPerYear and 0 <= sigma <=
// MaxVolatilityPerYear. NaN, ±Inf and a negative volatility are refused
// with a *hashlab.InputError for the field "drift" or "volatility".
func CheckGBM(mu, sigma float64) error {
	if !(sigma >= 0 && sigma <= MaxVolatilityPerYear) {
		return inputErr("volatility", sigma, "0 to 5 (yearly volatility of log hashprice)")
	}
	if !(mu >= -MaxAbsDriftPerYear && mu <= MaxAbsDriftPerYear) {
		return inputErr("drift", mu, "-5 to 5 (yearly drift of log hashprice)")
	}
	return nil
}

// GBMPaths draws yearly-average hashprice paths: log hashprice moves with
// drift mu and volatility sigma per year, seeded. Check mu and sigma with
// CheckGBM first: RunMonteCarlo refuses the non-finite paths that values
// outside it give.
func GBMPaths(hp0, mu, sigma float64, years, paths int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([][]float64, paths)
	for p := range out {
		x := math.Log(hp0)
		path := make([]float64, years)
		for y := range path {
			path[y] = math.Exp(x)
			x += mu - sigma*sigma/2 + sigma*rng.NormFloat64()
		}
		out[p] = path
	}
	return out
}

// RunMonteCarlo evaluates the convert-or-mine decision over hashprice
// paths (from GBMPaths or the simulator). It checks ctx every 256 paths
// and returns ctx's error, wrapped, when it is cancelled.
func RunMonteCarlo(ctx context.Context, s *Site, paths [][]float64) (MonteCarlo, error) {
	if len(paths) == 0 {
		return MonteCarlo{}, inputErr("paths", 0, ">= 1")
	}
	for i, p := range paths {
		if len(p) == 0 {
			return MonteCarlo{}, inputErr(fmt.Sprintf("paths[%d]", i), "empty", "one hashprice per year")
		}
		for _, v := range p {
			if !(v >= 0) || math.IsInf(v, 0) {
				return MonteCarlo{}, inputErr(fmt.Sprintf("paths[%d]", i), v, "hashprices >= 0 and finite (USD/PH/day)")
			}
		}
	}
	convert := max(s.leaseOption(1).NPVUSD, s.gpuOption().NPVUSD)
	mc := MonteCarlo{Paths: len(paths), ConvertNowNPV: convert}
	d := 1 + s.DiscountRate
	for i, p := range paths {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return MonteCarlo{}, fmt.Errorf("pivot: Monte Carlo stopped after %d of %d paths: %w", i, len(paths), err)
			}
		}
		m, err := s.miningOption("", 1, Inputs{Market: Market{p}})
		if err != nil {
			return MonteCarlo{}, err
		}
		mc.MeanMiningNPV += m.NPVUSD / float64(len(paths))
		if convert > m.NPVUSD {
			mc.ProbConvertBeats++
		}
		// Wait: year-1 mining cash, then at t=1 the better of mining on
		// (rest of this path) or converting then (same plan, a year later).
		rest := NPV(s.DiscountRate, append([]float64{0}, m.Flows[2:]...)) // value at t=1
		mc.WaitYearNPV += (m.Flows[1]/d + max(rest, convert)/d) / float64(len(paths))
	}
	mc.ProbConvertBeats /= float64(len(paths))
	mc.WaitIsBetter = mc.WaitYearNPV > convert
	return mc, nil
}
