package sim

import (
	"encoding/json"
	"slices"
	"testing"
)

// A dense bin counts past 16 bits exactly: 200,000 values in one bin (and
// 70,000 in its neighbour), added one by one, in batches and by merging,
// read back as exact counts, bins, quantiles and shard JSON.
func TestHistCountsPastSixteenBits(t *testing.T) {
	const big, next = 200_000, 70_000
	var one, batched hist
	vals := make([]float32, 0, 4096)
	for i := range big + next {
		v := 1000.0
		if i >= big {
			v = 1008 // the next Log bin (width 8 between 512 and 1024)
		}
		one.add(Log, 0, v)
		vals = append(vals, float32(v))
		if len(vals) == cap(vals) || i == big+next-1 {
			batched.addBatch(Log, 0, vals)
			vals = vals[:0]
		}
	}
	for _, h := range []*hist{&one, &batched} {
		bs, cs := h.bins()
		if !slices.Equal(cs, []uint32{big, next}) || bs[1] != bs[0]+1 {
			t.Fatalf("bins %v counts %v", bs, cs)
		}
	}
	var merged hist
	merged.merge(&one)
	merged.merge(&batched)
	if _, cs := merged.bins(); !slices.Equal(cs, []uint32{2 * big, 2 * next}) {
		t.Fatalf("merged counts %v", cs)
	}
	qs := []float64{0.05, 0.5, 0.8, 0.95}
	a, b := make([]float64, len(qs)), make([]float64, len(qs))
	one.quantiles(Log, 0, qs, a)
	batched.quantiles(Log, 0, qs, b)
	if !slices.Equal(a, b) || a[1] >= 1008 || a[3] != 1008 {
		t.Fatalf("quantiles %v, batched %v", a, b)
	}
	// The shard form keeps 32-bit counts and round-trips.
	j := toJSON(&merged)
	if !slices.Equal(j.Counts, []uint32{2 * big, 2 * next}) {
		t.Fatalf("shard counts %v", j.Counts)
	}
	raw, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	var back histJSON
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	h := fromJSON(back)
	if _, cs := h.bins(); !slices.Equal(cs, []uint32{2 * big, 2 * next}) {
		t.Fatalf("round-tripped counts %v", cs)
	}
}
