package sim

import (
	"math"
	"testing"
)

// Sample means and variances of the samplers are within 5 standard errors
// of the distributions' (Poisson: mean = variance = λ; Gamma(k): mean =
// variance = k; the k-th of n uniforms: Beta(k, n-k+1) with mean k/(n+1)).
func TestSamplers(t *testing.T) {
	g := newRNG(42, 0)
	const n = 200_000
	check := func(name string, draw func() float64, mean, variance float64) {
		var s, ss float64
		for i := 0; i < n; i++ {
			x := draw()
			s += x
			ss += x * x
		}
		m := s / n
		v := ss/n - m*m
		if se := math.Sqrt(variance / n); math.Abs(m-mean) > 5*se {
			t.Errorf("%s: mean %.5g, want %.5g (se %.3g)", name, m, mean, se)
		}
		if math.Abs(v/variance-1) > 0.03 {
			t.Errorf("%s: variance %.5g, want %.5g", name, v, variance)
		}
	}
	for _, lam := range []float64{0.3, 4, 9.99, 10, 144, 3000} {
		check("poisson", func() float64 { return float64(g.poisson(lam)) }, lam, lam)
	}
	for _, k := range []float64{0.5, 1, 3, 2016} {
		check("gamma", func() float64 { return g.gamma(k) }, k, k)
	}
	for _, c := range [][2]int64{{1, 1}, {1, 150}, {150, 150}, {343, 900}} {
		k, m := float64(c[0]), float64(c[1])
		mean := k / (m + 1)
		variance := k * (m - k + 1) / ((m + 1) * (m + 1) * (m + 2))
		check("orderStat", func() float64 { return g.orderStat(c[0], c[1]) }, mean, variance)
	}
}
