package sim

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/snapshot"
)

// cmDay is one day of the Coin Metrics community file (CC BY-NC 4.0:
// read by tests only, never shipped).
type cmDay struct {
	PriceUSD, HashRateTHs, Blocks, FeesBTC float64
}

func coinMetrics(t testing.TB) map[string]cmDay {
	t.Helper()
	f, err := os.Open(sharedtest.Path(t, "daily", "coinmetrics_btc_daily_2009-01-03_2026-03-23.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, n := range recs[0] {
		col[n] = i
	}
	out := map[string]cmDay{}
	num := func(r []string, n string) float64 {
		v, err := strconv.ParseFloat(r[col[n]], 64)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	for _, r := range recs[1:] {
		out[r[0]] = cmDay{num(r, "PriceUSD"), num(r, "HashRate"), num(r, "BlkCnt"), num(r, "FeeTotNtv")}
	}
	return out
}

// cbeci reads Cambridge's network efficiency estimate (J/TH: lower,
// estimate, upper) by date.
func cbeci(t testing.TB) map[string][3]float64 {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "daily", "cbeci_network_efficiency_jth_2010-07-18_2025-03-10.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][3]float64{}
	for _, r := range recs[1:] {
		var v [3]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(r[1+i], 64)
		}
		out[r[0]] = v
	}
	return out
}

func day(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.DateOnly) }

// epochStartScenario is a scenario starting at the first block of a real
// epoch with that day's real price and mean fees per block.
func epochStartScenario(t testing.TB, e snapshot.Epoch, cm map[string]cmDay, extra string) *Scenario {
	t.Helper()
	d := cm[day(e.FirstTime)]
	fees := d.FeesBTC / d.Blocks
	src := fmt.Sprintf("name: epoch-%d\nstart: {height: %d, bits: %08x, time: %d}\nprice: {model: flat, start_usd: %g}\nfees: {btc_per_block: %.6f}\n%s",
		e.Epoch, e.FirstHeight, e.Bits, e.FirstTime, d.PriceUSD, fees, extra)
	sc, err := ParseScenario([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// runningJoulesPerTH is the default population's running-hashrate
// weighted efficiency at the start hashprice, and its running hashrate.
func runningJoulesPerTH(m *model) (jpt, hs float64) {
	var kw float64
	for _, u := range m.pop.units {
		if u.be <= m.hp0 {
			hs += u.hs
			kw += u.hs * u.kw
		}
	}
	return kw / hs * 1e15, hs
}

// At every real epoch start from 2016 to the end of Cambridge's series
// (2025-03-10), the default population built for that date runs exactly
// the hashrate the start bits imply and its network efficiency lies within
// Cambridge's published lower and upper bounds for that day (CBECI,
// ccaf.io/cbnsi/cbeci, via shared/data daily/).
func TestPopulationForAnyDateMatchesCambridgeEfficiency(t *testing.T) {
	cm := coinMetrics(t)
	cb := cbeci(t)
	n := 0
	var rel []float64
	for _, e := range snapshot.Epochs() {
		if e.FirstTime == 0 || e.FirstTime < time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC).Unix() {
			continue
		}
		bounds, ok := cb[day(e.FirstTime)]
		if !ok {
			continue
		}
		sc := epochStartScenario(t, e, cm, "")
		m, err := prepare(sc, &Options{Paths: 1, Seed: 1})
		if err != nil {
			t.Fatalf("epoch %d (%s): %v", e.Epoch, day(e.FirstTime), err)
		}
		jpt, hs := runningJoulesPerTH(m)
		n++
		rel = append(rel, math.Abs(jpt/bounds[1]-1))
		if math.Abs(hs/m.h0-1) > 1e-9 {
			t.Errorf("epoch %d: running %.4g H/s, want %.4g", e.Epoch, hs, m.h0)
		}
		if e.Epoch%10 == 0 {
			t.Logf("%s height %d: %.1f J/TH (Cambridge %.1f, bounds %.1f–%.1f)", day(e.FirstTime), e.FirstHeight, jpt, bounds[1], bounds[0], bounds[2])
		}
		if jpt < bounds[0] || jpt > bounds[2] {
			t.Errorf("%s (epoch %d): population %.1f J/TH outside Cambridge's bounds %.1f–%.1f (estimate %.1f)", day(e.FirstTime), e.Epoch, jpt, bounds[0], bounds[2], bounds[1])
		}
	}
	if n < 200 {
		t.Errorf("only %d epochs compared", n)
	}
	sort.Float64s(rel)
	t.Logf("%d epoch starts: |population/Cambridge estimate − 1| median %.1f%%, 90th percentile %.1f%%, max %.1f%%", n, 100*rel[n/2], 100*rel[n*9/10], 100*rel[n-1])
}
