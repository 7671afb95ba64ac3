package sim

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/snapshot"
)

// blocksHashrate is the daily hashrate estimated from the real blocks
// (shared/data blocks/, BSD-2-Clause): the work of the blocks whose
// timestamp falls on the UTC day over 86,400 s, as Coin Metrics computes
// its HashRate, so the chart needs no CC BY-NC data for its real line.
func blocksHashrate(t testing.TB, from, to string) map[string]float64 {
	t.Helper()
	bits := map[int64]consensus.Bits{}
	for _, e := range snapshot.Epochs() {
		bits[e.FirstHeight/2016] = consensus.Bits(e.Bits)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(sharedtest.BlocksCSV(t))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ",", 3)
		h, _ := strconv.ParseInt(f[0], 10, 64)
		ts, _ := strconv.ParseInt(f[1], 10, 64)
		d := time.Unix(ts, 0).UTC().Format(time.DateOnly)
		if d < from || d > to {
			continue
		}
		out[d] += hashprice.HashesPerBlock(consensus.Difficulty(bits[h/2016])) / 86400
	}
	return out
}

// The chart of docs/sim.md's validation section: the real daily hashrate
// (from the blocks) against the simulated p5–p50–p95 band of the 2024
// halving run. The real line from the blocks must agree with Coin Metrics'
// HashRate (the validation's series) within 0.5% on every day; with
// HASHLAB_WRITE_DOCS=1 the SVG is (re)written to docs/img/.
func TestValidationChart2024(t *testing.T) {
	r := runEpisode(t, halving2024, 200)
	real := blocksHashrate(t, r.dates[0], r.dates[len(r.dates)-1])
	for d, ds := range r.dates {
		if x := real[ds]; math.Abs(x/r.real[d]-1) > 0.005 {
			t.Fatalf("%s: blocks give %.4g H/s, Coin Metrics %.4g", ds, x, r.real[d])
		}
	}
	if os.Getenv("HASHLAB_WRITE_DOCS") == "" {
		return
	}
	const W, H, L, R, T, B = 860.0, 400.0, 60.0, 20.0, 30.0, 58.0
	n := len(r.dates)
	lo, hi := 400e18, 800e18
	x := func(d int) float64 { return L + (W-L-R)*float64(d)/float64(n-1) }
	y := func(v float64) float64 { return T + (H-T-B)*(1-(v-lo)/(hi-lo)) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="14">2024 halving: real daily hashrate against the simulated p5–p95 band and median (200 paths, seed 1)</text>`+"\n", L)
	for v := lo; v <= hi; v += 100e18 {
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%.0f EH/s</text>`+"\n", L, W-R, y(v), y(v), L-4, y(v)+4, v/1e18)
	}
	for d, ds := range r.dates {
		if strings.HasSuffix(ds, "-01") {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#eee"/><text x="%.1f" y="%.0f" text-anchor="middle">%s</text>`+"\n", x(d), x(d), T, H-B, x(d), H-B+16, ds[:7])
		}
		if ds == halving2024.event {
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#c00" stroke-dasharray="4 3"/><text x="%.1f" y="%.0f" fill="#c00">halving (840,000)</text>`+"\n", x(d), x(d), T, H-B, x(d)+4, T+14)
		}
	}
	var band strings.Builder
	for d := 0; d < n; d++ {
		fmt.Fprintf(&band, "%.1f,%.1f ", x(d), y(r.p95[d]))
	}
	for d := n - 1; d >= 0; d-- {
		fmt.Fprintf(&band, "%.1f,%.1f ", x(d), y(r.p5[d]))
	}
	fmt.Fprintf(&b, `<polygon points="%s" fill="#9ecae1" fill-opacity="0.6"/>`+"\n", strings.TrimSpace(band.String()))
	line := func(v []float64, style string) {
		var s strings.Builder
		for d := range v {
			fmt.Fprintf(&s, "%.1f,%.1f ", x(d), y(math.Max(lo, math.Min(hi, v[d]))))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" %s/>`+"\n", strings.TrimSpace(s.String()), style)
	}
	line(r.p50, `stroke="#3182bd" stroke-width="1.5"`)
	realLine := make([]float64, n)
	for d, ds := range r.dates {
		realLine[d] = real[ds]
	}
	line(realLine, `stroke="#222" stroke-width="1"`)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">black: real (work of the blocks per UTC day, shared/data blocks/); blue: simulated p50 and p5–p95 band</text>`+"\n", L, H-22)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">(real daily price and fees replayed, population fitted on 2022 only); real inside the band on %.1f%% of days</text>`+"\n", L, H-6, 100*r.inside)
	b.WriteString("</svg>\n")
	out := filepath.Join(sharedtest.RepoRoot(t), "docs", "img", "sim-validation-halving-2024.svg")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}
