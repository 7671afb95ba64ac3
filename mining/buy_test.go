package mining

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"

	"github.com/hashlab/hashlab/internal/sharedtest"
	"pgregory.net/rapid"
)

// The payback definition by hand: an Antminer S21 (200 TH/s, 3,500 W, the
// manufacturer's spec) bought at $15/TH = $3,000, at a flat $40/PH/day,
// $0.06/kWh, 2% pool fee, 97% uptime:
//
//	revenue 40/1000 × 200 × 0.97 × 0.98 = 7.60480 $/day
//	power   3.5 kW × 24 h × 0.97 × 0.06 = 4.88880 $/day
//	margin  2.71600 $/day; 3000 / 2.716 = 1104.57 → day 1,105.
func TestPaybackFlatByHand(t *testing.T) {
	s21, err := LookupModel("Antminer S21")
	if err != nil {
		t.Fatal(err)
	}
	c := Conditions{PowerUSDPerKWh: 0.06, PoolFee: 0.02, Uptime: 0.97}
	margin := 40.0/1000*200*0.97*0.98 - 3.5*24*0.97*0.06
	if got := DailyMarginUSD(s21, 40, c); math.Abs(got-margin) > 1e-12 || math.Abs(margin-2.716) > 1e-9 {
		t.Fatalf("margin %v, by hand %v", got, margin)
	}
	p, err := EvaluatePurchase(s21, 15*200, FlatPath(40, LifeDays(DefaultLifeYears)), c, false)
	if err != nil {
		t.Fatal(err)
	}
	if p.PaybackDays == nil || *p.PaybackDays != 1105 || int(math.Ceil(3000/margin)) != 1105 {
		t.Fatalf("payback %v, want 1105", p.PaybackDays)
	}
	if p.LifeDays != 1826 {
		t.Errorf("life %d days, want 1826 (5 × 365.25 rounded)", p.LifeDays)
	}
	if want := (1826*margin - 3000) / 3000; math.Abs(p.ROI-want) > 1e-9 {
		t.Errorf("ROI %v, want %v", p.ROI, want)
	}
	// The IRR sets the NPV of the daily flows to zero.
	r := math.Pow(1+float64(p.IRRAnnual), 1/365.25) - 1
	if !p.IRRAnnual.Defined() || math.Abs(npv(3000, FlatPath(margin, 1826), r)) > 1e-6 {
		t.Errorf("IRR %v: NPV %v", p.IRRAnnual, npv(3000, FlatPath(margin, 1826), r))
	}
	// A life shorter than the payback: never (null), negative ROI.
	p, _ = EvaluatePurchase(s21, 3000, FlatPath(40, 365), c, false)
	if p.PaybackDays != nil || p.ROI >= 0 {
		t.Errorf("1-year life: payback %v, ROI %v", p.PaybackDays, p.ROI)
	}
}

// One flow of 101 at day 365 for a price of 100: (1+r)^365 = 1.01, so the
// annual IRR is 1.01^(365.25/365) − 1.
func TestIRRByHand(t *testing.T) {
	flows := make([]float64, 365)
	flows[364] = 101
	want := math.Pow(1.01, 365.25/365) - 1
	if got := irrAnnual(100, flows); math.Abs(got-want) > 1e-9 {
		t.Fatalf("IRR %v, want %v", got, want)
	}
	if got := irrAnnual(100, FlatPath(-1, 30)); !math.IsNaN(got) {
		t.Fatalf("IRR of losses %v, want undefined", got)
	}
	m := Model{Name: "x", HashrateTHs: 100, PowerW: 3000}
	p, err := EvaluatePurchase(m, 1000, FlatPath(0, 100), Conditions{PowerUSDPerKWh: 0.05, Uptime: 1}, false)
	if err != nil || p.IRRAnnual.Defined() || p.PaybackDays != nil {
		t.Fatalf("zero hashprice: %+v %v", p, err)
	}
	// Curtailed, the machine loses nothing more than its price.
	p, _ = EvaluatePurchase(m, 1000, FlatPath(0, 100), Conditions{PowerUSDPerKWh: 0.05, Uptime: 1}, true)
	if p.ROI != -1 {
		t.Fatalf("curtailed ROI %v, want -1", p.ROI)
	}
	if _, err := EvaluatePurchase(m, 0, FlatPath(40, 10), Conditions{Uptime: 1}, false); err == nil {
		t.Fatal("price 0 accepted")
	}
}

// After a halving the subsidy share of revenue halves: with a 10% fee
// share, 40 → 40 × (0.9/2 + 0.1) = 22 the day after, 40 × (0.9/4 + 0.1) =
// 13 after the second.
func TestHalvingPath(t *testing.T) {
	p := HalvingPath(40, 0.1, 10.5, 100, 200)
	if p[9] != 40 || p[10] != 22 || math.Abs(p[110]-13) > 1e-12 || p[109] != 22 {
		t.Fatalf("path %v %v %v %v", p[9], p[10], p[109], p[110])
	}
}

func TestQuantilesWithNever(t *testing.T) {
	q := QuantilesOf([]float64{1, 2, 3, 4, math.Inf(1)})
	if q.P50 != 3 || q.P25 != 2 || q.P95.Defined() || math.Abs(float64(q.P5)-1.2) > 1e-12 {
		t.Fatalf("%+v", q)
	}
	ps := []Purchase{{ROI: 0.5, PaybackDays: ptrInt(100), IRRAnnual: 0.2}, {ROI: -0.5, IRRAnnual: hashlab.Num(math.NaN())}}
	b := SummarisePurchases(ps)
	if b.ProbPaybackWithinLife != 0.5 || b.MeanROI != 0 || math.Abs(float64(b.IRRAnnual.P5)+0.94) > 1e-12 || b.PaybackDays.P50.Defined() {
		t.Fatalf("%+v", b)
	}
}

func ptrInt(i int) *int { return &i }

// The catalogue's dated prices (cited per row in asics.csv) by tier:
// < 19 J/TH the S21 at $16.10; 19–25 the S19 XP at $24.00; 25–38 the
// M50S (26.0 J/TH) at $19.50 and the S19 Pro (29.5) at $13.25, median
// $16.375; > 38 none (null).
func TestPriceIndexFromCatalogue(t *testing.T) {
	idx, err := PriceIndex(CatalogueQuotes(Catalogue()), Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"under-19": 16.10, "19-25": 24.00, "25-38": 16.375}
	for _, tr := range idx {
		w, ok := want[tr.Name]
		if !ok {
			if tr.MedianUSDPerTH.Defined() || tr.Quotes != 0 {
				t.Errorf("%s: %+v, want no quotes", tr.Name, tr)
			}
			continue
		}
		if math.Abs(float64(tr.MedianUSDPerTH)-w) > 1e-9 {
			t.Errorf("%s: median %v, want %v", tr.Name, tr.MedianUSDPerTH, w)
		}
	}
	for _, m := range Catalogue() {
		if m.PriceUSDPerTH != nil && (m.PriceDate == "" || !strings.Contains(m.PriceSource, "https://")) {
			t.Errorf("%s: price without date or cited page", m.Name)
		}
		if m.ReleaseYear >= 2025 && (m.SourceURL == "" || m.SourceAccessed == "") {
			t.Errorf("%s: new row without source URL and access date", m.Name)
		}
		if (m.SourceURL == "") != (m.SourceAccessed == "") || m.SourceURL != "" && !strings.HasPrefix(m.SourceURL, "http") {
			t.Errorf("%s: source URL %q with access date %q", m.Name, m.SourceURL, m.SourceAccessed)
		}
	}
	for _, j := range []struct {
		j    float64
		tier string
	}{{18.99, "under-19"}, {19, "19-25"}, {25, "25-38"}, {38, "25-38"}, {38.01, "over-38"}} {
		if TierOf(j.j) != j.tier {
			t.Errorf("TierOf(%v) = %s, want %s", j.j, TierOf(j.j), j.tier)
		}
	}
}

// A 2025 marketplace sheet (shared/data/asic/kookoo55_btc_miner_sheet_2025.csv,
// licence not stated: read here as a fact source, never embedded) lists the
// S21 at $2,699 for 200 TH/s, the S21+ at $3,349 for 235 TH/s and the S21
// Pro (245 TH/s variant) at $4,129. As quotes they all fall in the < 19 J/TH
// tier, whose median is the S21+'s $14.25/TH; the sheet's own price/TH
// column agrees with price / hashrate.
func TestPriceIndexFromMarketplaceSheet(t *testing.T) {
	f, err := os.Open(sharedtest.Path(t, "asic", "kookoo55_btc_miner_sheet_2025.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"s21+": "Antminer S21+", "s21 pro": "Antminer S21 Pro", "s21": "Antminer S21"}
	var qs strings.Builder
	qs.WriteString("date,model,usd_per_th,source\n")
	n := 0
	for _, row := range rows[1:] {
		name, ok := names[strings.ToLower(row[0])]
		if !ok {
			continue
		}
		th, _ := strconv.ParseFloat(row[1], 64)
		price, _ := strconv.ParseFloat(row[4], 64)
		perTH, _ := strconv.ParseFloat(row[5], 64)
		if math.Abs(price/th-perTH) > 0.01 {
			t.Errorf("%s: sheet price/TH %v vs %v/%v", row[0], perTH, price, th)
		}
		qs.WriteString("2025-01-01," + name + "," + strconv.FormatFloat(price/th, 'f', -1, 64) + ",marketplace sheet 2025\n")
		n++
	}
	if n != 3 {
		t.Fatalf("%d sheet rows matched, want 3", n)
	}
	quotes, err := ParseQuotes(strings.NewReader(qs.String()))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := PriceIndex(quotes, Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	if idx[0].Quotes != 3 || math.Abs(float64(idx[0].MedianUSDPerTH)-3349.0/235) > 1e-9 {
		t.Fatalf("< 19 tier: %+v", idx[0])
	}
}

func TestParseQuotesErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"model,date,usd_per_th\n",
		"date,model,usd_per_th\n",
		"date,model,usd_per_th\n2025-13-01,Antminer S21,15\n",
		"date,model,usd_per_th\n2025-01-01,Antminer S21,-1\n",
		"date,model,usd_per_th\n2025-01-01,Antminer S21,NaN\n",
		"date,model,usd_per_th\n2025-01-01,,15\n",
	} {
		if _, err := ParseQuotes(strings.NewReader(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	q, err := ParseQuotes(strings.NewReader("# mine\ndate,model,usd_per_th,source\n2025-01-01,antminer s21,15,broker\n"))
	if err != nil || len(q) != 1 {
		t.Fatal(q, err)
	}
	if _, err := PriceIndex([]Quote{{Date: "2025-01-01", Model: "S99", USDPerTH: 1}}, Catalogue()); err == nil {
		t.Error("unknown model accepted")
	}
}

// Property: on a flat path with a positive margin m, payback is the first
// whole day with d·m ≥ price (ceil(price/m), up to the floating-point sum),
// or never when that day is past the life; the IRR sets the NPV to zero
// and rises as the price falls.
func TestPaybackFlatProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := Model{Name: "x", HashrateTHs: rapid.Float64Range(10, 1000).Draw(t, "th"), PowerW: rapid.Float64Range(500, 10000).Draw(t, "w")}
		c := Conditions{PowerUSDPerKWh: rapid.Float64Range(0, 0.1).Draw(t, "c"), PoolFee: 0.02, Uptime: 0.97}
		hp := rapid.Float64Range(1, 200).Draw(t, "hp")
		price := rapid.Float64Range(100, 50000).Draw(t, "price")
		life := rapid.IntRange(30, 2000).Draw(t, "life")
		margin := DailyMarginUSD(m, hp, c)
		if margin <= 1e-6 {
			return
		}
		p, err := EvaluatePurchase(m, price, FlatPath(hp, life), c, false)
		if err != nil {
			t.Fatal(err)
		}
		want := int(math.Ceil(price / margin))
		switch {
		case want > life+1:
			if p.PaybackDays != nil {
				t.Fatalf("payback %d past a %d-day life", *p.PaybackDays, life)
			}
		case want < life-1:
			if p.PaybackDays == nil || *p.PaybackDays < want-1 || *p.PaybackDays > want+1 {
				t.Fatalf("payback %v, want %d (price %v, margin %v)", p.PaybackDays, want, price, margin)
			}
		}
		if p.IRRAnnual.Defined() {
			r := math.Pow(1+float64(p.IRRAnnual), 1/365.25) - 1
			if v := npv(price, FlatPath(margin, life), r); math.Abs(v) > 1e-6*price {
				t.Fatalf("NPV at the IRR %v", v)
			}
			q, _ := EvaluatePurchase(m, price*0.9, FlatPath(hp, life), c, false)
			if q.IRRAnnual.Defined() && !(float64(q.IRRAnnual) >= float64(p.IRRAnnual)) {
				t.Fatalf("IRR fell with the price: %v -> %v", p.IRRAnnual, q.IRRAnnual)
			}
		}
	})
}

// Fuzz: the quotes parser never panics, and what it accepts is a dated,
// positive, finite price per quote.
func FuzzParseQuotes(f *testing.F) {
	f.Add("date,model,usd_per_th,source\n2025-01-01,Antminer S21,15,x\n")
	f.Add("date,model,usd_per_th\n2025-01-01,s21,1e400\n")
	f.Add("# c\ndate,model,usd_per_th\n\"2025-01-01\",\"a,b\",3\n")
	f.Fuzz(func(t *testing.T, in string) {
		qs, err := ParseQuotes(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, q := range qs {
			if !(q.USDPerTH > 0) || math.IsInf(q.USDPerTH, 0) || len(q.Date) != 10 || q.Model == "" {
				t.Fatalf("accepted %+v", q)
			}
		}
	})
}

// Fuzz: the catalogue parser never panics and accepts only valid models.
func FuzzParseCatalogue(f *testing.F) {
	f.Add(string(asicsCSV))
	f.Add("manufacturer,model,hashrate_ths,power_w,cooling,release_year,source\nB,X,1,1,air,2020,s\n")
	f.Add("manufacturer,model,hashrate_ths,power_w,cooling,release_year,source,usd_per_th\nB,X,1,1,air,2020,s,5\n")
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := ParseCatalogue(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, m := range ms {
			if err := m.Validate(); err != nil {
				t.Fatalf("accepted %+v: %v", m, err)
			}
			if m.PriceUSDPerTH != nil && (m.PriceDate == "" || !(*m.PriceUSDPerTH > 0)) {
				t.Fatalf("accepted price %+v", m)
			}
		}
	})
}

// The shipped example quotes (examples/asic-quotes.csv, public dated
// prices with their sources): the index takes each tier's last 90 days.
// 19–25 J/TH: the S19 XP's 2023-06-01 $23.00 and 2023-06-30 $24.00 →
// $23.50, its 2021 and 2022 quotes left out; under 19: the M66S order's
// $16.14 (2023-12-04) and the S21's $14.00, $16.10 and $17.50 to
// 2024-03-01 → $16.12.
func TestPriceIndexWindow(t *testing.T) {
	f, err := os.Open("../examples/asic-quotes.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	qs, err := ParseQuotes(f)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := PriceIndex(qs, Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		median        float64
		quotes, older int
		from, to      string
	}{{16.12, 4, 0, "2023-12-04", "2024-03-01"}, {23.50, 2, 2, "2023-06-01", "2023-06-30"}, {16.375, 2, 0, "2023-06-30", "2023-06-30"}}
	for i, w := range want {
		g := idx[i]
		if math.Abs(float64(g.MedianUSDPerTH)-w.median) > 1e-9 || g.Quotes != w.quotes || g.Older != w.older || g.From != w.from || g.To != w.to {
			t.Errorf("%s: %+v, want %+v", g.Name, g, w)
		}
	}
	if idx[3].Quotes != 0 || idx[3].MedianUSDPerTH.Defined() {
		t.Errorf("over-38: %+v", idx[3])
	}
}

// The Monte Carlo IRR quantiles are over the paths with an IRR only, the
// share without one reported; a quantile is null with too few such paths.
func TestSummarisePurchasesIRRDefinedOnly(t *testing.T) {
	var ps []Purchase
	for i := 0; i < 40; i++ {
		p := Purchase{ROI: -0.5, IRRAnnual: hashlab.Num(math.NaN())}
		if i%2 == 0 {
			p.IRRAnnual = hashlab.Num(0.1 + float64(i)/1000)
		}
		ps = append(ps, p)
	}
	b := SummarisePurchases(ps)
	if float64(b.IRRUndefinedShare) != 0.5 {
		t.Errorf("undefined share %v, want 0.5", b.IRRUndefinedShare)
	}
	for _, q := range []hashlab.Num{b.IRRAnnual.P5, b.IRRAnnual.P50, b.IRRAnnual.P95} {
		if !q.Defined() || q < 0.1 {
			t.Errorf("quantiles %+v: want over the defined IRRs (>= 10%%)", b.IRRAnnual)
		}
	}
	// 3 paths with an IRR: p50 only (p25/p75 need 4, p5/p95 20).
	b = SummarisePurchases(ps[:6])
	if !b.IRRAnnual.P50.Defined() || b.IRRAnnual.P25.Defined() || b.IRRAnnual.P5.Defined() || b.IRRAnnual.P95.Defined() {
		t.Errorf("3 defined of 6: %+v", b.IRRAnnual)
	}
	// None: all null, share 1.
	b = SummarisePurchases([]Purchase{{IRRAnnual: hashlab.Num(math.NaN())}})
	if b.IRRAnnual.P50.Defined() || b.IRRUndefinedShare != 1 {
		t.Errorf("none defined: %+v share %v", b.IRRAnnual, b.IRRUndefinedShare)
	}
}
