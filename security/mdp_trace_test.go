package security

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// go test ./security -run TestTraceSelfish -v with HASHLAB_TRACE_ALPHA set.
func TestTraceSelfish(t *testing.T) {
	as := os.Getenv("HASHLAB_TRACE_ALPHA")
	if as == "" {
		t.Skip("HASHLAB_TRACE_ALPHA not set")
	}
	alpha, _ := strconv.ParseFloat(as, 64)
	gamma, _ := strconv.ParseFloat(os.Getenv("HASHLAB_TRACE_GAMMA"), 64)
	acc := 1e-4
	if s := os.Getenv("HASHLAB_TRACE_ACC"); s != "" {
		acc, _ = strconv.ParseFloat(s, 64)
	}
	start := time.Now()
	selfishTrace = func(T int, lo, hi float64, sweeps int) {
		t.Logf("%7.2fs T=%d lo=%.8f hi=%.8f gap=%.2e sweeps=%d", time.Since(start).Seconds(), T, lo, hi, hi-lo, sweeps)
	}
	defer func() { selfishTrace = nil }()
	r, err := OptimalSelfish(context.Background(), alpha, gamma, acc, DefaultSelfishLimits())
	t.Logf("%v %+v %v", time.Since(start), r, err)
}
