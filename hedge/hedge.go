package hedge

import (
	"fmt"
	"math"
	"slices"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hashprice"
)

// DaysPerMonth is the length of a contract month in days: 365.25/12.
const DaysPerMonth = 365.25 / 12

// MaxTermMonths is the longest term TermDays accepts.
const MaxTermMonths = 36

// TermDays is the number of daily settlements of a term of months months:
// round(months × 365.25/12) (183 days for 6 months). Errors: an
// *hashlab.InputError for months outside 1..MaxTermMonths.
func TermDays(months int) (int, error) {
	if months < 1 || months > MaxTermMonths {
		return 0, hashlab.Invalid("term_months", months, fmt.Sprintf("1 to %d", MaxTermMonths))
	}
	return int(math.Round(float64(months) * DaysPerMonth)), nil
}

// CostUSDPerPHDay is the daily power cost of 1 PH/s at efficiency
// joulesPerTH (J/TH) and power price usdPerKWh (USD/kWh):
// hashprice.EnergyKWhPerTHDay × 1000 TH/PH × USD/kWh (= J/TH × 24 ×
// USD/kWh; 17.5 J/TH at $0.06/kWh: $25.20/PH/day).
func CostUSDPerPHDay(usdPerKWh, joulesPerTH float64) float64 {
	return hashprice.EnergyKWhPerTHDay(joulesPerTH) * 1000 * usdPerKWh
}

// Num is a float64 whose undefined values encode as JSON null (the
// shared hashlab.Num).
type Num = hashlab.Num

// Paths are Monte Carlo paths of daily values, indexed [path][day], day 0
// being the first day of the term. Both slices have the same shape.
type Paths struct {
	// HashpriceUSDPerPHDay is the realised hashprice, USD per PH/s per day.
	HashpriceUSDPerPHDay [][]float64
	// PriceUSD is the BTC price, USD; it turns hashprice into hashvalue
	// (BTC/PH/day = hashprice / price) for the BTC forward.
	PriceUSD [][]float64
}

// Contract is the hedge to value.
type Contract struct {
	// TermDays is the number of daily settlements, from day 0 (>= 1).
	TermDays int
	// StrikeUSDPerPHDay is the forward's fixed price; NaN: the fair
	// forward.
	StrikeUSDPerPHDay float64
	// HedgeRatio is the fraction of production sold forward, 0..1; NaN:
	// the minimum-variance ratio clamped to [0, 1] (1 when it is
	// undefined because the realised hashprice does not vary).
	HedgeRatio float64
	// CostUSDPerPHDay is the operator's all-in cost, USD per PH/s per day.
	CostUSDPerPHDay float64
	// Curtail switches the machines off on days whose hashprice is below
	// the cost (the cost is then avoided): daily margin max(hp−C, 0)
	// instead of hp−C. The forward still settles on every day.
	Curtail bool
}

// Quantiles summarise one number over the paths: the p5..p95 quantiles
// (linear interpolation between order statistics, Hyndman & Fan type 7,
// R's default) and the mean.
type Quantiles struct {
	P5   Num `json:"p5"`
	P25  Num `json:"p25"`
	P50  Num `json:"p50"`
	P75  Num `json:"p75"`
	P95  Num `json:"p95"`
	Mean Num `json:"mean"`
}

// Result is the valuation of a Contract over Paths. Every USD amount is
// per PH/s per day of term (the term average); undefined values are NaN
// (JSON null).
type Result struct {
	Paths    int `json:"paths"`
	TermDays int `json:"term_days"`
	// FairForwardUSDPerPHDay is E[R], the mean over paths of the term's
	// average hashprice; FairForwardStdErrUSDPerPHDay its Monte Carlo
	// standard error s_R/√n (null for one path).
	FairForwardUSDPerPHDay       Num  `json:"fair_forward_usd_per_ph_day"`
	FairForwardStdErrUSDPerPHDay Num  `json:"fair_forward_stderr_usd_per_ph_day"`
	StrikeUSDPerPHDay            Num  `json:"strike_usd_per_ph_day"`
	CostUSDPerPHDay              Num  `json:"cost_usd_per_ph_day"`
	Curtail                      bool `json:"curtail"`
	// RealisedUSDPerPHDay is the distribution of R over the paths.
	RealisedUSDPerPHDay Quantiles `json:"realised_usd_per_ph_day"`
	// Swap value to the seller, h × (K − R), per PH/s per day.
	SwapValueUSDPerPHDay Quantiles `json:"swap_value_usd_per_ph_day"`
	// UnhedgedMarginUSDPerPHDay is M, the term's average daily margin;
	// HedgedMarginUSDPerPHDay is M + h(K − R).
	UnhedgedMarginUSDPerPHDay Quantiles `json:"unhedged_margin_usd_per_ph_day"`
	HedgedMarginUSDPerPHDay   Quantiles `json:"hedged_margin_usd_per_ph_day"`
	UnhedgedStdDevUSDPerPHDay Num       `json:"unhedged_margin_stddev_usd_per_ph_day"`
	HedgedStdDevUSDPerPHDay   Num       `json:"hedged_margin_stddev_usd_per_ph_day"`
	// MinVarianceHedgeRatio is h* = Cov(M, R)/Var(R), unclamped (null when
	// R does not vary); HedgeRatio is the ratio applied.
	MinVarianceHedgeRatio Num `json:"min_variance_hedge_ratio"`
	HedgeRatio            Num `json:"hedge_ratio"`
	// VarianceReduction is 1 − Var(hedged)/Var(unhedged) at HedgeRatio
	// (Corr(M, R)² at h*); null when M does not vary.
	VarianceReduction Num `json:"variance_reduction"`
	// ProbLossUnhedged and ProbLossHedged are the shares of paths whose
	// term margin is below zero.
	ProbLossUnhedged Num `json:"prob_loss_unhedged"`
	ProbLossHedged   Num `json:"prob_loss_hedged"`
	// BTC is the BTC-denominated forward on hashvalue.
	BTC BTCForward `json:"btc"`
}

// BTCForward sells production forward in BTC: fixed hashvalue K_BTC
// (BTC/PH/day) against the realised V = (1/T) Σ_d hp_d/price_d.
type BTCForward struct {
	// FairForwardBTCPerPHDay is E[V]; its standard error s_V/√n.
	FairForwardBTCPerPHDay       Num `json:"fair_forward_btc_per_ph_day"`
	FairForwardStdErrBTCPerPHDay Num `json:"fair_forward_stderr_btc_per_ph_day"`
	FairForwardSatsPerPHDay      Num `json:"fair_forward_sats_per_ph_day"`
	// TermBTCPerPH is the BTC one PH/s sells forward over the term at the
	// fair forward: T × E[V].
	TermBTCPerPH Num `json:"term_btc_per_ph"`
	// RealisedBTCPerPHDay is the distribution of V.
	RealisedBTCPerPHDay Quantiles `json:"realised_btc_per_ph_day"`
	// HedgedMarginUSDPerPHDay is the USD margin when the fraction h of
	// production is sold at the fair BTC forward, each day's BTC settled
	// at that day's price: M + h × (1/T) Σ_d (K_BTC − hv_d) × price_d =
	// M + h(K_BTC·P̄ − R), P̄ the term's mean price. It removes the
	// difficulty risk and keeps the price risk.
	HedgedMarginUSDPerPHDay Quantiles `json:"hedged_margin_usd_per_ph_day"`
	HedgedStdDevUSDPerPHDay Num       `json:"hedged_margin_stddev_usd_per_ph_day"`
}

// Value values c over p. Shapes: p.HashpriceUSDPerPHDay and p.PriceUSD are
// [n][>= c.TermDays] with n >= 1; only days 0..TermDays−1 are read.
// Formulas (sample moments with n−1; docs/hedge.md):
//
//	R_i = (1/T) Σ_{d<T} hp_{i,d}            realised hashprice of path i
//	M_i = (1/T) Σ_{d<T} m(hp_{i,d})          m(x) = x−C, or max(x−C, 0) with Curtail
//	F   = mean_i R_i,  SE = s_R/√n           fair forward (no discounting)
//	H_i = M_i + h(K − R_i)                   hedged margin (seller of h forwards)
//	h*  = Cov(M, R)/Var(R)                   argmin_h Var(H)
//
// Errors: *hashlab.InputError for no paths, a path shorter than the term
// or of different shapes, a negative or non-finite hashprice, a price not
// > 0, a cost, strike or ratio out of range.
func Value(p Paths, c Contract) (*Result, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	n := len(p.HashpriceUSDPerPHDay)
	if n == 0 {
		return nil, hashlab.Invalid("paths", 0, "at least 1")
	}
	if len(p.PriceUSD) != n {
		return nil, hashlab.Invalid("price paths", len(p.PriceUSD), fmt.Sprintf("as many as the hashprice paths (%d)", n))
	}
	T := c.TermDays
	R := make([]float64, n)    // realised hashprice, USD/PH/day
	M := make([]float64, n)    // unhedged margin, USD/PH/day
	V := make([]float64, n)    // realised hashvalue, BTC/PH/day
	Pbar := make([]float64, n) // mean price, USD
	for i := range n {
		hp, px := p.HashpriceUSDPerPHDay[i], p.PriceUSD[i]
		if len(hp) < T || len(px) < T {
			return nil, hashlab.Invalid(fmt.Sprintf("path %d days", i), min(len(hp), len(px)), fmt.Sprintf(">= the term's %d days", T))
		}
		var sr, sm, sv, sp float64
		for d := range T {
			h, q := hp[d], px[d]
			if !(h >= 0) || math.IsInf(h, 0) {
				return nil, hashlab.Invalid(fmt.Sprintf("path %d day %d hashprice", i, d), h, "a finite USD/PH/day >= 0")
			}
			if !(q > 0) || math.IsInf(q, 0) {
				return nil, hashlab.Invalid(fmt.Sprintf("path %d day %d price", i, d), q, "a finite USD > 0")
			}
			m := h - c.CostUSDPerPHDay
			if c.Curtail {
				m = max(m, 0)
			}
			sr += h
			sm += m
			sv += h / q
			sp += q
		}
		R[i], M[i], V[i], Pbar[i] = sr/float64(T), sm/float64(T), sv/float64(T), sp/float64(T)
	}
	meanR, varR := meanVar(R)
	meanM, varM := meanVar(M)
	meanV, varV := meanVar(V)
	res := &Result{
		Paths:                        n,
		TermDays:                     T,
		FairForwardUSDPerPHDay:       Num(meanR),
		FairForwardStdErrUSDPerPHDay: Num(math.Sqrt(varR / float64(n))),
		CostUSDPerPHDay:              Num(c.CostUSDPerPHDay),
		Curtail:                      c.Curtail,
		RealisedUSDPerPHDay:          quantiles(R),
		UnhedgedMarginUSDPerPHDay:    quantiles(M),
		UnhedgedStdDevUSDPerPHDay:    Num(math.Sqrt(varM)),
		MinVarianceHedgeRatio:        Num(math.NaN()),
	}
	K := c.StrikeUSDPerPHDay
	if math.IsNaN(K) {
		K = meanR
	}
	res.StrikeUSDPerPHDay = Num(K)
	// R counts as constant when its spread is at rounding level: h* would
	// be noise divided by noise.
	if math.Sqrt(varR) > 1e-12*max(math.Abs(meanR), 1) {
		res.MinVarianceHedgeRatio = Num(cov(M, meanM, R, meanR) / varR)
	}
	h := c.HedgeRatio
	if math.IsNaN(h) {
		h = 1
		if res.MinVarianceHedgeRatio.Defined() {
			h = min(max(float64(res.MinVarianceHedgeRatio), 0), 1)
		}
	}
	res.HedgeRatio = Num(h)
	S := make([]float64, n)
	H := make([]float64, n)
	for i := range n {
		S[i] = h * (K - R[i])
		H[i] = M[i] + S[i]
	}
	res.SwapValueUSDPerPHDay = quantiles(S)
	res.HedgedMarginUSDPerPHDay = quantiles(H)
	_, varH := meanVar(H)
	res.HedgedStdDevUSDPerPHDay = Num(math.Sqrt(varH))
	res.VarianceReduction = Num(math.NaN())
	if math.Sqrt(varM) > 1e-12*max(math.Abs(meanM), 1) {
		res.VarianceReduction = Num(1 - varH/varM)
	}
	res.ProbLossUnhedged = Num(shareBelowZero(M))
	res.ProbLossHedged = Num(shareBelowZero(H))

	B := make([]float64, n)
	for i := range n {
		B[i] = M[i] + h*(meanV*Pbar[i]-R[i])
	}
	_, varB := meanVar(B)
	res.BTC = BTCForward{
		FairForwardBTCPerPHDay:       Num(meanV),
		FairForwardStdErrBTCPerPHDay: Num(math.Sqrt(varV / float64(n))),
		FairForwardSatsPerPHDay:      Num(meanV * 1e8),
		TermBTCPerPH:                 Num(meanV * float64(T)),
		RealisedBTCPerPHDay:          quantiles(V),
		HedgedMarginUSDPerPHDay:      quantiles(B),
		HedgedStdDevUSDPerPHDay:      Num(math.Sqrt(varB)),
	}
	if n < 2 {
		res.FairForwardStdErrUSDPerPHDay = Num(math.NaN())
		res.BTC.FairForwardStdErrBTCPerPHDay = Num(math.NaN())
		res.UnhedgedStdDevUSDPerPHDay = Num(math.NaN())
		res.HedgedStdDevUSDPerPHDay = Num(math.NaN())
		res.BTC.HedgedStdDevUSDPerPHDay = Num(math.NaN())
	}
	return res, nil
}

func (c Contract) validate() error {
	switch {
	case c.TermDays < 1:
		return hashlab.Invalid("term_days", c.TermDays, ">= 1")
	case !(c.CostUSDPerPHDay >= 0) || math.IsInf(c.CostUSDPerPHDay, 0):
		return hashlab.Invalid("cost", c.CostUSDPerPHDay, "a finite USD/PH/day >= 0")
	case !math.IsNaN(c.StrikeUSDPerPHDay) && (!(c.StrikeUSDPerPHDay >= 0) || math.IsInf(c.StrikeUSDPerPHDay, 0)):
		return hashlab.Invalid("strike", c.StrikeUSDPerPHDay, "a finite USD/PH/day >= 0 (or unset: the fair forward)")
	case !math.IsNaN(c.HedgeRatio) && !(c.HedgeRatio >= 0 && c.HedgeRatio <= 1):
		return hashlab.Invalid("hedge_ratio", c.HedgeRatio, "0 to 1 (or unset: the minimum-variance ratio)")
	}
	return nil
}

// meanVar returns the mean and the sample variance (n−1; 0 for n = 1),
// with the deviations computed from the mean (two-pass).
func meanVar(x []float64) (mean, variance float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		variance += (v - mean) * (v - mean)
	}
	return mean, variance / float64(len(x)-1)
}

// cov is the sample covariance (n−1) of x and y given their means.
func cov(x []float64, mx float64, y []float64, my float64) float64 {
	if len(x) < 2 {
		return 0
	}
	s := 0.0
	for i := range x {
		s += (x[i] - mx) * (y[i] - my)
	}
	return s / float64(len(x)-1)
}

func shareBelowZero(x []float64) float64 {
	k := 0
	for _, v := range x {
		if v < 0 {
			k++
		}
	}
	return float64(k) / float64(len(x))
}

// quantiles returns the type-7 quantiles and the mean of x (not modified).
func quantiles(x []float64) Quantiles {
	s := slices.Clone(x)
	slices.Sort(s)
	mean, _ := meanVar(s)
	return Quantiles{
		P5: Num(quantile(s, 0.05)), P25: Num(quantile(s, 0.25)), P50: Num(quantile(s, 0.5)),
		P75: Num(quantile(s, 0.75)), P95: Num(quantile(s, 0.95)), Mean: Num(mean),
	}
}

// quantile is Hyndman & Fan's type 7 on sorted s: h = (n−1)p, linear
// between s[⌊h⌋] and s[⌊h⌋+1].
func quantile(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	lo := int(math.Floor(h))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
