package chain

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/snapshot"
)

// runResult is everything one Run shows: the infos fn saw, the error,
// the report and Err.
type runResult struct {
	infos  []HeaderInfo
	err    string
	report VerifyReport
	verr   string
}

// oneAtATime hides chainfile.HeaderReader's NextBatch: Run reads it
// header by header through Next.
type oneAtATime struct{ HeaderSource }

func runWith(t testing.TB, data []byte, opt VerifyOptions, failAt int) runResult {
	return runFrom(t, data, opt, failAt, false)
}

func runFrom(t testing.TB, data []byte, opt VerifyOptions, failAt int, unbatched bool) runResult {
	t.Helper()
	hr, err := chainfile.NewHeaderReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var src HeaderSource = hr
	if unbatched {
		src = oneAtATime{hr}
	}
	v := NewVerifier(consensus.MainNet, opt)
	var r runResult
	errStop := errors.New("stop")
	err = v.Run(context.Background(), src, func(info HeaderInfo) error {
		r.infos = append(r.infos, info)
		if len(r.infos) == failAt {
			return errStop
		}
		return nil
	})
	if err != nil {
		r.err = err.Error()
	}
	r.report = v.Report()
	if err := v.Err(); err != nil {
		r.verr = err.Error()
	}
	return r
}

func gzipped(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

// sharedHeaderFiles is every raw header file of shared/data/headers with
// the options its layout needs.
func sharedHeaderFiles(t testing.TB) map[string]VerifyOptions {
	t.Helper()
	dir := filepath.Dir(sharedtest.Path(t, "headers", "headers_822528-830592.bin"))
	names, err := filepath.Glob(filepath.Join(dir, "*.bin"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no header files in %s: %v", dir, err)
	}
	out := map[string]VerifyOptions{}
	for _, n := range names {
		base := filepath.Base(n)
		switch {
		case strings.HasPrefix(base, "epoch_boundary_headers_"):
			out[base] = VerifyOptions{Layout: LayoutEpochBoundaries}
		case base == "headers_822528-830592.bin":
			out[base] = VerifyOptions{StartHeight: 822528, Epochs: snapshot.Epochs()}
		case base == "headers_586657-589289.bin":
			out[base] = VerifyOptions{StartHeight: 586657, Epochs: snapshot.Epochs()}
		default:
			t.Fatalf("shared header file %s: add its layout and start height here", base)
		}
	}
	return out
}

// The pipelined Run (hashing on workers, checks in order) and the
// sequential Run reading batches from the reader's buffer give exactly
// what the one-at-a-time loop (header by header through Next) gives: the same infos, report, errors and
// calls of fn, on every shared header file, intact, with flipped bytes,
// truncated, and with fn failing part-way.
func TestRunPipelineMatchesSequential(t *testing.T) {
	for name, opt := range sharedHeaderFiles(t) {
		orig, err := os.ReadFile(sharedtest.Path(t, "headers", name))
		if err != nil {
			t.Fatal(err)
		}
		flipped := bytes.Clone(orig)
		for _, pos := range []int{5, 80*7 + 70, len(orig)/2 + 13, len(orig) - 3} {
			flipped[pos] ^= 0x5a
		}
		cases := []struct {
			what   string
			data   []byte
			failAt int
		}{
			{"intact", orig, 0},
			{"gzip", gzipped(t, orig), 0},
			{"gzip, truncated", gzipped(t, orig)[:len(orig)/3], 0},
			{"flipped", flipped, 0},
			{"truncated", orig[:len(orig)-37], 0},
			{"one header", orig[:80], 0},
			{"empty", nil, 0},
			{"fn fails", orig, len(orig) / 80 / 2},
			{"fn fails at a batch end", orig, runBatchSize},
		}
		for _, c := range cases {
			seqOpt := opt
			seqOpt.Workers = 1
			want := runFrom(t, c.data, seqOpt, c.failAt, true)
			if c.what == "intact" && (want.err != "" || want.verr != "") {
				t.Fatalf("%s: %s %s", name, want.err, want.verr)
			}
			for _, workers := range []int{1, 2, 3, 8} {
				o := opt
				o.Workers = workers
				got := runWith(t, c.data, o, c.failAt)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, %s, %d workers: the pipeline differs from the sequential loop:\nerr %q / %q\nverr %q / %q\nreport %+v\nwant   %+v\ninfos %d / %d",
						name, c.what, workers, got.err, want.err, got.verr, want.verr, got.report, want.report, len(got.infos), len(want.infos))
				}
			}
		}
	}
}

// The sequential loop itself is the per-header Add.
func TestRunMatchesAdd(t *testing.T) {
	data := readShared(t, "headers_586657-589289.bin")
	opt := VerifyOptions{StartHeight: 586657, Epochs: snapshot.Epochs()}
	v := NewVerifier(consensus.MainNet, opt)
	var infos []HeaderInfo
	for i := 0; i < len(data); i += 80 {
		info, err := v.Add(data[i:i+80], int64(i))
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, info)
	}
	got := runWith(t, data, opt, 0)
	if !reflect.DeepEqual(got.infos, infos) || !reflect.DeepEqual(got.report, v.Report()) {
		t.Fatal("Run differs from Add")
	}
}

// Verifying a header allocates nothing (a retarget allocates a few big
// integers once an epoch; averaged over the file that is 0 per header),
// and a whole pipelined Run allocates a fixed amount, not per header.
func TestVerifyAllocations(t *testing.T) {
	data := readShared(t, "headers_822528-830592.bin")
	v := NewVerifier(consensus.MainNet, VerifyOptions{StartHeight: 822528, Epochs: snapshot.Epochs()})
	i := 0
	n := len(data) / 80
	allocs := testing.AllocsPerRun(n-1, func() {
		if _, err := v.Add(data[i*80:i*80+80], int64(i*80)); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("Add allocates %v times per header", allocs)
	}
	if err := v.Err(); err != nil || v.Report().Headers != int64(n) {
		t.Fatalf("%v %+v", err, v.Report())
	}
	// Inside an epoch, strictly none.
	v = NewVerifier(consensus.MainNet, VerifyOptions{StartHeight: 822528, Epochs: snapshot.Epochs()})
	i = 0
	if a := testing.AllocsPerRun(1000, func() {
		if _, err := v.Add(data[i*80:i*80+80], int64(i*80)); err != nil {
			t.Fatal(err)
		}
		i++
	}); a != 0 {
		t.Fatalf("Add allocates %v times per header inside an epoch", a)
	}

	runAllocs := func(data []byte, workers int) float64 {
		return testing.AllocsPerRun(3, func() {
			hr, err := chainfile.NewHeaderReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			v := NewVerifier(consensus.MainNet, VerifyOptions{StartHeight: 822528, Epochs: snapshot.Epochs(), Workers: workers})
			if err := v.Run(context.Background(), hr, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, w := range []int{1, 2} {
		// The first epoch of the file against all four epochs: the same
		// fixed cost plus a few allocations per retarget.
		small, all := runAllocs(data[:2016*80], w), runAllocs(data, w)
		if all-small > 200 {
			t.Fatalf("%d workers: Run allocates %v times over %d headers, %v over 2016", w, all, n, small)
		}
	}
}

// BenchmarkVerifyRun is Run over the contiguous mainnet file with 1 and 2
// workers (the benchmark runner, internal/benchrun, compares it with a
// bare double SHA-256 loop and btcd's path).
func BenchmarkVerifyRun(b *testing.B) {
	data := readShared(b, "headers_822528-830592.bin")
	epochs := snapshot.Epochs()
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[w], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				hr, _ := chainfile.NewHeaderReader(bytes.NewReader(data))
				v := NewVerifier(consensus.MainNet, VerifyOptions{StartHeight: 822528, Epochs: epochs, Workers: w})
				if err := v.Run(context.Background(), hr, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(data)/80), "ns/header")
		})
	}
}

// Chainwork's fixed-width sum equals big.Int arithmetic, including work
// near 2²⁵⁶, large gaps and carries past 2²⁵⁶.
func TestChainworkMatchesBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		var c Chainwork
		want := new(big.Int)
		if trial%2 == 1 {
			base := new(big.Int).Lsh(big.NewInt(rng.Int64()), uint(rng.IntN(250)))
			c, want = ChainworkFromBig(base), base
		}
		for range 50 {
			w := new(big.Int).Rsh(new(big.Int).Lsh(big.NewInt(1), 256), uint(rng.IntN(257)))
			if w.BitLen() > 256 {
				w.Sub(w, big.NewInt(1))
			}
			w.Sub(w, big.NewInt(rng.Int64N(1000)))
			if w.Sign() < 0 {
				w.SetInt64(0)
			}
			k := uint64(1)
			if rng.IntN(3) == 0 {
				k = rng.Uint64() >> rng.IntN(64)
			}
			ws := words256(w)
			c.addMul(&ws, k)
			want.Add(want, new(big.Int).Mul(w, new(big.Int).SetUint64(k)))
			if c.Cmp(want) != 0 {
				t.Fatalf("trial %d: %x, want %x", trial, c.Big(), want)
			}
		}
	}
	if s := ChainworkFromBig(big.NewInt(255)).String(); s != strings.Repeat("0", 62)+"ff" {
		t.Fatal(s)
	}
}

// An epoch table that is not every epoch in order from 0 (a slice of
// it, rows out of order) is looked up by epoch number all the same.
func TestVerifyEpochTableAnyOrder(t *testing.T) {
	data := readShared(t, "headers_586657-589289.bin")
	full := snapshot.Epochs()
	want := runWith(t, data, VerifyOptions{StartHeight: 586657, Epochs: full}, 0)
	part := append([]snapshot.Epoch(nil), full[200:]...)
	part[0], part[len(part)-1] = part[len(part)-1], part[0]
	got := runWith(t, data, VerifyOptions{StartHeight: 586657, Epochs: part}, 0)
	if !reflect.DeepEqual(got, want) || want.report.RetargetsFromTbl != 1 {
		t.Fatalf("%+v\nwant %+v", got.report, want.report)
	}
	none := runWith(t, data, VerifyOptions{StartHeight: 586657, Epochs: full[:100]}, 0)
	if none.report.RetargetsSkipped != 1 || none.report.RetargetsFromTbl != 0 {
		t.Fatalf("%+v", none.report)
	}
}
