package pivot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hashprice"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestNPVByHand(t *testing.T) {
	// −100 now, +60 at the end of years 1 and 2, at 10%:
	// −100 + 60/1.1 + 60/1.21 = 4.1322314.
	if v := NPV(0.1, []float64{-100, 60, 60}); !near(v, -100+60/1.1+60/1.21, 1e-12) || !near(v, 4.1322314, 1e-7) {
		t.Fatalf("NPV %v", v)
	}
	// IRR of −100, 60, 60: 60/(1+r) + 60/(1+r)^2 = 100 → with x = 1/(1+r),
	// 60x² + 60x − 100 = 0 → x = (−60 + √(3600+24000))/120 = 0.8844...,
	// r = 1/x − 1 = 0.130662.
	x := (-60 + math.Sqrt(3600+24000)) / 120
	r, err := IRR([]float64{-100, 60, 60})
	if err != nil || !near(r, 1/x-1, 1e-9) {
		t.Fatalf("IRR %v %v (want %v)", r, err, 1/x-1)
	}
	// −100, +110: IRR exactly 10%.
	if r, _ := IRR([]float64{-100, 110}); !near(r, 0.1, 1e-12) {
		t.Fatalf("IRR %v", r)
	}
	if p, ok := Payback([]float64{-100, 60, 60}); !ok || !near(p, 1+40.0/60, 1e-12) {
		t.Fatalf("payback %v", p)
	}
	if _, ok := Payback([]float64{-100, 10, 10}); ok {
		t.Fatal("payback found for a loss")
	}
}

func TestIRREdgeCases(t *testing.T) {
	for _, flows := range [][]float64{{-1, -2, -3}, {5, 5}, {0, 0}, {-1}} {
		if _, err := IRR(flows); !errors.Is(err, ErrNoIRR) {
			t.Errorf("%v: err %v", flows, err)
		}
	}
	// Two sign changes (−, +, −): roots at 10% and 20% for
	// −1 + 2.3/(1+r) − 1.32/(1+r)²  ((1+r)² − 2.3(1+r) + 1.32 = 0 → 1.1, 1.2).
	// IRR returns the smallest root.
	r, err := IRR([]float64{-1, 2.3, -1.32})
	if err != nil || !near(r, 0.1, 1e-9) {
		t.Fatalf("multiple roots: %v %v", r, err)
	}
}

func TestNPVProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		capex := rapid.Float64Range(1, 1e6).Draw(t, "capex")
		n := rapid.IntRange(1, 15).Draw(t, "years")
		flows := []float64{-capex}
		for range n {
			flows = append(flows, rapid.Float64Range(0.01, 1e6).Draw(t, "cf"))
		}
		// Conventional flows: NPV decreases in the rate, and at the IRR
		// it is zero.
		r1 := rapid.Float64Range(-0.5, 2).Draw(t, "r1")
		r2 := r1 + rapid.Float64Range(0.001, 1).Draw(t, "dr")
		if NPV(r2, flows) > NPV(r1, flows)+1e-9 {
			t.Fatalf("NPV not decreasing")
		}
		irr, err := IRR(flows)
		if err != nil {
			return // e.g. IRR above the scanned range
		}
		if v := NPV(irr, flows); math.Abs(v) > 1e-6*capex {
			t.Fatalf("NPV at IRR = %v", v)
		}
	})
}

// A hand-made series: revenue $50/h at full load of 1,000 kW, so the
// breakeven power price is $0.05/kWh. Prices (USD/kWh):
//
//	0.02 → run, profit 50 − 20 = 30
//	0.04 → run, 50 − 40 = 10
//	0.05 → breakeven: 0 by running; with DR $10/MWh = $10/h, curtail: 10
//	0.09 → curtail: DR 10
//	0.03 → run, 20
//
// Without DR: 30 + 10 + 0 + 0 + 20 = 60 over 3 hours on.
// With $10/MWh DR: run only if profit > 10: 30 (run), 10 → curtail (10 = 10,
// not >), 10, 10, 20 (run) = 80 with 2 hours on.
func TestCurtailYearHandMade(t *testing.T) {
	prices := []float64{0.02, 0.04, 0.05, 0.09, 0.03}
	r := CurtailYear(50, 1000, prices, 0)
	if r.HoursOn != 3 || !near(r.ProfitUSD, 60, 1e-9) {
		t.Fatalf("no DR: %+v", r)
	}
	r = CurtailYear(50, 1000, prices, 10)
	if r.HoursOn != 2 || !near(r.ProfitUSD, 80, 1e-9) || !near(r.DRUSD, 30, 1e-9) {
		t.Fatalf("with DR: %+v", r)
	}
	// Optimality: no other on/off schedule does better (brute force).
	best := math.Inf(-1)
	for m := 0; m < 1<<len(prices); m++ {
		p := 0.0
		for i, pr := range prices {
			if m>>i&1 == 1 {
				p += 50 - pr*1000
			} else {
				p += 10
			}
		}
		best = max(best, p)
	}
	if !near(best, r.ProfitUSD, 1e-9) {
		t.Fatalf("brute force %v vs %v", best, r.ProfitUSD)
	}
}

const exampleSite = `
name: test site
gross_mw: 20
power_usd_per_kwh: 0.05
pue_mining: 1.05
pue_ai: 1.3
model: Antminer S21
`

// Issue #7: at $35.7/PH/day an S21-class fleet (17.5 J/TH) earns ≈$0.085
// per kWh; a $150/kW-month lease ≈$0.205/kWh (150/730 h); GPU rental far
// more; each with its ratio to mining.
func TestRevenuePerKWhSideBySide(t *testing.T) {
	s, err := ParseSite([]byte(exampleSite))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(s, Inputs{Market: Market{FlatPath(35.7, s.HorizonYears)}})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Option{}
	for _, o := range r.Options {
		by[o.Name] = o
	}
	mine, lease, gpu := by["keep mining"], by["lease to AI tenant"], by["own GPU cloud"]
	if !near(mine.RevenuePerKWh, 0.085, 0.0005) || !near(mine.RevenuePerKWh, hashprice.RevenuePerKWhUSD(35.7, 17.5), 1e-12) {
		t.Fatalf("mining %.5f $/kWh", mine.RevenuePerKWh)
	}
	if !near(lease.RevenuePerKWh, 150.0/730, 1e-12) || !near(lease.RevenuePerKWh, 0.205, 0.001) {
		t.Fatalf("lease %.5f", lease.RevenuePerKWh)
	}
	// $2/GPU-h × 70% / 1.4 kW = $1.00/kWh.
	if !near(gpu.RevenuePerKWh, 1.0, 1e-12) {
		t.Fatalf("gpu %.5f", gpu.RevenuePerKWh)
	}
	if !near(lease.RatioToMining, lease.RevenuePerKWh/mine.RevenuePerKWh, 1e-12) || lease.RatioToMining < 2.3 || lease.RatioToMining > 2.5 {
		t.Fatalf("lease ratio %v", lease.RatioToMining)
	}
	// The switch hashprice equalises NPVs.
	if lease.SwitchHashprice == nil {
		t.Fatal("lease: no switch hashprice")
	}
	if v := s.miningNPVAt(*lease.SwitchHashprice); !near(v, lease.NPVUSD, 1) {
		t.Fatalf("switch %v: mining NPV %v vs lease %v", *lease.SwitchHashprice, v, lease.NPVUSD)
	}
	if len(r.Tornado) != 8 || r.Tornado[0].Swing < r.Tornado[7].Swing {
		t.Fatalf("tornado %+v", r.Tornado)
	}
}

func TestMiningCashFlowByHand(t *testing.T) {
	s, _ := ParseSite([]byte(exampleSite + "pool_fee: 0\nuptime: 1\nmining_opex_usd_per_mw_year: 1\ntax_rate: 0\n"))
	o, err := s.miningOption("m", 1, Inputs{Market: Market{FlatPath(40, s.HorizonYears)}})
	if err != nil {
		t.Fatal(err)
	}
	// IT load 20 MW/1.05 = 19,047.6 kW; TH/s = kW·1000/17.5.
	itKW := 20000 / 1.05
	ths := itKW * 1000 / 17.5
	rev := 40 * ths / 1000 * 365.25
	power := itKW * 1.05 * 8760 * 0.05
	if !near(o.EBITDAUSD[0], rev-power-20, 1e-6) {
		t.Fatalf("EBITDA %v, want %v", o.EBITDAUSD[0], rev-power-20)
	}
}

func TestDebtFinancing(t *testing.T) {
	s, _ := ParseSite([]byte(exampleSite + "debt_fraction: 0.5\ndebt_rate: 0.08\ndebt_years: 5\n"))
	o := s.leaseOption(1)
	// Half the capex borrowed; an annuity of D·r/(1−(1+r)^−5) for 5 years.
	d := o.CapexUSD * 0.5
	pay := d * 0.08 / (1 - math.Pow(1.08, -5))
	un, _ := ParseSite([]byte(exampleSite))
	u := un.leaseOption(1)
	if !near(o.Flows[0], -o.CapexUSD+d, 1e-6) || !near(o.Flows[3], u.Flows[3]-pay, 1e-6) || !near(o.Flows[6], u.Flows[6], 1e-6) {
		t.Fatalf("levered %v vs %v", o.Flows[:7], u.Flows[:7])
	}
}

func TestHalvingPath(t *testing.T) {
	p := HalvingPath(40, 0, 2.5, 4)
	// Years 1-2 full subsidy, year 3 half before / half after, year 4 halved.
	if !near(p[0], 40, 1e-9) || !near(p[2], 30, 1e-9) || !near(p[3], 20, 1e-9) {
		t.Fatalf("%v", p)
	}
}

func TestMonteCarlo(t *testing.T) {
	s, _ := ParseSite([]byte(exampleSite))
	paths := GBMPaths(35.7, 0, 0.6, s.HorizonYears, 400, 7)
	mc, err := RunMonteCarlo(context.Background(), s, paths)
	if err != nil || mc.ProbConvertBeats < 0 || mc.ProbConvertBeats > 1 || mc.Paths != 400 {
		t.Fatalf("%+v %v", mc, err)
	}
	again, _ := RunMonteCarlo(context.Background(), s, GBMPaths(35.7, 0, 0.6, s.HorizonYears, 400, 7))
	if again != mc {
		t.Fatal("not deterministic for a seed")
	}
	// With zero volatility the paths are flat: P is 0 or 1 and waiting is
	// worth exactly mining's first year plus the better choice after it.
	flat, _ := RunMonteCarlo(context.Background(), s, GBMPaths(35.7, 0, 0, s.HorizonYears, 3, 1))
	if flat.ProbConvertBeats != 0 && flat.ProbConvertBeats != 1 {
		t.Fatalf("%+v", flat)
	}
}

func TestSiteErrors(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"gross_mw: 0", "gross_mw = 0"},
		{"gross_mw: 10\npue_ai: 0.5", "pue_ai = 0.5"},
		{"gross_mw: 10\nlease: {usd_per_kw_month: -3}", "lease.usd_per_kw_month = -3"},
		{"gross_mw: 10\nmodel: S99", `model = S99 (allowed: a catalogue model`},
		{"gross_mw: 10\nmachines: [{model: S99, count: 1}]", `machines[0].model = S99`},
		{"gross_mw: 10\nsale_usd_per_mw: .inf", `sale_usd_per_mw = +Inf`},
		{"gross_mw: 10\npool_fee: 1.5", `pool_fee = 1.5`},
		{"", `site file = empty`},
		{"gross_mw: [", `site file = unreadable`},
		{"gross_mw: 10\nbogus: 1", "field bogus not found"},
		{"gross_mw: 1\nmachines: [{model: S21, count: 1000}]", "total IT load"},
	} {
		s, err := ParseSite([]byte(tt.yaml))
		if err == nil {
			_, err = Evaluate(s, Inputs{Market: Market{FlatPath(35, 10)}})
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("%q: %v, want %q (an InputError)", tt.yaml, err, tt.want)
		}
	}
}

// Site files decode onto DefaultSite: each field below given as 0 stays
// 0, and left out takes its default (issue 13: the lease escalator, the GPU
// rent decline and opex came out as their defaults when set to 0).
func TestSiteExplicitZeroKept(t *testing.T) {
	def := DefaultSite()
	for _, f := range []struct {
		yaml string
		get  func(*Site) float64
		def  float64
	}{
		{"lease: {escalator: 0}", func(s *Site) float64 { return s.Lease.Escalator }, def.Lease.Escalator},
		{"lease: {opex_usd_per_mw_year: 0}", func(s *Site) float64 { return s.Lease.OpexUSDPerMWYear }, def.Lease.OpexUSDPerMWYear},
		{"lease: {landlord_capex_usd_per_mw: 0}", func(s *Site) float64 { return s.Lease.LandlordCapexUSDPerMW }, def.Lease.LandlordCapexUSDPerMW},
		{"lease: {build_months: 0}", func(s *Site) float64 { return s.Lease.BuildMonths }, def.Lease.BuildMonths},
		{"gpu: {rent_decline_per_year: 0}", func(s *Site) float64 { return s.GPU.RentDeclinePerYear }, def.GPU.RentDeclinePerYear},
		{"gpu: {opex_usd_per_gpu_year: 0}", func(s *Site) float64 { return s.GPU.OpexUSDPerGPUYear }, def.GPU.OpexUSDPerGPUYear},
		{"gpu: {facility_capex_usd_per_mw: 0}", func(s *Site) float64 { return s.GPU.FacilityCapexUSDPerMW }, def.GPU.FacilityCapexUSDPerMW},
		{"mining_opex_usd_per_mw_year: 0", func(s *Site) float64 { return s.MiningOpexUSDPerMWYear }, def.MiningOpexUSDPerMWYear},
		{"discount_rate: 0", func(s *Site) float64 { return s.DiscountRate }, def.DiscountRate},
		{"sale_usd_per_mw: 0", func(s *Site) float64 { return s.SaleUSDPerMW }, def.SaleUSDPerMW},
	} {
		if f.def == 0 {
			t.Fatalf("%s: the default is 0, the test cannot tell", f.yaml)
		}
		s, err := ParseSite([]byte("gross_mw: 10\n" + f.yaml))
		if err != nil {
			t.Fatalf("%s: %v", f.yaml, err)
		}
		if got := f.get(s); got != 0 {
			t.Errorf("%s: got %v, want the explicit 0", f.yaml, got)
		}
		s, _ = ParseSite([]byte("gross_mw: 10\n"))
		if got := f.get(s); got != f.def {
			t.Errorf("%s left out: got %v, want the default %v", f.yaml, got, f.def)
		}
		// The same holds for a site inline in a portfolio file.
		p, err := ParsePortfolio([]byte("sites:\n  - site:\n      gross_mw: 10\n      " + strings.ReplaceAll(f.yaml, "\n", "\n      ") + "\n"))
		if err != nil {
			t.Fatalf("portfolio %s: %v", f.yaml, err)
		}
		if got := f.get(p.Sites[0].Site); got != 0 {
			t.Errorf("portfolio %s: got %v, want the explicit 0", f.yaml, got)
		}
	}
	// A lease block that sets one field keeps the defaults of the others.
	s, _ := ParseSite([]byte("gross_mw: 10\nlease: {usd_per_kw_month: 100}"))
	if s.Lease.USDPerKWMonth != 100 || s.Lease.Escalator != DefaultLease.Escalator || s.Lease.TermYears != DefaultLease.TermYears {
		t.Errorf("partial lease block: %+v", s.Lease)
	}
	// Zero escalator: the rent is flat over the term.
	s, _ = ParseSite([]byte("gross_mw: 10\nlease: {escalator: 0, build_months: 0}"))
	o := s.leaseOption(1)
	if !near(o.EBITDAUSD[1], o.EBITDAUSD[4], 1e-6) {
		t.Errorf("escalator 0: EBITDA %v", o.EBITDAUSD[:5])
	}
	// Inline portfolio sites refuse unknown fields too.
	if _, err := ParsePortfolio([]byte("sites: [{site: {gross_mw: 1, bogus: 2}}]")); err == nil || !strings.Contains(err.Error(), "bogus") || !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("unknown inline field: %v", err)
	}
}

// Undefined values are null in JSON: keeping mining has no switch
// hashprice, an option mining beats even at zero hashprice has none (and
// says so), and the sale has no IRR; no 1e-30 stands in for "never".
func TestUndefinedSwitchIsNull(t *testing.T) {
	// Cheap GPUs renting dear: the GPU cloud beats mining at any plausible
	// hashprice; GPUs renting for nothing lose to mining at any hashprice.
	s, err := ParseSite([]byte(exampleSite + "gpu: {rent_usd_per_gpu_hour: 0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(s, Inputs{Market: Market{FlatPath(35.7, s.HorizonYears)}})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Option{}
	for _, o := range r.Options {
		by[o.Name] = o
	}
	if by["keep mining"].SwitchHashprice != nil {
		t.Errorf("keep mining has a switch hashprice %v", *by["keep mining"].SwitchHashprice)
	}
	gpu := by["own GPU cloud"]
	if gpu.SwitchHashprice != nil || !gpu.MiningWinsAtAnyHashprice {
		t.Errorf("free GPU rent: switch %v, mining wins at any %v", gpu.SwitchHashprice, gpu.MiningWinsAtAnyHashprice)
	}
	b, _ := json.Marshal(r)
	js := string(b)
	for _, want := range []string{`"switch_hashprice_usd_per_ph_day":null`, `"irr":null`, `"payback_years":null`, `"mining_wins_at_any_hashprice":true`} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	if strings.Contains(js, "e-30") || strings.Contains(js, "NaN") {
		t.Errorf("JSON has a stand-in for an undefined value: %s", js)
	}
}

// The Monte Carlo bounds are one check for the CLI and the API: NaN,
// ±Inf and a negative volatility are refused (issue 13: the CLI printed
// NaN NPVs and "P(converting beats mining) = 100%").
func TestCheckGBM(t *testing.T) {
	for _, c := range []struct {
		mu, sigma float64
		field     string
	}{
		{0, math.NaN(), "volatility"}, {0, -1, "volatility"}, {0, math.Inf(1), "volatility"}, {0, 5.01, "volatility"},
		{math.NaN(), 0.6, "drift"}, {math.Inf(1), 0.6, "drift"}, {math.Inf(-1), 0.6, "drift"}, {-5.5, 0.6, "drift"},
	} {
		ie, ok := hashlab.AsInput(CheckGBM(c.mu, c.sigma))
		if !ok || ie.Field != c.field {
			t.Errorf("mu %v sigma %v: %v, want an InputError on %s", c.mu, c.sigma, ie, c.field)
		}
	}
	for _, c := range [][2]float64{{0, 0}, {-0.1, 0.6}, {5, 5}, {-5, 0}} {
		if err := CheckGBM(c[0], c[1]); err != nil {
			t.Errorf("%v refused: %v", c, err)
		}
	}
	// Paths that are not finite are refused, not averaged into NaN NPVs.
	s, _ := ParseSite([]byte(exampleSite))
	if _, err := RunMonteCarlo(context.Background(), s, GBMPaths(35.7, 0, math.NaN(), s.HorizonYears, 3, 1)); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("NaN paths: %v", err)
	}
}

func FuzzParseSite(f *testing.F) {
	f.Add([]byte(exampleSite))
	f.Add([]byte(`{"gross_mw": 5, "lease": {"escalator": 0}, "machines": [{"model": "S21", "count": 10}]}`))
	f.Add([]byte("gross_mw: 10\ngpu: {rent_decline_per_year: 0}\npool_fee: 0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSite(b)
		if err != nil {
			if !errors.Is(err, hashlab.ErrInput) {
				t.Fatalf("error %v is not an InputError", err)
			}
			return
		}
		if _, err := Evaluate(s, Inputs{Market: Market{FlatPath(35, s.HorizonYears)}}); err != nil && !errors.Is(err, hashlab.ErrInput) {
			t.Fatalf("valid site failed to evaluate: %v", err)
		}
	})
}

func FuzzParsePortfolio(f *testing.F) {
	f.Add([]byte("name: p\nsites:\n  - site: {name: a, gross_mw: 10}\n  - file: b.yaml\nschedule:\n  - {operator: Bitfarms, mw: 341, start: 2026-01-01, end: 2027-12-31}\n"))
	f.Add([]byte(`{"sites": [{"site": {"gross_mw": 1}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParsePortfolio(b); err != nil && !errors.Is(err, hashlab.ErrInput) {
			t.Fatalf("error %v is not an InputError", err)
		}
	})
}

func TestPortfolioExport(t *testing.T) {
	p, err := ParsePortfolio([]byte(`
name: p
sites:
  - site: {name: a, gross_mw: 10, power_usd_per_kwh: 0.04}
  - site: {name: b, gross_mw: 30, power_usd_per_kwh: 0.06}
schedule:
  - {operator: Bitfarms, mw: 341, start: 2026-01-01, end: 2027-12-31, joules_per_th: 22}
`))
	if err != nil {
		t.Fatal(err)
	}
	var sites []*Site
	for _, s := range p.Sites {
		sites = append(sites, s.Site)
	}
	r, err := EvaluatePortfolio(p.Name, sites, p.Schedule, Inputs{Market: Market{FlatPath(35.7, 10)}})
	if err != nil || r.GrossMW != 40 || r.ScheduledMW != 341 {
		t.Fatalf("%+v %v", r, err)
	}
	if !near(r.TotalNPVByOption["lease to AI tenant"], r.Sites[0].Options[1].NPVUSD+r.Sites[1].Options[1].NPVUSD, 1e-6) {
		t.Fatal("portfolio sum")
	}
	out, err := ExportConversions(p.Schedule)
	if err != nil || !strings.Contains(string(out), "conversions:") || !strings.Contains(string(out), "mw: 341") || !strings.Contains(string(out), "start: \"2026-01-01\"") && !strings.Contains(string(out), "start: 2026-01-01") {
		t.Fatalf("%s %v", out, err)
	}
	if _, err := ParsePortfolio([]byte("sites: [{site: {gross_mw: 1}}]\nschedule: [{mw: 5, start: 2027-01-01, end: 2026-01-01}]")); err == nil || !strings.Contains(err.Error(), "on or after start") || !strings.Contains(err.Error(), "schedule[0].end") {
		t.Fatalf("bad schedule: %v", err)
	}
}

func ExampleNPV() {
	fmt.Printf("%.4f\n", NPV(0.10, []float64{-100, 60, 60}))
	// Output: 4.1322
}

func BenchmarkEvaluateWithMonteCarlo1000(b *testing.B) {
	s, _ := ParseSite([]byte(exampleSite))
	paths := GBMPaths(35.7, 0, 0.6, s.HorizonYears, 1000, 1)
	for b.Loop() {
		if _, err := Evaluate(s, Inputs{Market: Market{FlatPath(35.7, s.HorizonYears)}}); err != nil {
			b.Fatal(err)
		}
		if _, err := RunMonteCarlo(context.Background(), s, paths); err != nil {
			b.Fatal(err)
		}
	}
}

// A cancelled context stops the Monte Carlo with the context's error.
func TestRunMonteCarloCancelled(t *testing.T) {
	s, err := ParseSite([]byte(exampleSite))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = RunMonteCarlo(ctx, s, GBMPaths(35.7, 0, 0.6, s.HorizonYears, 1000, 1))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
