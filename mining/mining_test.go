package mining

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/internal/sharedtest"
)

func near(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Abs(b) }

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func TestCatalogue(t *testing.T) {
	cat := Catalogue()
	if len(cat) < 15 {
		t.Fatalf("%d models, want >= 15", len(cat))
	}
	seen := map[Cooling]bool{}
	names := map[string]bool{}
	for _, m := range cat {
		if err := m.Validate(); err != nil || m.Source == "" || m.ReleaseYear < 2016 {
			t.Errorf("%+v: %v", m, err)
		}
		if names[m.Name] {
			t.Errorf("duplicate %s", m.Name)
		}
		names[m.Name] = true
		seen[m.Cooling] = true
		if j := m.JoulesPerTH(); j < 9 || j > 110 { // 2026 hydro machines reach 9.5 J/TH
			t.Errorf("%s: %.1f J/TH implausible", m.Name, j)
		}
	}
	for _, want := range []string{"Antminer S9", "Antminer S21", "Whatsminer M60S", "Whatsminer M66S"} {
		if !names[want] {
			t.Errorf("missing %s", want)
		}
	}
	if !seen[Air] || !seen[Hydro] {
		t.Error("need air and hydro models")
	}
	if m, err := LookupModel("s21 pro"); err != nil || m.Name != "Antminer S21 Pro" {
		t.Errorf("lookup: %v %v", m, err)
	}
	if m, err := LookupModel("a16 xp"); err != nil || m.Name != "Avalon A16 XP" {
		t.Errorf("lookup without the brand: %v %v", m, err)
	}
	if _, err := LookupModel("S99"); err == nil {
		t.Error("unknown model accepted")
	}
}

// Rows tagged [f2pool-2020] / [sheet-2025] agree with the reference files in
// shared/data/asic (F2Pool's miner list of March 2020 and a 2025 marketplace
// sheet) to within 10% on efficiency; those lists carry other variants of
// some models (e.g. S21 Pro 245T), hence the tolerance.
func TestCatalogueAgainstReferenceLists(t *testing.T) {
	read := func(name string) [][]string {
		f, err := os.Open(sharedtest.Path(t, "asic", name))
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
		return rows
	}
	// lower-case model -> J/TH of each listed variant (the F2Pool list
	// repeats a name for units of different vintages).
	ref := map[string][]float64{}
	for _, r := range read("mattk8_mining-devices_f2pool_2020-03.csv")[1:] {
		th, _ := strconv.ParseFloat(r[3], 64)
		w, _ := strconv.ParseFloat(r[4], 64)
		if th > 0 {
			ref[strings.ToLower(r[1])] = append(ref[strings.ToLower(r[1])], w/th)
		}
	}
	for _, r := range read("kookoo55_btc_miner_sheet_2025.csv")[1:] {
		th, _ := strconv.ParseFloat(r[1], 64)
		w, _ := strconv.ParseFloat(r[2], 64)
		ref["sheet:"+strings.ToLower(r[0])] = append(ref["sheet:"+strings.ToLower(r[0])], w/th)
	}
	checked := 0
	for _, m := range Catalogue() {
		var key string
		switch {
		case strings.Contains(m.Source, "[f2pool-2020]"):
			key = strings.ToLower(m.Name)
		case strings.Contains(m.Source, "[sheet-2025]"):
			key = "sheet:" + strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(m.Name, "Antminer "), "Whatsminer "), "S"))
		default:
			continue
		}
		js, ok := ref[key]
		if !ok {
			t.Errorf("%s: no reference row %q", m.Name, key)
			continue
		}
		match := false
		for _, j := range js {
			match = match || near(m.JoulesPerTH(), j, 0.10)
		}
		if !match {
			t.Errorf("%s: %.2f J/TH vs reference variants %.2f", m.Name, m.JoulesPerTH(), js)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d models cross-checked", checked)
	}
}

var s21 = Model{Name: "S21", HashrateTHs: 200, PowerW: 3500}

func TestEvaluateByHand(t *testing.T) {
	// Hashvalue 0.0004 BTC/PH/day, $90,000 → $36/PH/day gross. One S21
	// (200 TH/s, 3.5 kW), 2% fee, 100% uptime, $0.05/kWh, $0.01/kWh
	// overhead:
	//   revenue = 36 × 0.2 × 0.98 = $7.056/day; BTC = 0.0004×0.2×0.98
	//   energy = 3.5 × 24 = 84 kWh; power = $4.20; overhead = $0.84
	//   profit = 7.056 − 4.20 − 0.84 = $2.016; margin = 0.285714
	//   breakeven power = 7.056/84 = $0.084/kWh
	//   breakeven hashprice = (0.06×84)/(0.2×0.98) = $25.714/PH/day
	//   cost per BTC: power 4.20/0.0000784 = $53,571.43; all-in $64,285.71
	c := Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 90000, PowerUSDPerKWh: 0.05, PoolFee: 0.02, Uptime: 1, OverheadUSDPerKWh: 0.01}
	e, err := Evaluate(s21, 1, c)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"revenue", e.RevenueUSD, 7.056},
		{"btc", e.BTCPerDay, 0.0000784},
		{"energy", e.EnergyKWh, 84},
		{"power", e.PowerCostUSD, 4.2},
		{"overhead", e.OverheadUSD, 0.84},
		{"profit", e.ProfitUSD, 2.016},
		{"margin", e.Margin, 2.016 / 7.056},
		{"breakeven power", e.BreakevenPowerUSDPerKWh, 0.084},
		{"breakeven hashprice", e.BreakevenHashpriceUSDPerPHDay, 0.06 * 84 / (0.2 * 0.98)},
		{"breakeven price", deref(e.BreakevenPriceUSD), 5.04 / 0.0000784},
		{"cost/BTC power", deref(e.CostPerBTCPowerUSD), 4.2 / 0.0000784},
		{"cost/BTC all-in", deref(e.CostPerBTCAllInUSD), 5.04 / 0.0000784},
	}
	for _, c := range checks {
		if !near(c.got, c.want, 1e-12) {
			t.Errorf("%s = %.10g, want %.10g", c.name, c.got, c.want)
		}
	}
	if !e.Run {
		t.Error("profitable machine curtailed")
	}
	// At the breakeven power price the machine is exactly marginal.
	c.PowerUSDPerKWh = e.BreakevenPowerUSDPerKWh + 1e-9
	if e2, _ := Evaluate(s21, 1, c); e2.Run {
		t.Error("machine above breakeven still runs")
	}
}

func TestConditionsValidation(t *testing.T) {
	good := Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 9e4, PowerUSDPerKWh: 0.05, PoolFee: 0.02, Uptime: 0.97}
	mut := []func(*Conditions){
		func(c *Conditions) { c.PoolFee = 1.5 },
		func(c *Conditions) { c.Uptime = 0 },
		func(c *Conditions) { c.PowerUSDPerKWh = -1 },
		func(c *Conditions) { c.PriceUSD = math.NaN() },
	}
	for i, m := range mut {
		c := good
		m(&c)
		if _, err := Evaluate(s21, 1, c); !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

const fleetYAML = `
name: Test site
power_usd_per_kwh: 0.05
pool_fee: 0.02
uptime: 1
fixed_usd_per_month: 3043.75
treasury_btc: 1
machines:
  - model: Antminer S21
    count: 10
  - model: antminer s9
    count: 100
  - custom: {model: Homebrew, hashrate_ths: 100, power_w: 2000}
    count: 2
    power_usd_per_kwh: 0.02
`

func TestFleet(t *testing.T) {
	f, err := ParseFleet([]byte(fleetYAML))
	if err != nil {
		t.Fatal(err)
	}
	market := Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 90000}
	r, err := EvaluateFleet(f, market)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 3 || r.Groups[1].Run || !r.Groups[0].Run || !r.Groups[2].Run {
		t.Fatalf("curtailment wrong: %+v", r.Groups)
	}
	if len(r.CurtailedModels) != 1 || r.CurtailedModels[0] != "Antminer S9" {
		t.Fatalf("curtailed %v", r.CurtailedModels)
	}
	// Running = S21 ×10 + homebrew ×2; fixed cost $100/day.
	wantRun := r.Groups[0].ProfitUSD + r.Groups[2].ProfitUSD
	if !near(r.Running.ProfitUSD, wantRun, 1e-12) || !near(r.FixedUSDPerDay, 100, 1e-12) {
		t.Fatalf("running %g fixed %g", r.Running.ProfitUSD, r.FixedUSDPerDay)
	}
	if !near(r.Total.ProfitUSD, r.Groups[0].ProfitUSD+r.Groups[1].ProfitUSD+r.Groups[2].ProfitUSD, 1e-12) {
		t.Fatal("total")
	}
	// Runway: a deficit of $X/day against 1 BTC at $90k.
	if days, inf := Runway(1, 90000, -900); inf || days != 100 {
		t.Fatalf("runway %g %v", days, inf)
	}
	if _, inf := Runway(1, 90000, 5); !inf {
		t.Fatal("no deficit should be infinite runway")
	}
}

func TestFleetErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"machines: []", "machines"},
		{"machines: [{model: S99, count: 1}]", `machines[0].model = S99 (allowed: a catalogue model`},
		{"machines: [{model: S21, count: 0}]", "machines[0].count = 0"},
		{"pool_fee: 2\nmachines: [{model: S21, count: 1}]", "pool_fee = 2"},
		{"power_usd_per_kwh: -1\nmachines: [{model: S21, count: 1}]", "power_usd_per_kwh = -1"},
		{"machnes: []", "field machnes not found"},
		{"machines: [{custom: {model: X, hashrate_ths: 0, power_w: 5}, count: 1}]", "hashrate_ths = 0"},
	}
	for _, tt := range tests {
		_, err := ParseFleet([]byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("%q: err %v, want %q (an InputError)", tt.yaml, err, tt.want)
		}
	}
	// An empty file says what is missing, not just "EOF".
	for _, empty := range []string{"", "\n", "# only a comment\n"} {
		_, err := ParseFleet([]byte(empty))
		ie, ok := hashlab.AsInput(err)
		if !ok || ie.Field != "fleet file" || !strings.Contains(ie.Allowed, "machines") || strings.Contains(err.Error(), "EOF") {
			t.Errorf("empty fleet %q: %v", empty, err)
		}
	}
}

// An explicit pool_fee or uptime of 0 in a fleet file stays 0 (a pool
// with no fee); an absent one gets the default.
func TestFleetExplicitZeroKept(t *testing.T) {
	market := Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 90000}
	f, err := ParseFleet([]byte("pool_fee: 0\nmachines: [{model: S21, count: 1}]"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.conditions(market)
	if err != nil || c.PoolFee != 0 || c.Uptime != DefaultUptime {
		t.Errorf("pool_fee: 0 -> %v, uptime %v (%v)", c.PoolFee, c.Uptime, err)
	}
	f, _ = ParseFleet([]byte("machines: [{model: S21, count: 1}]"))
	if c, _ := f.conditions(market); c.PoolFee != DefaultPoolFee || c.Uptime != DefaultUptime {
		t.Errorf("absent pool_fee/uptime -> %v, %v", c.PoolFee, c.Uptime)
	}
	// uptime: 0 is explicit, and refused rather than replaced.
	if _, err := ParseFleet([]byte("uptime: 0\nmachines: [{model: S21, count: 1}]")); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("uptime 0 accepted: %v", err)
	}
}

// Undefined values are null in JSON, never 0: the cost per BTC of a
// machine that earns no BTC, and the runway of a fleet with no deficit.
func TestUndefinedValuesAreNull(t *testing.T) {
	s21, _ := LookupModel("S21")
	e, err := Evaluate(s21, 1, Conditions{HashvalueBTCPerPHDay: 0, PriceUSD: 90000, PowerUSDPerKWh: 0.05, PoolFee: 0.02, Uptime: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e)
	for _, k := range []string{`"cost_per_btc_power_usd":null`, `"cost_per_btc_all_in_usd":null`, `"breakeven_price_usd":null`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("zero hashvalue: %s missing in %s", k, b)
		}
	}
	f, _ := ParseFleet([]byte("power_usd_per_kwh: 0.01\ntreasury_btc: 1\nmachines: [{model: S21, count: 1}]"))
	r, err := EvaluateFleet(f, Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 90000})
	if err != nil || !r.RunwayInfinite || r.RunwayDays != nil {
		t.Fatalf("no deficit: runway %v infinite %v (%v)", r.RunwayDays, r.RunwayInfinite, err)
	}
	b, _ = json.Marshal(r)
	if !strings.Contains(string(b), `"runway_days":null`) {
		t.Errorf("runway not null: %s", b)
	}
	f, _ = ParseFleet([]byte("fixed_usd_per_month: 1000\ntreasury_btc: 1\nmachines: [{model: S21, count: 1}]"))
	if r, _ := EvaluateFleet(f, Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 90000}); r.RunwayInfinite || r.RunwayDays == nil || !(*r.RunwayDays > 0) {
		t.Errorf("deficit: runway %v", r.RunwayDays)
	}
}

func TestRankModels(t *testing.T) {
	c := Conditions{HashvalueBTCPerPHDay: 0.000415, PriceUSD: 86000, PowerUSDPerKWh: 0.06, PoolFee: 0.02, Uptime: 1}
	ms, err := RankModels(Catalogue(), c)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Econ.Margin > ms[i-1].Econ.Margin {
			t.Fatal("not sorted by margin")
		}
	}
	// At ~$35.7/PH/day and 6¢ power the S9 is far under water and the best
	// hydro machine is on top of the list.
	if ms[len(ms)-1].Model.Name != "Antminer S9" || ms[len(ms)-1].Econ.Run {
		t.Fatalf("last = %s", ms[len(ms)-1].Model.Name)
	}
}

func ExampleEvaluate() {
	m, _ := LookupModel("Antminer S21")
	e, _ := Evaluate(m, 1, Conditions{HashvalueBTCPerPHDay: 0.000415, PriceUSD: 86000, PowerUSDPerKWh: 0.06, PoolFee: 0.02, Uptime: 1})
	fmt.Printf("%s: revenue $%.2f/day, power $%.2f/day, breakeven $%.4f/kWh\n", e.Model, e.RevenueUSD, e.PowerCostUSD, e.BreakevenPowerUSDPerKWh)
	// Output: Antminer S21: revenue $7.00/day, power $5.04/day, breakeven $0.0833/kWh
}

func FuzzParseFleet(f *testing.F) {
	f.Add([]byte(fleetYAML))
	f.Add([]byte(`{"machines":[{"model":"S21","count":3}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := ParseFleet(b)
		if err != nil {
			if !errors.Is(err, hashlab.ErrInput) {
				t.Fatalf("bad fleet file: error %v is not an InputError", err)
			}
			return
		}
		if _, err := EvaluateFleet(fl, Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 1}); err != nil {
			t.Fatalf("valid fleet failed to evaluate: %v", err)
		}
	})
}

func BenchmarkEvaluateFleet(b *testing.B) {
	f, _ := ParseFleet([]byte(fleetYAML))
	for b.Loop() {
		if _, err := EvaluateFleet(f, Conditions{HashvalueBTCPerPHDay: 0.0004, PriceUSD: 90000}); err != nil {
			b.Fatal(err)
		}
	}
}
