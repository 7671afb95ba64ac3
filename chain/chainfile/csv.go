package chainfile

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
)

// gunzipMaybe returns a buffered reader of r that decompresses it when it
// starts with the gzip magic bytes.
func gunzipMaybe(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, hashlab.Invalidf("gzip header", "corrupt", "a valid gzip stream, or an uncompressed file", err)
		}
		return bufio.NewReaderSize(zr, 1<<16), nil
	}
	return br, nil
}

// BlockLabel is one row of a blocks CSV: a block's height, header time
// and pool slug.
type BlockLabel struct {
	Height int64
	Time   int64
	Pool   string
}

// ErrBlocksCSV is wrapped by every blocks-CSV error.
var ErrBlocksCSV = errors.New("chainfile: bad blocks CSV")

// BlocksCSVReader streams a blocks CSV in the format of
// shared/data/blocks/: a header "height,time,pool_slug", then one row per
// block (time in Unix seconds; "unknown" for unattributed blocks). Plain
// or gzip.
//
// Every content error is a *hashlab.InputError whose field names the line
// and column ("line 12: height") and whose cause is ErrBlocksCSV; a height
// given twice is refused, naming both lines.
type BlocksCSVReader struct {
	cr   *csv.Reader
	line int
	// The heights read so far, to refuse one given twice: those that
	// arrived above every earlier one (a file in ascending order: all
	// of them) as runs of consecutive heights on consecutive lines,
	// ascending; the others in a map, height -> line.
	runs []heightRun
	max  int64 // the highest height read; -1 before the first
	seen map[int64]int
}

// heightRun is heights h0 … h0+n-1 on lines line0 … line0+n-1.
type heightRun struct {
	h0    int64
	line0 int
	n     int64
}

// firstLine returns the line that gave height h before, if any, and
// records h at line otherwise.
func (b *BlocksCSVReader) firstLine(h int64, line int) (int, bool) {
	if h > b.max {
		b.max = h
		if k := len(b.runs) - 1; k >= 0 {
			if r := &b.runs[k]; h == r.h0+r.n && int64(line) == int64(r.line0)+r.n {
				r.n++
				return 0, false
			}
		}
		b.runs = append(b.runs, heightRun{h0: h, line0: line, n: 1})
		return 0, false
	}
	// The run with the highest h0 <= h.
	if i := sort.Search(len(b.runs), func(i int) bool { return b.runs[i].h0 > h }) - 1; i >= 0 {
		if r := b.runs[i]; h < r.h0+r.n {
			return r.line0 + int(h-r.h0), true
		}
	}
	if first, dup := b.seen[h]; dup {
		return first, true
	}
	if b.seen == nil {
		b.seen = map[int64]int{}
	}
	b.seen[h] = line
	return 0, false
}

// readErr sorts an error of reading a CSV row: malformed CSV and corrupt
// gzip data are content errors (input errors naming the line); anything
// else is a failure to read (returned wrapped, not as bad input).
func readErr(kind error, line int, allowed string, err error) error {
	var pe *csv.ParseError
	switch {
	case errors.As(err, &pe):
		return inputErr(kind, line, "", pe.Err.Error(), allowed)
	case corrupt(err):
		return inputErr(kind, line, "", "corrupt gzip data: "+err.Error(), "an intact gzip stream, or an uncompressed file")
	}
	return fmt.Errorf("chainfile: reading line %d: %w", line, err)
}

// corrupt reports whether err says compressed input is damaged or cut
// short.
func corrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, &ce) || errors.Is(err, io.ErrUnexpectedEOF)
}

// inputErr is a content error of a CSV file: field is "line N: column".
func inputErr(kind error, line int, column string, value any, allowed string) error {
	field := fmt.Sprintf("line %d", line)
	if column != "" {
		field += ": " + column
	}
	return hashlab.Invalidf(field, value, allowed, kind)
}

// NewBlocksCSVReader checks the header row and returns a reader.
func NewBlocksCSVReader(r io.Reader) (*BlocksCSVReader, error) {
	zr, err := gunzipMaybe(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(zr)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	br := &BlocksCSVReader{cr: cr, line: 1, max: -1}
	hdr, err := cr.Read()
	if err == io.EOF {
		return nil, inputErr(ErrBlocksCSV, 1, "header", "empty file", "the header row height,time,pool_slug")
	}
	if err != nil {
		return nil, readErr(ErrBlocksCSV, 1, "the header row height,time,pool_slug", err)
	}
	if len(hdr) < 3 || strings.TrimPrefix(hdr[0], "\ufeff") != "height" || hdr[1] != "time" || (hdr[2] != "pool_slug" && hdr[2] != "pool") {
		return nil, inputErr(ErrBlocksCSV, 1, "header", strings.Join(hdr, ","), "the header row height,time,pool_slug")
	}
	return br, nil
}

// Next returns the next row and its line number, or io.EOF.
func (b *BlocksCSVReader) Next() (BlockLabel, int, error) {
	rec, err := b.cr.Read()
	b.line++
	if err == io.EOF {
		return BlockLabel{}, b.line, io.EOF
	}
	if err != nil {
		return BlockLabel{}, b.line, readErr(ErrBlocksCSV, b.line, "a CSV row height,time,pool_slug", err)
	}
	if len(rec) != 3 {
		return BlockLabel{}, b.line, inputErr(ErrBlocksCSV, b.line, "fields", len(rec), "3: height,time,pool_slug")
	}
	h, err := strconv.ParseInt(rec[0], 10, 64)
	if err != nil || h < 0 {
		return BlockLabel{}, b.line, inputErr(ErrBlocksCSV, b.line, "height", rec[0], "an integer >= 0")
	}
	if first, dup := b.firstLine(h, b.line); dup {
		return BlockLabel{}, b.line, inputErr(ErrBlocksCSV, b.line, "height", h, fmt.Sprintf("a height given once; line %d already gives height %d", first, h))
	}
	t, err := strconv.ParseInt(rec[1], 10, 64)
	if err != nil || t < 1231006505 || t > 1<<33 {
		return BlockLabel{}, b.line, inputErr(ErrBlocksCSV, b.line, "time", rec[1], fmt.Sprintf("Unix seconds from 1231006505, the genesis block, to %d", int64(1)<<33))
	}
	pool := strings.TrimSpace(rec[2])
	if pool == "" {
		return BlockLabel{}, b.line, inputErr(ErrBlocksCSV, b.line, "pool_slug", "", `a slug, or "unknown"`)
	}
	return BlockLabel{Height: h, Time: t, Pool: pool}, b.line, nil
}

// Price is a daily BTC close in USD.
type Price struct {
	Date string  `json:"date"` // UTC, 2006-01-02
	USD  float64 `json:"usd"`
}

// ErrPricesCSV is wrapped by every price-CSV error.
var ErrPricesCSV = errors.New("chainfile: bad prices CSV")

// PriceOptions choose the USD column of a price CSV and what to do with
// rows that have no price.
type PriceOptions struct {
	// Column names the USD column in the header row (case-insensitive).
	// Empty: the header's column named usd, priceusd, price_usd, close,
	// close_usd or price (in that order of preference); a two-column file
	// uses its second column; a wider file with none of those names is an
	// error (a CSV of open/high/low/close must not import the open).
	Column string
	// SkipEmpty skips rows whose price cell is empty (e.g. the days before
	// a series starts) instead of failing on them.
	SkipEmpty bool
}

// priceColumns are the header names taken as the USD close, best first.
var priceColumns = []string{"usd", "priceusd", "price_usd", "close", "close_usd", "price"}

// ReadPrices reads a CSV of daily BTC prices with the default options
// (ReadPricesWith).
func ReadPrices(r io.Reader) ([]Price, error) { return ReadPricesWith(r, PriceOptions{}) }

// ReadPricesWith reads a CSV of daily BTC prices: the date (YYYY-MM-DD,
// or a time whose first ten characters are that date, such as RFC 3339 or
// "2024-01-01 00:00:00 UTC") in the first column and the USD close in
// the column opt chooses. A first row whose date field is not a date is a
// header. Plain or gzip. Every error names the line; a date given twice
// is an error.
func ReadPricesWith(r io.Reader, opt PriceOptions) ([]Price, error) {
	zr, err := gunzipMaybe(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(zr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	seen := map[string]int{}
	var out []Price
	col := 1
	colName := "usd"
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(ErrPricesCSV, line, "a CSV row date,usd", err)
		}
		ds := strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff"))
		if line == 1 {
			if _, isDate := parseDate(ds); !isDate {
				if col, err = pickPriceColumn(rec, opt.Column); err != nil {
					return nil, err
				}
				colName = strings.TrimSpace(rec[col])
				continue // header
			}
			if opt.Column != "" {
				return nil, inputErr(ErrPricesCSV, 1, "header", strings.Join(rec, ","), fmt.Sprintf("a header row naming the column %q asked for (the first row is data)", opt.Column))
			}
		}
		if len(rec) <= col {
			return nil, inputErr(ErrPricesCSV, line, "fields", len(rec), fmt.Sprintf("at least %d: the price is in field %d (%s)", col+1, col+1, colName))
		}
		us := strings.TrimSpace(rec[col])
		if us == "" && opt.SkipEmpty {
			continue
		}
		usd, perr := strconv.ParseFloat(us, 64)
		if perr != nil || !(usd > 0) || math.IsInf(usd, 0) {
			hint := ""
			if us == "" {
				hint = "; --skip-empty skips rows without a price"
			}
			return nil, inputErr(ErrPricesCSV, line, colName, us, "a positive number"+hint)
		}
		date, ok := parseDate(ds)
		if !ok {
			return nil, inputErr(ErrPricesCSV, line, "date", ds, "YYYY-MM-DD, or a time starting with it")
		}
		if prev, dup := seen[date]; dup {
			return nil, inputErr(ErrPricesCSV, line, "date", date, fmt.Sprintf("a date given once; line %d already gives %s", prev, date))
		}
		seen[date] = line
		out = append(out, Price{Date: date, USD: usd})
	}
	if len(out) == 0 {
		return nil, hashlab.Invalidf("rows", "none", "at least one price row date,usd", ErrPricesCSV)
	}
	return out, nil
}

// pickPriceColumn finds the USD column of a header row.
func pickPriceColumn(header []string, want string) (int, error) {
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	if want != "" {
		for i, n := range names {
			if i > 0 && n == strings.ToLower(want) {
				return i, nil
			}
		}
		return 0, inputErr(ErrPricesCSV, 1, "column", want, "a column of the header after the date: "+strings.Join(header[min(1, len(header)):], ", "))
	}
	for _, c := range priceColumns {
		for i, n := range names {
			if i > 0 && n == c {
				return i, nil
			}
		}
	}
	if len(header) == 2 {
		return 1, nil
	}
	return 0, inputErr(ErrPricesCSV, 1, "header", strings.Join(header, ","), "a column named one of "+strings.Join(priceColumns, ", ")+"; or name the column (--column)")
}

func parseDate(s string) (string, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.DateOnly), true
	}
	if len(s) > 10 && (s[10] == ' ' || s[10] == 'T') {
		s = s[:10] // "2024-01-01 00:00:00 UTC", "2024-01-01T00:00:00"
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format(time.DateOnly), true
	}
	return "", false
}
