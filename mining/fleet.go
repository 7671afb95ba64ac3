package mining

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hashlab/hashlab"
)

// Fleet is a user's mining fleet, as written in a fleet file (YAML or
// JSON; JSON is valid YAML). Example:
//
//	name: Garage
//	power_usd_per_kwh: 0.06
//	pool_fee: 0.02
//	uptime: 0.97
//	overhead_usd_per_kwh: 0.005
//	fixed_usd_per_month: 500
//	treasury_btc: 2.5
//	machines:
//	  - model: Antminer S21
//	    count: 10
//	  - model: Antminer S19j Pro
//	    count: 20
//	    power_usd_per_kwh: 0.045   # a second site with its own tariff
//	  - custom: {model: Homebrew, hashrate_ths: 50, power_w: 1500}
//	    count: 1
type Fleet struct {
	Name              string       `yaml:"name" json:"name"`
	PowerUSDPerKWh    float64      `yaml:"power_usd_per_kwh" json:"power_usd_per_kwh"`
	PoolFee           *float64     `yaml:"pool_fee" json:"pool_fee"`
	Uptime            *float64     `yaml:"uptime" json:"uptime"`
	OverheadUSDPerKWh float64      `yaml:"overhead_usd_per_kwh" json:"overhead_usd_per_kwh"`
	FixedUSDPerMonth  float64      `yaml:"fixed_usd_per_month" json:"fixed_usd_per_month"`
	TreasuryBTC       float64      `yaml:"treasury_btc" json:"treasury_btc"`
	Machines          []FleetEntry `yaml:"machines" json:"machines"`
}

// FleetEntry is a group of identical machines.
type FleetEntry struct {
	Model          string   `yaml:"model" json:"model"`
	Custom         *Model   `yaml:"custom" json:"custom"`
	Count          int      `yaml:"count" json:"count"`
	PowerUSDPerKWh *float64 `yaml:"power_usd_per_kwh" json:"power_usd_per_kwh"`
}

// Defaults applied when a fleet file leaves them out.
const (
	DefaultPoolFee = 0.02 // FPPS pools charge roughly 2-4%; 2% is the low end.
	DefaultUptime  = 0.97 // typical fleet availability after maintenance.
)

// ParseFleet decodes and validates a fleet file. Unknown fields are
// errors, so a typo is never silently ignored.
func ParseFleet(data []byte) (*Fleet, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f Fleet
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, hashlab.Invalid("fleet file", "empty", "a YAML or JSON mapping with machines: a list of {model, count} (see 'hashlab fleet --help')")
		}
		return nil, hashlab.Invalidf("fleet file", "unreadable", "YAML or JSON with the fleet's fields (name, power_usd_per_kwh, pool_fee, uptime, overhead_usd_per_kwh, fixed_usd_per_month, treasury_btc, machines)", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// Validate checks every field, naming the machine entry at fault.
func (f *Fleet) Validate() error {
	if len(f.Machines) == 0 {
		return inputErr("machines", "[]", "at least one entry")
	}
	if !(f.PowerUSDPerKWh >= 0 && f.PowerUSDPerKWh <= 10) {
		return inputErr("power_usd_per_kwh", f.PowerUSDPerKWh, "0 to 10")
	}
	if f.FixedUSDPerMonth < 0 {
		return inputErr("fixed_usd_per_month", f.FixedUSDPerMonth, ">= 0")
	}
	if f.TreasuryBTC < 0 {
		return inputErr("treasury_btc", f.TreasuryBTC, ">= 0")
	}
	for i, m := range f.Machines {
		if _, err := m.resolve(); err != nil {
			return hashlab.InField(fmt.Sprintf("machines[%d]", i), err)
		}
		if m.Count <= 0 {
			return inputErr(fmt.Sprintf("machines[%d].count", i), m.Count, ">= 1")
		}
		if m.PowerUSDPerKWh != nil && !(*m.PowerUSDPerKWh >= 0 && *m.PowerUSDPerKWh <= 10) {
			return inputErr(fmt.Sprintf("machines[%d].power_usd_per_kwh", i), *m.PowerUSDPerKWh, "0 to 10")
		}
	}
	_, err := f.conditions(Conditions{})
	return err
}

func (e FleetEntry) resolve() (Model, error) {
	switch {
	case e.Custom != nil && strings.TrimSpace(e.Model) != "":
		return Model{}, inputErr("model", e.Model, "either model or custom, not both")
	case e.Custom != nil:
		return *e.Custom, e.Custom.Validate()
	case strings.TrimSpace(e.Model) == "":
		return Model{}, inputErr("model", e.Model, "a catalogue model name or a custom spec")
	}
	return LookupModel(e.Model)
}

// conditions fills the fleet's operating terms into market conditions.
func (f *Fleet) conditions(market Conditions) (Conditions, error) {
	c := market
	c.PowerUSDPerKWh = f.PowerUSDPerKWh
	c.OverheadUSDPerKWh = f.OverheadUSDPerKWh
	c.PoolFee, c.Uptime = DefaultPoolFee, DefaultUptime
	if f.PoolFee != nil {
		c.PoolFee = *f.PoolFee
	}
	if f.Uptime != nil {
		c.Uptime = *f.Uptime
	}
	if !(c.PoolFee >= 0 && c.PoolFee < 1) {
		return c, inputErr("pool_fee", c.PoolFee, "0 <= fee < 1 (a fraction: 0.02 = 2%)")
	}
	if !(c.Uptime > 0 && c.Uptime <= 1) {
		return c, inputErr("uptime", c.Uptime, "0 < uptime <= 1 (a fraction)")
	}
	return c, nil
}

// FleetResult is a fleet's daily economics.
type FleetResult struct {
	Name   string      `json:"name"`
	Groups []Economics `json:"groups"`
	// Total sums every group as if all ran; Running sums only the groups
	// that earn their power (the curtailment decision).
	Total   Economics `json:"total"`
	Running Economics `json:"running"`
	// CurtailedModels lists the groups that should be switched off.
	CurtailedModels []string `json:"curtailed_models"`
	// FixedUSDPerDay is the fleet's fixed cost, per day (monthly / 30.4375).
	FixedUSDPerDay float64 `json:"fixed_usd_per_day"`
	// NetUSDPerDay is the running groups' profit minus fixed costs.
	NetUSDPerDay float64 `json:"net_usd_per_day"`
	// Treasury runway: days the BTC treasury covers a negative
	// NetUSDPerDay at today's BTC price. With no deficit RunwayInfinite is
	// true and RunwayDays is nil (JSON null: it never runs out).
	TreasuryBTC    float64  `json:"treasury_btc"`
	RunwayDays     *float64 `json:"runway_days"`
	RunwayInfinite bool     `json:"runway_infinite"`
	// HashpriceUSDPerPHDay echoes the gross hashprice used.
	HashpriceUSDPerPHDay float64 `json:"hashprice_usd_per_ph_day"`
}

// DaysPerMonth is the mean Gregorian month.
const DaysPerMonth = 365.25 / 12

// EvaluateFleet computes the fleet's economics under market conditions
// (hashvalue and price; the fleet supplies power price, fees and uptime).
func EvaluateFleet(f *Fleet, market Conditions) (FleetResult, error) {
	if err := f.Validate(); err != nil {
		return FleetResult{}, err
	}
	base, err := f.conditions(market)
	if err != nil {
		return FleetResult{}, err
	}
	res := FleetResult{Name: f.Name, TreasuryBTC: f.TreasuryBTC, HashpriceUSDPerPHDay: base.HashpriceUSDPerPHDay()}
	res.Total.Model, res.Running.Model = "total", "running"
	for i, entry := range f.Machines {
		m, _ := entry.resolve()
		c := base
		if entry.PowerUSDPerKWh != nil {
			c.PowerUSDPerKWh = *entry.PowerUSDPerKWh
		}
		e, err := Evaluate(m, entry.Count, c)
		if err != nil {
			return FleetResult{}, hashlab.InField(fmt.Sprintf("machines[%d]", i), err)
		}
		res.Groups = append(res.Groups, e)
		addInto(&res.Total, e)
		if e.Run {
			addInto(&res.Running, e)
		} else {
			res.CurtailedModels = append(res.CurtailedModels, e.Model)
		}
	}
	finish(&res.Total, base)
	finish(&res.Running, base)
	res.FixedUSDPerDay = f.FixedUSDPerMonth / DaysPerMonth
	res.NetUSDPerDay = res.Running.ProfitUSD - res.FixedUSDPerDay
	days, infinite := Runway(f.TreasuryBTC, market.PriceUSD, res.NetUSDPerDay)
	res.RunwayInfinite = infinite
	if !infinite {
		res.RunwayDays = &days
	}
	return res, nil
}

func addInto(t *Economics, e Economics) {
	t.Count += e.Count
	t.HashrateTHs += e.HashrateTHs
	t.PowerW += e.PowerW
	t.BTCPerDay += e.BTCPerDay
	t.RevenueUSD += e.RevenueUSD
	t.EnergyKWh += e.EnergyKWh
	t.PowerCostUSD += e.PowerCostUSD
	t.OverheadUSD += e.OverheadUSD
	t.PowerProfitUSD += e.PowerProfitUSD
	t.ProfitUSD += e.ProfitUSD
}

// finish derives the ratios of a summed group.
func finish(t *Economics, c Conditions) {
	t.Run = t.PowerProfitUSD > 0
	if t.HashrateTHs > 0 {
		t.JoulesPerTH = t.PowerW / t.HashrateTHs
	}
	if t.RevenueUSD > 0 {
		t.Margin = t.ProfitUSD / t.RevenueUSD
	}
	if t.EnergyKWh > 0 {
		t.BreakevenPowerUSDPerKWh = t.RevenueUSD / t.EnergyKWh
	}
	if t.BTCPerDay > 0 {
		t.CostPerBTCPowerUSD = ptr(t.PowerCostUSD / t.BTCPerDay)
		t.CostPerBTCAllInUSD = ptr((t.PowerCostUSD + t.OverheadUSD) / t.BTCPerDay)
		t.BreakevenPriceUSD = ptr(*t.CostPerBTCAllInUSD)
		t.BreakevenHashpriceUSDPerPHDay = c.HashpriceUSDPerPHDay() * (t.PowerCostUSD + t.OverheadUSD) / t.RevenueUSD
	}
}

// Runway returns how many days treasuryBTC, sold at priceUSD, covers a
// daily result netUSDPerDay. A non-negative result never runs out
// (infinite = true, days = +Inf).
func Runway(treasuryBTC, priceUSD, netUSDPerDay float64) (days float64, infinite bool) {
	if netUSDPerDay >= 0 {
		return math.Inf(1), true
	}
	return treasuryBTC * priceUSD / -netUSDPerDay, false
}
