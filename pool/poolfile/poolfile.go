package poolfile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/pool"
)

// ErrPoolFile is wrapped by every content error of this package.
var ErrPoolFile = errors.New("poolfile: bad pool file")

func bad(line int, column string, value any, allowed string) error {
	field := fmt.Sprintf("line %d", line)
	if column != "" {
		field += ": " + column
	}
	return hashlab.Invalidf(field, value, allowed, ErrPoolFile)
}

// header reads the header row and returns the column index by name
// (lower-cased, trimmed, BOM removed).
func header(cr *csv.Reader) (map[string]int, error) {
	rec, err := cr.Read()
	if err == io.EOF {
		return nil, bad(1, "header", "empty file", "a header row")
	}
	if err != nil {
		return nil, readErr(1, err)
	}
	cols := map[string]int{}
	for i, c := range rec {
		cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(c, "\ufeff")))] = i
	}
	return cols, nil
}

func readErr(line int, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return bad(line, "", pe.Err.Error(), "a CSV row")
	}
	return fmt.Errorf("poolfile: reading line %d: %w", line, err)
}

func parseDate(line int, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) >= 10 {
		if t, err := time.Parse(time.DateOnly, s[:10]); err == nil && (len(s) == 10 || s[10] == 'T' || s[10] == ' ') {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", bad(line, "date", s, "a UTC date YYYY-MM-DD")
}

func parseNonNeg(line int, column, s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(v >= 0) || math.IsInf(v, 0) {
		return 0, bad(line, column, s, "a finite number >= 0")
	}
	return v, nil
}

// ReportedHashrate reads a pool's reported daily hashrate:
// date,pool_key,hashrate (H/s), one row per day, for one pool or
// several (pool selects one; "" takes all rows, which must then name one
// pool). It returns the days and the pool's key.
func ReportedHashrate(r io.Reader, poolKey string) ([]pool.DayHashrate, string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cols, err := header(cr)
	if err != nil {
		return nil, "", err
	}
	di, okD := cols["date"]
	hi, okH := cols["hashrate"]
	pi, okP := cols["pool_key"]
	if !okD || !okH {
		return nil, "", bad(1, "header", "missing date or hashrate", "the header date,pool_key,hashrate (hashrate in H/s; pool_key optional)")
	}
	var out []pool.DayHashrate
	seen := map[string]int{}
	key := poolKey
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", readErr(line, err)
		}
		if len(rec) <= max(di, hi) || (okP && len(rec) <= pi) {
			return nil, "", bad(line, "fields", len(rec), "as many as the header names")
		}
		if okP {
			pk := strings.TrimSpace(rec[pi])
			if poolKey != "" && pk != poolKey {
				continue
			}
			if key == "" {
				key = pk
			} else if pk != key {
				return nil, "", bad(line, "pool_key", pk, fmt.Sprintf("%q as on the first row (or choose one pool)", key))
			}
		}
		d, err := parseDate(line, rec[di])
		if err != nil {
			return nil, "", err
		}
		if prev, dup := seen[d]; dup {
			return nil, "", bad(line, "date", d, fmt.Sprintf("a date given once; line %d already gives it", prev))
		}
		seen[d] = line
		h, err := parseNonNeg(line, "hashrate", rec[hi])
		if err != nil {
			return nil, "", err
		}
		out = append(out, pool.DayHashrate{Date: d, HashrateHs: h})
	}
	if len(out) == 0 {
		return nil, "", hashlab.Invalidf("rows", "none", "at least one day date,pool_key,hashrate"+map[bool]string{true: " for pool " + poolKey, false: ""}[poolKey != ""], ErrPoolFile)
	}
	return out, key, nil
}

// Hashrate units of an export's hashrate column, by column name.
var hashrateUnits = map[string]float64{
	"hashrate_hs": 1, "hashrate": 1, "hashrate_ghs": 1e9, "hashrate_ths": 1e12, "hashrate_phs": 1e15, "hashrate_ehs": 1e18,
}

// ExportColumns says what an account export must hold.
const ExportColumns = "date, one hashrate column (hashrate_hs, hashrate_ghs, hashrate_ths, hashrate_phs or hashrate_ehs), one payout column (payout_btc or payout_sats), optionally blocks"

// AccountExport reads a pool account's export: a header naming the
// columns (ExportColumns, any order, other columns ignored), then one
// row per UTC day.
func AccountExport(r io.Reader) ([]pool.AccountDay, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cols, err := header(cr)
	if err != nil {
		return nil, err
	}
	di, ok := cols["date"]
	if !ok {
		return nil, bad(1, "header", "no date column", ExportColumns)
	}
	hi, unit, hname := -1, 0.0, ""
	for name, u := range hashrateUnits {
		if i, ok := cols[name]; ok {
			if hi >= 0 {
				return nil, bad(1, "header", hname+" and "+name, "one hashrate column")
			}
			hi, unit, hname = i, u, name
		}
	}
	if hi < 0 {
		return nil, bad(1, "header", "no hashrate column", ExportColumns)
	}
	pi, pBTC := cols["payout_btc"]
	if si, ok := cols["payout_sats"]; ok {
		if pBTC {
			return nil, bad(1, "header", "payout_btc and payout_sats", "one payout column")
		}
		pi = si
	} else if !pBTC {
		return nil, bad(1, "header", "no payout column", ExportColumns)
	}
	bi, hasBlocks := cols["blocks"]
	need := max(di, hi, pi)
	if hasBlocks {
		need = max(need, bi)
	}
	var out []pool.AccountDay
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(line, err)
		}
		if len(rec) <= need {
			return nil, bad(line, "fields", len(rec), fmt.Sprintf("at least %d, as the header names", need+1))
		}
		d, err := parseDate(line, rec[di])
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[d]; dup {
			return nil, bad(line, "date", d, fmt.Sprintf("a date given once; line %d already gives it", prev))
		}
		seen[d] = line
		h, err := parseNonNeg(line, hname, rec[hi])
		if err != nil {
			return nil, err
		}
		day := pool.AccountDay{Date: d, HashrateHs: h * unit, Blocks: -1}
		if math.IsInf(day.HashrateHs, 0) {
			return nil, bad(line, hname, rec[hi], "a hashrate below 1e300 H/s")
		}
		ps := strings.TrimSpace(rec[pi])
		if pBTC {
			v, err := parseNonNeg(line, "payout_btc", ps)
			if err != nil {
				return nil, err
			}
			if v > 21e6 {
				return nil, bad(line, "payout_btc", ps, "at most 21,000,000 BTC")
			}
			day.PayoutSats = consensus.Sats(math.Round(v * consensus.SatsPerBTC))
		} else {
			v, err := strconv.ParseInt(ps, 10, 64)
			if err != nil || v < 0 || v > 21e6*consensus.SatsPerBTC {
				return nil, bad(line, "payout_sats", ps, "an integer 0..2.1e15 sats")
			}
			day.PayoutSats = consensus.Sats(v)
		}
		if hasBlocks {
			v, err := strconv.ParseInt(strings.TrimSpace(rec[bi]), 10, 64)
			if err != nil || v < 0 {
				return nil, bad(line, "blocks", rec[bi], "an integer >= 0")
			}
			day.Blocks = v
		}
		out = append(out, day)
	}
	if len(out) == 0 {
		return nil, hashlab.Invalidf("rows", "none", "at least one day: "+ExportColumns, ErrPoolFile)
	}
	return out, nil
}

// BlocksCSV returns the blocks of a blocks CSV (height,time,pool_slug,
// plain or gzip) as the function the pool use cases read blocks through:
// fn sees every block with from <= time < to, in file order. r is read
// once; a second call reads nothing.
func BlocksCSV(r io.Reader) func(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
	return func(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
		br, err := chainfile.NewBlocksCSVReader(r)
		if err != nil {
			return err
		}
		for n := 0; ; n++ {
			if n%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			b, _, err := br.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if b.Time < from || b.Time >= to {
				continue
			}
			if err := fn(chain.BlockRecord{Height: b.Height, Time: b.Time, Pool: b.Pool, Source: "blocks-csv"}); err != nil {
				return err
			}
		}
	}
}
