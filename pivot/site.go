package pivot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"gopkg.in/yaml.v3"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/mining"
)

// Site is an operator's site, as written in a site file (YAML or JSON).
// See examples/site-*.yaml. A field left out takes its documented default
// (DefaultSite, DefaultLease, DefaultGPU); a field given, zero included,
// is kept.
type Site struct {
	Name    string  `yaml:"name" json:"name"`
	GrossMW float64 `yaml:"gross_mw" json:"gross_mw"`
	// PowerUSDPerKWh is the flat all-in power price; HourlyPricesCSV
	// names an hourly series (read by the caller, passed to Evaluate).
	PowerUSDPerKWh  float64 `yaml:"power_usd_per_kwh" json:"power_usd_per_kwh"`
	HourlyPricesCSV string  `yaml:"hourly_prices_csv" json:"hourly_prices_csv,omitempty"`
	PUEMining       float64 `yaml:"pue_mining" json:"pue_mining"`
	PUEAI           float64 `yaml:"pue_ai" json:"pue_ai"`
	// Fleet: machines by model and count (mining.FleetEntry); when empty
	// the mining load is filled with Model (default Antminer S21).
	Machines []mining.FleetEntry `yaml:"machines" json:"machines,omitempty"`
	Model    string              `yaml:"model" json:"model,omitempty"`
	PoolFee  *float64            `yaml:"pool_fee" json:"pool_fee,omitempty"`
	Uptime   *float64            `yaml:"uptime" json:"uptime,omitempty"`
	// MiningOpexUSDPerMWYear is staff, maintenance, insurance of a mining
	// site per MW of gross capacity per year.
	MiningOpexUSDPerMWYear float64 `yaml:"mining_opex_usd_per_mw_year" json:"mining_opex_usd_per_mw_year"`
	// DiscountRate is the yearly rate for NPV (WACC); TaxRate applies to
	// positive EBITDA (a simple cash-tax proxy, 0 to ignore).
	DiscountRate float64 `yaml:"discount_rate" json:"discount_rate"`
	TaxRate      float64 `yaml:"tax_rate" json:"tax_rate"`
	// Debt: DebtFraction of each option's capex is borrowed at DebtRate
	// and repaid as an annuity over DebtYears; NPV is then to equity.
	DebtFraction float64 `yaml:"debt_fraction" json:"debt_fraction"`
	DebtRate     float64 `yaml:"debt_rate" json:"debt_rate"`
	DebtYears    int     `yaml:"debt_years" json:"debt_years"`
	HorizonYears int     `yaml:"horizon_years" json:"horizon_years"`

	Lease       Lease       `yaml:"lease" json:"lease"`
	GPU         GPU         `yaml:"gpu" json:"gpu"`
	Curtailment Curtailment `yaml:"curtailment" json:"curtailment"`
	// PartialAIFraction is the share of gross MW converted in the
	// "partial" option (lease on that share, mining on the rest).
	PartialAIFraction float64 `yaml:"partial_ai_fraction" json:"partial_ai_fraction"`
	// SaleUSDPerMW is what a buyer pays per MW of powered capacity.
	SaleUSDPerMW float64 `yaml:"sale_usd_per_mw" json:"sale_usd_per_mw"`
}

// Lease is a colocation lease of powered, cooled shell to an AI tenant.
type Lease struct {
	// USDPerKWMonth is rent per kW of critical IT load per month.
	USDPerKWMonth float64 `yaml:"usd_per_kw_month" json:"usd_per_kw_month"`
	Escalator     float64 `yaml:"escalator" json:"escalator"` // yearly rent increase
	TermYears     int     `yaml:"term_years" json:"term_years"`
	// LandlordCapexUSDPerMW is the operator's conversion capex per MW of
	// IT load (power distribution, liquid cooling, redundancy); the
	// tenant pays its own fit-out.
	LandlordCapexUSDPerMW float64 `yaml:"landlord_capex_usd_per_mw" json:"landlord_capex_usd_per_mw"`
	BuildMonths           float64 `yaml:"build_months" json:"build_months"`
	// OpexUSDPerMWYear is the landlord's operating cost per MW IT per year
	// (power is passed through to the tenant).
	OpexUSDPerMWYear float64 `yaml:"opex_usd_per_mw_year" json:"opex_usd_per_mw_year"`
}

// GPU is running an own GPU cloud.
type GPU struct {
	// KWPerGPU is the all-in IT power per GPU (server share included).
	KWPerGPU       float64 `yaml:"kw_per_gpu" json:"kw_per_gpu"`
	USDPerGPU      float64 `yaml:"usd_per_gpu" json:"usd_per_gpu"` // installed, incl. server and network share
	RentUSDPerHour float64 `yaml:"rent_usd_per_gpu_hour" json:"rent_usd_per_gpu_hour"`
	// RentDeclinePerYear is the yearly fall of the rental price.
	RentDeclinePerYear float64 `yaml:"rent_decline_per_year" json:"rent_decline_per_year"`
	Utilization        float64 `yaml:"utilization" json:"utilization"`
	LifeYears          int     `yaml:"life_years" json:"life_years"`
	OpexUSDPerGPUYear  float64 `yaml:"opex_usd_per_gpu_year" json:"opex_usd_per_gpu_year"`
	// FacilityCapexUSDPerMW is the data-hall conversion per MW IT.
	FacilityCapexUSDPerMW float64 `yaml:"facility_capex_usd_per_mw" json:"facility_capex_usd_per_mw"`
	BuildMonths           float64 `yaml:"build_months" json:"build_months"`
}

// Curtailment is mining with hourly curtailment against power prices.
type Curtailment struct {
	// DemandResponseUSDPerMWh is paid for each MWh not consumed when the
	// site curtails (0 if the site has no demand-response program).
	DemandResponseUSDPerMWh float64 `yaml:"demand_response_usd_per_mwh" json:"demand_response_usd_per_mwh"`
}

// Defaults, with their sources (docs/pivot.md has the full list):
var (
	// Reported AI colocation deals for powered, cooled shells pay roughly
	// $100–160 per kW-month of IT load (2024–25 announcements by listed
	// miners, e.g. Core Scientific/CoreWeave, Applied Digital, Cipher);
	// $150 is the reference. Landlord capex of converting a
	// mining site: $2–4M per MW reported; 3.0M assumed; 12-month build.
	DefaultLease = Lease{USDPerKWMonth: 150, Escalator: 0.02, TermYears: 10, LandlordCapexUSDPerMW: 3.0e6, BuildMonths: 12, OpexUSDPerMWYear: 60_000}
	// An H100-class GPU draws ~1.4 kW all-in in a server; installed cost
	// ~$35k per GPU (server and network share); on-demand rent fell from
	// ~$4 to ~$2 per GPU-hour in 2023–25, so $2.00 declining 20% a year;
	// 70% utilisation; 5-year life; $1,500/GPU-year opex; $10M per MW IT of
	// facility conversion (tens of millions per MW all-in with the GPUs).
	DefaultGPU = GPU{KWPerGPU: 1.4, USDPerGPU: 35_000, RentUSDPerHour: 2.0, RentDeclinePerYear: 0.2, Utilization: 0.7, LifeYears: 5, OpexUSDPerGPUYear: 1_500, FacilityCapexUSDPerMW: 10e6, BuildMonths: 12}
)

// DefaultModel fills a site's mining load when it lists no machines.
const DefaultModel = "Antminer S21"

// DefaultSite is a site with every documented default and no size or
// power price: PUE 1.05 for mining and 1.3 for AI, a 12% discount rate,
// $40,000/MW-year mining opex, $1M/MW sale price, a 10-year horizon,
// 5-year debt terms, DefaultLease, DefaultGPU and half the site in the
// partial option (docs/pivot.md gives the sources). ParseSite decodes a
// file onto it, so a field the file gives, zero included, replaces the
// default and a field it leaves out keeps it.
func DefaultSite() Site {
	return Site{
		PUEMining: 1.05, PUEAI: 1.3, DiscountRate: 0.12, MiningOpexUSDPerMWYear: 40_000, SaleUSDPerMW: 1.0e6,
		HorizonYears: 10, DebtYears: 5, Lease: DefaultLease, GPU: DefaultGPU, PartialAIFraction: 0.5,
	}
}

// ParseSite decodes a site file (YAML or JSON) onto DefaultSite and
// validates it. Unknown fields are errors. Every error is a
// *hashlab.InputError naming the field.
func ParseSite(data []byte) (*Site, error) {
	s := DefaultSite()
	if err := decodeStrict(data, &s, "site file", "a YAML or JSON mapping with at least gross_mw (see examples/site-*.yaml)"); err != nil {
		return nil, err
	}
	s.applyDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// decodeStrict decodes one YAML (or JSON) document onto v, which holds the
// defaults, refusing unknown fields; an empty document and a syntax error
// are *hashlab.InputError for field (allowed says what is expected).
func decodeStrict(data []byte, v any, field, allowed string) (err error) {
	defer func() {
		// The YAML decoder must not take the process down on a hostile
		// file; whatever it chokes on is bad input.
		if r := recover(); r != nil {
			err = hashlab.Invalidf(field, "unreadable", allowed, fmt.Errorf("yaml: %v", r))
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return hashlab.Invalid(field, "empty", allowed)
		}
		return hashlab.Invalidf(field, "unreadable", allowed, err)
	}
	return nil
}

// applyDefaults fills what cannot be decoded onto a default: the mining
// model when the file lists neither machines nor a model.
func (s *Site) applyDefaults() {
	if s.Model == "" && len(s.Machines) == 0 {
		s.Model = DefaultModel
	}
}

// Validate names the offending field.
func (s *Site) Validate() error {
	type chk struct {
		name    string
		v       float64
		ok      bool
		allowed string
	}
	for _, c := range []chk{
		{"gross_mw", s.GrossMW, s.GrossMW > 0 && s.GrossMW <= 10_000, "0 < MW <= 10,000"},
		{"power_usd_per_kwh", s.PowerUSDPerKWh, s.PowerUSDPerKWh >= 0 && s.PowerUSDPerKWh <= 10, "0 to 10 (or give hourly_prices_csv)"},
		{"pue_mining", s.PUEMining, s.PUEMining >= 1 && s.PUEMining <= 3, "1 to 3"},
		{"pue_ai", s.PUEAI, s.PUEAI >= 1 && s.PUEAI <= 3, "1 to 3"},
		{"discount_rate", s.DiscountRate, s.DiscountRate > -1 && s.DiscountRate < 1, "-1 < rate < 1 (0.12 = 12%)"},
		{"tax_rate", s.TaxRate, s.TaxRate >= 0 && s.TaxRate < 1, "0 <= rate < 1"},
		{"debt_fraction", s.DebtFraction, s.DebtFraction >= 0 && s.DebtFraction < 1, "0 <= f < 1"},
		{"debt_rate", s.DebtRate, s.DebtRate >= 0 && s.DebtRate < 1, "0 <= rate < 1"},
		{"debt_years", float64(s.DebtYears), s.DebtYears >= 1 && s.DebtYears <= 50, "1 to 50"},
		{"horizon_years", float64(s.HorizonYears), s.HorizonYears >= 1 && s.HorizonYears <= 50, "1 to 50"},
		{"mining_opex_usd_per_mw_year", s.MiningOpexUSDPerMWYear, s.MiningOpexUSDPerMWYear >= 0, ">= 0"},
		{"partial_ai_fraction", s.PartialAIFraction, s.PartialAIFraction > 0 && s.PartialAIFraction < 1, "0 < f < 1"},
		{"sale_usd_per_mw", s.SaleUSDPerMW, s.SaleUSDPerMW >= 0, ">= 0"},
		{"lease.usd_per_kw_month", s.Lease.USDPerKWMonth, s.Lease.USDPerKWMonth > 0 && s.Lease.USDPerKWMonth < 2000, "0 to 2000"},
		{"lease.escalator", s.Lease.Escalator, s.Lease.Escalator > -0.5 && s.Lease.Escalator < 0.5, "-0.5 to 0.5"},
		{"lease.term_years", float64(s.Lease.TermYears), s.Lease.TermYears >= 1, ">= 1"},
		{"lease.landlord_capex_usd_per_mw", s.Lease.LandlordCapexUSDPerMW, s.Lease.LandlordCapexUSDPerMW >= 0, ">= 0"},
		{"lease.build_months", s.Lease.BuildMonths, s.Lease.BuildMonths >= 0 && s.Lease.BuildMonths <= 120, "0 to 120"},
		{"gpu.kw_per_gpu", s.GPU.KWPerGPU, s.GPU.KWPerGPU > 0 && s.GPU.KWPerGPU < 20, "0 to 20"},
		{"gpu.usd_per_gpu", s.GPU.USDPerGPU, s.GPU.USDPerGPU >= 0, ">= 0"},
		{"gpu.rent_usd_per_gpu_hour", s.GPU.RentUSDPerHour, s.GPU.RentUSDPerHour >= 0 && s.GPU.RentUSDPerHour < 1000, "0 to 1000"},
		{"gpu.rent_decline_per_year", s.GPU.RentDeclinePerYear, s.GPU.RentDeclinePerYear >= 0 && s.GPU.RentDeclinePerYear < 1, "0 to 1"},
		{"gpu.utilization", s.GPU.Utilization, s.GPU.Utilization > 0 && s.GPU.Utilization <= 1, "0 < u <= 1"},
		{"gpu.life_years", float64(s.GPU.LifeYears), s.GPU.LifeYears >= 1, ">= 1"},
		{"gpu.build_months", s.GPU.BuildMonths, s.GPU.BuildMonths >= 0 && s.GPU.BuildMonths <= 120, "0 to 120"},
		{"curtailment.demand_response_usd_per_mwh", s.Curtailment.DemandResponseUSDPerMWh, s.Curtailment.DemandResponseUSDPerMWh >= 0, ">= 0"},
	} {
		if !c.ok || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return inputErr(c.name, c.v, c.allowed)
		}
	}
	if s.PoolFee != nil && !(*s.PoolFee >= 0 && *s.PoolFee < 1) {
		return inputErr("pool_fee", *s.PoolFee, "0 <= fee < 1 (a fraction: 0.02 = 2%)")
	}
	if s.Uptime != nil && !(*s.Uptime > 0 && *s.Uptime <= 1) {
		return inputErr("uptime", *s.Uptime, "0 < uptime <= 1 (a fraction)")
	}
	for i, m := range s.Machines {
		f := fmt.Sprintf("machines[%d]", i)
		if m.Count <= 0 {
			return inputErr(f+".count", m.Count, ">= 1")
		}
		if m.Custom != nil {
			if err := m.Custom.Validate(); err != nil {
				return hashlab.InField(f+".custom", err)
			}
		} else if _, err := mining.LookupModel(m.Model); err != nil {
			return hashlab.InField(f, err)
		}
	}
	if s.Model != "" {
		if _, err := mining.LookupModel(s.Model); err != nil {
			return err
		}
	}
	return nil
}
