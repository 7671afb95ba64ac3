package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"
)

// A path whose network stops (here: no cost tail, no contracts and a 99.9%
// price crash) is counted as halted; its halted days are not in the bands
// as 0 H/s, ∞ s or $0, and the count survives sharding.
func TestHaltedPathsAreCountedNotAveraged(t *testing.T) {
	sc, err := ParseScenario([]byte(`name: halt
years: 0.3
price: {model: flat, shocks: [{day: 5, change: -0.999, days: 1}]}
population: {cost_tail: {share: 0}, contracts: {share: 0}, hysteresis: 0}
expansion: {disabled: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Run(context.Background(), sc, Options{Paths: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.HaltedPaths != 20 || r.HaltedByDay[len(r.HaltedByDay)-1] != 20 {
		t.Fatalf("halted paths %d, by day %v; want all 20", r.HaltedPaths, r.HaltedByDay)
	}
	for _, name := range []string{"hashrate_hs", "block_interval_s"} { // a running day without a block has a real $0 budget
		s := r.Series(name)
		for d := range s.P5 {
			for _, v := range []Num{s.P5[d], s.P50[d], s.P95[d]} {
				if v == 0 || math.IsInf(float64(v), 0) {
					t.Fatalf("%s day %d: %v in the bands (hashrate p5 %v p50 %v, halted %d)", name, d, v, r.Series("hashrate_hs").P5[d], r.Series("hashrate_hs").P50[d], r.HaltedByDay[d])
				}
			}
		}
	}
	b, _ := json.Marshal(r)
	if !bytes.Contains(b, []byte(`"halted_paths":20`)) {
		t.Error("JSON lacks halted_paths")
	}
	var shards []*Shard
	for i := 0; i < 2; i++ {
		raw, err := RunShard(context.Background(), sc, Options{Paths: 20, Seed: 1, Shard: i, Shards: 2})
		if err != nil {
			t.Fatal(err)
		}
		s, err := DecodeShard(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
	}
	mr, err := Merge(shards)
	if err != nil {
		t.Fatal(err)
	}
	if mr.HaltedPaths != 20 {
		t.Errorf("merged halted paths %d", mr.HaltedPaths)
	}
}

// With the default cost tail the baseline does not halt: the tail's
// cheapest machines earn their power down to a hashprice far below the
// baseline's lowest paths.
func TestBaselineDoesNotHalt(t *testing.T) {
	sc := mustShipped(t, "baseline")
	m, err := prepare(sc, &Options{Paths: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Hashrate whose breakeven is below 10% of the start hashprice.
	low := 0.0
	for _, u := range m.pop.units {
		if u.be < m.hp0/10 {
			low += u.hs
		}
	}
	t.Logf("start hashprice %.2f $/PH/day; %.2f%% of installed hashrate runs below %.2f", m.hp0, 100*low/m.h0, m.hp0/10)
	if low < 0.005*m.h0 {
		t.Errorf("only %.3g H/s breaks even below a tenth of the start hashprice", low)
	}
	r, err := Run(context.Background(), sc, Options{Paths: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.HaltedPaths != 0 {
		t.Errorf("%d of 300 baseline paths halted", r.HaltedPaths)
	}
	h := r.Series("hashrate_hs")
	for d := range h.P5 {
		if !(h.P5[d] > 0) {
			t.Fatalf("day %d: p5 hashrate %v", d, h.P5[d])
		}
	}
}

// The example: the scenario file testdata/start-800352.yaml
// starts at height 800,352 (2023-07-26, bits 0x17056102, its real time)
// and runs with the default population built for that date, and the
// agents respond: a 50% price fall switches machines off (lower hashrate,
// more curtailed capacity) and the retargets follow.
func TestHistoricalStartRunsWithAgents(t *testing.T) {
	file, err := os.ReadFile("testdata/start-800352.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The same file with a flat price, without and with a 50% fall.
	run := func(shocks []Shock) *Result {
		sc, err := ParseScenario(file)
		if err != nil {
			t.Fatal(err)
		}
		sc.Price.Model, sc.Fees.Volatility, sc.Price.Shocks = "flat", 0, shocks
		r, err := Run(context.Background(), sc, Options{Paths: 20, Seed: 1, Years: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	flat := run(nil)
	crash := run([]Shock{{Day: 10, Change: -0.5, Days: 10}})
	if len(flat.Population) == 0 || flat.StartHashrateHs < 3.5e20 || flat.StartHashrateHs > 4.5e20 || flat.StartHeight != 800352 {
		t.Fatalf("population %v, start hashrate %g at %d", flat.Population, flat.StartHashrateHs, flat.StartHeight)
	}
	d := 40
	hf, hc := float64(flat.Series("hashrate_hs").P50[d]), float64(crash.Series("hashrate_hs").P50[d])
	cf, cc := float64(flat.Series("curtailed_hs").P50[d]), float64(crash.Series("curtailed_hs").P50[d])
	t.Logf("day %d: hashrate %.0f EH/s flat, %.0f EH/s after a 50%% fall; curtailed %.0f vs %.0f EH/s", d, hf/1e18, hc/1e18, cf/1e18, cc/1e18)
	if !(hc < 0.9*hf && cc > cf) {
		t.Errorf("agents did not respond to the price fall: hashrate %.3g vs %.3g, curtailed %.3g vs %.3g", hc, hf, cc, cf)
	}
	if len(crash.Epochs) < 5 || !(float64(crash.Epochs[1].ChangePct.P50) < -5) {
		t.Errorf("retargets after the fall: %+v", crash.Epochs[:2])
	}
}

// The exact retarget rule makes the steady-state mean block interval
// 600·2016/2014 ≈ 600.596 s, not 600 s: at constant hashrate an epoch's
// mean interval is μ' = 1,209,600 s / G with G ~ Gamma(2015, 1) the
// previous epoch's 2015 intervals in units of its own mean (whatever that
// mean was), and E[1/G] = 1/2014. The test measures it per epoch (epoch
// timespan / 2015 intervals) over 300 paths of 20 years (about 156,000
// epochs, standard error about 0.05 s) and tells it apart from 600 s and
// from 600·2016/2015.
func TestSteadyStateBlockInterval(t *testing.T) {
	sc, err := ParseScenario([]byte("name: steady\nyears: 20\nprice: {model: flat}\nhashrate_path: [{day: 0, factor: 1}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := prepare(sc, &Options{Paths: 300, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := newPath(m)
	var sum, sumSq, n float64
	for i := 0; i < 300; i++ {
		p.reset(1, i)
		if err := p.run(); err != nil {
			t.Fatal(err)
		}
		for _, e := range p.epochs[2:] {
			x := e.length * 86400 / 2015
			sum += x
			sumSq += x * x
			n++
		}
	}
	mean := sum / n
	se := math.Sqrt((sumSq/n - mean*mean) / n)
	want := 600.0 * 2016 / 2014
	t.Logf("mean interval %.3f s ± %.3f over %.0f epochs (theory %.3f)", mean, se, n, want)
	if math.Abs(mean-want) > 4*se || math.Abs(mean-600) < 4*se || math.Abs(mean-600.0*2016/2015) < 4*se {
		t.Errorf("mean interval %.3f ± %.3f s, want %.3f", mean, se, want)
	}
}

// Cancellation reaches a running path within 32 simulated days (a few
// microseconds), not only between paths: a 50-year path whose probe
// cancels the context on day 100 stops by day 100+32.
func TestCancelInsideAPath(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	last := 0
	probe := Probe{Name: "cancel", Scale: Log, Fn: func(d *Day) float64 {
		last = d.Index
		if d.Index == 100 {
			cancel()
		}
		return 1
	}}
	_, err := Run(ctx, mustShipped(t, "baseline"), Options{Paths: 1, Seed: 1, Years: 50, Workers: 1, Probes: []Probe{probe}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if last < 100 || last > 100+cancelCheckMask+1 {
		t.Errorf("the path ran to day %d after the cancel on day 100", last)
	}
}
