package hedge

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
)

// constPaths returns n paths of days days, path i constant at hp[i] USD/PH/day
// and price[i] USD.
func constPaths(days int, hp, price []float64) Paths {
	var p Paths
	for i := range hp {
		h, q := make([]float64, days), make([]float64, days)
		for d := range days {
			h[d], q[d] = hp[i], price[i]
		}
		p.HashpriceUSDPerPHDay = append(p.HashpriceUSDPerPHDay, h)
		p.PriceUSD = append(p.PriceUSD, q)
	}
	return p
}

func near(t *testing.T, name string, got Num, want, tol float64) {
	t.Helper()
	if !(math.Abs(float64(got)-want) <= tol) {
		t.Errorf("%s = %v, want %v ± %g", name, got, want, tol)
	}
}

func undefined(t *testing.T, name string, got Num) {
	t.Helper()
	if got.Defined() {
		t.Errorf("%s = %v, want undefined (NaN, JSON null)", name, got)
	}
}

var unset = math.NaN()

// Constant paths: the fair forward is the constant, its error 0, the hedged
// margin does not vary, h* is undefined (R does not vary) and the applied
// ratio is 1.
func TestConstantPaths(t *testing.T) {
	p := constPaths(30, []float64{40, 40, 40}, []float64{80000, 80000, 80000})
	r, err := Value(p, Contract{TermDays: 30, StrikeUSDPerPHDay: unset, HedgeRatio: unset, CostUSDPerPHDay: 25})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "fair forward", r.FairForwardUSDPerPHDay, 40, 1e-12)
	near(t, "stderr", r.FairForwardStdErrUSDPerPHDay, 0, 1e-12)
	near(t, "strike", r.StrikeUSDPerPHDay, 40, 1e-12)
	near(t, "hedged stddev", r.HedgedStdDevUSDPerPHDay, 0, 1e-12)
	near(t, "unhedged p50", r.UnhedgedMarginUSDPerPHDay.P50, 15, 1e-12)
	near(t, "hedged p5", r.HedgedMarginUSDPerPHDay.P5, 15, 1e-12)
	near(t, "hedged p95", r.HedgedMarginUSDPerPHDay.P95, 15, 1e-12)
	near(t, "applied ratio", r.HedgeRatio, 1, 0)
	undefined(t, "min-variance ratio", r.MinVarianceHedgeRatio)
	undefined(t, "variance reduction", r.VarianceReduction)
	near(t, "BTC forward", r.BTC.FairForwardBTCPerPHDay, 0.0005, 1e-18)
	near(t, "BTC forward sats", r.BTC.FairForwardSatsPerPHDay, 50000, 1e-8)
	near(t, "term BTC", r.BTC.TermBTCPerPH, 0.015, 1e-15)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"min_variance_hedge_ratio":null`, `"variance_reduction":null`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s: %s", k, b)
		}
	}
	if strings.Contains(string(b), "NaN") || strings.Contains(string(b), "Inf") {
		t.Errorf("JSON has NaN or Inf: %s", b)
	}
}

// Two equally likely paths, constant at 30 and 50 USD/PH/day over 10 days,
// BTC at 60,000 and 100,000 USD; cost 25 USD/PH/day. By hand:
//
//	R = {30, 50}: F = 40, s_R² = (10² + 10²)/1 = 200, SE = √200/√2 = 10
//	type-7 quantiles of {30, 50}: p5 = 30 + 0.05·20 = 31, p50 = 40, p95 = 49
//	M = R − 25 = {5, 25}: Cov(M, R) = 200, h* = 1
//	H = M + 1·(40 − R) = {15, 15}: Var 0, reduction 1
//	V = {30/60000, 50/100000} = {0.0005, 0.0005}: BTC forward 0.0005, SE 0
//	BTC hedge: M + (0.0005·P̄ − R) = {5 + 0, 25 + 0}: the price risk stays
func TestTwoPointByHand(t *testing.T) {
	p := constPaths(10, []float64{30, 50}, []float64{60000, 100000})
	r, err := Value(p, Contract{TermDays: 10, StrikeUSDPerPHDay: unset, HedgeRatio: unset, CostUSDPerPHDay: 25})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "F", r.FairForwardUSDPerPHDay, 40, 1e-12)
	near(t, "SE", r.FairForwardStdErrUSDPerPHDay, 10, 1e-12)
	near(t, "R p5", r.RealisedUSDPerPHDay.P5, 31, 1e-12)
	near(t, "R p25", r.RealisedUSDPerPHDay.P25, 35, 1e-12)
	near(t, "R p50", r.RealisedUSDPerPHDay.P50, 40, 1e-12)
	near(t, "R p75", r.RealisedUSDPerPHDay.P75, 45, 1e-12)
	near(t, "R p95", r.RealisedUSDPerPHDay.P95, 49, 1e-12)
	near(t, "R mean", r.RealisedUSDPerPHDay.Mean, 40, 1e-12)
	near(t, "h*", r.MinVarianceHedgeRatio, 1, 1e-12)
	near(t, "h", r.HedgeRatio, 1, 1e-12)
	near(t, "unhedged sd", r.UnhedgedStdDevUSDPerPHDay, math.Sqrt(200), 1e-12)
	near(t, "hedged sd", r.HedgedStdDevUSDPerPHDay, 0, 1e-12)
	near(t, "reduction", r.VarianceReduction, 1, 1e-12)
	near(t, "hedged p5", r.HedgedMarginUSDPerPHDay.P5, 15, 1e-12)
	near(t, "swap p5", r.SwapValueUSDPerPHDay.P5, -9, 1e-12) // {10, −10}: −10 + 0.05·20
	near(t, "V", r.BTC.FairForwardBTCPerPHDay, 0.0005, 1e-18)
	near(t, "V SE", r.BTC.FairForwardStdErrBTCPerPHDay, 0, 1e-18)
	near(t, "BTC hedged p5", r.BTC.HedgedMarginUSDPerPHDay.P5, 6, 1e-9) // {5, 25}
	near(t, "BTC hedged sd", r.BTC.HedgedStdDevUSDPerPHDay, math.Sqrt(200), 1e-9)
	near(t, "P(loss)", r.ProbLossUnhedged, 0, 0)
}

// The same two paths with curtailment at cost 35: M = {max(30−35,0), 15} =
// {0, 15}; Cov(M, R) = (−7.5·−10 + 7.5·10)/1 = 150, Var(R) = 200, h* = 0.75;
// H = {0 + 7.5, 15 − 7.5} = {7.5, 7.5}. At h = 0.5 and strike 45: H = {0 +
// 7.5, 15 − 2.5} = {7.5, 12.5}, Var(H) = 12.5, Var(M) = 112.5, reduction
// 1 − 12.5/112.5 = 8/9.
func TestCurtailByHand(t *testing.T) {
	p := constPaths(10, []float64{30, 50}, []float64{60000, 100000})
	r, err := Value(p, Contract{TermDays: 10, StrikeUSDPerPHDay: unset, HedgeRatio: unset, CostUSDPerPHDay: 35, Curtail: true})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "h*", r.MinVarianceHedgeRatio, 0.75, 1e-12)
	near(t, "hedged p50", r.HedgedMarginUSDPerPHDay.P50, 7.5, 1e-12)
	near(t, "hedged sd", r.HedgedStdDevUSDPerPHDay, 0, 1e-12)
	r, err = Value(p, Contract{TermDays: 10, StrikeUSDPerPHDay: 45, HedgeRatio: 0.5, CostUSDPerPHDay: 35, Curtail: true})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "h*", r.MinVarianceHedgeRatio, 0.75, 1e-12)
	near(t, "h", r.HedgeRatio, 0.5, 0)
	near(t, "K", r.StrikeUSDPerPHDay, 45, 0)
	near(t, "hedged mean", r.HedgedMarginUSDPerPHDay.Mean, 10, 1e-12)
	near(t, "hedged sd", r.HedgedStdDevUSDPerPHDay, math.Sqrt(12.5), 1e-12)
	near(t, "reduction", r.VarianceReduction, 8.0/9, 1e-12)
}

// Only days 0..T−1 settle: values after the term must not move anything,
// and the term mean of a varying path is its plain average.
func TestOnlyTermDaysSettle(t *testing.T) {
	p := Paths{
		HashpriceUSDPerPHDay: [][]float64{{10, 20, 30, 1e6, 1e6}},
		PriceUSD:             [][]float64{{1e5, 1e5, 1e5, 1, 1}},
	}
	r, err := Value(p, Contract{TermDays: 3, StrikeUSDPerPHDay: unset, HedgeRatio: unset})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "F", r.FairForwardUSDPerPHDay, 20, 1e-12)
	near(t, "V", r.BTC.FairForwardBTCPerPHDay, 20.0/1e5, 1e-18)
	undefined(t, "SE with one path", r.FairForwardStdErrUSDPerPHDay)
}

// h* minimises the variance of the hedged margin: on random seeded paths
// with curtailment (so h* is not 1), moving h away from h* raises it, and
// the variance reduction at h* equals Corr(M, R)².
func TestMinVarianceIsMinimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var p Paths
	for range 300 {
		level := 40 * math.Exp(0.4*rng.NormFloat64())
		h, q := make([]float64, 20), make([]float64, 20)
		for d := range h {
			h[d] = level * math.Exp(0.2*rng.NormFloat64())
			q[d] = 90000
		}
		p.HashpriceUSDPerPHDay = append(p.HashpriceUSDPerPHDay, h)
		p.PriceUSD = append(p.PriceUSD, q)
	}
	c := Contract{TermDays: 20, StrikeUSDPerPHDay: unset, HedgeRatio: unset, CostUSDPerPHDay: 38, Curtail: true}
	best, err := Value(p, c)
	if err != nil {
		t.Fatal(err)
	}
	hs := float64(best.MinVarianceHedgeRatio)
	if !(hs > 0.2 && hs < 0.99) {
		t.Fatalf("h* = %v: want strictly between 0.2 and 0.99 with curtailment", hs)
	}
	for _, dh := range []float64{-0.2, -0.01, 0.01} {
		c.HedgeRatio = hs + dh
		r, err := Value(p, c)
		if err != nil {
			t.Fatal(err)
		}
		if !(r.HedgedStdDevUSDPerPHDay > best.HedgedStdDevUSDPerPHDay) {
			t.Errorf("h = h*%+g: sd %v <= sd at h* %v", dh, r.HedgedStdDevUSDPerPHDay, best.HedgedStdDevUSDPerPHDay)
		}
	}
	// 1 − Var(H*)/Var(M) = Corr(M, R)² = Cov²/(Var M Var R) = h*² Var R / Var M.
	R := make([]float64, len(p.HashpriceUSDPerPHDay))
	for i, path := range p.HashpriceUSDPerPHDay {
		for _, v := range path {
			R[i] += v / 20
		}
	}
	_, varR := meanVar(R)
	varM := float64(best.UnhedgedStdDevUSDPerPHDay) * float64(best.UnhedgedStdDevUSDPerPHDay)
	near(t, "reduction", best.VarianceReduction, hs*hs*varR/varM, 1e-9)
}

func TestInputErrors(t *testing.T) {
	good := constPaths(5, []float64{30, 50}, []float64{60000, 100000})
	ok := Contract{TermDays: 5, StrikeUSDPerPHDay: unset, HedgeRatio: unset, CostUSDPerPHDay: 20}
	bad := func(f func(*Paths, *Contract)) (Paths, Contract) {
		p := constPaths(5, []float64{30, 50}, []float64{60000, 100000})
		c := ok
		f(&p, &c)
		return p, c
	}
	cases := map[string]func(*Paths, *Contract){
		"term_days":   func(_ *Paths, c *Contract) { c.TermDays = 0 },
		"cost":        func(_ *Paths, c *Contract) { c.CostUSDPerPHDay = -1 },
		"cost NaN":    func(_ *Paths, c *Contract) { c.CostUSDPerPHDay = math.NaN() },
		"strike":      func(_ *Paths, c *Contract) { c.StrikeUSDPerPHDay = math.Inf(1) },
		"hedge_ratio": func(_ *Paths, c *Contract) { c.HedgeRatio = 1.5 },
		"no paths":    func(p *Paths, _ *Contract) { *p = Paths{} },
		"short path":  func(p *Paths, _ *Contract) { p.HashpriceUSDPerPHDay[1] = p.HashpriceUSDPerPHDay[1][:4] },
		"price shape": func(p *Paths, _ *Contract) { p.PriceUSD = p.PriceUSD[:1] },
		"negative hp": func(p *Paths, _ *Contract) { p.HashpriceUSDPerPHDay[0][2] = -1 },
		"zero price":  func(p *Paths, _ *Contract) { p.PriceUSD[1][3] = 0 },
	}
	if _, err := Value(good, ok); err != nil {
		t.Fatalf("good input: %v", err)
	}
	for name, f := range cases {
		p, c := bad(f)
		if _, err := Value(p, c); !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("%s: err = %v, want an input error", name, err)
		}
	}
}

func TestTermDays(t *testing.T) {
	for months, want := range map[int]int{1: 30, 6: 183, 12: 365, 36: 1096} {
		if got, err := TermDays(months); err != nil || got != want {
			t.Errorf("TermDays(%d) = %d, %v; want %d", months, got, err, want)
		}
	}
	for _, m := range []int{0, 37, -1} {
		if _, err := TermDays(m); !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("TermDays(%d): err = %v, want an input error", m, err)
		}
	}
	near(t, "cost 17.5 J/TH at 0.06", Num(CostUSDPerPHDay(0.06, 17.5)), 25.2, 1e-12)
}
