package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
)

func mustShipped(t testing.TB, name string) *Scenario {
	t.Helper()
	sc, err := LoadShipped(name)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestShippedScenariosParse(t *testing.T) {
	want := []string{"ai-exodus", "baseline", "china-2021-replay", "halving-2028", "price-crash"}
	if got := Scenarios(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Scenarios() = %v, want %v", got, want)
	}
	for _, name := range want {
		sc := mustShipped(t, name)
		if sc.Name != name {
			t.Errorf("%s: name %q", name, sc.Name)
		}
	}
	if _, err := LoadShipped("nope"); err == nil || !strings.Contains(err.Error(), "baseline") {
		t.Errorf("unknown scenario error should list the shipped ones: %v", err)
	}
}

func TestScenarioValidationNamesFieldValueAndAllowed(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"name: x\nprice: {volatility: -1}", "price.volatility = -1 (allowed: 0 to 5"},
		{"name: x\nprice: {model: brownian}", `price.model = "brownian" (allowed: gbm, bootstrap, replay, flat)`},
		{"name: x\nfees: {btc_per_block: -2}", "fees.btc_per_block = -2"},
		{"name: x\nyears: 0", "years = 0 (allowed: 0 < years <= 50)"}, // an explicit 0 is not replaced by the default
		{"name: x\nstart: {height: 100, bits: 1d00ffff, time: 5}\nnetwork: regtest", "start.epoch_first_time"},
		{"name: x\nstart: {height: 100, bits: 2100ffff, time: 5, epoch_first_time: 1}", "start.bits = 0x2100ffff"},
		{"name: x\nconversions: [{operator: Nobody, mw: 10, start: 2026-01-01, end: 2026-06-01}]", `conversions[0].operator = "Nobody" (allowed: MARA Holdings`},
		{"name: x\nstart: {height: 100, bits: zz, time: 5}", `start.bits = "zz"`},
		{"name: x\npopulation: {hysteresis: 0.7}", "population.hysteresis = 0.7 (allowed: 0 <= h < 0.5)"},
		{"name: x\nhashrate_path: [{day: 0, factor: 1}, {day: 0, factor: 2}]", "hashrate_path[1].day = 0"},
		{"name: x\nprice: {model: bootstrap}", "price.returns"},
		{"name: x\nbogus: 1", "field bogus not found"},
		{"description: no name", "name = \"\""},
	}
	for _, c := range cases {
		_, err := ParseScenario([]byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseScenario(%q) error = %v, want it to contain %q", c.yaml, err, c.want)
			continue
		}
		if !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("%q: error is not an InputError", c.yaml)
		}
	}
	// An empty file says what a scenario needs, as an InputError.
	for _, empty := range []string{"", "# nothing\n"} {
		_, err := ParseScenario([]byte(empty))
		if ie, ok := hashlab.AsInput(err); !ok || ie.Field != "scenario file" || !strings.Contains(ie.Allowed, "name") {
			t.Errorf("empty scenario %q: %v", empty, err)
		}
	}
}

// Scenario files decode onto DefaultScenario: each field below given as 0
// stays 0 and left out takes its default (issue 13: pool_fee: 0,
// hysteresis: 0, fees.btc_per_block: 0 and lag_days: 0 came out as 0.02,
// 0.1, 0.02 and 90).
func TestScenarioExplicitZeroKept(t *testing.T) {
	def := DefaultScenario()
	for _, f := range []struct {
		yaml string
		get  func(*Scenario) float64
		def  float64
	}{
		{"population: {pool_fee: 0}", func(s *Scenario) float64 { return s.Population.PoolFee }, def.Population.PoolFee},
		{"population: {hysteresis: 0}", func(s *Scenario) float64 { return s.Population.Hysteresis }, def.Population.Hysteresis},
		{"fees: {btc_per_block: 0}", func(s *Scenario) float64 { return s.Fees.BTCPerBlock }, def.Fees.BTCPerBlock},
		{"expansion: {lag_days: 0}", func(s *Scenario) float64 { return float64(s.Expansion.LagDays) }, float64(def.Expansion.LagDays)},
		{"expansion: {max_growth_per_month: 0}", func(s *Scenario) float64 { return s.Expansion.MaxGrowthPerMonth }, def.Expansion.MaxGrowthPerMonth},
		{"population: {seed: 0}", func(s *Scenario) float64 { return float64(s.Population.Seed) }, float64(def.Population.Seed)},
	} {
		if f.def == 0 {
			t.Fatalf("%s: the default is 0, the test cannot tell", f.yaml)
		}
		sc, err := ParseScenario([]byte("name: z\n" + f.yaml))
		if err != nil {
			t.Fatalf("%s: %v", f.yaml, err)
		}
		if got := f.get(sc); got != 0 {
			t.Errorf("%s: got %v, want the explicit 0", f.yaml, got)
		}
		sc, _ = ParseScenario([]byte("name: z\n"))
		if got := f.get(sc); got != f.def {
			t.Errorf("%s left out: got %v, want the default %v", f.yaml, got, f.def)
		}
	}
	d := DefaultScenario()
	if d.Population.PoolFee != 0.02 || d.Population.Hysteresis != 0.02 || d.Expansion.LagDays != 90 || d.Fees.BTCPerBlock != 0.02 {
		t.Errorf("defaults changed: %+v %+v %+v", d.Population, d.Expansion, d.Fees)
	}
	// A block that sets one field keeps the defaults of the others.
	sc, _ := ParseScenario([]byte("name: z\npopulation: {pool_fee: 0}"))
	if sc.Population.Operators != 1000 || sc.Population.SmoothingDays != 7 || sc.Population.Preset != "default" {
		t.Errorf("partial population block: %+v", sc.Population)
	}
	// The zero fee reaches the simulation: with no fees, revenue is the
	// subsidy alone.
	sc, _ = ParseScenario([]byte("name: z\nfees: {btc_per_block: 0}\nhashrate_path: [{day: 0, factor: 1}]"))
	r, err := Run(context.Background(), sc, Options{Paths: 1, Seed: 1, Years: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if fees := r.Series("fees_btc_per_block").P50[0]; fees != 0 {
		t.Errorf("fees %v, want 0", fees)
	}
}

func FuzzParseScenario(f *testing.F) {
	for _, name := range Scenarios() {
		b, _ := ShippedScenario(name)
		f.Add(b)
	}
	f.Add([]byte("name: z\npopulation: {pool_fee: 0}\nfees: {btc_per_block: 0}"))
	f.Add([]byte(`{"name": "j", "start": {"height": 100, "bits": "1d00ffff", "time": 1231006505}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := ParseScenario(b)
		if err != nil {
			if !errors.Is(err, hashlab.ErrInput) {
				t.Fatalf("error %v is not an InputError", err)
			}
			return
		}
		if _, err := sc.StartHashrateHs(); err != nil {
			t.Fatalf("valid scenario has no start hashrate: %v", err)
		}
	})
}

func TestRunOptionsValidated(t *testing.T) {
	sc := mustShipped(t, "china-2021-replay")
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Paths: 0}, "paths = 0 (allowed: 1 to"},
		{Options{Paths: 10, Years: 60}, "years = 60 (allowed: 0 < years <= 50)"},
		{Options{Paths: 10, Years: math.NaN()}, "years = NaN"},
		{Options{Paths: 10, Workers: -3}, "workers = -3 (allowed: 0 (one per CPU) to 4096)"},
	} {
		if _, err := Run(context.Background(), sc, c.opt); err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("Run(%+v) = %v, want %q", c.opt, err, c.want)
		}
		if err := c.opt.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", c.opt)
		}
	}
	if _, err := RunShard(context.Background(), sc, Options{Paths: 10, Shard: 3, Shards: 3}); err == nil || !strings.Contains(err.Error(), "shard = 3 (allowed: 0 to 2)") {
		t.Errorf("bad shard index: %v", err)
	}
}

// The real record of the July 2021 adjustment, from shared/data
// (headers/difficulty_epochs.csv: epoch 341 first_time 1623614836,
// last_time 1625293501, bits 170e1ef9 -> next_bits 171398ce; Electrum
// checkpoints, MIT) recomputed with the consensus package.
func realJuly2021(t *testing.T) (changePct, lengthDays float64) {
	nb, err := consensus.NextBits(0x170e1ef9, 1623614836, 1625293501, consensus.MainNet)
	if err != nil || nb != 0x171398ce {
		t.Fatalf("NextBits = %s, %v; want 0x171398ce", nb, err)
	}
	return (consensus.Difficulty(nb)/consensus.Difficulty(0x170e1ef9) - 1) * 100, float64(1625293501-1623614836) / 86400
}

// Issue 5's must-show: china-2021-replay with 1000 paths, seed 1, gives a
// p50 adjustment within 3 percentage points of -27.9% and the real value
// (and the real epoch length) inside the p5-p95 band.
func TestChina2021ReplayReproducesTheRealRetarget(t *testing.T) {
	realPct, realLen := realJuly2021(t)
	if math.Abs(realPct-(-27.94)) > 0.01 {
		t.Fatalf("real change %.3f%%", realPct)
	}
	r, err := Run(context.Background(), mustShipped(t, "china-2021-replay"), Options{Paths: 1000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := r.Epochs[0]
	t.Logf("simulated first retarget: change p5 %.2f p50 %.2f p95 %.2f %% (real %.2f); length p5 %.2f p50 %.2f p95 %.2f days (real %.2f)",
		e.ChangePct.P5, e.ChangePct.P50, e.ChangePct.P95, realPct, e.LengthDays.P5, e.LengthDays.P50, e.LengthDays.P95, realLen)
	if e.Paths != 1000 {
		t.Errorf("%d paths reached the retarget", e.Paths)
	}
	if math.Abs(float64(e.ChangePct.P50)-realPct) > 3 {
		t.Errorf("p50 change %.2f%% is more than 3 points from the real %.2f%%", e.ChangePct.P50, realPct)
	}
	if !(float64(e.ChangePct.P5) <= realPct && realPct <= float64(e.ChangePct.P95)) {
		t.Errorf("real change %.2f%% outside the p5-p95 band [%.2f, %.2f]", realPct, e.ChangePct.P5, e.ChangePct.P95)
	}
	if !(float64(e.LengthDays.P5) <= realLen && realLen <= float64(e.LengthDays.P95)) {
		t.Errorf("real epoch length %.2f d outside the p5-p95 band [%.2f, %.2f]", realLen, e.LengthDays.P5, e.LengthDays.P95)
	}
}

func resultJSON(t testing.TB, r *Result) []byte {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Same seed, same bytes, whatever the number of workers; a different seed
// gives different bytes.
func TestDeterministicAcrossWorkers(t *testing.T) {
	sc := mustShipped(t, "ai-exodus")
	var outs [][]byte
	for _, w := range []int{1, 2, 5} {
		r, err := Run(context.Background(), sc, Options{Paths: 24, Seed: 7, Years: 0.5, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, resultJSON(t, r))
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Fatalf("result with workers run %d differs from workers=1", i)
		}
	}
	r, _ := Run(context.Background(), sc, Options{Paths: 24, Seed: 8, Years: 0.5})
	if bytes.Equal(outs[0], resultJSON(t, r)) {
		t.Fatal("a different seed gave the same result")
	}
}

// n shards merged equal one run, byte for byte, in any order; a missing or
// foreign shard is refused.
func TestShardsMergeToTheSameBytes(t *testing.T) {
	sc := mustShipped(t, "price-crash")
	opt := Options{Paths: 30, Seed: 3, Years: 0.4}
	one, err := Run(context.Background(), sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	var shards []*Shard
	for i := 2; i >= 0; i-- { // reverse order on purpose
		o := opt
		o.Shard, o.Shards, o.Workers = i, 3, 1+i
		b, err := RunShard(context.Background(), sc, o)
		if err != nil {
			t.Fatal(err)
		}
		s, err := DecodeShard(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	merged, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := resultJSON(t, one), resultJSON(t, merged); !bytes.Equal(a, b) {
		t.Fatalf("merged shards differ from one run (%d vs %d bytes)", len(a), len(b))
	}
	if _, err := Merge(shards[:2]); err == nil || !strings.Contains(err.Error(), "missing shards [2] of 3") {
		t.Errorf("missing shard: %v", err)
	}
	if _, err := Merge(append(shards, shards[0])); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("duplicate shard: %v", err)
	}
	o := opt
	o.Seed, o.Shard, o.Shards = 4, 0, 3
	b, _ := RunShard(context.Background(), sc, o)
	foreign, _ := DecodeShard(bytes.NewReader(b))
	if _, err := Merge([]*Shard{shards[0], shards[1], foreign}); err == nil || !strings.Contains(err.Error(), "another run") {
		t.Errorf("foreign shard: %v", err)
	}
}

// ksStat is the two-sample Kolmogorov–Smirnov statistic.
func ksStat(a, b []float64) float64 {
	sort.Float64s(a)
	sort.Float64s(b)
	i, j, d := 0, 0, 0.0
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// ksCritical is the two-sample KS critical value at significance alpha.
func ksCritical(n, m int, alpha float64) float64 {
	c := math.Sqrt(-math.Log(alpha/2) / 2)
	return c * math.Sqrt(float64(n+m)/float64(n*m))
}

func epochSamples(t *testing.T, sc *Scenario, years float64, blockwise bool, paths int, seed uint64) (change, length, over [][]float64) {
	opt := Options{Paths: paths, Seed: seed, Years: years, BlockByBlock: blockwise}
	m, err := prepare(sc, &opt)
	if err != nil {
		t.Fatal(err)
	}
	p := newPath(m)
	change, length, over = make([][]float64, 3), make([][]float64, 3), make([][]float64, 3)
	for i := 0; i < paths; i++ {
		p.reset(seed, i)
		if err := p.run(); err != nil {
			t.Fatal(err)
		}
		for k := 0; k < 3 && k < len(p.epochs); k++ {
			change[k] = append(change[k], p.epochs[k].change)
			length[k] = append(length[k], p.epochs[k].length)
			over[k] = append(over[k], float64(p.epochs[k].overHour))
		}
	}
	return
}

// The fast engine (Poisson counts per day, exact order-statistic time for
// the epoch's last block) must match the plain block-by-block engine in
// distribution: two-sample KS tests on the retargets' changes and epoch
// lengths at alpha = 0.001, on the exogenous China replay and on the agent
// population (where hashrate responds to the retargets), and the mean
// number of hour-long blocks within 4 standard errors.
func TestFastEngineMatchesBlockByBlock(t *testing.T) {
	for _, c := range []struct {
		name   string
		years  float64
		epochs int
	}{{"china-2021-replay", 0.06, 1}, {"price-crash", 0.12, 3}} {
		sc := mustShipped(t, c.name)
		const n = 400
		fc, fl, fo := epochSamples(t, sc, c.years, false, n, 11)
		bc, bl, bo := epochSamples(t, sc, c.years, true, n, 12)
		for k := 0; k < c.epochs; k++ {
			if len(fc[k]) < n*9/10 || len(bc[k]) < n*9/10 {
				t.Fatalf("%s: too few paths reached retarget %d (%d, %d)", c.name, k+1, len(fc[k]), len(bc[k]))
			}
			crit := ksCritical(len(fc[k]), len(bc[k]), 0.001)
			for _, s := range []struct {
				what string
				a, b []float64
			}{{"change", fc[k], bc[k]}, {"length", fl[k], bl[k]}} {
				d := ksStat(s.a, s.b)
				t.Logf("%s retarget %d %s: KS D = %.4f (critical %.4f)", c.name, k+1, s.what, d, crit)
				if d > crit {
					t.Errorf("%s retarget %d: %s distributions differ (KS D %.4f > %.4f)", c.name, k+1, s.what, d, crit)
				}
			}
			mf, sf := meanSE(fo[k])
			mb, sb := meanSE(bo[k])
			t.Logf("%s retarget %d blocks over an hour: fast %.2f±%.2f, block-by-block %.2f±%.2f", c.name, k+1, mf, sf, mb, sb)
			if math.Abs(mf-mb) > 4*math.Hypot(sf, sb) {
				t.Errorf("%s retarget %d: hour-long blocks differ: %.2f vs %.2f", c.name, k+1, mf, mb)
			}
		}
	}
}

func meanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)-1) / float64(len(x)))
}

// The default population is calibrated to the snapshot: running hashrate
// at the start hashprice equals the difficulty-implied hashrate, class and
// pool shares match their targets.
func TestDefaultPopulationCalibration(t *testing.T) {
	sc := mustShipped(t, "baseline")
	opt := Options{Paths: 1, Seed: 1}
	m, err := prepare(sc, &opt)
	if err != nil {
		t.Fatal(err)
	}
	pop := m.pop
	if len(pop.ops) != 1000 {
		t.Errorf("%d operators, want 1000", len(pop.ops))
	}
	var running float64
	pools := make([]float64, len(pop.pools))
	var class [numClasses]float64
	for _, u := range pop.units {
		if u.be <= m.hp0 {
			running += u.hs
			pools[u.pool] += u.hs
			class[u.cls] += u.hs
		}
	}
	if math.Abs(running/m.h0-1) > 1e-9 {
		t.Errorf("running hashrate %.6g H/s, want %.6g", running, m.h0)
	}
	for c := Industrial; c < numClasses; c++ {
		want := classSpecs[c].share / 0.624 * (1 - class[Listed]/running)
		if got := class[c] / running; math.Abs(got-want) > 1e-6 {
			t.Errorf("class %s share %.4f, want %.4f", c, got, want)
		}
	}
	for i, ps := range poolShares {
		got := pools[i] / running
		t.Logf("pool %-14s share %.4f (target %.4f)", ps.Slug, got, ps.Share)
		if math.Abs(got-ps.Share) > 0.02 {
			t.Errorf("pool %s share %.4f, target %.4f", ps.Slug, got, ps.Share)
		}
	}
	// The supply curve slopes: less runs at a lower hashprice.
	half := 0.0
	for _, u := range pop.units {
		if u.be <= m.hp0/2 {
			half += u.hs
		}
	}
	if !(half < running && half > 0) {
		t.Errorf("running at half the hashprice: %.3g of %.3g", half, running)
	}
}

// A scheduled conversion removes MW / (J/TH) of hashrate from the named
// operator, linearly between its dates.
func TestScheduledConversionRemovesCapacity(t *testing.T) {
	// The ramp runs from day 7 to day 36 after the embedded snapshot's
	// start (inclusive), whatever snapshot is embedded.
	base, err := ParseScenario([]byte("name: conv"))
	if err != nil {
		t.Fatal(err)
	}
	date := func(day int) string {
		return time.Unix(base.Start.Time, 0).UTC().AddDate(0, 0, day).Format(time.DateOnly)
	}
	sc, err := ParseScenario([]byte(`name: conv
years: 0.5
price: {model: flat}
fees: {btc_per_block: 0.02}
expansion: {disabled: true}
conversions:
  - {operator: Bitfarms, mw: 100, start: ` + date(7) + `, end: ` + date(36) + `, joules_per_th: 20}
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), sc, Options{Paths: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	conv := r.Series("converted_hs")
	want := 100e6 / 20 * 1e12 // 100 MW at 20 J/TH = 5 EH/s
	end := float64(conv.P50[len(conv.P50)-1])
	if math.Abs(end/want-1) > 0.01 {
		t.Errorf("converted %.4g H/s at the end, want %.4g", end, want)
	}
	// Halfway through the ramp (day 22)
	mid := float64(conv.P50[22])
	if !(mid > 0.3*want && mid < 0.7*want) {
		t.Errorf("converted %.4g H/s mid-ramp, want about half of %.4g", mid, want)
	}
}

// Subsidy of a run of blocks across the 2028 halving.
func TestSubsidyAcrossHalving(t *testing.T) {
	sc := mustShipped(t, "halving-2028")
	m, err := prepare(sc, &Options{Paths: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := newPath(m)
	p.reset(1, 0)
	p.tip = 1_049_989
	got := p.subsidySats(20) // 10 blocks at 3.125 BTC, 10 at 1.5625
	if want := int64(10*312_500_000 + 10*156_250_000); got != want {
		t.Errorf("subsidy %d sats, want %d", got, want)
	}
}

// With expansion on and a rising price, installed capacity grows; with it
// off, it cannot.
func TestExpansionFollowsMargins(t *testing.T) {
	base := "name: grow\nyears: 1\nprice: {model: flat, start_usd: 200000}\nfees: {btc_per_block: 0.02}\n"
	for _, c := range []struct {
		extra string
		grow  bool
	}{{"", true}, {"expansion: {disabled: true}\n", false}} {
		sc, err := ParseScenario([]byte(base + c.extra))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Run(context.Background(), sc, Options{Paths: 4, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		h := r.Series("hashrate_hs")
		ratio := float64(h.P50[len(h.P50)-1] / h.P50[0])
		t.Logf("expansion %v: hashrate ratio after a year %.3f", c.grow, ratio)
		if c.grow != (ratio > 1.2) {
			t.Errorf("expansion %v: hashrate ratio %.3f", c.grow, ratio)
		}
	}
}

// Probes add daily bands, computed on the days they ask for.
func TestProbes(t *testing.T) {
	sc := mustShipped(t, "china-2021-replay")
	r, err := Run(context.Background(), sc, Options{Paths: 10, Seed: 1, Probes: []Probe{{
		Name: "ehs", Unit: "EH/s", Scale: Log, Every: 7,
		Fn: func(d *Day) float64 { return d.HashrateHs / 1e18 },
	}}})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Series("ehs")
	if s == nil {
		t.Fatal("probe series missing")
	}
	h := r.Series("hashrate_hs")
	for d := range s.P50 {
		if d%7 != 0 {
			if !math.IsNaN(float64(s.P50[d])) {
				t.Errorf("day %d: probe computed off its schedule", d)
			}
			continue
		}
		if math.Abs(float64(s.P50[d])*1e18/float64(h.P50[d])-1) > 0.02 {
			t.Errorf("day %d: probe %.4g vs hashrate %.4g", d, s.P50[d], h.P50[d])
		}
	}
}

func TestPathSinkInOrder(t *testing.T) {
	sc := mustShipped(t, "china-2021-replay")
	var got []int
	_, err := Run(context.Background(), sc, Options{Paths: 20, Seed: 1, Workers: 3,
		PathSink: func(i int, names []string, vals []float64) {
			if names[0] != "hashrate_hs" || len(vals) != len(names)*30 {
				t.Errorf("path %d: %d names, %d values", i, len(names), len(vals))
			}
			got = append(got, i)
		}})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("paths delivered out of order: %v", got)
		}
	}
	if len(got) != 20 {
		t.Fatalf("%d paths delivered", len(got))
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, mustShipped(t, "baseline"), Options{Paths: 100, Seed: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
