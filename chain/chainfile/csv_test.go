package chainfile

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hashlab/hashlab"
)

func TestBlocksCSVReader(t *testing.T) {
	const good = "height,time,pool_slug\n610683,1577833505,f2pool\n610684,1577833558,poolin\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(good))
	zw.Close()
	for name, in := range map[string][]byte{"plain": []byte(good), "gzip": gz.Bytes()} {
		r, err := NewBlocksCSVReader(bytes.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []BlockLabel
		for {
			b, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		if len(got) != 2 || got[0] != (BlockLabel{610683, 1577833505, "f2pool"}) || got[1].Pool != "poolin" {
			t.Errorf("%s: %+v", name, got)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"h,t,p\n1,2,3\n", "line 1: header"},
		{"height,time,pool_slug\nx,1577833505,f2pool\n", "line 2: height = x (allowed: an integer >= 0)"},
		{"height,time,pool_slug\n1,1577833505,a\n2,12,f2pool\n", "line 3: time = 12 (allowed: Unix seconds"},
		{"height,time,pool_slug\n1,1577833505,\n", `line 2: pool_slug = ""`},
		{"height,time,pool_slug\n1,1577833505\n", "line 2: fields = 2 (allowed: 3"},
		// One height twice: refused, naming both lines (the last row
		// used to win silently).
		{"height,time,pool_slug\n7,1577833505,a\n8,1577833558,b\n7,1577833600,c\n", "line 4: height = 7 (allowed: a height given once; line 2 already gives height 7)"},
		{"", `line 1: header = "empty file"`},
	} {
		r, err := NewBlocksCSVReader(strings.NewReader(c.in))
		for err == nil {
			_, _, err = r.Next()
		}
		if err == io.EOF || !errors.Is(err, ErrBlocksCSV) || !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.want)
		}
	}
}

// TestBlocksCSVDuplicateHeights: in any order of rows (ascending with
// gaps, descending, mixed), the first height given twice is refused,
// naming the line that gave it first, as a map of every height would.
func TestBlocksCSVDuplicateHeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		n := 1 + rng.IntN(40)
		var in strings.Builder
		in.WriteString("height,time,pool_slug\n")
		first := map[int64]int{}
		want := ""
		h := int64(rng.IntN(5))
		for k := range n {
			switch rng.IntN(6) {
			case 0:
				h = int64(rng.IntN(50)) // anywhere, often below
			case 1:
				h += int64(2 + rng.IntN(3)) // a gap
			default:
				h++
			}
			line := k + 2
			fmt.Fprintf(&in, "%d,1577833505,a\n", h)
			if l, dup := first[h]; dup && want == "" {
				want = fmt.Sprintf("line %d: height = %d (allowed: a height given once; line %d already gives height %d)", line, h, l, h)
			} else if !dup {
				first[h] = line
			}
		}
		r, err := NewBlocksCSVReader(strings.NewReader(in.String()))
		for err == nil {
			_, _, err = r.Next()
		}
		switch {
		case want == "" && err != io.EOF:
			t.Fatalf("case %d %q: %v, want no error", i, in.String(), err)
		case want != "" && (err == io.EOF || !strings.Contains(err.Error(), want)):
			t.Fatalf("case %d %q: %v, want %q", i, in.String(), err, want)
		}
	}
}

func TestReadPrices(t *testing.T) {
	ps, err := ReadPrices(strings.NewReader("date,usd\n2024-01-01,42280.5\n2024-01-02T00:00:00Z,44950\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0] != (Price{"2024-01-01", 42280.5}) || ps[1] != (Price{"2024-01-02", 44950}) {
		t.Errorf("%+v", ps)
	}
	// No header row is fine too.
	if ps, err := ReadPrices(strings.NewReader("2024-01-01,1\n")); err != nil || len(ps) != 1 {
		t.Errorf("headerless: %+v %v", ps, err)
	}
	for _, c := range []struct{ in, want string }{
		{"date,usd\n2024-01-01,abc\n", "line 2: usd = abc (allowed: a positive number)"},
		{"date,usd\n2024-01-01,-3\n", "line 2: usd = -3"},
		{"date,usd\n2024-01-01,1\n01/02/2024,2\n", "line 3: date = 01/02/2024"},
		{"date,usd\n2024-01-01,1\n2024-01-01,2\n", "line 3: date = 2024-01-01 (allowed: a date given once; line 2 already gives 2024-01-01)"},
		{"date,usd\n2024-01-01\n", "line 2: fields = 1"},
		{"date,usd\n", "rows = none"},
	} {
		_, err := ReadPrices(strings.NewReader(c.in))
		if !errors.Is(err, ErrPricesCSV) || !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.want)
		}
	}
}

// FuzzReadPrices: any input gives prices or an ErrPricesCSV error naming
// a line, never a panic; every price returned is a valid date and a
// positive amount.
func FuzzReadPrices(f *testing.F) {
	f.Add([]byte("date,usd\n2024-01-01,42280.5\n2024-01-02,44950\n"))
	f.Add([]byte("2024-01-01,1e3\n"))
	f.Add([]byte("time,PriceUSD,HashRate\n2010-08-24,0.065,0.005\n"))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Add([]byte("date,usd\n\"2024-01-01\",\"7\"\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		ps, err := ReadPrices(bytes.NewReader(in))
		if err != nil {
			if ps != nil {
				t.Fatal("prices returned with an error")
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range ps {
			if _, ok := parseDate(p.Date); !ok || !(p.USD > 0) || seen[p.Date] {
				t.Fatalf("bad price %+v", p)
			}
			seen[p.Date] = true
		}
	})
}

// FuzzBlocksCSVReader: no panics; rows returned satisfy the documented
// bounds.
func FuzzBlocksCSVReader(f *testing.F) {
	f.Add([]byte("height,time,pool_slug\n610683,1577833505,f2pool\n"))
	f.Add([]byte("height,time,pool\n0,1231006505,unknown\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := NewBlocksCSVReader(bytes.NewReader(in))
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			b, _, err := r.Next()
			if err != nil {
				return
			}
			if b.Height < 0 || b.Time < 1231006505 || b.Pool == "" {
				t.Fatalf("bad row %+v", b)
			}
		}
	})
}

// TestReadPricesColumns: the USD column is found by name in common
// exports, never guessed in a wide file, and rows without a price are
// skipped only when asked.
func TestReadPricesColumns(t *testing.T) {
	yahoo := "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,44187.14,45899.71,44176.95,44957.97,44957.97,39335274536\n"
	ps, err := ReadPrices(strings.NewReader(yahoo))
	if err != nil || len(ps) != 1 || ps[0].USD != 44957.97 {
		t.Errorf("Yahoo-style: %+v %v, want the Close 44957.97", ps, err)
	}
	gecko := "snapped_at,price,market_cap,total_volume\n2024-01-02 00:00:00 UTC,44179.92,8.6e11,2.1e10\n"
	if ps, err := ReadPrices(strings.NewReader(gecko)); err != nil || len(ps) != 1 || ps[0] != (Price{"2024-01-02", 44179.92}) {
		t.Errorf("CoinGecko-style: %+v %v", ps, err)
	}
	cm := "time,PriceUSD,HashRate\n2010-07-17,,0.1\n2010-07-18,0.08584,0.1\n"
	if _, err := ReadPrices(strings.NewReader(cm)); err == nil || !strings.Contains(err.Error(), `line 2: PriceUSD = ""`) || !strings.Contains(err.Error(), "--skip-empty") {
		t.Errorf("empty price: %v", err)
	}
	if ps, err := ReadPricesWith(strings.NewReader(cm), PriceOptions{SkipEmpty: true}); err != nil || len(ps) != 1 || ps[0].USD != 0.08584 {
		t.Errorf("skip empty: %+v %v", ps, err)
	}
	wide := "date,open,high,low\n2024-01-02,1,2,3\n"
	if _, err := ReadPrices(strings.NewReader(wide)); err == nil || !strings.Contains(err.Error(), "line 1: header = date,open,high,low (allowed: a column named one of usd,") {
		t.Errorf("wide file without a price column: %v", err)
	}
	if ps, err := ReadPricesWith(strings.NewReader(wide), PriceOptions{Column: "HIGH"}); err != nil || ps[0].USD != 2 {
		t.Errorf("--column HIGH: %+v %v", ps, err)
	}
	if _, err := ReadPricesWith(strings.NewReader(wide), PriceOptions{Column: "vwap"}); err == nil || !strings.Contains(err.Error(), "line 1: column = vwap") {
		t.Errorf("missing column: %v", err)
	}
	if _, err := ReadPricesWith(strings.NewReader("2024-01-01,1\n"), PriceOptions{Column: "usd"}); err == nil || !strings.Contains(err.Error(), "the first row is data") {
		t.Errorf("column without a header: %v", err)
	}
}

// Damaged gzip is bad input naming the line; a reader that fails
// (testing/iotest's ErrReader standing in for a disk that goes away) is
// not: it must exit 1, not 2.
func TestReadErrorsInputOrFailure(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	var rows strings.Builder
	rows.WriteString("height,time,pool_slug\n")
	for h := 610683; h < 612683; h++ {
		fmt.Fprintf(&rows, "%d,%d,f2pool\n", h, 1577833505+(h-610683)*600)
	}
	zw.Write([]byte(rows.String()))
	zw.Close()
	damaged := bytes.Clone(gz.Bytes())
	damaged[len(damaged)-6] ^= 0xff // the CRC-32 trailer
	readAll := func(r io.Reader) error {
		br, err := NewBlocksCSVReader(r)
		for err == nil {
			_, _, err = br.Next()
		}
		if err == io.EOF {
			return nil
		}
		return err
	}
	if err := readAll(bytes.NewReader(damaged)); !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), "corrupt gzip data") {
		t.Errorf("damaged gzip: %v, want an input error", err)
	}
	cut := gz.Bytes()[:gz.Len()/2]
	if err := readAll(bytes.NewReader(cut)); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("gzip cut short: %v, want an input error", err)
	}
	gone := errors.New("disk gone")
	err := readAll(io.MultiReader(strings.NewReader("height,time,pool_slug\n610683,1577833505,f2pool\n"), iotest.ErrReader(gone)))
	if !errors.Is(err, gone) || errors.Is(err, hashlab.ErrInput) {
		t.Errorf("failing reader: %v, want the read error, not an input error", err)
	}
	_, err = ReadPrices(io.MultiReader(strings.NewReader("date,usd\n2024-01-01,1\n"), iotest.ErrReader(gone)))
	if !errors.Is(err, gone) || errors.Is(err, hashlab.ErrInput) {
		t.Errorf("prices, failing reader: %v", err)
	}
	hr, err := NewHeaderReader(io.MultiReader(bytes.NewReader(make([]byte, 80)), iotest.ErrReader(gone)))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := hr.Next(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := hr.Next(); !errors.Is(err, gone) || errors.Is(err, hashlab.ErrInput) {
		t.Errorf("headers, failing reader: %v", err)
	}
}
