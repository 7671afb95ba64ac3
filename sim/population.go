package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/hashlab/hashlab/mining"
)

// Class is an operator's size class.
type Class uint8

// Size classes, largest first.
const (
	Listed Class = iota
	Industrial
	Mid
	Small
	Garage
	numClasses
)

var classNames = [numClasses]string{"listed", "industrial", "mid", "small", "garage"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", c)
}

// listedOperator is a named public miner of the default population.
type listedOperator struct {
	Name    string
	Aliases []string
	EHs     float64 // self-mining hashrate, EH/s
	Power   float64 // all-in power price, USD/kWh (assumption)
	Pool    string  // "" = assigned by the pool calibration
}

// The named public miners, with self-mining hashrate from their monthly
// production updates and quarterly reports around Q3 2025 (rounded; an
// approximation, see docs/sim.md). Power prices are assumptions in the
// range such companies report (all-in cost of power).
var listedOperators = []listedOperator{
	{"MARA Holdings", []string{"mara", "marathon"}, 60, 0.040, "marapool"},
	{"CleanSpark", nil, 50, 0.045, ""},
	{"IREN", []string{"iris energy"}, 50, 0.035, ""},
	{"Cango", nil, 50, 0.045, ""},
	{"Riot Platforms", []string{"riot"}, 36, 0.035, ""},
	{"Bitdeer", nil, 35, 0.040, ""},
	{"Hut 8", []string{"american bitcoin", "hut8"}, 25, 0.040, ""},
	{"Cipher Mining", []string{"cipher"}, 23, 0.030, ""},
	{"HIVE Digital", []string{"hive"}, 23, 0.040, ""},
	{"Core Scientific", []string{"core"}, 20, 0.045, ""},
	{"Bitfarms", nil, 18, 0.040, ""},
	{"TeraWulf", []string{"terawulf", "wulf"}, 12, 0.035, ""},
	{"Canaan", nil, 8, 0.050, ""},
}

// ListedNames returns the names of the default population's named
// operators (the names a conversion may refer to).
func ListedNames() []string {
	out := make([]string, len(listedOperators))
	for i, o := range listedOperators {
		out[i] = o.Name
	}
	return out
}

func listedIndex(name string) (int, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i, o := range listedOperators {
		if strings.ToLower(o.Name) == n {
			return i, true
		}
		for _, a := range o.Aliases {
			if a == n {
				return i, true
			}
		}
	}
	return 0, false
}

// classSpec describes a size class of the default population.
type classSpec struct {
	share     float64 // of running hashrate at the start (unnamed classes)
	opsShare  float64 // of the unnamed operators
	powerLo   float64 // USD/kWh, uniform
	powerHi   float64
	sizeSigma float64 // log-normal spread of operator size
	// ageYears is the e-folding age of the class's installed base: a
	// vintage of age a holds a share ∝ exp(−a/ageYears) (see vintages).
	ageYears float64
	treasury float64 // BTC per EH/s running at the start
	overhead float64 // USD/kWh beyond power (maintenance, hosting, labour)
	aiReady  bool
	expands  bool
}

var classSpecs = [numClasses]classSpec{
	Listed: {ageYears: 1.5, treasury: 250, overhead: 0.006, aiReady: true, expands: true},
	Industrial: {share: 0.370, opsShare: 0.12, powerLo: 0.020, powerHi: 0.050, sizeSigma: 0.8, ageYears: 1.8,
		treasury: 40, overhead: 0.008, aiReady: true, expands: true},
	Mid: {share: 0.160, opsShare: 0.30, powerLo: 0.035, powerHi: 0.060, sizeSigma: 0.7, ageYears: 2.2,
		treasury: 30, overhead: 0.010, expands: true},
	Small: {share: 0.070, opsShare: 0.30, powerLo: 0.040, powerHi: 0.075, sizeSigma: 0.6, ageYears: 2.6,
		treasury: 40, overhead: 0.012},
	Garage: {share: 0.024, opsShare: 0.28, powerLo: 0.030, powerHi: 0.120, sizeSigma: 0.6, ageYears: 3.5,
		treasury: 80, overhead: 0},
}

// vintage is a machine model and when it became available in volume.
type vintage struct {
	name string
	jpt  float64 // J/TH
	from float64 // decimal year: mid-year of release
}

// legacyModels are machines older than the catalogue's S9, needed for
// starts in 2016–2017 (nominal specifications from Bitmain's product
// pages: S3 478 GH/s at 366 W, 2014; S5 1.155 TH/s at 590 W, December
// 2014; S7 4.73 TH/s at 1,293 W, September 2015).
var legacyModels = []vintage{
	{"Antminer S3", 366 / 0.478, 2014.5},
	{"Antminer S5", 590 / 1.155, 2015.0},
	{"Antminer S7", 1293 / 4.73, 2015.7},
}

// vintagesAt returns the models available at decimal year t: the
// catalogue's (available from the middle of their release year) and the
// legacy ones.
func vintagesAt(t float64) []vintage {
	var out []vintage
	for _, v := range legacyModels {
		if v.from <= t {
			out = append(out, v)
		}
	}
	for _, m := range mining.Catalogue() {
		v := vintage{m.Name, m.JoulesPerTH(), float64(m.ReleaseYear) + 0.5}
		if v.from <= t {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].from < out[j].from })
	return out
}

// vintageWeights is the installed-base age profile of a class at t: a
// model of age a (years since it became available) holds hashrate ∝
// ramp(a)·exp(−a/ageYears)/n, where ramp = min(1, a/0.5 + 0.1) (shipments
// build up over the first half-year) and n the number of models released
// the same year. The exponential stands for both the network's growth
// (newer vintages were bought in larger numbers) and retirement.
func vintageWeights(vs []vintage, t, ageYears float64) []float64 {
	perYear := map[float64]int{}
	for _, v := range vs {
		perYear[math.Floor(v.from)]++
	}
	w := make([]float64, len(vs))
	for i, v := range vs {
		a := t - v.from
		w[i] = math.Min(1, a/0.5+0.1) * math.Exp(-a/ageYears) / float64(perYear[math.Floor(v.from)])
	}
	return w
}

// newestJoulesPerTH is the mean efficiency of the newest release year's
// models available at t (the auto expansion.joules_per_th).
func newestJoulesPerTH(t float64) float64 {
	vs := vintagesAt(t)
	if len(vs) == 0 {
		return 15
	}
	y := math.Floor(vs[len(vs)-1].from)
	var s, n float64
	for _, v := range vs {
		if math.Floor(v.from) == y {
			s += v.jpt
			n++
		}
	}
	return s / n
}

// decimalYear turns Unix seconds into a decimal year.
func decimalYear(unix int64) float64 {
	return 1970 + float64(unix)/(365.2425*86400)
}

// listedShareAtSnapshot is the listed miners' share of hashrate in the
// snapshot's population (410 of 1,090 EH/s); earlier starts scale their
// hashrate down so that they hold at most this share (a simplification:
// listed miners held less before 2021).
const listedShareAtSnapshot = 0.376

// Pool shares of blocks from 2024-11-24 to 2025-11-24 (heights 872,009 to
// 925,000), counted from shared/data blocks/ (sorukumar/bitcoin-mining-pools,
// BSD-2-Clause); "other" gathers the remaining small pools and unattributed
// blocks.
var poolShares = []struct {
	Slug  string
	Share float64
}{
	{"foundryusa", 0.3047}, {"antpool", 0.1836}, {"viabtc", 0.1307}, {"f2pool", 0.1074},
	{"spiderpool", 0.0594}, {"marapool", 0.0489}, {"secpool", 0.0356}, {"luxor", 0.0328},
	{"binancepool", 0.0192}, {"sbicrypto", 0.0142}, {"braiinspool", 0.0130}, {"oceanxyz", 0.0082},
	{"whitepool", 0.0081}, {"btccom", 0.0068}, {"miningsquared", 0.0055}, {"ultimuspool", 0.0041},
	{"carbonnegative", 0.0036}, {"poolin", 0.0034}, {"other", 0.0077},
}

// Operator is one miner agent of a population.
type Operator struct {
	Name           string  `json:"name"`
	Class          string  `json:"class"`
	Pool           string  `json:"pool"`
	InstalledHs    float64 `json:"installed_hs"`
	RunningHs      float64 `json:"running_hs"` // at the start
	PowerUSDPerKWh float64 `json:"power_usd_per_kwh"`
	JoulesPerTH    float64 `json:"joules_per_th"` // hashrate-weighted
}

// unit is one operator's machines of one model: a step of the merit-order
// supply curve.
type unit struct {
	hs   float64 // installed effective hashrate, H/s
	be   float64 // breakeven hashprice, USD/PH/day (power only, after pool fee)
	cost float64 // power + overhead per H/s per day, USD
	kw   float64 // kW per H/s
	op   int32
	pool int16
	cls  Class
}

// population is the immutable start of every path.
type population struct {
	ops      []Operator
	opClass  []Class
	opPool   []int16
	opAI     []bool
	units    []unit // sorted by be
	pools    []string
	treasury [numClasses]float64 // BTC at the start
	// expandSlot[op] is the index in units of the op's new-machine unit
	// (hs 0 at the start), or -1.
	expandSlot []int32
	opUnits    [][]int32 // unit indices per operator
	// candidates are the operators by installed hashrate, largest first,
	// for the Nakamoto coefficient's fast path.
	byInstalled []int32
}

// breakeven returns the hashprice (USD/PH/day) at which a machine of
// joulesPerTH at power USD/kWh just earns its power after the pool fee.
func breakeven(joulesPerTH, power, poolFee float64) float64 {
	return 24 * joulesPerTH * power / (1 - poolFee)
}

// buildPopulation draws the default population for a scenario at its
// start date and scales it so that the running hashrate at the start
// hashprice hp0 equals h0, with the class shares of classSpecs. Machines
// are those available by the start (catalogue release years), weighted by
// each class's installed-base age profile; power prices are uniform in
// the class's range except for the cost tail; contracted operators decide
// on the part of their power price not owed anyway.
func buildPopulation(sc *Scenario, h0, hp0 float64) (*population, error) {
	t := decimalYear(sc.Start.Time)
	vs := vintagesAt(t)
	if len(vs) == 0 {
		return nil, sc.errf("start.time", sc.Start.Time, "a date from 2014-07 on (the default population's oldest machines)")
	}
	var cum [numClasses][]float64
	for c := range cum {
		w := vintageWeights(vs, t, classSpecs[c].ageYears)
		acc := 0.0
		for i := range w {
			acc += w[i]
			w[i] = acc
		}
		cum[c] = w
	}
	r := rand.New(rand.NewPCG(sc.Population.Seed, 0x706f70))
	pick := func(c Class) int {
		w := cum[c]
		x := r.Float64() * w[len(w)-1]
		return min(sort.SearchFloat64s(w, x), len(w)-1)
	}
	pp := sc.Population
	fee := pp.PoolFee
	p := &population{}
	type draft struct {
		cls      Class
		name     string
		weight   float64 // relative size within class
		power    float64 // USD/kWh paid
		marginal float64 // USD/kWh the run decision sees
		models   [2]int
		frac     [2]float64
		fixed    float64 // listed: EH/s
	}
	var ds []draft
	listedEH := 0.0
	for _, lo := range listedOperators {
		listedEH += lo.EHs
	}
	listedScale := math.Min(1, listedShareAtSnapshot*h0/(listedEH*1e18))
	for _, lo := range listedOperators {
		pw := lo.Power * pp.PowerScale
		d := draft{cls: Listed, name: lo.Name, power: pw, marginal: pw, fixed: lo.EHs * listedScale}
		d.models = [2]int{pick(Listed), pick(Listed)}
		d.frac = [2]float64{0.7, 0.3}
		ds = append(ds, d)
	}
	listedEH *= listedScale
	unnamed := pp.Operators - len(listedOperators)
	if unnamed < int(numClasses) {
		return nil, sc.errf("population.operators", pp.Operators, fmt.Sprintf(">= %d", len(listedOperators)+int(numClasses)))
	}
	counts := [numClasses]int{}
	left := unnamed
	for c := Industrial; c < Garage; c++ {
		counts[c] = int(math.Round(classSpecs[c].opsShare * float64(unnamed)))
		if counts[c] < 1 {
			counts[c] = 1
		}
		left -= counts[c]
	}
	counts[Garage] = max(left, 1)
	tail := pp.CostTail
	for c := Industrial; c < numClasses; c++ {
		cs := classSpecs[c]
		for i := 0; i < counts[c]; i++ {
			d := draft{cls: c, name: fmt.Sprintf("%s-%04d", c, i+1)}
			d.weight = math.Exp(cs.sizeSigma * r.NormFloat64())
			d.power = (cs.powerLo + (cs.powerHi-cs.powerLo)*r.Float64()) * pp.PowerScale
			if r.Float64() < tail.Share {
				d.power = tail.LoUSDPerKWh * math.Pow(tail.HiUSDPerKWh/tail.LoUSDPerKWh, r.Float64())
			}
			d.marginal = d.power
			if r.Float64() < pp.Contracts.Share {
				d.marginal = d.power * (1 - pp.Contracts.TakeOrPay)
			}
			d.models = [2]int{pick(c), pick(c)}
			f := 0.3 * (0.5 + r.Float64())
			d.frac = [2]float64{1 - f, f}
			ds = append(ds, d)
		}
	}
	// Scale: listed at their (scaled) reported hashrate; each unnamed class
	// so that its running hashrate at hp0 is its share of h0.
	listedRun := 0.0
	for _, d := range ds {
		if d.cls == Listed {
			for k := 0; k < 2; k++ {
				if breakeven(vs[d.models[k]].jpt, d.marginal, fee) <= hp0 {
					listedRun += d.fixed * 1e18 * d.frac[k]
				}
			}
		}
	}
	rest := 1 - listedRun/h0
	totalSpec := 0.0
	for c := Industrial; c < numClasses; c++ {
		totalSpec += classSpecs[c].share
	}
	var classScale [numClasses]float64
	for c := Industrial; c < numClasses; c++ {
		var wAll, wRun float64
		for _, d := range ds {
			if d.cls != c {
				continue
			}
			for k := 0; k < 2; k++ {
				w := d.weight * d.frac[k]
				wAll += w
				if breakeven(vs[d.models[k]].jpt, d.marginal, fee) <= hp0 {
					wRun += w
				}
			}
		}
		if wRun == 0 {
			wRun = wAll // nothing runs at hp0: calibrate installed instead
		}
		classScale[c] = classSpecs[c].share / totalSpec * rest * h0 / wRun
	}
	poolIdx := map[string]int16{}
	for i, ps := range poolShares {
		p.pools = append(p.pools, ps.Slug)
		poolIdx[ps.Slug] = int16(i)
	}
	for oi, d := range ds {
		op := Operator{Name: d.name, Class: d.cls.String(), PowerUSDPerKWh: d.power}
		var idx []int32
		for k := 0; k < 2; k++ {
			var hs float64
			if d.cls == Listed {
				hs = d.fixed * 1e18 * d.frac[k]
			} else {
				hs = classScale[d.cls] * d.weight * d.frac[k]
			}
			e := vs[d.models[k]].jpt
			op.InstalledHs += hs
			op.JoulesPerTH += hs * e
			if breakeven(e, d.marginal, fee) <= hp0 {
				op.RunningHs += hs
			}
			idx = append(idx, int32(len(p.units)))
			p.units = append(p.units, newUnit(hs, e, d.power, d.marginal, fee, classSpecs[d.cls].overhead, int32(oi), d.cls))
		}
		op.JoulesPerTH /= op.InstalledHs
		slot := int32(-1)
		if classSpecs[d.cls].expands && !sc.Expansion.Disabled {
			slot = int32(len(p.units))
			idx = append(idx, slot)
			p.units = append(p.units, newUnit(0, expansionJoulesPerTH(sc), d.power, d.marginal, fee, classSpecs[d.cls].overhead, int32(oi), d.cls))
		}
		p.ops = append(p.ops, op)
		p.opClass = append(p.opClass, d.cls)
		p.opAI = append(p.opAI, classSpecs[d.cls].aiReady)
		p.expandSlot = append(p.expandSlot, slot)
		p.opUnits = append(p.opUnits, idx)
		p.treasury[d.cls] += classSpecs[d.cls].treasury * op.RunningHs / 1e18
	}
	p.assignPools(poolIdx)
	// Sort units by breakeven; remap indices.
	order := make([]int, len(p.units))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.units[order[a]].be < p.units[order[b]].be })
	newPos := make([]int32, len(order))
	sorted := make([]unit, len(order))
	for pos, old := range order {
		sorted[pos] = p.units[old]
		newPos[old] = int32(pos)
	}
	p.units = sorted
	for oi := range p.opUnits {
		for k, u := range p.opUnits[oi] {
			p.opUnits[oi][k] = newPos[u]
		}
		if p.expandSlot[oi] >= 0 {
			p.expandSlot[oi] = newPos[p.expandSlot[oi]]
		}
	}
	for i := range p.units {
		p.units[i].pool = p.opPool[p.units[i].op]
	}
	p.byInstalled = make([]int32, len(p.ops))
	for i := range p.byInstalled {
		p.byInstalled[i] = int32(i)
	}
	sort.SliceStable(p.byInstalled, func(a, b int) bool {
		return p.ops[p.byInstalled[a]].InstalledHs > p.ops[p.byInstalled[b]].InstalledHs
	})
	return p, nil
}

// expansionJoulesPerTH is expansion.joules_per_th, or with 0 the newest
// models' efficiency at the start date.
func expansionJoulesPerTH(sc *Scenario) float64 {
	if sc.Expansion.JoulesPerTH > 0 {
		return sc.Expansion.JoulesPerTH
	}
	return newestJoulesPerTH(decimalYear(sc.Start.Time))
}

// NewMachineDays is how many days of the start hashprice a new machine
// costs per TH/s when expansion.usd_per_th is 0 (auto). Machine prices
// track hashprice: new S21-class units sold for about $15–18/TH in 2025
// at $40–55/PH/day, S19 XP-class for about $25/TH in mid-2023 at about
// $75/PH/day (Luxor Hashrate Index ASIC price index, approximate).
const NewMachineDays = 350

// expansionUSDPerTH is expansion.usd_per_th, or with 0 NewMachineDays of
// the start hashprice.
func expansionUSDPerTH(sc *Scenario, hp0 float64) float64 {
	if sc.Expansion.USDPerTH > 0 {
		return sc.Expansion.USDPerTH
	}
	return NewMachineDays * hp0 / 1000
}

// newUnit is a step of the supply curve: power is the price paid (the
// cost), marginal the price the run decision sees (lower under a
// take-or-pay contract).
func newUnit(hs, jPerTH, power, marginal, fee, overhead float64, op int32, cls Class) unit {
	kwPerHs := jPerTH / 1e12 / 1000 // W per TH/s → kW per H/s
	return unit{
		hs:   hs,
		be:   breakeven(jPerTH, marginal, fee),
		cost: kwPerHs * 24 * (power + overhead),
		kw:   kwPerHs,
		op:   op,
		cls:  cls,
	}
}

// assignPools gives every operator a pool so that pools' shares of running
// hashrate approach poolShares: named pools first, then the largest
// operators to the pool with the largest remaining deficit.
func (p *population) assignPools(idx map[string]int16) {
	p.opPool = make([]int16, len(p.ops))
	total := 0.0
	for _, o := range p.ops {
		total += o.RunningHs
	}
	deficit := make([]float64, len(poolShares))
	for i, ps := range poolShares {
		deficit[i] = ps.Share * total
	}
	order := make([]int, len(p.ops))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p.ops[order[a]].RunningHs > p.ops[order[b]].RunningHs })
	assigned := make([]bool, len(p.ops))
	for i, lo := range listedOperators {
		if lo.Pool != "" {
			pi := idx[lo.Pool]
			p.opPool[i] = pi
			deficit[pi] -= p.ops[i].RunningHs
			assigned[i] = true
		}
	}
	for _, oi := range order {
		if assigned[oi] {
			continue
		}
		best := 0
		for j := range deficit {
			if deficit[j] > deficit[best] {
				best = j
			}
		}
		p.opPool[oi] = int16(best)
		deficit[best] -= p.ops[oi].RunningHs
	}
	for i := range p.ops {
		p.ops[i].Pool = p.pools[p.opPool[i]]
	}
}

// ClassSummary describes one size class of a population at the start.
type ClassSummary struct {
	Class          string  `json:"class"`
	Operators      int     `json:"operators"`
	InstalledHs    float64 `json:"installed_hs"`
	RunningHs      float64 `json:"running_hs"`
	JoulesPerTH    float64 `json:"joules_per_th"`     // running-hashrate weighted
	PowerUSDPerKWh float64 `json:"power_usd_per_kwh"` // running-hashrate weighted
	TreasuryBTC    float64 `json:"treasury_btc"`
}

func (p *population) summaryAt(hp0 float64) []ClassSummary {
	out := make([]ClassSummary, numClasses)
	for c := range out {
		out[c].Class = Class(c).String()
		out[c].TreasuryBTC = round6(p.treasury[c])
	}
	for oi := range p.ops {
		out[p.opClass[oi]].Operators++
	}
	for _, u := range p.units {
		c := &out[u.cls]
		c.InstalledHs += u.hs
		if u.be <= hp0 {
			c.RunningHs += u.hs
			c.JoulesPerTH += u.hs * u.kw * 1e15
			c.PowerUSDPerKWh += u.hs * p.ops[u.op].PowerUSDPerKWh
		}
	}
	for c := range out {
		if out[c].RunningHs > 0 {
			out[c].JoulesPerTH = round6(out[c].JoulesPerTH / out[c].RunningHs)
			out[c].PowerUSDPerKWh = round6(out[c].PowerUSDPerKWh / out[c].RunningHs)
		}
		out[c].InstalledHs = round6(out[c].InstalledHs)
		out[c].RunningHs = round6(out[c].RunningHs)
	}
	return out
}
