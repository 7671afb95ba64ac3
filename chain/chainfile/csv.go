package chain

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// gunzipMaybe returns a reader that decompresses r when it starts with the
// gzip magic bytes.
func gunzipMaybe(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("chain: bad gzip header: %w", err)
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
var ErrBlocksCSV = errors.New("chain: bad blocks CSV")

// BlocksCSVReader streams a blocks CSV in the format of
// shared/data/blocks/: a header "height,time,pool_slug", then one row per
// block (time in Unix seconds; "unknown" for unattributed blocks). Plain
// or gzip.
type BlocksCSVReader struct {
	cr   *csv.Reader
	line int
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
	br := &BlocksCSVReader{cr: cr, line: 1}
	hdr, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: line 1: reading the header: %v (want height,time,pool_slug)", ErrBlocksCSV, err)
	}
	if len(hdr) < 3 || strings.TrimPrefix(hdr[0], "\ufeff") != "height" || hdr[1] != "time" || (hdr[2] != "pool_slug" && hdr[2] != "pool") {
		return nil, fmt.Errorf("%w: line 1: header %q (want height,time,pool_slug)", ErrBlocksCSV, strings.Join(hdr, ","))
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
		return BlockLabel{}, b.line, fmt.Errorf("%w: line %d: %v", ErrBlocksCSV, b.line, err)
	}
	if len(rec) != 3 {
		return BlockLabel{}, b.line, fmt.Errorf("%w: line %d: %d fields (want 3: height,time,pool_slug)", ErrBlocksCSV, b.line, len(rec))
	}
	h, err := strconv.ParseInt(rec[0], 10, 64)
	if err != nil || h < 0 {
		return BlockLabel{}, b.line, fmt.Errorf("%w: line %d: height %q (allowed: an integer >= 0)", ErrBlocksCSV, b.line, rec[0])
	}
	t, err := strconv.ParseInt(rec[1], 10, 64)
	if err != nil || t < 1231006505 || t > 1<<33 {
		return BlockLabel{}, b.line, fmt.Errorf("%w: line %d: time %q (allowed: Unix seconds from 1231006505, the genesis block, to %d)", ErrBlocksCSV, b.line, rec[1], int64(1)<<33)
	}
	pool := strings.TrimSpace(rec[2])
	if pool == "" {
		return BlockLabel{}, b.line, fmt.Errorf("%w: line %d: pool_slug is empty (allowed: a slug, or \"unknown\")", ErrBlocksCSV, b.line)
	}
	return BlockLabel{Height: h, Time: t, Pool: pool}, b.line, nil
}

// Price is a daily BTC close in USD.
type Price struct {
	Date string  `json:"date"` // UTC, 2006-01-02
	USD  float64 `json:"usd"`
}

// ErrPricesCSV is wrapped by every price-CSV error.
var ErrPricesCSV = errors.New("chain: bad prices CSV")

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
			return nil, fmt.Errorf("%w: line %d: %v", ErrPricesCSV, line, err)
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
				return nil, fmt.Errorf("%w: line 1: column %q asked for, but the first row is data, not a header", ErrPricesCSV, opt.Column)
			}
		}
		if len(rec) <= col {
			return nil, fmt.Errorf("%w: line %d: %d field(s), the price is in field %d (%s)", ErrPricesCSV, line, len(rec), col+1, colName)
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
			return nil, fmt.Errorf("%w: line %d: %s %q (allowed: a positive number%s)", ErrPricesCSV, line, colName, us, hint)
		}
		date, ok := parseDate(ds)
		if !ok {
			return nil, fmt.Errorf("%w: line %d: date %q (allowed: YYYY-MM-DD, or a time starting with it)", ErrPricesCSV, line, ds)
		}
		if prev, dup := seen[date]; dup {
			return nil, fmt.Errorf("%w: line %d: date %s already given on line %d", ErrPricesCSV, line, date, prev)
		}
		seen[date] = line
		out = append(out, Price{Date: date, USD: usd})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no price rows (want date,usd)", ErrPricesCSV)
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
		return 0, fmt.Errorf("%w: line 1: no column %q after the date in the header (columns: %s)", ErrPricesCSV, want, strings.Join(header, ", "))
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
	return 0, fmt.Errorf("%w: line 1: none of the header's columns (%s) is a USD price (allowed names: %s); name the column (--column)",
		ErrPricesCSV, strings.Join(header, ", "), strings.Join(priceColumns, ", "))
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
