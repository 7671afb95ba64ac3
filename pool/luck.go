package pool

import (
	"fmt"
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hashlab/hashlab"
)

func inputErr(field string, value any, allowed string) error {
	return hashlab.Invalid(field, value, allowed)
}

// Luck is k blocks found against λ expected, with exact Poisson bands.
type Luck struct {
	Blocks         int64   `json:"blocks"`
	ExpectedBlocks float64 `json:"expected_blocks"`
	// Ratio is Blocks / ExpectedBlocks (1 = as expected); null when
	// nothing was expected.
	Ratio hashlab.Num `json:"luck"`
	// Lower and Upper are the exact (Garwood) confidence interval for the
	// true luck: the Poisson mean's interval given k, divided by λ.
	Lower hashlab.Num `json:"lower"`
	Upper hashlab.Num `json:"upper"`
	// BandLower and BandUpper are the central interval of k/λ were the
	// luck exactly 1 (the reported hashrate true): Poisson(λ) quantiles
	// divided by λ. Luck outside it is unusual at that confidence.
	BandLower hashlab.Num `json:"band_lower"`
	BandUpper hashlab.Num `json:"band_upper"`
	// PValue is the exact two-sided p-value of k under Poisson(λ):
	// min(1, 2·min(P(X ≤ k), P(X ≥ k))).
	PValue     hashlab.Num `json:"p_value"`
	Confidence float64     `json:"confidence"`
}

// PoissonLuck is the luck of k blocks found where λ were expected, with
// the exact bands at confidence (0 < c < 1). λ = 0 gives null luck and
// bands.
func PoissonLuck(k int64, lambda, confidence float64) (Luck, error) {
	switch {
	case k < 0:
		return Luck{}, inputErr("blocks", k, ">= 0")
	case !(lambda >= 0) || math.IsInf(lambda, 0):
		return Luck{}, inputErr("expected blocks", lambda, "a finite number >= 0")
	case !(confidence > 0 && confidence < 1):
		return Luck{}, inputErr("confidence", confidence, "0 < c < 1")
	}
	nan := hashlab.Num(math.NaN())
	l := Luck{Blocks: k, ExpectedBlocks: lambda, Confidence: confidence, Ratio: nan, Lower: nan, Upper: nan, BandLower: nan, BandUpper: nan, PValue: nan}
	if lambda == 0 {
		return l, nil
	}
	lo, hi := GarwoodInterval(k, confidence)
	a := (1 - confidence) / 2
	l.Ratio = hashlab.Num(float64(k) / lambda)
	l.Lower, l.Upper = hashlab.Num(lo/lambda), hashlab.Num(hi/lambda)
	l.BandLower = hashlab.Num(float64(PoissonQuantile(a, lambda)) / lambda)
	l.BandUpper = hashlab.Num(float64(PoissonQuantile(1-a, lambda)) / lambda)
	l.PValue = hashlab.Num(math.Min(1, 2*math.Min(PoissonCDF(k, lambda), PoissonSurvival(k, lambda))))
	return l, nil
}

// GarwoodInterval is the exact equal-tailed confidence interval for a
// Poisson mean given k observed events (Garwood 1936): the lower limit is
// the α/2 quantile of Gamma(k, 1) (0 for k = 0), the upper the 1−α/2
// quantile of Gamma(k+1, 1); equivalently χ²(2k, α/2)/2 and
// χ²(2k+2, 1−α/2)/2.
func GarwoodInterval(k int64, confidence float64) (lo, hi float64) {
	a := (1 - confidence) / 2
	if k > 0 {
		lo = distuv.Gamma{Alpha: float64(k), Beta: 1}.Quantile(a)
	}
	hi = distuv.Gamma{Alpha: float64(k + 1), Beta: 1}.Quantile(1 - a)
	return lo, hi
}

// PoissonCDF is P(X ≤ k) for X ~ Poisson(λ): the regularised upper
// incomplete gamma Q(k+1, λ).
func PoissonCDF(k int64, lambda float64) float64 {
	if k < 0 {
		return 0
	}
	return mathext.GammaIncRegComp(float64(k+1), lambda)
}

// PoissonSurvival is P(X ≥ k): the regularised lower incomplete gamma
// P(k, λ), 1 for k ≤ 0.
func PoissonSurvival(k int64, lambda float64) float64 {
	if k <= 0 {
		return 1
	}
	return mathext.GammaIncReg(float64(k), lambda)
}

// PoissonQuantile is the smallest k with P(X ≤ k) ≥ p for X ~ Poisson(λ).
func PoissonQuantile(p, lambda float64) int64 {
	if lambda <= 0 || p <= 0 {
		return 0
	}
	// Bracket around the normal approximation, then bisect on integers.
	lo, hi := int64(0), int64(lambda+10*math.Sqrt(lambda)+10)
	for PoissonCDF(hi, lambda) < p {
		hi *= 2
	}
	if c := int64(lambda - 10*math.Sqrt(lambda) - 10); c > 0 && PoissonCDF(c, lambda) < p {
		lo = c
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if PoissonCDF(mid, lambda) >= p {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// DayHashrate is a pool's (or account's) mean hashrate over one UTC day.
type DayHashrate struct {
	Date       string  `json:"date"` // YYYY-MM-DD, UTC
	HashrateHs float64 `json:"hashrate_hs"`
}

// Period is how luck is grouped: by day, month, year or over the whole
// range.
type Period string

// Periods.
const (
	Daily   Period = "day"
	Monthly Period = "month"
	Yearly  Period = "year"
	Whole   Period = "all"
)

// ParsePeriod accepts day, month, year or all.
func ParsePeriod(s string) (Period, error) {
	switch p := Period(s); p {
	case Daily, Monthly, Yearly, Whole:
		return p, nil
	}
	return "", inputErr("every", s, "day, month, year or all")
}

// key is the period a UTC date belongs to.
func (p Period) key(date string) string {
	switch p {
	case Monthly:
		return date[:7]
	case Yearly:
		return date[:4]
	case Whole:
		return "all"
	}
	return date
}

// LuckInputs is a whole pool's luck question: its reported hashrate per
// day and the header times of its blocks.
type LuckInputs struct {
	Pool       string
	Days       []DayHashrate
	BlockTimes []int64 // header times (Unix s) of the pool's blocks
	Timeline   Timeline
	Every      Period
	Confidence float64
}

// PeriodLuck is the luck of one period.
type PeriodLuck struct {
	Period string `json:"period"`
	From   string `json:"from"` // first day, inclusive
	To     string `json:"to"`   // last day, inclusive
	Days   int    `json:"days"`
	// MeanHashrateHs is the mean of the days' reported hashrates.
	MeanHashrateHs float64 `json:"mean_hashrate_hs"`
	Luck
}

// LuckReport is a pool's luck per period and over all the days.
type LuckReport struct {
	Pool    string       `json:"pool"`
	Every   Period       `json:"every"`
	Periods []PeriodLuck `json:"periods"`
	Total   PeriodLuck   `json:"total"`
	// BlocksOutside counts the pool's blocks on days without a reported
	// hashrate; they are in no period.
	BlocksOutside int64 `json:"blocks_outside"`
}

// dayStart parses a UTC date.
func dayStart(field, date string) (int64, error) {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return 0, inputErr(field, date, "a UTC date YYYY-MM-DD")
	}
	return t.Unix(), nil
}

// PoolLuck compares the blocks a pool found on each day with those its
// reported hashrate should have found at the day's difficulty, and
// groups the days by in.Every. A day counts the blocks whose header time
// falls in it (UTC). Every day must be covered by the timeline.
func PoolLuck(in LuckInputs) (LuckReport, error) {
	if in.Every == "" {
		in.Every = Whole
	}
	if _, err := ParsePeriod(string(in.Every)); err != nil {
		return LuckReport{}, err
	}
	if !(in.Confidence > 0 && in.Confidence < 1) {
		return LuckReport{}, inputErr("confidence", in.Confidence, "0 < c < 1")
	}
	if len(in.Days) == 0 {
		return LuckReport{}, inputErr("hashrate", "no days", "at least one day with a reported hashrate")
	}
	days := append([]DayHashrate(nil), in.Days...)
	sort.Slice(days, func(i, j int) bool { return days[i].Date < days[j].Date })
	blocksByDay := map[int64]int64{}
	for _, t := range in.BlockTimes {
		blocksByDay[t-((t%86400)+86400)%86400]++
	}
	type acc struct {
		from, to      string
		days          int
		k             int64
		lambda, hsSum float64
	}
	var order []string
	accs := map[string]*acc{}
	var total acc
	var inside int64
	for i, d := range days {
		if i > 0 && d.Date == days[i-1].Date {
			return LuckReport{}, inputErr("date", d.Date, "each day once")
		}
		if !(d.HashrateHs >= 0) || math.IsInf(d.HashrateHs, 0) {
			return LuckReport{}, inputErr("hashrate of "+d.Date, d.HashrateHs, "a finite number >= 0 (H/s)")
		}
		start, err := dayStart("date", d.Date)
		if err != nil {
			return LuckReport{}, err
		}
		lambda := in.Timeline.ExpectedBlocks(d.HashrateHs, start, start+86400)
		if math.IsNaN(lambda) {
			return LuckReport{}, inputErr("date", d.Date, "a day the difficulty timeline covers (from its first block)")
		}
		k := blocksByDay[start]
		inside += k
		key := in.Every.key(d.Date)
		a, ok := accs[key]
		if !ok {
			a = &acc{from: d.Date}
			accs[key] = a
			order = append(order, key)
		}
		for _, x := range []*acc{a, &total} {
			if x.days == 0 {
				x.from = d.Date
			}
			x.to = d.Date
			x.days++
			x.k += k
			x.lambda += lambda
			x.hsSum += d.HashrateHs
		}
	}
	mk := func(key string, a *acc) (PeriodLuck, error) {
		l, err := PoissonLuck(a.k, a.lambda, in.Confidence)
		return PeriodLuck{Period: key, From: a.from, To: a.to, Days: a.days, MeanHashrateHs: a.hsSum / float64(a.days), Luck: l}, err
	}
	rep := LuckReport{Pool: in.Pool, Every: in.Every, BlocksOutside: int64(len(in.BlockTimes)) - inside}
	for _, key := range order {
		pl, err := mk(key, accs[key])
		if err != nil {
			return LuckReport{}, err
		}
		rep.Periods = append(rep.Periods, pl)
	}
	t, err := mk("all", &total)
	if err != nil {
		return LuckReport{}, fmt.Errorf("pool: %w", err)
	}
	rep.Total = t
	return rep, nil
}
