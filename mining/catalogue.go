package mining

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
)

// Cooling is how a machine is cooled.
type Cooling string

const (
	Air       Cooling = "air"
	Hydro     Cooling = "hydro"
	Immersion Cooling = "immersion"
)

// Model is one ASIC model's nominal specification.
type Model struct {
	Manufacturer string  `json:"manufacturer" yaml:"manufacturer"`
	Name         string  `json:"model" yaml:"model"`
	HashrateTHs  float64 `json:"hashrate_ths" yaml:"hashrate_ths"`
	PowerW       float64 `json:"power_w" yaml:"power_w"`
	Cooling      Cooling `json:"cooling" yaml:"cooling"`
	ReleaseYear  int     `json:"release_year" yaml:"release_year"`
	Source       string  `json:"source,omitempty" yaml:"source"`
	// SourceURL and SourceAccessed are the public page the spec was read
	// from and the UTC date (YYYY-MM-DD) it was read; empty for older
	// rows that cite a spec sheet by name.
	SourceURL      string `json:"source_url,omitempty" yaml:"source_url"`
	SourceAccessed string `json:"source_accessed,omitempty" yaml:"source_accessed"`
	// PriceUSDPerTH is a typical machine price in USD per TH/s, dated
	// PriceDate (YYYY-MM-DD) and cited by PriceSource; nil (left out of
	// the JSON) when no public price was found: unknown, never 0.
	PriceUSDPerTH *float64 `json:"price_usd_per_th,omitempty" yaml:"price_usd_per_th"`
	PriceDate     string   `json:"price_date,omitempty" yaml:"price_date"`
	PriceSource   string   `json:"price_source,omitempty" yaml:"price_source"`
}

// JoulesPerTH is the model's efficiency: W / (TH/s).
func (m Model) JoulesPerTH() float64 { return m.PowerW / m.HashrateTHs }

// Validate checks a model's fields.
func (m Model) Validate() error {
	switch {
	case strings.TrimSpace(m.Name) == "":
		return inputErr("model", m.Name, "a non-empty name")
	case !(m.HashrateTHs > 0) || math.IsInf(m.HashrateTHs, 0):
		return inputErr("hashrate_ths", m.HashrateTHs, "> 0 TH/s (model "+m.Name+")")
	case !(m.PowerW > 0) || math.IsInf(m.PowerW, 0):
		return inputErr("power_w", m.PowerW, "> 0 W (model "+m.Name+")")
	}
	switch m.Cooling {
	case Air, Hydro, Immersion, "":
	default:
		return inputErr("cooling", string(m.Cooling), "air, hydro, immersion")
	}
	return nil
}

//go:embed asics.csv
var asicsCSV []byte

var (
	catOnce sync.Once
	catalog []Model
	catErr  error
)

// Catalogue returns the embedded ASIC catalogue (a fresh copy).
func Catalogue() []Model {
	catOnce.Do(func() { catalog, catErr = ParseCatalogue(bytes.NewReader(asicsCSV)) })
	if catErr != nil {
		panic(catErr) // the embedded file is tested
	}
	return append([]Model(nil), catalog...)
}

// LookupModel finds a catalogue model by name, case- and space-
// insensitively, with or without its brand ("s21 pro", "Antminer S21
// Pro", "a16 xp").
func LookupModel(name string) (Model, error) {
	key := normalize(name)
	for _, m := range Catalogue() {
		_, series, _ := strings.Cut(m.Name, " ") // "S21 Pro" of "Antminer S21 Pro", "A16 XP" of "Avalon A16 XP"
		if normalize(m.Name) == key || normalize(series) == key || normalize(m.Manufacturer+" "+m.Name) == key {
			return m, nil
		}
	}
	return Model{}, inputErr("model", name, "a catalogue model (see 'hashlab miners'), e.g. Antminer S21")
}

func normalize(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// catalogueColumns are the catalogue CSV's columns; the first seven are
// required, the price and citation columns optional.
var catalogueColumns = []string{"manufacturer", "model", "hashrate_ths", "power_w", "cooling", "release_year", "source",
	"source_url", "accessed", "usd_per_th", "price_date", "price_source"}

// ParseCatalogue reads a catalogue CSV: '#' comment lines, a header row
// naming the columns (manufacturer,model,hashrate_ths,power_w,cooling,
// release_year,source required; source_url,accessed,usd_per_th,
// price_date,price_source optional), one model per row. An empty
// usd_per_th is an unknown price; a given one needs its price_date.
func ParseCatalogue(r io.Reader) ([]Model, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("mining: catalogue: %w", err)
	}
	if len(rows) == 0 || len(rows[0]) == 0 || rows[0][0] != "manufacturer" {
		return nil, fmt.Errorf("mining: catalogue: missing header row")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range catalogueColumns[:7] {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("mining: catalogue: header lacks column %q", c)
		}
	}
	var out []Model
	for i, r := range rows[1:] {
		line := i + 2
		if len(r) != len(rows[0]) {
			return nil, fmt.Errorf("mining: catalogue row %d: %d fields, want %d", line, len(r), len(rows[0]))
		}
		get := func(name string) string {
			if j, ok := col[name]; ok {
				return strings.TrimSpace(r[j])
			}
			return ""
		}
		th, err1 := strconv.ParseFloat(get("hashrate_ths"), 64)
		w, err2 := strconv.ParseFloat(get("power_w"), 64)
		y, err3 := strconv.Atoi(get("release_year"))
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("mining: catalogue row %d (%s): bad number", line, get("model"))
		}
		m := Model{Manufacturer: get("manufacturer"), Name: get("model"), HashrateTHs: th, PowerW: w, Cooling: Cooling(get("cooling")), ReleaseYear: y,
			Source: get("source"), SourceURL: get("source_url"), SourceAccessed: get("accessed"), PriceDate: get("price_date"), PriceSource: get("price_source")}
		if v := get("usd_per_th"); v != "" {
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || !(p > 0) || math.IsInf(p, 0) {
				return nil, fmt.Errorf("mining: catalogue row %d (%s): usd_per_th %q is not a price > 0", line, m.Name, v)
			}
			if m.PriceDate == "" || m.PriceSource == "" {
				return nil, fmt.Errorf("mining: catalogue row %d (%s): a price needs price_date and price_source", line, m.Name)
			}
			m.PriceUSDPerTH = &p
		}
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("catalogue row %d: %w", line, err)
		}
		out = append(out, m)
	}
	return out, nil
}
