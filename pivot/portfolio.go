package pivot

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hashlab/hashlab"
)

// Portfolio is several sites and a conversion schedule (a portfolio file).
type Portfolio struct {
	Name  string          `yaml:"name" json:"name"`
	Sites []PortfolioSite `yaml:"sites" json:"sites"`
	// Schedule lists conversions; each is also exported as a simulator
	// scenario input.
	Schedule []Conversion `yaml:"schedule" json:"schedule"`
}

// PortfolioSite names a site file (path relative to the portfolio file;
// read by the caller) or embeds the site inline.
type PortfolioSite struct {
	File string `yaml:"file" json:"file,omitempty"`
	Site *Site  `yaml:"site" json:"site,omitempty"`
}

// Conversion is one scheduled conversion, in the simulator's scenario
// format (sim scenarios accept this list under `conversions:`).
type Conversion struct {
	Operator    string  `yaml:"operator,omitempty" json:"operator,omitempty"`
	MW          float64 `yaml:"mw" json:"mw"`
	Start       string  `yaml:"start" json:"start"` // YYYY-MM-DD
	End         string  `yaml:"end" json:"end"`     // linear ramp between the dates
	JoulesPerTH float64 `yaml:"joules_per_th,omitempty" json:"joules_per_th,omitempty"`
}

// ParsePortfolio decodes and validates a portfolio file. Inline sites are
// decoded onto DefaultSite like a site file (an explicit zero stays zero);
// unknown fields are errors. Every error is a *hashlab.InputError whose
// field names the entry (sites[1].site.gross_mw, schedule[0].mw).
func ParsePortfolio(data []byte) (*Portfolio, error) {
	// Inline sites are kept as YAML nodes first, so each can be decoded
	// onto its defaults with unknown fields refused.
	var raw struct {
		Name  string `yaml:"name"`
		Sites []struct {
			File string    `yaml:"file"`
			Site yaml.Node `yaml:"site"`
		} `yaml:"sites"`
		Schedule []Conversion `yaml:"schedule"`
	}
	if err := decodeStrict(data, &raw, "portfolio file", "a YAML or JSON mapping with sites: (file: or site: entries) and an optional schedule:"); err != nil {
		return nil, err
	}
	if len(raw.Sites) == 0 {
		return nil, inputErr("sites", "[]", "at least one site (file: or site:)")
	}
	p := &Portfolio{Name: raw.Name, Schedule: raw.Schedule}
	for i, rs := range raw.Sites {
		f := fmt.Sprintf("sites[%d]", i)
		inline := rs.Site.Kind != 0 && rs.Site.Tag != "!!null"
		if (rs.File == "") == !inline {
			return nil, inputErr(f, "both or neither of file: and site:", "exactly one of file: or site:")
		}
		ps := PortfolioSite{File: rs.File}
		if inline {
			b, err := yaml.Marshal(&rs.Site)
			if err != nil {
				return nil, hashlab.Invalidf(f+".site", "unreadable", "a site mapping", err)
			}
			s, err := ParseSite(b)
			if err != nil {
				return nil, hashlab.InField(f+".site", err)
			}
			ps.Site = s
		}
		p.Sites = append(p.Sites, ps)
	}
	for i, c := range p.Schedule {
		if err := c.Validate(); err != nil {
			return nil, hashlab.InField(fmt.Sprintf("schedule[%d]", i), err)
		}
	}
	return p, nil
}

// Validate checks a conversion entry.
func (c Conversion) Validate() error {
	if !(c.MW > 0) {
		return inputErr("mw", c.MW, "> 0")
	}
	s, err1 := time.Parse(time.DateOnly, c.Start)
	e, err2 := time.Parse(time.DateOnly, c.End)
	if err1 != nil {
		return inputErr("start", c.Start, "a date YYYY-MM-DD")
	}
	if err2 != nil {
		return inputErr("end", c.End, "a date YYYY-MM-DD")
	}
	if e.Before(s) {
		return inputErr("end", c.End, "on or after start "+c.Start)
	}
	if c.JoulesPerTH < 0 {
		return inputErr("joules_per_th", c.JoulesPerTH, ">= 0 (0: network average)")
	}
	return nil
}

// PortfolioResult combines the sites' evaluations.
type PortfolioResult struct {
	Name  string   `json:"name"`
	Sites []Result `json:"sites"`
	// TotalNPVByOption sums each option's NPV over the sites.
	TotalNPVByOption map[string]float64 `json:"total_npv_by_option_usd"`
	GrossMW          float64            `json:"gross_mw"`
	ScheduledMW      float64            `json:"scheduled_conversion_mw"`
	Schedule         []Conversion       `json:"schedule"`
}

// EvaluatePortfolio evaluates resolved sites (file entries already read by
// the caller) under the same inputs and sums by option.
func EvaluatePortfolio(name string, sites []*Site, schedule []Conversion, in Inputs) (PortfolioResult, error) {
	r := PortfolioResult{Name: name, TotalNPVByOption: map[string]float64{}, Schedule: schedule}
	for i, s := range sites {
		res, err := Evaluate(s, in)
		if err != nil {
			return r, fmt.Errorf("sites[%d] (%s): %w", i, s.Name, err)
		}
		r.Sites = append(r.Sites, res)
		r.GrossMW += s.GrossMW
		for _, o := range res.Options {
			key := o.Name
			if len(key) > 7 && key[:7] == "partial" {
				key = "partial conversion"
			}
			r.TotalNPVByOption[key] += o.NPVUSD
		}
	}
	for _, c := range schedule {
		r.ScheduledMW += c.MW
	}
	return r, nil
}

// ExportConversions renders the schedule as a simulator scenario input.
func ExportConversions(schedule []Conversion) ([]byte, error) {
	return yaml.Marshal(struct {
		Conversions []Conversion `yaml:"conversions"`
	}{schedule})
}
