package history

import (
	"context"
	"errors"
	"math"
	"sort"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/security"
)

// BlockReader is what history needs of a chain store.
type BlockReader interface {
	// BlocksByTime calls fn for every block whose header time t has
	// from <= t < to (Unix seconds), ascending by height.
	BlocksByTime(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error
	// EpochBoundaries calls fn for every block whose height%interval is
	// 0 or interval-1, ascending.
	EpochBoundaries(ctx context.Context, interval int64, fn func(chain.BlockRecord) error) error
	// LastBlock returns the highest stored block.
	LastBlock(ctx context.Context) (chain.BlockRecord, bool, error)
}

// PriceReader gives daily BTC prices in USD keyed by UTC date
// "2006-01-02".
type PriceReader interface {
	Prices(ctx context.Context) (map[string]float64, error)
}

// ErrNoData is returned when the store holds nothing in the asked range.
var ErrNoData = errors.New("history: no blocks in the database for this range (import or ingest some first)")

// Adjustment is one difficulty retarget.
type Adjustment struct {
	Height     int64          `json:"height"`
	Time       int64          `json:"time"` // header time of the first block of the new epoch
	Date       string         `json:"date"`
	Bits       consensus.Bits `json:"bits"` // the new epoch's nBits
	Difficulty float64        `json:"difficulty"`
	// ChangePct is the difficulty change in percent (-27.94 = -27.94%).
	ChangePct float64 `json:"change_pct"`
	// EpochDurationSec is the time from the first to the last block of
	// the epoch that ended (2015 block intervals); 0 when either block is
	// not stored. MeanIntervalSec is that over 2015.
	EpochDurationSec int64   `json:"epoch_duration_sec"`
	MeanIntervalSec  float64 `json:"mean_interval_sec,omitempty"`
}

// Adjustments returns every retarget the store can show: each height
// k*interval whose block and the ended epoch's bits are stored, oldest
// first. The ended epoch's bits are those of its last block (k*interval-1)
// or its first ((k-1)*interval). On networks with minimum-difficulty
// blocks (testnet3, testnet4) the last block may be one of them (20
// minutes late, at the proof-of-work limit): then, as Core's
// GetNextWorkRequired walks back over such blocks to the epoch's real
// bits, the first block's bits are taken (a retarget block is never a
// minimum-difficulty block), and the retarget is left out when that block
// is not stored.
func Adjustments(ctx context.Context, r BlockReader, p *consensus.Params) ([]Adjustment, error) {
	interval := p.RetargetInterval()
	byHeight := map[int64]chain.BlockRecord{}
	var heights []int64
	err := r.EpochBoundaries(ctx, interval, func(b chain.BlockRecord) error {
		byHeight[b.Height] = b
		if b.Height%interval == 0 {
			heights = append(heights, b.Height)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(byHeight) == 0 {
		return nil, ErrNoData
	}
	var out []Adjustment
	for _, h := range heights {
		cur := byHeight[h]
		if h == 0 || cur.Bits == 0 {
			continue
		}
		var oldBits consensus.Bits
		last, haveLast := byHeight[h-1]
		first, haveFirst := byHeight[h-interval]
		lastIsMin := p.AllowMinDifficultyBlocks && last.Bits == p.PowLimitBits
		switch {
		case haveLast && last.Bits != 0 && !lastIsMin:
			oldBits = last.Bits
		case haveFirst && first.Bits != 0:
			oldBits = first.Bits
		default:
			continue
		}
		d, old := consensus.Difficulty(cur.Bits), consensus.Difficulty(oldBits)
		a := Adjustment{Height: h, Time: cur.Time, Date: date(cur.Time), Bits: cur.Bits, Difficulty: d, ChangePct: 100 * (d/old - 1)}
		if haveLast && haveFirst && last.Time > 0 && first.Time > 0 {
			a.EpochDurationSec = last.Time - first.Time
			a.MeanIntervalSec = float64(a.EpochDurationSec) / float64(interval-1)
		}
		out = append(out, a)
	}
	return out, nil
}

// DayHashrate is the estimated network hashrate of one UTC day.
type DayHashrate struct {
	Date string `json:"date"`
	// Blocks is the number of blocks whose header time falls in the day.
	Blocks int64 `json:"blocks"`
	// MeanDifficulty is the mean difficulty of those blocks.
	MeanDifficulty float64 `json:"mean_difficulty"`
	// HashrateHs is the expected work of the day's blocks over 86,400 s:
	// sum(difficulty * 2^32) / 86400 (the definition Coin Metrics uses).
	HashrateHs float64 `json:"hashrate_hs"`
	// LowerHs and UpperHs bound it with the exact (Garwood) interval for
	// a Poisson count at the given confidence.
	LowerHs    float64 `json:"lower_hs"`
	UpperHs    float64 `json:"upper_hs"`
	Confidence float64 `json:"confidence"`
}

// Range is a half-open time range [From, To); zero times are unbounded.
type Range struct{ From, To time.Time }

func (rg Range) bounds() (int64, int64) {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !rg.From.IsZero() {
		from = rg.From.Unix()
	}
	if !rg.To.IsZero() {
		to = rg.To.Unix()
	}
	return from, to
}

// Hashrate estimates the network hashrate for every UTC day in rg that the
// store covers completely (every height from one below the day's lowest
// block to one above its highest is stored, so the first and last day of
// the data and days among sparse headers are left out), with a confidence
// interval (e.g. 0.95). Blocks without known bits are an error.
//
// A day's work is summed per nBits: the count of its blocks at each bits
// (ascending) times that difficulty's expected hashes. When r is a
// GroupReader and rg is whole days, the day groups and the runs of stored
// heights come from the store's rollups; otherwise from the blocks (then
// completeness is judged among the blocks read, one day beyond rg on each
// side). Both give the same figures.
func Hashrate(ctx context.Context, r BlockReader, rg Range, confidence float64) ([]DayHashrate, error) {
	if !(confidence > 0 && confidence < 1) {
		return nil, hashlab.Invalid("confidence", confidence, "0 < c < 1")
	}
	from, to := rg.bounds()
	// Read one day more on each side (the per-block path judges
	// completeness among the blocks it reads).
	qFrom, qTo := from, to
	if qFrom != math.MinInt64 {
		qFrom -= 86400
	}
	if qTo != math.MaxInt64 {
		qTo += 86400
	}
	var gs []BlockGroup
	var complete func(lo, hi int64) bool
	if gr, isGR := r.(GroupReader); isGR {
		var ok bool
		var err error
		if gs, ok, err = storedGroups(ctx, gr, consensus.MainNet, qFrom, qTo, false); err != nil {
			return nil, err
		}
		if ok {
			var runs heightRuns
			if err := gr.HeightRuns(ctx, func(first, last int64) error {
				runs.first, runs.last = append(runs.first, first), append(runs.last, last)
				return nil
			}); err != nil {
				return nil, err
			}
			complete = runs.covers
		}
	}
	if complete == nil {
		// gaps holds the first missing height after each run of stored
		// heights, and gapEnd the next stored height.
		var gaps, gapEnd []int64
		prevH := int64(math.MinInt64)
		var err error
		gs, err = groupBlocks(ctx, r, consensus.MainNet, qFrom, qTo, func(b chain.BlockRecord) {
			if b.Height != prevH+1 {
				gaps, gapEnd = append(gaps, prevH+1), append(gapEnd, b.Height)
			}
			prevH = b.Height
		})
		if err != nil {
			return nil, err
		}
		gaps, gapEnd = append(gaps, prevH+1), append(gapEnd, math.MaxInt64)
		complete = func(lo, hi int64) bool {
			// The first gap that ends after lo must start after hi.
			i := sort.Search(len(gaps), func(i int) bool { return gapEnd[i] > lo })
			return i == len(gaps) || gaps[i] > hi
		}
	}
	if err := checkBits(gs); err != nil {
		return nil, err
	}
	var out []DayHashrate
	for i := 0; i < len(gs); {
		day := gs[i].Day
		j := i
		for j < len(gs) && gs[j].Day == day {
			j++
		}
		if day < from || day+86400 > to {
			i = j
			continue
		}
		// The day's blocks per bits, ascending.
		type bitsCount struct {
			bits consensus.Bits
			n    int64
		}
		var per []bitsCount
		minH, maxH := gs[i].FirstHeight, gs[i].LastHeight
		for _, g := range gs[i:j] {
			minH, maxH = min(minH, g.FirstHeight), max(maxH, g.LastHeight)
			k := sort.Search(len(per), func(k int) bool { return per[k].bits >= g.Bits })
			if k < len(per) && per[k].bits == g.Bits {
				per[k].n += g.Blocks
				continue
			}
			per = append(per, bitsCount{})
			copy(per[k+1:], per[k:])
			per[k] = bitsCount{g.Bits, g.Blocks}
		}
		i = j
		if !complete(minH-1, maxH+1) {
			continue
		}
		var work float64
		var diff exactMean
		for _, c := range per {
			d := consensus.Difficulty(c.bits)
			work += float64(c.n) * hashprice.HashesPerBlock(d)
			diff.addN(d, c.n)
		}
		n := diff.n
		est, err := hashprice.EstimateHashrate(work, n, 86400, confidence)
		if err != nil {
			return nil, err
		}
		// Counting blocks in a fixed day (not waiting for the n-th
		// block): the upper bound uses n+1 (Garwood).
		lo, _ := hashprice.PoissonRateFactors(n, confidence)
		_, hi := hashprice.PoissonRateFactors(n+1, confidence)
		hi *= float64(n+1) / float64(n)
		out = append(out, DayHashrate{Date: date(day), Blocks: n, MeanDifficulty: diff.mean(),
			HashrateHs: est.HashrateHs, LowerHs: est.HashrateHs * lo, UpperHs: est.HashrateHs * hi, Confidence: confidence})
	}
	if len(out) == 0 {
		return nil, ErrNoData
	}
	return out, nil
}

// Period groups history points.
type Period string

// Periods of Hashprice.
const (
	Day   Period = "day"
	Week  Period = "week" // ISO weeks, Monday 00:00 UTC
	Epoch Period = "epoch"
)

// ParsePeriod reads day, week or epoch.
func ParsePeriod(s string) (Period, error) {
	switch Period(s) {
	case Day, Week, Epoch:
		return Period(s), nil
	}
	return "", hashlab.Invalid("every", s, "day, week, epoch")
}

// HashpricePoint is hashvalue (and hashprice when prices are known) over
// one period.
type HashpricePoint struct {
	// Start is the period's start: its UTC day, Monday, or the epoch's
	// first stored block time.
	Start       string `json:"start"`
	FirstHeight int64  `json:"first_height"`
	LastHeight  int64  `json:"last_height"`
	Blocks      int64  `json:"blocks"`
	// Difficulty is the mean difficulty of the period's blocks.
	Difficulty float64 `json:"difficulty"`
	// BTCPerPHDay is the hashvalue: BTC a PH/s earns per day, the mean
	// over the period's blocks of (subsidy + fees) / (difficulty * 2^32)
	// * 1e15 * 86400.
	BTCPerPHDay float64 `json:"btc_per_ph_day"`
	// USDPerPHDay is the hashprice: the same mean with each block's
	// reward valued at its day's price; nil (an unpriced period) unless
	// every day of the period has a price.
	USDPerPHDay *float64 `json:"usd_per_ph_day"`
	// FeesIncluded is true when every block's fees are known (blocks
	// ingested from a node, or days with imported mean fees); otherwise
	// the figures are subsidy only for the blocks without fees. FeeBlocks
	// counts blocks with known fees, DailyFeeBlocks those of them whose
	// fees are their day's imported mean.
	FeesIncluded   bool  `json:"fees_included"`
	FeeBlocks      int64 `json:"fee_blocks"`
	DailyFeeBlocks int64 `json:"daily_fee_blocks,omitempty"`
}

// DailyFeeReader gives imported daily mean fees per block keyed by UTC
// date "2006-01-02" (store.DB: `import fees`, or a price file's fee
// column). Hashprice uses them for blocks whose own fees are unknown
// when its PriceReader also implements this interface.
type DailyFeeReader interface {
	DailyFeesPerBlock(ctx context.Context) (map[string]consensus.Sats, error)
}

// Hashprice returns hashvalue per period for the blocks in rg, and
// hashprice in USD for the periods whose every day has a price (pr, may
// be nil); a period without one has a null USD value, the others keep
// theirs. A block's fees are its own when known (ingested from a node),
// else its day's imported mean (when pr is also a DailyFeeReader), else
// unknown (subsidy only; FeesIncluded false).
//
// The sums run over BlockGroups: a group's hashvalue is the blocks per
// day one PH/s finds at its difficulty times its exact total reward, and
// a period's mean is the sum over its groups (in their order) over its
// blocks. When r is a GroupReader and rg is whole days, the groups come
// from the store's rollups, otherwise from the blocks; both give the
// same figures.
func Hashprice(ctx context.Context, r BlockReader, pr PriceReader, p *consensus.Params, rg Range, every Period) ([]HashpricePoint, error) {
	if _, err := ParsePeriod(string(every)); err != nil {
		return nil, err
	}
	var prices map[string]float64
	var dayFees map[string]consensus.Sats
	if pr != nil {
		var err error
		if prices, err = pr.Prices(ctx); err != nil {
			return nil, err
		}
		if fr, ok := pr.(DailyFeeReader); ok {
			if dayFees, err = fr.DailyFeesPerBlock(ctx); err != nil {
				return nil, err
			}
		}
	}
	from, to := rg.bounds()
	gs, err := dayGroups(ctx, r, p, from, to)
	if err != nil {
		return nil, err
	}
	if err := checkBits(gs); err != nil {
		return nil, err
	}
	type acc struct {
		pt      HashpricePoint
		diff    exactMean
		sumBTC  float64
		sumUSD  float64
		missing bool
	}
	var order []int64
	groups := map[int64]*acc{}
	for _, g := range gs {
		var key int64
		switch every {
		case Day:
			key = g.Day
		case Week:
			key = floorWeek(g.Day)
		case Epoch:
			key = g.Epoch
		}
		a := groups[key]
		if a == nil {
			a = &acc{pt: HashpricePoint{FirstHeight: g.FirstHeight, FeesIncluded: true}}
			switch every {
			case Epoch:
				a.pt.Start = date(g.Day)
			default:
				a.pt.Start = date(key)
			}
			groups[key] = a
			order = append(order, key)
		}
		if every == Epoch && g.FirstHeight < a.pt.FirstHeight {
			// An epoch starts on the day of its lowest block.
			a.pt.Start = date(g.Day)
		}
		d, err := groupDifficulty(g)
		if err != nil {
			return nil, err
		}
		day := date(g.Day)
		sats := int64(g.SubsidySats)*g.Blocks + int64(g.NodeFeesSats)
		a.pt.FeeBlocks += g.NodeBlocks
		if other := g.Blocks - g.NodeBlocks; other > 0 {
			if f, ok := dayFees[day]; ok {
				sats += int64(f) * other
				a.pt.FeeBlocks += other
				a.pt.DailyFeeBlocks += other
			} else {
				a.pt.FeesIncluded = false
			}
		}
		btc := hashprice.BlocksPerDay(hashprice.HashesPerPH, d) * consensus.Sats(sats).BTC()
		a.pt.Blocks += g.Blocks
		a.pt.LastHeight = max(a.pt.LastHeight, g.LastHeight)
		a.pt.FirstHeight = min(a.pt.FirstHeight, g.FirstHeight)
		a.diff.addN(d, g.Blocks)
		a.sumBTC += btc
		if usd, ok := prices[day]; ok {
			a.sumUSD += btc * usd
		} else {
			a.missing = true
		}
	}
	if len(order) == 0 {
		return nil, ErrNoData
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	out := make([]HashpricePoint, 0, len(order))
	for _, k := range order {
		a := groups[k]
		n := float64(a.pt.Blocks)
		a.pt.Difficulty = a.diff.mean()
		a.pt.BTCPerPHDay = a.sumBTC / n
		if !a.missing {
			v := a.sumUSD / n
			a.pt.USDPerPHDay = &v
		}
		out = append(out, a.pt)
	}
	return out, nil
}

// PoolShare is one pool's blocks in a window.
type PoolShare struct {
	Slug   string  `json:"slug"`
	Name   string  `json:"name"`
	Blocks int64   `json:"blocks"`
	Share  float64 `json:"share"`
}

// PoolReport is block shares by pool over a window, with concentration
// computed by security.Concentration: blocks no pool claimed ("unknown")
// are listed with their share but are not an entity, so they are left out
// of HHI and the Nakamoto coefficients (they are many small miners, not
// one pool that could collude). security concentration --db reports the
// same figures.
type PoolReport struct {
	From   int64       `json:"from"` // Unix seconds, inclusive
	To     int64       `json:"to"`   // exclusive
	Blocks int64       `json:"blocks"`
	Pools  []PoolShare `json:"pools"`
	// HHI is the Herfindahl-Hirschman index of the pools' shares of all
	// blocks (0..1), unknown blocks left out.
	HHI float64 `json:"hhi"`
	// Nakamoto50 is the fewest pools that together mined more than half
	// of all blocks; Nakamoto33 more than a third (unknown blocks are in
	// the denominator, not a pool).
	Nakamoto50 int `json:"nakamoto_coefficient_50"`
	Nakamoto33 int `json:"nakamoto_coefficient_33"`
	// UnknownBlocks counts blocks attributed to no pool.
	UnknownBlocks int64 `json:"unknown_blocks"`
}

// Pools counts blocks per pool among blocks with from <= time < to.
// names maps a slug to a display name (nil: the slug).
func Pools(ctx context.Context, r BlockReader, from, to time.Time, names func(slug string) string) (PoolReport, error) {
	if !from.Before(to) {
		return PoolReport{}, hashlab.Invalid("from", from.UTC().Format(time.RFC3339), "a time before to = "+to.UTC().Format(time.RFC3339))
	}
	rep := PoolReport{From: from.Unix(), To: to.Unix()}
	counts := map[string]int64{}
	err := r.BlocksByTime(ctx, rep.From, rep.To, func(b chain.BlockRecord) error {
		slug := b.Pool
		if slug == "" {
			slug = "unknown"
		}
		counts[slug]++
		rep.Blocks++
		return nil
	})
	if err != nil {
		return rep, err
	}
	if rep.Blocks == 0 {
		return rep, ErrNoData
	}
	shares := make([]security.Share, 0, len(counts))
	for slug, n := range counts {
		name := slug
		if names != nil {
			if s := names(slug); s != "" {
				name = s
			}
		}
		rep.Pools = append(rep.Pools, PoolShare{Slug: slug, Name: name, Blocks: n, Share: float64(n) / float64(rep.Blocks)})
		shares = append(shares, security.Share{Name: slug, Share: float64(n)})
		if slug == "unknown" {
			rep.UnknownBlocks = n
		}
	}
	sort.Slice(rep.Pools, func(i, j int) bool {
		if rep.Pools[i].Blocks != rep.Pools[j].Blocks {
			return rep.Pools[i].Blocks > rep.Pools[j].Blocks
		}
		return rep.Pools[i].Slug < rep.Pools[j].Slug
	})
	conc, err := security.Concentration(shares)
	if err != nil {
		return rep, err
	}
	rep.HHI, rep.Nakamoto50, rep.Nakamoto33 = conc.HHI, conc.Nakamoto50, conc.Nakamoto33
	return rep, nil
}

// PoolsWindow is Pools over the window that ends at the newest stored
// block (inclusive).
func PoolsWindow(ctx context.Context, r BlockReader, window time.Duration, names func(string) string) (PoolReport, error) {
	if window <= 0 {
		return PoolReport{}, hashlab.Invalid("window", window, "> 0")
	}
	last, ok, err := r.LastBlock(ctx)
	if err != nil {
		return PoolReport{}, err
	}
	if !ok {
		return PoolReport{}, ErrNoData
	}
	to := time.Unix(last.Time+1, 0)
	return Pools(ctx, r, to.Add(-window), to, names)
}

// exactMean is a running mean that is exact when every value is the same
// (a day or epoch of blocks at one difficulty): each value is added as its
// difference from the first.
type exactMean struct {
	n          int64
	first, sum float64
}

// addN adds v n times.
func (m *exactMean) addN(v float64, n int64) {
	if m.n == 0 {
		m.first = v
	}
	m.n += n
	m.sum += float64(n) * (v - m.first)
}

func (m *exactMean) mean() float64 { return m.first + m.sum/float64(m.n) }

func floorDay(t int64) int64 {
	return t - ((t%86400)+86400)%86400
}

// floorWeek returns the Monday 00:00 UTC of t's ISO week.
func floorWeek(t int64) int64 {
	d := floorDay(t)
	// 1970-01-01 was a Thursday: days since the epoch + 3 mod 7 is the
	// weekday with Monday = 0.
	wd := ((d/86400)+3)%7 + 7
	return d - (wd%7)*86400
}

func date(t int64) string { return time.Unix(t, 0).UTC().Format(time.DateOnly) }

// dayGroups returns the per-day block groups between from and to: the
// store's rollups when r keeps them (GroupReader), else built from the
// blocks.
func dayGroups(ctx context.Context, r BlockReader, p *consensus.Params, from, to int64) ([]BlockGroup, error) {
	if gr, isGR := r.(GroupReader); isGR {
		gs, ok, err := storedGroups(ctx, gr, p, from, to, true)
		if err != nil || ok {
			return gs, err
		}
	}
	return groupBlocks(ctx, r, p, from, to, nil)
}
