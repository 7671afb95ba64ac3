package mining

import (
	"math"
	"sort"

	"github.com/hashlab/hashlab"
)

// DefaultLifeYears is a machine's economic life when none is given: five
// years, the upper end of the three-to-five-year straight-line
// depreciation public miners state for their ASICs. A life of Y years is
// LifeDays(Y) = round(Y × 365.25) days (5 years: 1,826 days).
const DefaultLifeYears = 5

// MaxLifeYears bounds a machine's life.
const MaxLifeYears = 15

// LifeDays is the number of whole days in years of 365.25 days.
func LifeDays(years float64) int { return int(math.Round(years * 365.25)) }

// DailyMarginUSD is one machine's cash margin on a day whose gross
// hashprice is hpUSDPerPHDay (USD per PH/s per day):
//
//	hp/1000 × TH/s × uptime × (1 − pool fee) − W/1000 × 24 × uptime × (power + overhead USD/kWh)
//
// the same revenue and cost as Evaluate (the machine hashes and draws
// power for the uptime fraction of the day). Only the power and fee
// fields of c are used; its hashvalue and price are not.
func DailyMarginUSD(m Model, hpUSDPerPHDay float64, c Conditions) float64 {
	rev := hpUSDPerPHDay / 1000 * m.HashrateTHs * c.netFactor()
	cost := m.PowerW / 1000 * 24 * c.Uptime * (c.PowerUSDPerKWh + c.OverheadUSDPerKWh)
	return rev - cost
}

// Purchase is the result of buying one machine at a price and running it
// for its life along one daily hashprice path.
//
// Conventions: the machine is paid at t = 0 and day d's margin (d = 1..L,
// L the life in days) arrives at the end of day d; no salvage value, tax,
// financing or hosting deposit. With Curtail the machine is switched off on
// a day whose margin would be negative (that day's margin is 0).
type Purchase struct {
	MachinePriceUSD float64 `json:"machine_price_usd"`
	LifeDays        int     `json:"life_days"`
	// FirstDayMarginUSD is day 1's margin (at a flat path, every day's).
	FirstDayMarginUSD float64 `json:"first_day_margin_usd"`
	// LifetimeMarginUSD is Σ margin over the life; NetUSD that minus the
	// price.
	LifetimeMarginUSD float64 `json:"lifetime_margin_usd"`
	NetUSD            float64 `json:"net_usd"`
	// PaybackDays is the first day d whose cumulative margin Σ_{i≤d}
	// covers the machine price; null when that does not happen within the
	// life ("never").
	PaybackDays *int `json:"payback_days"`
	// ROI is NetUSD / price over the life.
	ROI float64 `json:"roi"`
	// IRRAnnual is the internal rate of return of the daily cash flows
	// (−price at t = 0, margin_d at day d), annualised as (1+r)^365.25 − 1
	// from the daily rate r; null when no daily rate from −0.0189 (−99.9% a
	// year) to +1 (doubling every day) sets the net present value to 0,
	// e.g. when no day has a positive margin.
	IRRAnnual hashlab.Num `json:"irr_annual"`
}

// EvaluatePurchase runs one machine of model m bought for priceUSD (> 0)
// along the daily gross hashprice path hp (USD/PH/day, day 1 first; its
// length is the life). Non-finite path values count as a day with no
// revenue.
func EvaluatePurchase(m Model, priceUSD float64, hp []float64, c Conditions, curtail bool) (Purchase, error) {
	if err := m.Validate(); err != nil {
		return Purchase{}, err
	}
	if !(priceUSD > 0) || math.IsInf(priceUSD, 0) {
		return Purchase{}, inputErr("machine_price", priceUSD, "> 0 USD")
	}
	if len(hp) == 0 {
		return Purchase{}, inputErr("life", 0, ">= 1 day")
	}
	cc := c
	cc.HashvalueBTCPerPHDay, cc.PriceUSD = 0, 0
	if err := cc.Validate(); err != nil {
		return Purchase{}, err
	}
	flows := make([]float64, len(hp))
	p := Purchase{MachinePriceUSD: priceUSD, LifeDays: len(hp)}
	cum := 0.0
	for d, h := range hp {
		if math.IsNaN(h) || math.IsInf(h, 0) {
			h = 0
		}
		mg := DailyMarginUSD(m, h, c)
		if curtail && mg < 0 {
			mg = 0
		}
		flows[d] = mg
		cum += mg
		if p.PaybackDays == nil && cum >= priceUSD {
			day := d + 1
			p.PaybackDays = &day
		}
	}
	p.FirstDayMarginUSD = flows[0]
	p.LifetimeMarginUSD = cum
	p.NetUSD = cum - priceUSD
	p.ROI = p.NetUSD / priceUSD
	p.IRRAnnual = hashlab.Num(irrAnnual(priceUSD, flows))
	return p, nil
}

// npv is the net present value at daily rate r of −price at t = 0 and
// flows[d-1] at day d.
func npv(price float64, flows []float64, r float64) float64 {
	v, disc := -price, 1.0
	f := 1 / (1 + r)
	for _, x := range flows {
		disc *= f
		v += x * disc
	}
	return v
}

// irrAnnual finds the daily rate r with npv = 0 by bisection on
// [−0.0189, 1] a day (−99.9% a year to doubling every day) and annualises
// it; NaN when npv does not change sign on the bracket.
func irrAnnual(price float64, flows []float64) float64 {
	lo, hi := -0.0189, 1.0
	flo, fhi := npv(price, flows, lo), npv(price, flows, hi)
	if math.IsNaN(flo) || math.IsNaN(fhi) || flo*fhi > 0 {
		return math.NaN()
	}
	for range 200 {
		mid := (lo + hi) / 2
		fm := npv(price, flows, mid)
		if fm == 0 {
			lo, hi = mid, mid
			break
		}
		if (fm > 0) == (flo > 0) {
			lo, flo = mid, fm
		} else {
			hi = mid
		}
		if hi-lo < 1e-15 {
			break
		}
	}
	return math.Pow(1+(lo+hi)/2, 365.25) - 1
}

// FlatPath is days days of the same hashprice.
func FlatPath(hpUSDPerPHDay float64, days int) []float64 {
	p := make([]float64, days)
	for i := range p {
		p[i] = hpUSDPerPHDay
	}
	return p
}

// HalvingPath is days days of hashprice that starts at hp0 and, at each
// halving, keeps only the fees and the halved subsidy: with fee share f of
// miner revenue today, after k halvings hp = hp0 × ((1 − f)/2^k + f).
// Difficulty, fees per block and the BTC price are held at today's values.
// The first halving takes effect on day ceil(daysToHalving) + 1 (the day
// after the one it falls in), the next ones every intervalDays.
func HalvingPath(hp0, feeShare, daysToHalving, intervalDays float64, days int) []float64 {
	p := make([]float64, days)
	for i := range p {
		t := float64(i + 1) // day i+1 ends at t = i+1 days
		k := 0
		if t > daysToHalving && intervalDays > 0 {
			k = 1 + int(math.Floor((t-daysToHalving)/intervalDays-1e-12))
		}
		p[i] = hp0 * ((1-feeShare)/math.Pow(2, float64(k)) + feeShare)
	}
	return p
}

// Quantiles are p5, p25, p50, p75, p95 of a per-path number (type-7
// interpolation between order statistics, R's default); null where
// undefined (for payback days, a quantile that falls among the paths that
// never pay back).
type Quantiles struct {
	P5  hashlab.Num `json:"p5"`
	P25 hashlab.Num `json:"p25"`
	P50 hashlab.Num `json:"p50"`
	P75 hashlab.Num `json:"p75"`
	P95 hashlab.Num `json:"p95"`
}

// QuantilesOf sorts a copy of xs (+Inf sorts last) and interpolates.
func QuantilesOf(xs []float64) Quantiles {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	q := func(p float64) hashlab.Num {
		if len(s) == 0 {
			return hashlab.Num(math.NaN())
		}
		h := (float64(len(s)) - 1) * p
		lo := int(math.Floor(h))
		hi := min(lo+1, len(s)-1)
		if s[lo] == s[hi] || h == float64(lo) {
			return hashlab.Num(s[lo])
		}
		return hashlab.Num(s[lo] + (h-float64(lo))*(s[hi]-s[lo]))
	}
	return Quantiles{q(0.05), q(0.25), q(0.5), q(0.75), q(0.95)}
}

// PurchaseBands summarise one machine's purchase over Monte Carlo paths.
type PurchaseBands struct {
	Paths int `json:"paths"`
	// ProbPaybackWithinLife is the share of paths whose cumulative margin
	// covers the price within the life.
	ProbPaybackWithinLife hashlab.Num `json:"prob_payback_within_life"`
	PaybackDays           Quantiles   `json:"payback_days"`
	ROI                   Quantiles   `json:"roi"`
	// IRRAnnual's quantiles are over the paths that have an IRR only (as
	// the flat path's IRR is null when none solves it); a quantile is
	// null when too few paths have one (DefinedQuantiles).
	// IRRUndefinedShare is the share of paths without an IRR.
	IRRAnnual         Quantiles   `json:"irr_annual"`
	IRRUndefinedShare hashlab.Num `json:"irr_undefined_share"`
	// MeanROI is the average ROI over paths.
	MeanROI hashlab.Num `json:"mean_roi"`
}

// SummarisePurchases reduces per-path purchases to bands.
func SummarisePurchases(ps []Purchase) PurchaseBands {
	b := PurchaseBands{Paths: len(ps)}
	if len(ps) == 0 {
		nan := hashlab.Num(math.NaN())
		b.PaybackDays = Quantiles{nan, nan, nan, nan, nan}
		b.ROI, b.IRRAnnual = b.PaybackDays, b.PaybackDays
		b.ProbPaybackWithinLife, b.MeanROI, b.IRRUndefinedShare = nan, nan, nan
		return b
	}
	pay, roi, irr := make([]float64, len(ps)), make([]float64, len(ps)), make([]float64, 0, len(ps))
	n, sum := 0, 0.0
	for i, p := range ps {
		pay[i] = math.Inf(1)
		if p.PaybackDays != nil {
			pay[i] = float64(*p.PaybackDays)
			n++
		}
		roi[i] = p.ROI
		sum += p.ROI
		if p.IRRAnnual.Defined() {
			irr = append(irr, float64(p.IRRAnnual))
		}
	}
	b.ProbPaybackWithinLife = hashlab.Num(float64(n) / float64(len(ps)))
	b.MeanROI = hashlab.Num(sum / float64(len(ps)))
	b.IRRUndefinedShare = hashlab.Num(float64(len(ps)-len(irr)) / float64(len(ps)))
	b.PaybackDays, b.ROI, b.IRRAnnual = QuantilesOf(pay), QuantilesOf(roi), DefinedQuantiles(irr)
	return b
}

// DefinedQuantiles are the quantiles of the defined values xs, each null
// unless at least one value lies beyond it on either side in
// expectation: pX needs n·min(X, 1−X) >= 1 values (p5 and p95 20, p25
// and p75 4, p50 2).
func DefinedQuantiles(xs []float64) Quantiles {
	q := QuantilesOf(xs)
	n := float64(len(xs))
	need := func(v hashlab.Num, p float64) hashlab.Num {
		if n*min(p, 1-p) < 1-1e-9 {
			return hashlab.Num(math.NaN())
		}
		return v
	}
	return Quantiles{need(q.P5, 0.05), need(q.P25, 0.25), need(q.P50, 0.5), need(q.P75, 0.75), need(q.P95, 0.95)}
}
