package server

import (
	"context"
	"testing"
	"time"

	"github.com/hashlab/hashlab/pivot"
	"github.com/hashlab/hashlab/sim"
)

// TestSimCostFormula: a run's estimate is operators × paths × days at
// simUnitsPerOperatorDay, one path's is operators × days.
func TestSimCostFormula(t *testing.T) {
	run, err := NewSimRunner().Prepare([]byte(`{"scenario": "ai-exodus", "paths": 1000, "years": 3}`))
	if err != nil {
		t.Fatal(err)
	}
	c := run.(costedRun).Cost()
	if c.Operators != 1000 || c.Days != 1096 || c.Paths != 1000 || c.PathUnits != 7672 || c.Units != 7_672_000 {
		t.Errorf("cost %+v", c)
	}
}

// BenchmarkCostModel measures the figures behind the cost model's
// constants (budget.go) on this machine and reports them as ns per unit of
// each model's driver; compare with simUnitsPerOperatorDay (7 ns),
// pivotUnitsPerPathYear (1 µs).
//
//	go test ./server -run '^$' -bench CostModel -benchtime 1x
func BenchmarkCostModel(b *testing.B) {
	sc, err := sim.LoadShipped("ai-exodus")
	if err != nil {
		b.Fatal(err)
	}
	site, err := pivot.ParseSite([]byte(apiSiteB(b)))
	if err != nil {
		b.Fatal(err)
	}
	for range b.N {
		t0 := time.Now()
		if _, err := sim.Run(context.Background(), sc, sim.Options{Paths: 50, Seed: 1, Years: 1, Workers: 1}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t0).Nanoseconds())/float64(sc.Population.Operators*50*366), "ns/operator-day")
		t0 = time.Now()
		paths := pivot.GBMPaths(35, 0, 0.6, site.HorizonYears, 5000, 1)
		if _, err := pivot.RunMonteCarlo(context.Background(), site, paths); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(t0).Nanoseconds())/float64(5000*site.HorizonYears), "ns/path-year")
	}
}
