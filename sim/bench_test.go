package sim

import (
	"context"
	"testing"
)

// BenchmarkPath4Years is one 4-year path of the baseline scenario with the
// default population of 1,000 operators (simulation only, no aggregation).
func BenchmarkPath4Years(b *testing.B) {
	sc, err := LoadShipped("baseline")
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{Paths: 1, Seed: 1, Years: 4}
	m, err := prepare(sc, &opt)
	if err != nil {
		b.Fatal(err)
	}
	p := newPath(m)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.reset(1, i)
		if err := p.run(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMonteCarlo10k is 10,000 4-year baseline paths with quantile
// aggregation on all cores: the whole `sim run baseline --paths 10000`.
func BenchmarkMonteCarlo10k(b *testing.B) {
	sc, err := LoadShipped("baseline")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := Run(context.Background(), sc, Options{Paths: 10000, Seed: 1, Years: 4}); err != nil {
			b.Fatal(err)
		}
	}
}
