package sim

import (
	"math"
	"math/rand/v2"
)

// rng is one path's random stream. All draws of a path come from it in a
// fixed order, so a path's result depends only on (seed, path index).
type rng struct {
	r   *rand.Rand
	pcg *rand.PCG
}

// reseed points g at another stream without allocating (paths reuse their
// generators).
func (g *rng) reseed(a, b uint64) *rng {
	if g == nil {
		pcg := rand.NewPCG(a, b)
		return &rng{r: rand.New(pcg), pcg: pcg}
	}
	g.pcg.Seed(a, b)
	return g
}

func newRNG(seed uint64, path int) *rng {
	// PCG's two words: the run's seed and the path index (mixed so that
	// neighbouring seeds do not give neighbouring streams).
	return (*rng)(nil).reseed(seed, splitmix(uint64(path)+0x9e3779b97f4a7c15*seed))
}

// newMarketRNG is path's second stream, for the market (price and fees)
// only: the price path of (seed, path) does not depend on how the miners
// behave, so runs that differ in a behavioural parameter see the same
// prices (common random numbers, as the sensitivity tornado needs).
func newMarketRNG(seed uint64, path int) *rng {
	return (*rng)(nil).reseed(marketSeeds(seed, path))
}

func marketSeeds(seed uint64, path int) (uint64, uint64) {
	return splitmix(seed ^ 0x6d61726b6574), splitmix(uint64(path) + 0x9e3779b97f4a7c15*seed)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// uniform returns a float in (0, 1).
func (g *rng) uniform() float64 {
	for {
		u := g.r.Float64()
		if u > 0 {
			return u
		}
	}
}

func (g *rng) normal() float64 { return g.r.NormFloat64() }

func (g *rng) exp() float64 { return g.r.ExpFloat64() }

// poisson draws from a Poisson distribution with mean lam: inversion by
// sequential search for small means, Hörmann's transformed rejection with
// squeeze (PTRS, "The transformed rejection method for generating Poisson
// random variables", Insurance: Mathematics and Economics 12, 1993) above.
func (g *rng) poisson(lam float64) int64 {
	switch {
	case lam <= 0:
		return 0
	case lam < 10:
		// Inversion: walk the CDF from 0.
		u := g.r.Float64()
		p := math.Exp(-lam)
		var k int64
		cdf := p
		for u > cdf {
			k++
			p *= lam / float64(k)
			cdf += p
			if p == 0 { // numerically exhausted tail
				break
			}
		}
		return k
	}
	slam := math.Sqrt(lam)
	loglam := math.Log(lam)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := g.r.Float64() - 0.5
		v := g.r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lam + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -lam+k*loglam-lg {
			return int64(k)
		}
	}
}

// gamma draws Gamma(shape, 1) by Marsaglia and Tsang's method ("A simple
// method for generating gamma variables", ACM TOMS 26(3), 2000), boosting
// shapes below 1 with U^(1/shape).
func (g *rng) gamma(shape float64) float64 {
	if shape < 1 {
		return g.gamma(shape+1) * math.Pow(g.uniform(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := g.normal()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := g.uniform()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// orderStat returns the k-th smallest of n independent uniforms on (0,1),
// which is Beta(k, n-k+1) distributed (1 <= k <= n).
func (g *rng) orderStat(k, n int64) float64 {
	if k == 1 && n == 1 {
		return g.uniform()
	}
	if k == 1 {
		return 1 - math.Pow(g.uniform(), 1/float64(n))
	}
	if k == n {
		return math.Pow(g.uniform(), 1/float64(n))
	}
	x := g.gamma(float64(k))
	y := g.gamma(float64(n - k + 1))
	return x / (x + y)
}
