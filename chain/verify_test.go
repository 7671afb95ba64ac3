package chain

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/snapshot"
)

// verifyAll runs a Verifier over data and returns the report, the per-header
// infos and the verifier's error.
func verifyAll(t testing.TB, data []byte, opt VerifyOptions) (VerifyReport, []HeaderInfo, error) {
	t.Helper()
	hr, err := chainfile.NewHeaderReader(bytes.NewReader(data))
	if err != nil {
		return VerifyReport{}, nil, err
	}
	v := NewVerifier(consensus.MainNet, opt)
	var infos []HeaderInfo
	err = v.Run(context.Background(), hr, func(info HeaderInfo) error {
		infos = append(infos, info)
		return nil
	})
	if err != nil {
		return v.Report(), infos, err
	}
	return v.Report(), infos, v.Err()
}

func readShared(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(sharedtest.Path(t, "headers", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// boundaryChainwork reads the chainwork column of the boundary CSV
// (shared/data/headers/epoch_boundary_headers_0-832608.csv, from
// EthanYuan/ckb-bitcoin-spv-testdata).
func boundaryChainwork(t *testing.T) map[int64]*big.Int {
	f, err := os.Open(sharedtest.Path(t, "headers", "epoch_boundary_headers_0-832608.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range rows[0] {
		if h == "chainwork" {
			col = i
		}
	}
	out := map[int64]*big.Int{}
	for _, r := range rows[1:] {
		var h int64
		for _, c := range r[0] {
			h = h*10 + int64(c-'0')
		}
		cw, _ := new(big.Int).SetString(r[col], 16)
		out[h] = cw
	}
	return out
}

func TestVerifyBoundaryFile(t *testing.T) {
	data := readShared(t, "epoch_boundary_headers_0-832608.bin")
	rep, infos, err := verifyAll(t, data, VerifyOptions{Layout: LayoutEpochBoundaries})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Headers != 827 || rep.Retargets != 413 || rep.MismatchCount != 0 || rep.TipHeight != 832608 {
		t.Fatalf("%+v", rep)
	}
	if rep.Links != 413 || rep.BitsUnchanged != 413 {
		t.Fatalf("links %d bits %d", rep.Links, rep.BitsUnchanged)
	}
	cw := boundaryChainwork(t)
	if len(cw) != 827 {
		t.Fatalf("csv rows %d", len(cw))
	}
	for _, in := range infos {
		if in.Chainwork.Cmp(cw[in.Height]) != 0 {
			t.Fatalf("chainwork at %d: %x, csv %x", in.Height, in.Chainwork, cw[in.Height])
		}
	}
	if infos[0].Hash.String() != consensus.MainNet.GenesisHash {
		t.Fatal("genesis")
	}
}

func TestVerifyContiguousFiles(t *testing.T) {
	tests := []struct {
		file              string
		start, tip        int64
		headers, retarget int64
	}{
		// 822528..830592: four whole epochs plus one header; the retargets
		// at 824544, 826560, 828576 and 830592 all have their epoch's
		// first block in the file.
		{"headers_822528-830592.bin", 822528, 830592, 8065, 4},
		// 586657..589289 spans the retarget at 588672, whose epoch began at
		// 586656, one block before the file: the embedded epoch table
		// supplies that first timestamp.
		{"headers_586657-589289.bin", 586657, 589289, 2633, 1},
	}
	for _, tt := range tests {
		rep, _, err := verifyAll(t, readShared(t, tt.file), VerifyOptions{Layout: LayoutContiguous, StartHeight: tt.start, Epochs: snapshot.Epochs()})
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if rep.Headers != tt.headers || rep.Links != tt.headers-1 || rep.Retargets != tt.retarget || rep.TipHeight != tt.tip || rep.MismatchCount != 0 {
			t.Fatalf("%s: %+v", tt.file, rep)
		}
	}
	// Without the table the 588672 retarget cannot be checked, and says so.
	rep, _, _ := verifyAll(t, readShared(t, "headers_586657-589289.bin"), VerifyOptions{StartHeight: 586657})
	if rep.Retargets != 0 || rep.RetargetsSkipped != 1 {
		t.Fatalf("%+v", rep)
	}
}

// The contiguous file's chainwork, based on the boundary CSV's value at
// 822527... is not in the CSV, but 824543→824544 is: check that relative
// chainwork over a whole epoch equals 2016 × work(bits).
func TestVerifyContiguousChainwork(t *testing.T) {
	_, infos, err := verifyAll(t, readShared(t, "headers_822528-830592.bin"), VerifyOptions{StartHeight: 822528})
	if err != nil {
		t.Fatal(err)
	}
	cw := boundaryChainwork(t)
	// Chainwork difference between two boundary heights in the file must
	// match the CSV's difference.
	a, b := infos[824543-822528], infos[830592-822528]
	got := new(big.Int).Sub(b.Chainwork.Big(), a.Chainwork.Big())
	want := new(big.Int).Sub(cw[830592], cw[824543])
	if got.Cmp(want) != 0 {
		t.Fatalf("chainwork delta %x, want %x", got, want)
	}
}

func TestVerifyEpochTable(t *testing.T) {
	f, err := os.Open(sharedtest.Path(t, "headers", "difficulty_epochs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	es, err := snapshot.ParseEpochs(f)
	if err != nil {
		t.Fatal(err)
	}
	r := VerifyEpochTable(es, consensus.MainNet)
	if r.Retargets != 469 || r.MismatchCount != 0 || r.Rows != 474 || r.Links != 473 {
		t.Fatalf("%+v", r)
	}
	es[100].NextBits ^= 1
	r = VerifyEpochTable(es, consensus.MainNet)
	if r.MismatchCount != 2 { // its retarget and epoch 101's link
		t.Fatalf("%+v", r)
	}
}

// Flipping one byte anywhere in a header file is caught at the right
// height and byte offset.
func TestVerifyDetectsEveryByteFlip(t *testing.T) {
	orig := readShared(t, "epoch_boundary_headers_0-832608.bin")
	rng := rand.New(rand.NewPCG(1, 2))
	// Named fields of a few headers plus random positions.
	var positions []int
	for _, hdr := range []int{0, 1, 2, 413, 826} {
		for _, field := range []int{0, 4, 20, 36, 60, 68, 72, 76, 79} {
			positions = append(positions, hdr*80+field)
		}
	}
	for range 60 {
		positions = append(positions, rng.IntN(len(orig)))
	}
	for _, pos := range positions {
		data := bytes.Clone(orig)
		data[pos] ^= byte(1 + rng.IntN(255))
		rep, _, err := verifyAll(t, data, VerifyOptions{Layout: LayoutEpochBoundaries})
		if !errors.Is(err, ErrMismatch) {
			t.Fatalf("flip at byte %d not detected: %v", pos, err)
		}
		i := int64(pos / 80)
		wantHeight := LayoutEpochBoundaries.HeightAt(i, 0, 2016)
		first := rep.Mismatches[0]
		if first.Height != wantHeight || first.Offset != i*80 {
			t.Fatalf("flip at byte %d: first mismatch %+v, want height %d offset %d", pos, first, wantHeight, i*80)
		}
		if !strings.Contains(err.Error(), "height") {
			t.Fatalf("error does not name the height: %v", err)
		}
	}
}

func TestHeaderReaderGzipAndTruncation(t *testing.T) {
	orig := readShared(t, "headers_586657-589289.bin")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(orig)
	zw.Close()
	rep, _, err := verifyAll(t, gz.Bytes(), VerifyOptions{StartHeight: 586657, Epochs: snapshot.Epochs()})
	if err != nil || rep.Headers != 2633 {
		t.Fatalf("gzip: %v %+v", err, rep)
	}
	_, _, err = verifyAll(t, orig[:80*10+33], VerifyOptions{StartHeight: 586657})
	if !errors.Is(err, chainfile.ErrTruncated) || !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), "byte offset 800") {
		t.Fatalf("truncated: %v", err)
	}
	if _, err := chainfile.NewHeaderReader(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})); err == nil {
		t.Fatal("bad gzip accepted")
	}
}

func TestParseLayout(t *testing.T) {
	if l, err := ParseLayout("epoch-boundaries"); err != nil || l != LayoutEpochBoundaries {
		t.Fatal(l, err)
	}
	if _, err := ParseLayout("sparse"); err == nil {
		t.Fatal("unknown layout accepted")
	}
	for i, want := range []int64{0, 2015, 2016, 4031, 4032} {
		if got := LayoutEpochBoundaries.HeightAt(int64(i), 0, 2016); got != want {
			t.Fatalf("HeightAt(%d) = %d", i, got)
		}
	}
}

func FuzzHeaderReader(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 160))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		hr, err := chainfile.NewHeaderReader(bytes.NewReader(b))
		if err != nil {
			return
		}
		v := NewVerifier(consensus.MainNet, VerifyOptions{Layout: LayoutEpochBoundaries})
		for i := 0; i < 1000; i++ {
			raw, off, err := hr.Next()
			if err != nil {
				return
			}
			if _, err := v.Add(raw, off); err != nil {
				return
			}
		}
		_ = v.Report()
	})
}

// BenchmarkVerifyAllSharedHeaders verifies every raw header file in
// shared/data/headers (11,525 headers) per iteration.
func BenchmarkVerifyAllSharedHeaders(b *testing.B) {
	files := []struct {
		name string
		opt  VerifyOptions
	}{
		{"epoch_boundary_headers_0-832608.bin", VerifyOptions{Layout: LayoutEpochBoundaries}},
		{"headers_822528-830592.bin", VerifyOptions{StartHeight: 822528}},
		{"headers_586657-589289.bin", VerifyOptions{StartHeight: 586657, Epochs: snapshot.Epochs()}},
	}
	data := make([][]byte, len(files))
	total := 0
	for i, f := range files {
		data[i] = readShared(b, f.name)
		total += len(data[i]) / 80
	}
	b.ResetTimer()
	for b.Loop() {
		for i, f := range files {
			if _, _, err := verifyAll(b, data[i], f.opt); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "headers/s")
}
