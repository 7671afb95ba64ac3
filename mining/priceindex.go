package mining

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
)

// Quote is one observed machine price: a model's price in USD per TH/s on
// a date, from a source.
type Quote struct {
	Date     string  `json:"date"` // YYYY-MM-DD
	Model    string  `json:"model"`
	USDPerTH float64 `json:"usd_per_th"`
	Source   string  `json:"source,omitempty"`
}

// EfficiencyTier is a band of machine efficiency for the price index.
type EfficiencyTier struct {
	Name string `json:"tier"`
	// MinJPerTH (inclusive) and MaxJPerTH (exclusive, except the 25–38
	// tier, which includes 38 J/TH as the Hashrate Index's 25–38 band
	// does); 0 and +Inf at the ends (MaxJPerTH is null in JSON there).
	MinJPerTH float64     `json:"min_j_per_th"`
	MaxJPerTH hashlab.Num `json:"max_j_per_th"`
}

// Tiers are the price index's efficiency tiers: < 19, 19–25, 25–38 and
// > 38 J/TH.
var Tiers = []EfficiencyTier{
	{"under-19", 0, 19},
	{"19-25", 19, 25},
	{"25-38", 25, 38},
	{"over-38", 38, hashlab.Num(math.Inf(1))},
}

// TierOf names the tier of efficiency j (J/TH).
func TierOf(j float64) string {
	switch {
	case j < 19:
		return "under-19"
	case j < 25:
		return "19-25"
	case j <= 38:
		return "25-38"
	default:
		return "over-38"
	}
}

// IndexWindowDays is how far back from a tier's newest quote the index
// looks: the median is of the quotes dated within 90 days up to (and
// including) the tier's newest one, so that a file of several years'
// quotes gives today's price, not a blend of cycles.
const IndexWindowDays = 90

// IndexTier is one tier's price: the median USD/TH of its recent quotes.
type IndexTier struct {
	EfficiencyTier
	// Quotes is the number of quotes in the window, Older the tier's
	// quotes before it (left out).
	Quotes int `json:"quotes"`
	Older  int `json:"older_quotes_left_out"`
	// MedianUSDPerTH is the median of the window's quotes (the mean of
	// the two middle ones for an even count); null when the tier has none.
	MedianUSDPerTH hashlab.Num `json:"median_usd_per_th"`
	// From and To are the oldest and newest quote dates in the window.
	From   string   `json:"from,omitempty"`
	To     string   `json:"to,omitempty"`
	Models []string `json:"models"`
}

// CatalogueQuotes are the catalogue's dated prices as quotes (the price
// index's default input).
func CatalogueQuotes(models []Model) []Quote {
	var out []Quote
	for _, m := range models {
		if m.PriceUSDPerTH != nil {
			out = append(out, Quote{Date: m.PriceDate, Model: m.Name, USDPerTH: *m.PriceUSDPerTH, Source: m.PriceSource})
		}
	}
	return out
}

// ParseQuotes reads a quotes CSV: '#' comments, a header row
// date,model,usd_per_th[,source], then one quote per row (date
// YYYY-MM-DD, a model named as in the catalogue, USD per TH/s > 0).
// Errors are input errors naming the line.
func ParseQuotes(r io.Reader) ([]Quote, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, hashlab.Invalidf("quotes", "CSV", "a CSV file date,model,usd_per_th[,source]", err)
	}
	want := "date,model,usd_per_th[,source]"
	if len(rows) == 0 || len(rows[0]) < 3 || strings.TrimSpace(rows[0][0]) != "date" || strings.TrimSpace(rows[0][1]) != "model" || strings.TrimSpace(rows[0][2]) != "usd_per_th" {
		return nil, inputErr("quotes", "header", "a header row "+want)
	}
	var out []Quote
	for i, r := range rows[1:] {
		line := i + 2
		field := fmt.Sprintf("quotes line %d", line)
		if len(r) < 3 || len(r) > 4 {
			return nil, inputErr(field, strings.Join(r, ","), want)
		}
		q := Quote{Date: strings.TrimSpace(r[0]), Model: strings.TrimSpace(r[1])}
		if _, err := time.Parse(time.DateOnly, q.Date); err != nil {
			return nil, inputErr(field+" date", q.Date, "YYYY-MM-DD")
		}
		if q.Model == "" {
			return nil, inputErr(field+" model", "", "a catalogue model name")
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(r[2]), 64)
		if err != nil || !(v > 0) || v > 1e5 || math.IsInf(v, 0) {
			return nil, inputErr(field+" usd_per_th", r[2], "a price > 0 and <= 100,000 USD per TH/s")
		}
		q.USDPerTH = v
		if len(r) == 4 {
			q.Source = strings.TrimSpace(r[3])
		}
		out = append(out, q)
	}
	if len(out) == 0 {
		return nil, inputErr("quotes", "no rows", "at least one quote")
	}
	return out, nil
}

// PriceIndex is the median USD/TH per efficiency tier of quotes within
// IndexWindowDays of the tier's newest quote, each quote's model found
// (case-insensitively, brand optional) among models for its J/TH. A quote
// of an unknown model is an input error.
func PriceIndex(quotes []Quote, models []Model) ([]IndexTier, error) {
	byName := map[string]Model{}
	for _, m := range models {
		byName[normalize(m.Name)] = m
		byName[normalize(m.Manufacturer+" "+m.Name)] = m
		if _, series, ok := strings.Cut(m.Name, " "); ok {
			if _, taken := byName[normalize(series)]; !taken {
				byName[normalize(series)] = m
			}
		}
	}
	type dated struct {
		day   time.Time
		q     Quote
		model string
	}
	byTier := map[string][]dated{}
	for _, q := range quotes {
		m, ok := byName[normalize(q.Model)]
		if !ok {
			return nil, inputErr("quotes model", q.Model, "a catalogue model (see 'hashlab miners')")
		}
		day, err := time.Parse(time.DateOnly, q.Date)
		if err != nil {
			return nil, inputErr("quotes date", q.Date, "YYYY-MM-DD")
		}
		t := TierOf(m.JoulesPerTH())
		byTier[t] = append(byTier[t], dated{day, q, m.Name})
	}
	out := make([]IndexTier, len(Tiers))
	for i, t := range Tiers {
		it := IndexTier{EfficiencyTier: t, MedianUSDPerTH: hashlab.Num(math.NaN()), Models: []string{}}
		ds := byTier[t.Name]
		var newest time.Time
		for _, d := range ds {
			if d.day.After(newest) {
				newest = d.day
			}
		}
		from := newest.AddDate(0, 0, -IndexWindowDays)
		var vals []float64
		for _, d := range ds {
			if d.day.Before(from) {
				it.Older++
				continue
			}
			vals = append(vals, d.q.USDPerTH)
			it.Quotes++
			if it.From == "" || d.q.Date < it.From {
				it.From = d.q.Date
			}
			if d.q.Date > it.To {
				it.To = d.q.Date
			}
			if !contains(it.Models, d.model) {
				it.Models = append(it.Models, d.model)
			}
		}
		if len(vals) > 0 {
			it.MedianUSDPerTH = hashlab.Num(median(vals))
		}
		out[i] = it
	}
	return out, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
