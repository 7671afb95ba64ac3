package sim

import (
	"context"
	"fmt"
	"math"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
)

// Day is the state of one simulated day, as probes see it.
type Day struct {
	Index  int   // days since the start
	Time   int64 // Unix seconds at the start of the day
	Height int64 // tip height at the end of the day
	Bits   consensus.Bits
	// HashrateHs is the network hashrate (running capacity).
	HashrateHs float64
	Difficulty float64
	PriceUSD   float64
	// FeesBTCPerBlock is the day's average fees per block.
	FeesBTCPerBlock float64
	// HashpriceUSDPerPHDay is the expected hashprice at the day's start
	// (difficulty, subsidy, fees, price).
	HashpriceUSDPerPHDay float64
	Blocks               int64
	// RevenueBTC is what miners earned (subsidy + fees of the day's blocks).
	RevenueBTC float64
	// CurtailedHs is installed capacity switched off; ConvertedHs the
	// capacity converted to AI since the start (cumulative).
	CurtailedHs float64
	ConvertedHs float64
	InstalledHs float64
	// SoldBTC is what miners sold to cover their costs that day.
	SoldBTC float64
	// PoolShares are the pools' shares of hashrate, largest first (nil
	// when hashrate is exogenous). Valid only during the probe call.
	PoolShares []float64
}

// Probe is an extra daily metric computed on every path (for example a
// security metric of security report); its bands appear in Result.Daily.
type Probe struct {
	Name  string
	Unit  string
	Scale Scale
	// Width is the bin width for Linear scale.
	Width float64
	// Every computes the probe on every Every-th day only (1 = daily);
	// other days are left out of its bands.
	Every int
	Fn    func(d *Day) float64
}

// metric indices of the built-in daily series.
const (
	mHashrate = iota
	mDifficulty
	mInterval
	mBlocks
	mPrice
	mFees
	mHashprice
	mRevenueBTC
	mBudget
	mSold
	mCurtailed
	mConverted
	mHHIOp
	mNakOp
	mHHIPool
	mNakPool
	mSmallShare
	numBuiltin
)

type metricSpec struct {
	name, unit, desc string
	scale            Scale
	width            float64
	agents           bool // only with a simulated population
}

var builtinMetrics = [numBuiltin]metricSpec{
	mHashrate:   {"hashrate_hs", "H/s", "network hashrate (running capacity)", Log, 0, false},
	mDifficulty: {"difficulty", "", "difficulty at the end of the day", Log, 0, false},
	mInterval:   {"block_interval_s", "s", "expected mean block interval at the day's hashrate and difficulty (D·2^32/H)", Log, 0, false},
	mBlocks:     {"blocks", "blocks/day", "blocks found that day", Count, 1, false},
	mPrice:      {"price_usd", "USD", "BTC price", Log, 0, false},
	mFees:       {"fees_btc_per_block", "BTC", "average fees per block", Log, 0, false},
	mHashprice:  {"hashprice_usd_per_ph_day", "USD/PH/day", "expected hashprice at the day's start", Log, 0, false},
	mRevenueBTC: {"revenue_btc", "BTC/day", "miners' revenue: subsidy + fees of the day's blocks", Log, 0, false},
	mBudget:     {"security_budget_usd", "USD/day", "USD paid to miners (revenue × price)", Log, 0, false},
	mSold:       {"miner_btc_sold", "BTC/day", "BTC sold by miners to cover power and overheads", Log, 0, true},
	mCurtailed:  {"curtailed_hs", "H/s", "installed capacity switched off because it does not earn its power", Log, 0, true},
	mConverted:  {"converted_hs", "H/s", "capacity converted to AI since the start", Log, 0, true},
	mHHIOp:      {"hhi_operator", "", "Herfindahl–Hirschman index of running hashrate by operator (0–1)", Linear, 0.0002, true},
	mNakOp:      {"nakamoto_operator", "operators", "fewest operators with more than 50% of hashrate", Count, 1, true},
	mHHIPool:    {"hhi_pool", "", "Herfindahl–Hirschman index by pool (0–1)", Linear, 0.0005, true},
	mNakPool:    {"nakamoto_pool", "pools", "fewest pools with more than 50% of hashrate", Count, 1, true},
	mSmallShare: {"small_miner_revenue_share", "", "share of revenue earned by small and garage miners", Linear, 0.0005, true},
}

// epoch metrics per retarget index.
const (
	eDay = iota
	eChange
	eLength
	eOverHour
	numEpochMetrics
)

var epochMetrics = [numEpochMetrics]metricSpec{
	eDay:      {"day", "days", "day of the retarget after the start", Linear, 0.01, false},
	eChange:   {"change_pct", "%", "difficulty change at the retarget", Linear, 0.01, false},
	eLength:   {"length_days", "days", "epoch timespan (first to last block, 2015 intervals)", Linear, 0.001, false},
	eOverHour: {"blocks_over_hour", "blocks", "blocks that took more than an hour", Count, 1, false},
}

// path summary metrics.
const (
	sFirstChange = iota
	sLargestDrop
	sSlowest
	sOverHour
	sMinHashrate
	sEndHashrate
	sConverted
	numSummary
)

var summaryMetrics = [numSummary]metricSpec{
	sFirstChange: {"first_adjustment_pct", "%", "difficulty change at the first retarget", Linear, 0.01, false},
	sLargestDrop: {"largest_drop_pct", "%", "most negative retarget of the path", Linear, 0.01, false},
	sSlowest:     {"slowest_epoch_days", "days", "longest epoch timespan", Linear, 0.001, false},
	sOverHour:    {"blocks_over_hour", "blocks", "blocks that took more than an hour, whole run", Count, 1, false},
	sMinHashrate: {"min_hashrate_ratio", "", "lowest daily hashrate / start hashrate", Log, 0, false},
	sEndHashrate: {"end_hashrate_ratio", "", "last day's hashrate / start hashrate", Log, 0, false},
	sConverted:   {"converted_hs", "H/s", "capacity converted to AI by the end", Log, 0, true},
}

// model is everything a path needs that does not change between paths.
type model struct {
	sc        *Scenario
	params    *consensus.Params
	days      int
	startBits consensus.Bits
	h0        float64 // start hashrate
	hp0       float64
	pop       *population // nil when the hashrate is exogenous
	shocks    []Shock     // with Day resolved
	convs     []conv
	returns   []float64
	series    []float64
	probes    []Probe
	blockwise bool
	// expansion reference: running-weighted power price of expanders
	expandPower    float64
	expandJPT      float64 // new machines' J/TH (expansion.joules_per_th or auto)
	expandUSDPerTH float64
	candidates     int
	yearsOverride  float64
}

type conv struct {
	op                int
	startDay, endDay  float64
	mwPerDay          float64
	kwPerHs           float64 // 0 = the operator's own mix
	operator          string
	capacityExhausted bool
}

func newModel(sc *Scenario, days int, probes []Probe, blockwise bool) (*model, error) {
	params, err := consensus.ParamsByName(sc.Network)
	if err != nil {
		return nil, err
	}
	bits, err := sc.startBits()
	if err != nil {
		return nil, sc.wrap(err)
	}
	m := &model{sc: sc, params: params, days: days, startBits: bits, probes: probes, blockwise: blockwise}
	d := consensus.Difficulty(bits)
	m.h0 = sc.Start.HashrateHs
	if m.h0 == 0 {
		m.h0 = hashprice.ImpliedHashrateHs(d, params.TargetSpacingSec)
	}
	sub := consensus.BlockSubsidy(sc.Start.Height+1, params).BTC()
	m.hp0 = hashprice.USDPerPHDay(d, sub+sc.Fees.BTCPerBlock, sc.Price.StartUSD)
	for _, sh := range sc.Price.Shocks {
		if sh.Date != "" {
			day, err := dayOf(sh.Date, sc.Start.Time)
			if err != nil {
				return nil, err
			}
			sh.Day = day
		}
		m.shocks = append(m.shocks, sh)
	}
	if sc.Price.Model == "bootstrap" {
		if len(sc.Price.Returns) == 0 {
			return nil, sc.errf("price.returns", "[]", "daily log returns (price.returns_file must be read by the caller)")
		}
		m.returns = sc.Price.Returns
	}
	if sc.Price.Model == "replay" {
		if len(sc.Price.Series) == 0 {
			return nil, sc.errf("price.series", "[]", "daily USD prices (price.series_file must be read by the caller)")
		}
		m.series = sc.Price.Series
	}
	if len(sc.HashratePath) == 0 {
		m.pop, err = buildPopulation(sc, m.h0, m.hp0)
		if err != nil {
			return nil, err
		}
		m.expandJPT = expansionJoulesPerTH(sc)
		m.expandUSDPerTH = expansionUSDPerTH(sc, m.hp0)
		var w, wp float64
		for _, u := range m.pop.units {
			if classSpecs[u.cls].expands && u.be <= m.hp0 {
				w += u.hs
				wp += u.hs * m.pop.ops[u.op].PowerUSDPerKWh
			}
		}
		if w > 0 {
			m.expandPower = wp / w
		}
		m.candidates = min(96, len(m.pop.ops))
		for i, c := range sc.Conversions {
			oi, _ := listedIndex(c.Operator)
			s, err1 := dayOf(c.Start, sc.Start.Time)
			e, err2 := dayOf(c.End, sc.Start.Time)
			if err1 != nil || err2 != nil {
				return nil, sc.errf(fmt.Sprintf("conversions[%d]", i), c.Start+" to "+c.End, "dates YYYY-MM-DD")
			}
			e++ // the end date is inclusive
			cv := conv{op: oi, startDay: s, endDay: e, mwPerDay: c.MW / (e - s), operator: listedOperators[oi].Name}
			if c.JoulesPerTH > 0 {
				cv.kwPerHs = c.JoulesPerTH / 1e15
			}
			m.convs = append(m.convs, cv)
		}
	}
	return m, nil
}

// numMetrics is the number of daily metrics including probes.
func (m *model) numMetrics() int { return int(numBuiltin) + len(m.probes) }

// epochRec is one retarget of a path.
type epochRec struct {
	day, change, length float64
	overHour            int64
}

// path is one simulated path's mutable state.
type path struct {
	m   *model
	g   *rng            // blocks and everything else
	mkt *rng            // price and fees (newMarketRNG)
	ctx context.Context // checked every 32 days (nil: never)

	// chain
	tip         int64
	bits        consensus.Bits
	diff        float64
	firstTime   int64
	t           float64 // seconds, absolute Unix
	lastBlock   float64 // time of the tip (block-by-block engine)
	epochOver   int64   // blocks over an hour in the current epoch
	lastSubsidy int64

	// market
	logPrice float64

	// miners
	units       []unit
	cut         float64
	k           int // running prefix of units
	activeHs    float64
	activeCost  float64
	opActive    []float64
	opInstalled []float64
	sumSqOp     float64
	poolActive  []float64
	classActive [numClasses]float64
	classCost   [numClasses]float64
	installed   float64
	converted   float64
	treasury    [numClasses]float64
	nonCandMax  float64 // upper bound of installed hashrate outside candidates
	orders      []float64
	hpSum30     float64
	hpEMA       float64
	hpRing      [30]float64

	fen       fenwick // installed hs of units, for the supply curve's prefix sums
	eqK       int     // yesterday's equilibrium prefix
	fallbacks int
	// dirty says the running set changed since the concentration metrics
	// were last computed (they are reused while it has not).
	dirty                  bool
	lastNakOp, lastHHIPool float64
	lastNakPool            float64
	cand                   []int32 // candidate operators for the Nakamoto coefficient, ranked
	poolRank               []int16
	shareBuf               []float64

	// outputs
	vals    []float64 // days × metrics
	epochs  []epochRec
	minHs   float64
	overAll int64
	scratch []float64
	notes   map[string]bool
}

func newPath(m *model) *path {
	p := &path{m: m}
	p.vals = make([]float64, m.days*m.numMetrics())
	if m.pop != nil {
		pop := m.pop
		p.units = make([]unit, len(pop.units))
		p.opActive = make([]float64, len(pop.ops))
		p.opInstalled = make([]float64, len(pop.ops))
		p.poolActive = make([]float64, len(pop.pools))
		p.orders = make([]float64, m.days+1)
		p.scratch = make([]float64, 0, len(pop.ops))
		p.fen = make(fenwick, len(pop.units))
	}
	return p
}

// fenwick is a binary indexed tree of float64 prefix sums.
type fenwick []float64

func (f fenwick) add(i int, v float64) {
	for i++; i <= len(f); i += i & -i {
		f[i-1] += v
	}
}

// sum returns the sum of elements [0, i).
func (f fenwick) sum(i int) float64 {
	s := 0.0
	for ; i > 0; i -= i & -i {
		s += f[i-1]
	}
	return s
}

func (f fenwick) build(vals func(int) float64) {
	for i := range f {
		f[i] = vals(i)
	}
	for i := 1; i <= len(f); i++ {
		if j := i + (i & -i); j <= len(f) {
			f[j-1] += f[i-1]
		}
	}
}

// reset prepares p for path index i.
func (p *path) reset(seed uint64, i int) {
	m := p.m
	sc := m.sc
	p.g = p.g.reseed(seed, splitmix(uint64(i)+0x9e3779b97f4a7c15*seed)) // = newRNG(seed, i)
	p.mkt = p.mkt.reseed(marketSeeds(seed, i))                          // = newMarketRNG(seed, i)
	p.tip = sc.Start.Height
	p.bits = m.startBits
	p.diff = consensus.Difficulty(p.bits)
	p.firstTime = sc.Start.EpochFirstTime
	p.t = float64(sc.Start.Time)
	p.lastBlock = p.t
	p.epochOver = 0
	p.logPrice = math.Log(sc.Price.StartUSD)
	p.epochs = p.epochs[:0]
	p.minHs = math.Inf(1)
	p.overAll = 0
	p.notes = nil
	if m.pop == nil {
		return
	}
	pop := m.pop
	copy(p.units, pop.units)
	clear(p.opActive)
	clear(p.opInstalled)
	clear(p.poolActive)
	clear(p.orders)
	// The pipeline at the start: machines ordered in the lag before the
	// start at the start's margins arrive in its first lag days (without
	// it a historical start would see no deliveries for lag days).
	if g := m.growthPerMonth(m.hp0); g > 0 {
		for d := 1; d < sc.Expansion.LagDays && d < len(p.orders); d += 30 {
			p.orders[d] += g * m.h0
		}
	}
	p.classActive = [numClasses]float64{}
	p.classCost = [numClasses]float64{}
	p.activeHs, p.activeCost, p.sumSqOp, p.installed, p.converted = 0, 0, 0, 0, 0
	p.treasury = pop.treasury
	p.hpSum30 = 0
	p.hpEMA = m.hp0
	for j := range p.hpRing {
		p.hpRing[j] = 0
	}
	for j := range p.units {
		p.opInstalled[p.units[j].op] += p.units[j].hs
		p.installed += p.units[j].hs
	}
	p.fen.build(func(j int) float64 { return p.units[j].hs })
	p.k = 0
	p.cut = m.hp0
	p.moveCut(m.hp0)
	p.eqK = p.k
	p.dirty = true
	p.cand = append(p.cand[:0], pop.byInstalled[:m.candidates]...)
	p.poolRank = p.poolRank[:0]
	for i := range pop.pools {
		p.poolRank = append(p.poolRank, int16(i))
	}
	p.nonCandMax = 0
	for _, oi := range pop.byInstalled[m.candidates:] {
		p.nonCandMax = max(p.nonCandMax, p.opInstalled[oi])
	}
}

// setActive adds delta H/s of unit u to the running aggregates.
func (p *path) setActive(u *unit, delta float64) {
	p.dirty = true
	p.activeHs += delta
	p.activeCost += delta * u.cost
	a := p.opActive[u.op]
	p.sumSqOp += (a+delta)*(a+delta) - a*a
	p.opActive[u.op] = a + delta
	p.poolActive[u.pool] += delta
	p.classActive[u.cls] += delta
	p.classCost[u.cls] += delta * u.cost
}

// moveCut sets the breakeven cutoff: units with be <= cut run.
func (p *path) moveCut(cut float64) {
	p.cut = cut
	for p.k < len(p.units) && p.units[p.k].be <= cut {
		p.setActive(&p.units[p.k], p.units[p.k].hs)
		p.k++
	}
	for p.k > 0 && p.units[p.k-1].be > cut {
		p.k--
		p.setActive(&p.units[p.k], -p.units[p.k].hs)
	}
}

// changeUnit adds delta H/s to unit j's installed capacity.
func (p *path) changeUnit(j int, delta float64) {
	u := &p.units[j]
	u.hs += delta
	p.fen.add(j, delta)
	p.opInstalled[u.op] += delta
	p.installed += delta
	if j < p.k {
		p.setActive(u, delta)
	}
}

// recomputeAggregates removes floating-point drift from the incremental
// sums (called at every retarget).
func (p *path) recomputeAggregates() {
	p.dirty = true
	clear(p.opActive)
	clear(p.poolActive)
	p.classActive = [numClasses]float64{}
	p.classCost = [numClasses]float64{}
	p.activeHs, p.activeCost, p.sumSqOp = 0, 0, 0
	for j := 0; j < p.k; j++ {
		u := &p.units[j]
		p.activeHs += u.hs
		p.activeCost += u.hs * u.cost
		p.opActive[u.op] += u.hs
		p.poolActive[u.pool] += u.hs
		p.classActive[u.cls] += u.hs
		p.classCost[u.cls] += u.hs * u.cost
	}
	for _, a := range p.opActive {
		p.sumSqOp += a * a
	}
}

func (p *path) note(s string) {
	if p.notes == nil {
		p.notes = map[string]bool{}
	}
	p.notes[s] = true
}

// priceOn returns the BTC price on day d (advancing the random walk).
func (p *path) priceOn(d int) float64 {
	m := p.m
	pm := &m.sc.Price
	if d > 0 {
		switch pm.Model {
		case "gbm":
			const dt = 1 / 365.25
			p.logPrice += (pm.Drift-pm.Volatility*pm.Volatility/2)*dt + pm.Volatility*math.Sqrt(dt)*p.mkt.normal()
		case "bootstrap":
			p.logPrice += m.returns[p.mkt.r.IntN(len(m.returns))]
		}
	}
	base := math.Exp(p.logPrice)
	if pm.Model == "replay" {
		base = m.series[min(d, len(m.series)-1)]
	}
	f := 0.0
	for _, sh := range m.shocks {
		x := 1.0
		if sh.Days > 0 {
			x = (float64(d) - sh.Day) / sh.Days
		} else if float64(d) < sh.Day {
			x = 0
		}
		x = math.Max(0, math.Min(1, x))
		f += x * math.Log1p(sh.Change)
	}
	if f == 0 {
		return base // no shock in effect (exactly base * exp(0))
	}
	return base * math.Exp(f)
}

func (p *path) exogenous(d int) float64 {
	pts := p.m.sc.HashratePath
	x := float64(d)
	if x <= pts[0].Day {
		return pts[0].Factor
	}
	for i := 1; i < len(pts); i++ {
		if x <= pts[i].Day {
			a, b := pts[i-1], pts[i]
			return a.Factor + (b.Factor-a.Factor)*(x-a.Day)/(b.Day-a.Day)
		}
	}
	return pts[len(pts)-1].Factor
}

// rewardSats is the subsidy of n blocks after the tip.
func (p *path) subsidySats(n int64) int64 {
	if n <= 0 {
		return 0
	}
	a := consensus.BlockSubsidy(p.tip+1, p.m.params)
	b := consensus.BlockSubsidy(p.tip+n, p.m.params)
	if a == b {
		return int64(a) * n
	}
	var s int64
	for h := p.tip + 1; h <= p.tip+n; h++ {
		s += int64(consensus.BlockSubsidy(h, p.m.params))
	}
	return s
}

// blocksToEvent is how many blocks until the next epoch event: the first
// block of an epoch (its time starts the timespan) or the last (retarget).
func (p *path) blocksToEvent() int64 {
	n := p.m.params.RetargetInterval()
	h := p.tip + 1
	if h%n == 0 {
		return 1
	}
	return h - h%n + n - 1 - p.tip
}

// event handles the block at height p.tip arriving at time t.
func (p *path) event(t float64, day int) error {
	n := p.m.params.RetargetInterval()
	switch p.tip % n {
	case 0:
		p.firstTime = int64(t)
	case n - 1:
		if p.m.params.NoRetargeting {
			return nil
		}
		last := int64(t)
		nb, err := consensus.NextBits(p.bits, p.firstTime, last, p.m.params)
		if err != nil {
			return err
		}
		nd := consensus.Difficulty(nb)
		p.epochs = append(p.epochs, epochRec{
			day:      (t - float64(p.m.sc.Start.Time)) / 86400,
			change:   (nd/p.diff - 1) * 100,
			length:   float64(last-p.firstTime) / 86400,
			overHour: p.epochOver,
		})
		p.epochOver = 0
		p.bits, p.diff = nb, nd
		// Clear floating-point drift of the running sums about once a year.
		if p.m.pop != nil && len(p.epochs)%26 == 0 {
			p.recomputeAggregates()
		}
	}
	return nil
}

// mineDay runs the block process from p.t to dayEnd at hashrate hs and
// returns the blocks found and their subsidy.
func (p *path) mineDay(hs, dayEnd float64, day int) (blocks, subsidy int64, err error) {
	if p.m.blockwise {
		for {
			lam := hs / hashprice.HashesPerBlock(p.diff)
			gap := p.g.exp() / lam
			if p.t+gap >= dayEnd {
				p.t = dayEnd // memoryless: the next arrival is redrawn
				return blocks, subsidy, nil
			}
			p.t += gap
			subsidy += p.subsidySats(1)
			p.tip++
			blocks++
			if p.t-p.lastBlock > 3600 {
				p.epochOver++
				p.overAll++
			}
			p.lastBlock = p.t
			if err := p.event(p.t, day); err != nil {
				return 0, 0, err
			}
		}
	}
	lam := hs / hashprice.HashesPerBlock(p.diff)
	q := math.Exp(-3600 * lam)
	for {
		rem := dayEnd - p.t
		k := p.blocksToEvent()
		n := p.g.poisson(lam * rem)
		if n < k {
			p.advance(n, q)
			subsidy += p.lastSubsidy
			blocks += n
			p.t = dayEnd
			return blocks, subsidy, nil
		}
		tau := p.t + rem*p.g.orderStat(k, n)
		p.advance(k, q)
		subsidy += p.lastSubsidy
		blocks += k
		p.t = tau
		if err := p.event(tau, day); err != nil {
			return 0, 0, err
		}
		lam = hs / hashprice.HashesPerBlock(p.diff) // the retarget changed the rate
		q = math.Exp(-3600 * lam)
	}
}

// advance moves the tip by n blocks, counting the ones whose interval
// exceeded an hour: each interval is Exp(lam), so their number is
// Binomial(n, q) with q = e^{-3600·lam}, drawn as Poisson when q is small
// (blocks at anything like their usual pace) and exactly otherwise.
func (p *path) advance(n int64, q float64) {
	p.lastSubsidy = p.subsidySats(n)
	p.tip += n
	if n > 0 {
		var o int64
		if q > 0.2 {
			for i := int64(0); i < n; i++ {
				if p.g.r.Float64() < q {
					o++
				}
			}
		} else {
			o = min(n, p.g.poisson(float64(n)*q))
		}
		p.epochOver += o
		p.overAll += o
	}
}
