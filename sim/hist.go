package sim

import (
	"math"
	"slices"
)

// Scale is how a metric is binned for its quantiles.
type Scale uint8

const (
	// Log bins values > 0 in relative steps between 1/128 and 1/64 (the
	// top six mantissa bits of the float64, as HDR histograms do; 0 is
	// kept exactly in a bin of its own).
	Log Scale = iota
	// Linear bins values in steps of the metric's Width.
	Linear
	// Count bins integers exactly (quantiles are order statistics).
	Count
)

// logShift keeps the float64's exponent and top 6 mantissa bits as a Log
// bin: 64 bins per doubling.
const logShift = 52 - 6

// hist is a histogram of one metric on one day (or one epoch index) over
// paths. Counts are integers, so merging is exact and order-free; memory
// is the range of bins the values span, not the number of paths.
//
// The dense counts are 16-bit: a run keeps tens of thousands of
// histograms, and their bins, not the paths, are its memory. A bin that
// passes 65,535 carries its multiples of 65,536 into over (only runs of
// more than 65,535 paths can); countAt reads the sum.
type hist struct {
	lo     int32            // bin of counts[0]
	counts []uint16         // dense from lo, at most maxDense bins
	over   map[int32]uint32 // bin -> the 65,536s carried out of its dense count
	far    map[int32]uint32
	zero   uint32 // zeros (Log scale: values below logFloor)
	inf    uint32 // +Inf (e.g. the block interval of a stopped network)
	n      uint32
	// min and max of the finite values: quantiles are clamped to them, so
	// a metric that is the same on every path reads exactly.
	min, max float64
}

// binned is the number of values in bins (not zero, not +Inf).
func (h *hist) binned() uint32 { return h.n - h.zero - h.inf }

// maxDense caps a histogram's dense window; bins outside it (rare tails)
// go to a sparse map, so memory stays bounded whatever a path does. The
// window is wide enough for the finest linear metrics (an epoch's length
// in steps of 0.001 day, its day in steps of 0.01): their values would
// otherwise spill into the map, about 20 bytes a value, so that memory
// would grow with the paths; at 2 bytes a bin it is at most 32 kB.
const maxDense = 1 << 14

// logFloor: Log values below it count as zero (sub-satoshi BTC, sub-H/s
// hashrate: floating-point residue of a quantity that is gone).
const logFloor = 1e-9

func binOf(sc Scale, width, v float64) int32 {
	var b float64
	switch sc {
	case Log:
		return int32(math.Float64bits(v) >> logShift)
	case Count:
		b = math.Round(v)
	default:
		b = math.Floor(v / width)
	}
	// Keep far outliers representable (they land in the end bins).
	return int32(math.Max(-1<<30, math.Min(1<<30, b)))
}

func (h *hist) add(sc Scale, width, v float64) {
	if math.IsNaN(v) || math.IsInf(v, -1) {
		return
	}
	h.n++
	if math.IsInf(v, 1) {
		h.inf++
		return
	}
	if first := h.binned() == 1; first || v < h.min {
		h.min = v
	}
	if first := h.binned() == 1; first || v > h.max {
		h.max = v
	}
	if sc == Log && v < logFloor {
		h.zero++
		return
	}
	h.addBin(binOf(sc, width, v), 1)
}

// countAt is the count of dense bin lo+i.
func (h *hist) countAt(i int) uint32 {
	c := uint32(h.counts[i])
	if h.over != nil {
		c += h.over[h.lo+int32(i)] << 16
	}
	return c
}

// addDense adds c to dense bin lo+i, carrying past 16 bits into over.
func (h *hist) addDense(i int, c uint32) {
	s := uint64(h.counts[i]) + uint64(c)
	if s > 0xFFFF {
		if h.over == nil {
			h.over = map[int32]uint32{}
		}
		h.over[h.lo+int32(i)] += uint32(s >> 16)
		s &= 0xFFFF
	}
	h.counts[i] = uint16(s)
}

// denseGrow is the headroom a dense window gets when it widens: bins
// are added one tail at a time, so some room avoids copying the window
// for each, and little room keeps the memory to the bins in use.
func denseGrow(n int) int { return max(8, n/8) }

func (h *hist) addBin(b int32, c uint32) {
	if len(h.counts) == 0 {
		h.lo = b
		h.counts = make([]uint16, 1, 8)
		h.addDense(0, c)
		return
	}
	if int64(b) < int64(h.lo)+int64(len(h.counts))-maxDense || int64(b) >= int64(h.lo)+maxDense {
		if h.far == nil {
			h.far = map[int32]uint32{}
		}
		h.far[b] += c
		return
	}
	if b < h.lo {
		grow := int(h.lo - b)
		n := grow + len(h.counts)
		nc := make([]uint16, n, n+denseGrow(n))
		copy(nc[grow:], h.counts)
		h.counts = nc
		h.lo = b
	} else if i := int(b - h.lo); i >= len(h.counts) {
		if i < cap(h.counts) {
			h.counts = h.counts[:i+1]
		} else {
			nc := make([]uint16, i+1, i+1+denseGrow(i+1))
			copy(nc, h.counts)
			h.counts = nc
		}
	}
	h.addDense(int(b-h.lo), c)
}

// merge adds o's counts to h.
func (h *hist) merge(o *hist) {
	if o.binned() > 0 {
		if h.binned() == 0 || o.min < h.min {
			h.min = o.min
		}
		if h.binned() == 0 || o.max > h.max {
			h.max = o.max
		}
	}
	h.n += o.n
	h.zero += o.zero
	h.inf += o.inf
	for i := range o.counts {
		if c := o.countAt(i); c != 0 {
			h.addBin(o.lo+int32(i), c)
		}
	}
	for b, c := range o.far {
		h.addBin(b, c)
	}
}

// bins returns the non-empty bins in ascending order.
func (h *hist) bins() (bs []int32, cs []uint32) {
	var keys []int32
	for b := range h.far {
		keys = append(keys, b)
	}
	slices.Sort(keys)
	k := 0
	for i := range h.counts {
		c := h.countAt(i)
		b := h.lo + int32(i)
		for k < len(keys) && keys[k] < b {
			bs, cs = append(bs, keys[k]), append(cs, h.far[keys[k]])
			k++
		}
		if c == 0 {
			continue
		}
		if k < len(keys) && keys[k] == b {
			c += h.far[b]
			k++
		}
		bs, cs = append(bs, b), append(cs, c)
	}
	for ; k < len(keys); k++ {
		bs, cs = append(bs, keys[k]), append(cs, h.far[keys[k]])
	}
	return bs, cs
}

// quantiles sets out[i] to the qs[i]-quantile (qs ascending, 0..1) of the
// histogram: the value at rank q·(n−1) (Hyndman and Fan's type 7), with
// values spread evenly within a bin (in log space for Log). Count metrics
// give the order statistic at the nearest rank. NaN when empty.
func (h *hist) quantiles(sc Scale, width float64, qs, out []float64) {
	if h.n == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return
	}
	value := func(b, pos float64) float64 {
		var v float64
		switch sc {
		case Count:
			return b
		case Log:
			lo := math.Float64frombits(uint64(b) << logShift)
			hi := math.Float64frombits(uint64(b+1) << logShift)
			v = lo + pos*(hi-lo)
		default:
			v = (b + pos) * width
		}
		return math.Max(h.min, math.Min(h.max, v))
	}
	var bs []int32
	var cs []uint32
	if len(h.far) > 0 {
		bs, cs = h.bins()
	}
	qi := 0
	cum := float64(h.zero)
	rank := func() float64 {
		r := qs[qi] * float64(h.n-1)
		if sc == Count {
			r = math.Round(r)
		}
		return r
	}
	for qi < len(qs) && rank() < cum {
		out[qi] = 0
		qi++
	}
	visit := func(b int32, c uint32) bool {
		for qi < len(qs) {
			r := rank()
			if r >= cum+float64(c) {
				break
			}
			out[qi] = value(float64(b), (r-cum+0.5)/float64(c))
			qi++
		}
		cum += float64(c)
		return qi < len(qs)
	}
	last := int32(0)
	if bs != nil {
		for i, c := range cs {
			last = bs[i]
			if !visit(bs[i], c) {
				return
			}
		}
	} else {
		for i := range h.counts {
			c := h.countAt(i)
			if c == 0 {
				continue
			}
			last = h.lo + int32(i)
			if !visit(last, c) {
				return
			}
		}
	}
	// Ranks beyond the finite bins: +Inf values, or rounding at the top
	// (the last bin's upper edge).
	for ; qi < len(qs); qi++ {
		if h.inf > 0 && rank() >= cum {
			out[qi] = math.Inf(1)
			continue
		}
		if sc == Count {
			out[qi] = float64(last)
		} else {
			out[qi] = value(float64(last), 1)
		}
	}
}

// round6 keeps 6 significant digits: the bins carry less precision than
// that, and shorter numbers make smaller files.
func round6(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	e := math.Floor(math.Log10(math.Abs(v)))
	p := math.Pow(10, 5-e)
	return math.Round(v*p) / p
}

// addBatch adds vals as add would, one by one, with the common case (a
// finite value whose bin is inside the dense window) inlined: the
// Monte Carlo runner adds a batch of paths' values to each histogram in
// turn.
func (h *hist) addBatch(sc Scale, width float64, vals []float32) {
	for _, f := range vals {
		v := float64(f)
		if v != v || math.IsInf(v, 0) || len(h.counts) == 0 || h.binned() == 0 || (sc == Log && v < logFloor) {
			h.add(sc, width, v)
			continue
		}
		h.n++
		h.min = min(h.min, v)
		h.max = max(h.max, v)
		var b int32
		if sc == Log {
			b = int32(math.Float64bits(v) >> logShift)
		} else {
			b = binOf(sc, width, v)
		}
		if i := uint32(b - h.lo); i < uint32(len(h.counts)) {
			if c := h.counts[i]; c != 0xFFFF {
				h.counts[i] = c + 1
			} else {
				h.addDense(int(i), 1)
			}
		} else {
			h.addBin(b, 1)
		}
	}
}
