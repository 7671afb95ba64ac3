package minerflow

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/hashlab/hashlab"
)

// Tracked is a watched coin with its spend, if any.
type Tracked struct {
	Coin
	Spent       bool   `json:"spent"`
	SpendTime   int64  `json:"spend_time,omitempty"`
	SpendTxID   string `json:"spend_txid,omitempty"`
	SpendHeight int64  `json:"spend_height,omitempty"`
}

// Input is everything Compute needs.
type Input struct {
	// Coins are all the watched coins of the tracked range, spent or not.
	Coins []Tracked
	// Dests are the destinations of the transactions that spent them.
	Dests []Dest
	// Labels maps an address to the entity a user knows owns it; nil for
	// none.
	Labels map[string]string
	// Prices are daily BTC prices in USD keyed by UTC date "2006-01-02".
	Prices map[string]float64
	// FirstTime and LastTime are the block times of the first tracked
	// block and of the tip: the series covers their UTC days.
	FirstTime, LastTime int64
	// From and To (Unix seconds, half-open, 0 for open) keep the days
	// shown; the balance and the moving average still use every day.
	From, To int64
	// Pools names each pool slug (for display); nil keeps slugs.
	PoolName func(slug string) string
}

// AgeProfile is a balance split by the age of its coins at the end of the
// day (days since they were mined), in satoshis.
type AgeProfile struct {
	Under7    int64 `json:"0_7d"`
	D7to30    int64 `json:"7_30d"`
	D30to180  int64 `json:"30_180d"`
	D180to365 int64 `json:"180_365d"`
	Over365   int64 `json:"365d_plus"`
}

// ageEdges are the bucket edges of AgeProfile in days.
var ageEdges = []int64{0, 7, 30, 180, 365, 1 << 40}

func (a *AgeProfile) bucket(i int) *int64 {
	return [...]*int64{&a.Under7, &a.D7to30, &a.D30to180, &a.D180to365, &a.Over365}[i]
}

// Day is one UTC day of one pool (or of all pools).
type Day struct {
	Date string `json:"date"`
	// MinedSats is the value of the coinbase outputs mined that day.
	MinedSats int64 `json:"mined_sats"`
	// FromCoinbaseSats is the value of coinbase outputs spent that day.
	FromCoinbaseSats int64 `json:"from_coinbase_sats"`
	// ToPayoutSats is what those spends paid back to pools' known payout
	// addresses (watched one hop further; not an outflow).
	ToPayoutSats int64 `json:"to_payout_sats"`
	// FromPayoutSats is the value of payout-address outputs spent that
	// day.
	FromPayoutSats int64 `json:"from_payout_sats"`
	// OutflowSats is what left the watched coins: FromCoinbase -
	// ToPayout + FromPayout (fees included).
	OutflowSats int64 `json:"outflow_sats"`
	// BalanceSats is the value still unspent at the end of the day.
	BalanceSats int64      `json:"balance_sats"`
	BalanceAge  AgeProfile `json:"balance_by_age_sats"`
	// PriceUSD is the day's price; null when none is stored.
	PriceUSD   *hashlab.Num `json:"price_usd"`
	OutflowUSD *hashlab.Num `json:"outflow_usd"`
	// OutflowUSDMA365 is the mean of OutflowUSD over the 365 days ending
	// that day; null unless every one of them is tracked and priced.
	OutflowUSDMA365 *hashlab.Num `json:"outflow_usd_ma365"`
	// MPI is OutflowUSD / OutflowUSDMA365; null when either is.
	MPI *hashlab.Num `json:"mpi"`
	// ToLabelled is the outflow paid to addresses of the labels file, in
	// BTC by entity (the share of each spending transaction's labelled
	// outputs, times what left the watched coins in it).
	ToLabelled map[string]float64 `json:"to_labelled_btc,omitempty"`
}

// PoolSeries is the daily series of one pool, or of all pools (Pool "all").
type PoolSeries struct {
	Pool string `json:"pool"`
	Name string `json:"name"`
	Days []Day  `json:"days"`
}

// Series is Compute's answer.
type Series struct {
	FirstDay string       `json:"first_day"`
	LastDay  string       `json:"last_day"`
	Total    PoolSeries   `json:"total"`
	Pools    []PoolSeries `json:"pools"`
}

// MPIDefinition says what MPI is, with its source.
const MPIDefinition = "Miners' Position Index: the day's miner outflow in USD divided by the 365-day moving average of miner outflow in USD (CryptoQuant's definition, https://dataguide.cryptoquant.com/miner-flows-indicators/miners-position-index; CryptoQuant's newer charts also publish a 365-day z-score of this ratio, which this is not); here the outflow is what left the tracked coinbase and payout-address outputs"

// AllPools is the Pool of the series over every pool.
const AllPools = "all"

const daySec = 86400

func dayOf(t int64) int64 {
	d := t / daySec
	if t < 0 && t%daySec != 0 {
		d--
	}
	return d
}

func dateOf(d int64) string { return time.Unix(d*daySec, 0).UTC().Format(time.DateOnly) }

// acc accumulates one pool's daily values over days first..last.
type acc struct {
	mined, fromCB, toPay, fromPay []int64
	delta                         []int64   // balance change
	age                           [][]int64 // per bucket, difference array
	labelled                      []map[string]float64
}

func newAcc(n int) *acc {
	a := &acc{mined: make([]int64, n), fromCB: make([]int64, n), toPay: make([]int64, n), fromPay: make([]int64, n), delta: make([]int64, n+1), labelled: make([]map[string]float64, n)}
	a.age = make([][]int64, len(ageEdges)-1)
	for i := range a.age {
		a.age[i] = make([]int64, n+1)
	}
	return a
}

// ceilDiv is ⌈a/b⌉ for b > 0.
func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

// add records coin c (alive on days [c0, s) of the series, indices
// relative to first).
func (a *acc) add(c Tracked, first, n int64) {
	ci := dayOf(c.Time) - first
	si := n
	if c.Spent {
		si = dayOf(c.SpendTime) - first
	}
	ci, si = max(0, min(ci, n)), max(0, min(si, n))
	if ci < n {
		if c.Kind == KindCoinbase {
			a.mined[ci] += c.Sats
		} else {
			a.toPay[ci] += c.Sats
		}
	}
	if c.Spent && si < n {
		if c.Kind == KindCoinbase {
			a.fromCB[si] += c.Sats
		} else {
			a.fromPay[si] += c.Sats
		}
	}
	if si <= ci {
		return
	}
	a.delta[ci] += c.Sats
	a.delta[si] -= c.Sats
	// At the end of day d (time (first+d+1)·86400) the coin is
	// (first+d+1)·86400 - MinedTime seconds old; bucket b holds ages in
	// [edge_b, edge_b+1) days.
	for b := range len(ageEdges) - 1 {
		lo := ceilDiv(c.MinedTime+ageEdges[b]*daySec, daySec) - 1 - first
		hi := ceilDiv(c.MinedTime+min(ageEdges[b+1], 1<<30)*daySec, daySec) - 1 - first
		lo, hi = max(lo, ci), min(hi, si)
		if b == len(ageEdges)-2 {
			hi = si
		}
		if lo < hi {
			a.age[b][lo] += c.Sats
			a.age[b][hi] -= c.Sats
		}
	}
}

func (a *acc) label(i int64, entity string, btc float64) {
	if a.labelled[i] == nil {
		a.labelled[i] = map[string]float64{}
	}
	a.labelled[i][entity] += btc
}

// Compute builds the daily series of every pool and of all pools together.
func Compute(in Input) Series {
	first, last := dayOf(in.FirstTime), dayOf(in.LastTime)
	if last < first {
		last = first
	}
	n := last - first + 1
	total := newAcc(int(n))
	per := map[string]*acc{}
	get := func(pool string) *acc {
		if a, ok := per[pool]; ok {
			return a
		}
		a := newAcc(int(n))
		per[pool] = a
		return a
	}
	// What left the watched coins in each spending transaction, per pool.
	leave := map[string]map[string]int64{}
	addLeave := func(txid, pool string, sats int64) {
		m := leave[txid]
		if m == nil {
			m = map[string]int64{}
			leave[txid] = m
		}
		m[pool] += sats
	}
	for _, c := range in.Coins {
		total.add(c, first, n)
		get(c.Pool).add(c, first, n)
		if c.Spent {
			addLeave(c.SpendTxID, c.Pool, c.Sats)
		}
		if c.Kind == KindPayout {
			addLeave(c.TxID, c.Pool, -c.Sats)
		}
	}
	if len(in.Labels) > 0 {
		destSum := map[string]int64{}
		for _, d := range in.Dests {
			destSum[d.SpendTxID] += d.Sats
		}
		for _, d := range in.Dests {
			e, ok := in.Labels[d.Address]
			if !ok || d.Address == "" || destSum[d.SpendTxID] <= 0 {
				continue
			}
			i := dayOf(d.Time) - first
			if i < 0 || i >= n {
				continue
			}
			frac := float64(d.Sats) / float64(destSum[d.SpendTxID])
			for pool, sats := range leave[d.SpendTxID] {
				if sats <= 0 {
					continue
				}
				btc := frac * float64(sats) / 1e8
				get(pool).label(i, e, btc)
				total.label(i, e, btc)
			}
		}
	}
	s := Series{FirstDay: dateOf(first), LastDay: dateOf(last)}
	name := func(p string) string {
		if in.PoolName != nil {
			if nm := in.PoolName(p); nm != "" {
				return nm
			}
		}
		return p
	}
	s.Total = PoolSeries{Pool: AllPools, Name: "all pools", Days: total.days(first, n, in)}
	for _, p := range slices.Sorted(maps.Keys(per)) {
		s.Pools = append(s.Pools, PoolSeries{Pool: p, Name: name(p), Days: per[p].days(first, n, in)})
	}
	slices.SortStableFunc(s.Pools, func(a, b PoolSeries) int {
		return cmp.Compare(lastBalance(b)+sumMined(b), lastBalance(a)+sumMined(a))
	})
	return s
}

func lastBalance(p PoolSeries) int64 {
	if len(p.Days) == 0 {
		return 0
	}
	return p.Days[len(p.Days)-1].BalanceSats
}

func sumMined(p PoolSeries) int64 {
	var s int64
	for _, d := range p.Days {
		s += d.MinedSats
	}
	return s
}

func num(v float64) *hashlab.Num {
	n := hashlab.Num(v)
	if !n.Defined() {
		return nil
	}
	return &n
}

// days turns the accumulators into days, keeping those in [in.From, in.To).
func (a *acc) days(first, n int64, in Input) []Day {
	out := make([]Day, 0, n)
	var bal int64
	ages := make([]int64, len(a.age))
	usd := make([]*float64, n)
	for i := range n {
		bal += a.delta[i]
		for b := range ages {
			ages[b] += a.age[b][i]
		}
		d := Day{
			Date:             dateOf(first + i),
			MinedSats:        a.mined[i],
			FromCoinbaseSats: a.fromCB[i],
			ToPayoutSats:     a.toPay[i],
			FromPayoutSats:   a.fromPay[i],
			OutflowSats:      a.fromCB[i] - a.toPay[i] + a.fromPay[i],
			BalanceSats:      bal,
			ToLabelled:       a.labelled[i],
		}
		for b := range ages {
			*d.BalanceAge.bucket(b) = ages[b]
		}
		if p, ok := in.Prices[d.Date]; ok && p > 0 {
			d.PriceUSD = num(p)
			u := float64(d.OutflowSats) / 1e8 * p
			usd[i] = &u
			d.OutflowUSD = num(u)
		}
		if i >= 364 {
			sum, ok := 0.0, true
			for j := i - 364; j <= i; j++ {
				if usd[j] == nil {
					ok = false
					break
				}
				sum += *usd[j]
			}
			if ok {
				ma := sum / 365
				d.OutflowUSDMA365 = num(ma)
				if d.OutflowUSD != nil && ma > 0 {
					d.MPI = num(*usd[i] / ma)
				}
			}
		}
		t := (first + i) * daySec
		if (in.From != 0 && t < in.From) || (in.To != 0 && t >= in.To) {
			continue
		}
		out = append(out, d)
	}
	return out
}
