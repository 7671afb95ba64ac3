package sim

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"pgregory.net/rapid"
)

// Histogram quantiles agree with exact order statistics to within the bin
// width.
func TestHistQuantilesMatchExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		scale Scale
		width float64
		gen   func() float64
		tol   func(exact float64) float64
	}{
		{Log, 0, func() float64 { return 1e20 * math.Exp(r.NormFloat64()) }, func(x float64) float64 { return x / 64 }},
		{Linear, 0.01, func() float64 { return -28 + 2*r.NormFloat64() }, func(float64) float64 { return 0.01 }},
		{Count, 1, func() float64 { return float64(r.IntN(50)) }, func(float64) float64 { return 0 }},
	} {
		var h hist
		xs := make([]float64, 5001)
		for i := range xs {
			xs[i] = c.gen()
			h.add(c.scale, c.width, xs[i])
		}
		sort.Float64s(xs)
		qs := []float64{0.05, 0.25, 0.5, 0.75, 0.95}
		out := make([]float64, len(qs))
		h.quantiles(c.scale, c.width, qs, out)
		for i, q := range qs {
			pos := q * float64(len(xs)-1)
			exact := xs[int(pos)]
			if c.scale != Count {
				exact += (pos - math.Floor(pos)) * (xs[min(int(pos)+1, len(xs)-1)] - xs[int(pos)])
			} else {
				exact = xs[int(math.Round(pos))]
			}
			if math.Abs(out[i]-exact) > c.tol(exact) {
				t.Errorf("scale %d q%.2f: %v, exact %v", c.scale, q, out[i], exact)
			}
		}
	}
}

// Merging histograms in any grouping and order gives identical counts,
// and therefore identical quantiles: the basis of worker- and
// shard-independence.
func TestHistMergeIsOrderFree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vals := rapid.SliceOfN(rapid.Float64Range(1e-3, 1e25), 1, 300).Draw(t, "vals")
		split := rapid.IntRange(0, len(vals)).Draw(t, "split")
		var all, a, b hist
		for i, v := range vals {
			all.add(Log, 0, v)
			if i < split {
				a.add(Log, 0, v)
			} else {
				b.add(Log, 0, v)
			}
		}
		var ab, ba hist
		ab.merge(&a)
		ab.merge(&b)
		ba.merge(&b)
		ba.merge(&a)
		qs := []float64{0.05, 0.5, 0.95}
		x, y, z := make([]float64, 3), make([]float64, 3), make([]float64, 3)
		all.quantiles(Log, 0, qs, x)
		ab.quantiles(Log, 0, qs, y)
		ba.quantiles(Log, 0, qs, z)
		for i := range qs {
			if x[i] != y[i] || x[i] != z[i] {
				t.Fatalf("q%.2f: %v %v %v", qs[i], x[i], y[i], z[i])
			}
		}
	})
}

// Values beyond the dense window (a path far in the tail) still count.
func TestHistFarValues(t *testing.T) {
	var h hist
	for i := 0; i < 99; i++ {
		h.add(Linear, 1, 5)
	}
	h.add(Linear, 1, 1e6)
	h.add(Log, 0, math.Inf(1))
	out := make([]float64, 2)
	h.quantiles(Linear, 1, []float64{0.5, 1}, out)
	if out[0] < 5 || out[0] > 6 || !math.IsInf(out[1], 1) {
		t.Errorf("quantiles %v", out)
	}
}
