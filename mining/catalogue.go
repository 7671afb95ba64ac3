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
// insensitively ("s21 pro", "Antminer S21 Pro").
func LookupModel(name string) (Model, error) {
	key := normalize(name)
	for _, m := range Catalogue() {
		if normalize(m.Name) == key || normalize(strings.TrimPrefix(strings.TrimPrefix(m.Name, "Antminer "), "Whatsminer ")) == key ||
			normalize(m.Manufacturer+" "+m.Name) == key {
			return m, nil
		}
	}
	return Model{}, inputErr("model", name, "a catalogue model (see 'hashlab miners'), e.g. Antminer S21")
}

func normalize(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// ParseCatalogue reads a catalogue CSV: '#' comment lines, a header row
// manufacturer,model,hashrate_ths,power_w,cooling,release_year,source.
func ParseCatalogue(r io.Reader) ([]Model, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 7
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("mining: catalogue: %w", err)
	}
	if len(rows) == 0 || rows[0][0] != "manufacturer" {
		return nil, fmt.Errorf("mining: catalogue: missing header row")
	}
	var out []Model
	for i, r := range rows[1:] {
		line := i + 2
		th, err1 := strconv.ParseFloat(r[2], 64)
		w, err2 := strconv.ParseFloat(r[3], 64)
		y, err3 := strconv.Atoi(r[5])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("mining: catalogue row %d (%s): bad number", line, r[1])
		}
		m := Model{Manufacturer: r[0], Name: r[1], HashrateTHs: th, PowerW: w, Cooling: Cooling(r[4]), ReleaseYear: y, Source: r[6]}
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("catalogue row %d: %w", line, err)
		}
		out = append(out, m)
	}
	return out, nil
}
