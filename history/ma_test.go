package history

import (
	"math"
	"testing"
)

func TestTrailingMeans(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	dates := []string{"2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-06", "2024-01-07", "2024-01-08"}
	vals := []*float64{f(1), f(2), f(3), nil, f(5), f(6), f(7)}
	got := TrailingMeans(dates, vals, 2)
	want := []float64{math.NaN(), 1.5, 2.5, math.NaN(), math.NaN(), 5.5, 6.5} // 01-04 is nil; 01-05 is missing
	for i, w := range want {
		switch {
		case math.IsNaN(w) && got[i] != nil:
			t.Errorf("%s: %v, want null", dates[i], *got[i])
		case !math.IsNaN(w) && (got[i] == nil || *got[i] != w):
			t.Errorf("%s: %v, want %v", dates[i], got[i], w)
		}
	}
	if m := TrailingMeans(dates[:3], vals[:3], 3); m[2] == nil || *m[2] != 2 || m[1] != nil {
		t.Errorf("3-day mean: %v", m)
	}
}
