package sim

import (
	"math"
	"sort"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
)

// run simulates the whole path, filling p.vals and p.epochs.
func (p *path) run() error {
	m := p.m
	sc := m.sc
	nm := m.numMetrics()
	var day Day
	start := float64(sc.Start.Time)
	feeSD := sc.Fees.Volatility
	for d := 0; d < m.days; d++ {
		if d&cancelCheckMask == 0 && p.ctx != nil {
			if err := p.ctx.Err(); err != nil {
				return err
			}
		}
		dayStart := start + float64(d)*86400
		price := p.priceOn(d)
		fees := sc.Fees.BTCPerBlock
		if fs := sc.Fees.Series; len(fs) > 0 {
			fees = fs[min(d, len(fs)-1)]
		} else if feeSD > 0 {
			fees *= math.Exp(feeSD*p.mkt.normal() - feeSD*feeSD/2)
		}
		sub := consensus.BlockSubsidy(p.tip+1, m.params).BTC()
		hp := hashprice.USDPerPHDay(p.diff, sub+fees, price)

		var hs float64
		if m.pop == nil {
			hs = m.h0 * p.exogenous(d)
		} else {
			p.operatorsDay(d, hp)
			hs = p.activeHs
			if hs < minNetworkHs {
				hs = 0 // floating-point residue of a network that has stopped
			}
		}
		halted := hs == 0
		if !halted {
			p.minHs = math.Min(p.minHs, hs)
		}
		interval := math.NaN() // halted: no interval (reported as a halted day)
		if hs > 0 {
			interval = hashprice.HashesPerBlock(p.diff) / hs
		}
		blocks, subsidySats, err := p.mineDay(hs, dayStart+86400, d)
		if err != nil {
			return err
		}
		revenue := float64(subsidySats)/1e8 + float64(blocks)*fees

		day = Day{Index: d, Time: int64(dayStart), Height: p.tip, Bits: p.bits, HashrateHs: hs,
			Difficulty: p.diff, PriceUSD: price, FeesBTCPerBlock: fees, HashpriceUSDPerPHDay: hp,
			Blocks: blocks, RevenueBTC: revenue}
		v := p.vals[d*nm : (d+1)*nm]
		v[mHashrate] = hs
		v[mDifficulty] = p.diff
		v[mInterval] = interval
		v[mBlocks] = float64(blocks)
		v[mPrice] = price
		v[mFees] = fees
		v[mHashprice] = hp
		v[mRevenueBTC] = revenue
		v[mBudget] = revenue * price
		if halted {
			// A halted day is counted (Result.HaltedByDay), not averaged
			// into the bands as 0 H/s, ∞ s and $0.
			v[mHashrate], v[mRevenueBTC], v[mBudget] = math.NaN(), math.NaN(), math.NaN()
		}
		if m.pop != nil {
			sold := 0.0
			for c := Class(0); c < numClasses; c++ {
				rev := 0.0
				if p.activeHs > 0 {
					rev = revenue * p.classActive[c] / p.activeHs
				}
				s := math.Min(p.treasury[c]+rev, p.classCost[c]/price)
				p.treasury[c] += rev - s
				sold += s
			}
			day.SoldBTC = sold
			day.CurtailedHs = math.Max(0, p.installed-p.activeHs)
			day.ConvertedHs = p.converted
			day.InstalledHs = p.installed
			v[mSold] = sold
			v[mCurtailed] = day.CurtailedHs
			v[mConverted] = p.converted
			if p.activeHs >= minNetworkHs {
				v[mHHIOp] = math.Min(1, p.sumSqOp/(p.activeHs*p.activeHs))
				v[mSmallShare] = math.Max(0, math.Min(1, (p.classActive[Small]+p.classActive[Garage])/p.activeHs))
				if p.dirty {
					p.lastNakOp = float64(p.nakamotoOperators())
					p.lastHHIPool, p.lastNakPool = p.poolConcentration()
					p.dirty = false
				}
				v[mNakOp], v[mHHIPool], v[mNakPool] = p.lastNakOp, p.lastHHIPool, p.lastNakPool
			} else {
				v[mHHIOp], v[mSmallShare], v[mNakOp], v[mHHIPool], v[mNakPool] = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
			}
		} else {
			day.InstalledHs = hs
			for _, j := range []int{mSold, mCurtailed, mConverted, mHHIOp, mNakOp, mHHIPool, mNakPool, mSmallShare} {
				v[j] = math.NaN()
			}
		}
		for i, pr := range m.probes {
			x := math.NaN()
			if pr.Every <= 1 || d%pr.Every == 0 {
				if day.PoolShares == nil && m.pop != nil && p.activeHs >= minNetworkHs {
					day.PoolShares = p.poolShares()
				}
				x = pr.Fn(&day)
			}
			v[int(numBuiltin)+i] = x
		}
	}
	return nil
}

// cancelCheckMask: a path checks its context every 32 simulated days (a
// few microseconds of work), so a long path stops within milliseconds.
const cancelCheckMask = 31

// operatorsDay applies the day's scheduled conversions, deliveries,
// monthly decisions and the run/curtail decision at hashprice hp.
func (p *path) operatorsDay(d int, hp float64) {
	m := p.m
	sc := m.sc
	// Trailing 30-day mean hashprice for monthly decisions.
	p.hpSum30 += hp - p.hpRing[d%30]
	p.hpRing[d%30] = hp
	for i := range m.convs {
		c := &m.convs[i]
		x := float64(d)
		if x+1 <= c.startDay || x >= c.endDay {
			continue
		}
		// The part of [d, d+1) inside [start, end).
		frac := math.Min(x+1, c.endDay) - math.Max(x, c.startDay)
		p.convertMW(c.op, c.mwPerDay*frac, c.kwPerHs, c.operator)
	}
	if o := p.orders[d]; o > 0 {
		p.deliver(o)
	}
	if d > 0 && d%30 == 0 {
		mean := p.hpSum30 / 30
		p.expand(d, mean)
		p.aiDemand(mean)
	}
	p.hpEMA += (hp - p.hpEMA) / sc.Population.SmoothingDays
	e := p.equilibrium(p.hpEMA, float64(d)*86400+float64(sc.Start.Time))
	h := sc.Population.Hysteresis
	p.moveCut(math.Max(math.Min(p.cut, e/(1-h)), e/(1+h)))
}

// decisionHorizonDays is how far ahead operators look when they decide to
// run: the hashprice they expect over it includes the coming retarget.
const decisionHorizonDays = 30

// forward is the hashprice operators expect over the next
// decisionHorizonDays as a function of the network hashrate: today's
// hashprice until the epoch ends (at the pace that hashrate gives), then
// the hashprice at the difficulty the retarget would set (the epoch's
// elapsed time plus the projected rest, with the 4x clamp), the same
// projection as hashlab next-adjustment.
type forward struct {
	hp float64
	// blocksW is the remaining blocks' work over the horizon, so that
	// x = blocksW / hs is the share of the horizon left in this epoch
	// (tEnd / w).
	blocksW float64
	// elapsedT is the epoch's elapsed time and wT the horizon, both over
	// the target timespan: the retarget's timespan ratio is
	// elapsedT + x*wT, clamped to [1/4, 4].
	elapsedT, wT float64
	none         bool // no retarget within reach: forward = hp
}

func (p *path) forwardAt(hp, now float64) forward {
	n := p.m.params.RetargetInterval()
	h := p.tip + 1
	if h%n == 0 || p.m.params.NoRetargeting {
		return forward{hp: hp, none: true}
	}
	remaining := float64(h - h%n + n - 1 - p.tip)
	const w = decisionHorizonDays * 86400.0
	target := float64(p.m.params.TargetTimespanSec)
	return forward{hp: hp, blocksW: remaining * hashprice.HashesPerBlock(p.diff) / w, elapsedT: (now - float64(p.firstTime)) / target, wT: w / target}
}

func (f *forward) at(hs float64) float64 {
	if f.none || hs <= 0 {
		return f.hp
	}
	x := f.blocksW / hs // one division: at is called many times a day
	if x >= 1 {
		return f.hp
	}
	r := min(max(f.elapsedT+x*f.wT, 0.25), 4)
	return f.hp * (x + (1-x)*r)
}

// equilibrium returns the expected hashprice at the supply curve's fixed
// point: the largest running prefix of the merit order in which every
// machine earns its power at the forward hashprice that prefix's hashrate
// implies. More hashrate means a faster epoch and a higher next
// difficulty, so the forward hashprice falls as the prefix grows and the
// point is found by galloping from yesterday's point, then bisecting.
func (p *path) equilibrium(hp, now float64) float64 {
	f := p.forwardAt(hp, now)
	ok := func(k int) bool { return k == 0 || p.units[k-1].be <= f.at(p.fen.sum(k)) }
	n := len(p.units)
	k := min(p.eqK, n)
	var lo, hi int // ok(lo), !ok(hi+1) or hi == n
	if ok(k) {
		lo, step := k, 1
		for {
			nk := lo + step
			if nk > n {
				hi = n
				break
			}
			if !ok(nk) {
				hi = nk - 1
				break
			}
			lo = nk
			step *= 2
		}
		k = lo
	} else {
		hi, step := k-1, 1
		for {
			nk := hi - step
			if nk <= 0 {
				lo = 0
				break
			}
			if ok(nk) {
				lo = nk
				break
			}
			hi = nk - 1
			step *= 2
		}
		k = hi
	}
	lo2, hi2 := lo, hi
	if k > hi2 {
		k = hi2
	}
	for lo2 < hi2 {
		mid := (lo2 + hi2 + 1) / 2
		if ok(mid) {
			lo2 = mid
		} else {
			hi2 = mid - 1
		}
	}
	p.eqK = lo2
	return f.at(p.fen.sum(lo2))
}

// convertMW removes mw of operator oi's capacity (converted to AI). kwPerHs
// is the converted machines' efficiency (0: the operator's own mix).
func (p *path) convertMW(oi int, mw, kwPerHs float64, name string) float64 {
	pop := p.m.pop
	inst := p.opInstalled[oi]
	if inst <= 0 || mw <= 0 {
		if mw > 0 {
			p.note(name + ": scheduled conversion exceeds the operator's remaining capacity; capped")
		}
		return 0
	}
	if kwPerHs == 0 {
		kw := 0.0
		for _, j := range pop.opUnits[oi] {
			kw += p.units[j].hs * p.units[j].kw
		}
		kwPerHs = kw / inst
	}
	hs := mw * 1000 / kwPerHs
	if hs > inst {
		p.note(name + ": scheduled conversion exceeds the operator's remaining capacity; capped")
		hs = inst
	}
	f := hs / inst
	for _, j := range pop.opUnits[oi] {
		p.changeUnit(int(j), -p.units[j].hs*f)
	}
	p.converted += hs
	return hs
}

// expand orders new machines when the return on them beats the hurdle.
func (p *path) expand(d int, hpMean float64) {
	e := &p.m.sc.Expansion
	if e.Disabled || p.m.expandPower == 0 {
		return
	}
	g := p.m.growthPerMonth(hpMean)
	if g <= 0 {
		return
	}
	at := d + e.LagDays
	if at < len(p.orders) {
		p.orders[at] += g * p.activeHs
	}
}

// growthPerMonth is the share of running hashrate operators order in a
// month at a mean hashprice: 0 while a new machine's yearly margin over
// power divided by its price is at or below the hurdle, rising linearly to
// expansion.max_growth_per_month at twice the hurdle.
func (m *model) growthPerMonth(hpMean float64) float64 {
	e := &m.sc.Expansion
	if e.Disabled || m.expandPower == 0 {
		return 0
	}
	fee := m.sc.Population.PoolFee
	// USD per TH/s per day: revenue after the pool fee minus power.
	margin := hpMean/1000*(1-fee) - 24*m.expandJPT*m.expandPower/1000
	roi := margin * 365.25 / m.expandUSDPerTH
	if roi <= e.Hurdle {
		return 0
	}
	return e.MaxGrowthPerMonth * math.Min(1, (roi-e.Hurdle)/e.Hurdle)
}

// deliver installs hs of new machines at the expanding operators, in
// proportion to their installed capacity.
func (p *path) deliver(hs float64) {
	pop := p.m.pop
	total := 0.0
	for oi, slot := range pop.expandSlot {
		if slot >= 0 {
			total += p.opInstalled[oi]
		}
	}
	if total <= 0 {
		return
	}
	f := hs / total
	for oi, slot := range pop.expandSlot {
		if slot >= 0 && p.opInstalled[oi] > 0 {
			p.changeUnit(int(slot), p.opInstalled[oi]*f)
		}
	}
	p.nonCandMax *= 1 + f
}

// aiDemand converts AI-ready capacity when the lease beats mining per kWh
// by the scenario's ratio, up to the market's yearly absorption.
func (p *path) aiDemand(hpMean float64) {
	a := &p.m.sc.AIDemand
	if a.MWPerYear <= 0 || p.activeHs <= 0 {
		return
	}
	pop := p.m.pop
	// Network running efficiency, J/TH.
	var kw float64
	for j := 0; j < p.k; j++ {
		kw += p.units[j].hs * p.units[j].kw
	}
	jpt := kw / p.activeHs * 1e15
	mining := hashprice.RevenuePerKWhUSD(hpMean*(1-p.m.sc.Population.PoolFee), jpt)
	lease := a.LeaseUSDPerKWMonth / (24 * 365.25 / 12)
	if lease < a.MinRatio*mining {
		return
	}
	mw := a.MWPerYear / 12
	// Pro rata to AI-ready operators' installed power.
	var total float64
	opKW := p.scratch[:0]
	for oi := range pop.ops {
		k := 0.0
		if pop.opAI[oi] {
			for _, j := range pop.opUnits[oi] {
				k += p.units[j].hs * p.units[j].kw
			}
		}
		opKW = append(opKW, k)
		total += k
	}
	if total <= 0 {
		return
	}
	for oi, k := range opKW {
		if k > 0 {
			p.convertMW(oi, mw*k/total, 0, pop.ops[oi].Name)
		}
	}
}

// nakamotoOperators is the fewest operators holding more than half the
// running hashrate. It ranks the largest installed operators only and
// falls back to all operators when someone outside could rank among them.
func (p *path) nakamotoOperators() int {
	if p.activeHs <= 0 {
		return 0
	}
	// Keep the candidates ranked by running hashrate: yesterday's order is
	// nearly right, so insertion sort is linear.
	c := p.cand
	for i := 1; i < len(c); i++ {
		x := c[i]
		ax := p.opActive[x]
		j := i - 1
		for j >= 0 && p.opActive[c[j]] < ax {
			c[j+1] = c[j]
			j--
		}
		c[j+1] = x
	}
	sum := 0.0
	for i, oi := range c {
		a := p.opActive[oi]
		sum += a
		if sum > p.activeHs/2 {
			if a >= p.nonCandMax {
				return i + 1
			}
			break
		}
	}
	p.fallbacks++
	return topHalf(append(p.scratch[:0], p.opActive...), p.activeHs)
}

// topHalf returns how many of the largest values of s exceed half of
// total (0 if none do), popping a max-heap built in place: O(n + k log n).
func topHalf(s []float64, total float64) int {
	n := len(s)
	down := func(i, n int) {
		for {
			l := 2*i + 1
			if l >= n {
				return
			}
			if r := l + 1; r < n && s[r] > s[l] {
				l = r
			}
			if s[i] >= s[l] {
				return
			}
			s[i], s[l] = s[l], s[i]
			i = l
		}
	}
	for i := n/2 - 1; i >= 0; i-- {
		down(i, n)
	}
	sum := 0.0
	for k := 1; n > 0; k++ {
		sum += s[0]
		if sum > total/2 {
			return k
		}
		n--
		s[0] = s[n]
		down(0, n)
	}
	return 0
}

func (p *path) poolConcentration() (hhi, nak float64) {
	if p.activeHs <= 0 {
		return math.NaN(), math.NaN()
	}
	for _, a := range p.poolActive {
		f := a / p.activeHs
		hhi += f * f
	}
	// Pools ranked by yesterday's order, fixed by insertion sort.
	c := p.poolRank
	for i := 1; i < len(c); i++ {
		x := c[i]
		ax := p.poolActive[x]
		j := i - 1
		for j >= 0 && p.poolActive[c[j]] < ax {
			c[j+1] = c[j]
			j--
		}
		c[j+1] = x
	}
	sum := 0.0
	for i, pi := range c {
		sum += p.poolActive[pi]
		if sum > p.activeHs/2 {
			return hhi, float64(i + 1)
		}
	}
	return hhi, 0
}

// sortedNames is used by tests and summaries.
func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// minNetworkHs: below 1 TH/s the network has stopped (what is left is
// floating-point residue of the running sums).
const minNetworkHs = 1e12

// poolShares returns the pools' shares of running hashrate, largest first.
func (p *path) poolShares() []float64 {
	p.poolConcentration() // ranks p.poolRank
	out := p.shareBuf[:0]
	for _, pi := range p.poolRank {
		out = append(out, p.poolActive[pi]/p.activeHs)
	}
	p.shareBuf = out
	return out
}
