package mining

import (
	"math"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hashprice"
)

// inputErr returns the one input-error type, *hashlab.InputError
// (errors.Is(err, hashlab.ErrInput) holds).
func inputErr(field string, value any, allowed string) error {
	return hashlab.Invalid(field, value, allowed)
}

// Conditions are the market and operating conditions a machine runs in.
type Conditions struct {
	// HashvalueBTCPerPHDay is the gross BTC earned per PH/s per day
	// (hashprice.Result.BTCPerPHDay).
	HashvalueBTCPerPHDay float64 `json:"hashvalue_btc_per_ph_day"`
	// PriceUSD is the BTC price.
	PriceUSD float64 `json:"price_usd"`
	// PowerUSDPerKWh is the all-in electricity price at the meter.
	PowerUSDPerKWh float64 `json:"power_usd_per_kwh"`
	// PoolFee is the pool's fee as a fraction (0.02 = 2%).
	PoolFee float64 `json:"pool_fee"`
	// Uptime is the fraction of time machines hash (0.97 = 97%).
	Uptime float64 `json:"uptime"`
	// OverheadUSDPerKWh is a per-kWh adder for hosting, cooling, labour and
	// maintenance beyond the power itself; it counts in all-in costs.
	OverheadUSDPerKWh float64 `json:"overhead_usd_per_kwh"`
}

// HashpriceUSDPerPHDay is the gross hashprice of the conditions.
func (c Conditions) HashpriceUSDPerPHDay() float64 { return c.HashvalueBTCPerPHDay * c.PriceUSD }

// Validate names the offending field.
func (c Conditions) Validate() error {
	switch {
	case !(c.HashvalueBTCPerPHDay >= 0) || math.IsInf(c.HashvalueBTCPerPHDay, 0):
		return inputErr("hashvalue_btc_per_ph_day", c.HashvalueBTCPerPHDay, ">= 0")
	case !(c.PriceUSD >= 0) || math.IsInf(c.PriceUSD, 0):
		return inputErr("price_usd", c.PriceUSD, ">= 0")
	case !(c.PowerUSDPerKWh >= 0) || c.PowerUSDPerKWh > 10:
		return inputErr("power_usd_per_kwh", c.PowerUSDPerKWh, "0 to 10")
	case !(c.PoolFee >= 0 && c.PoolFee < 1):
		return inputErr("pool_fee", c.PoolFee, "0 <= fee < 1 (a fraction: 0.02 = 2%)")
	case !(c.Uptime > 0 && c.Uptime <= 1):
		return inputErr("uptime", c.Uptime, "0 < uptime <= 1 (a fraction)")
	case !(c.OverheadUSDPerKWh >= 0) || c.OverheadUSDPerKWh > 10:
		return inputErr("overhead_usd_per_kwh", c.OverheadUSDPerKWh, "0 to 10")
	}
	return nil
}

// Economics is one machine's (or a group's) daily result.
type Economics struct {
	Model        string  `json:"model"`
	Count        int     `json:"count"`
	HashrateTHs  float64 `json:"hashrate_ths"`
	PowerW       float64 `json:"power_w"`
	JoulesPerTH  float64 `json:"joules_per_th"`
	BTCPerDay    float64 `json:"btc_per_day"`
	RevenueUSD   float64 `json:"revenue_usd_per_day"`
	EnergyKWh    float64 `json:"energy_kwh_per_day"`
	PowerCostUSD float64 `json:"power_cost_usd_per_day"`
	OverheadUSD  float64 `json:"overhead_usd_per_day"`
	// PowerProfitUSD is revenue minus power: the test for running a machine.
	PowerProfitUSD float64 `json:"power_profit_usd_per_day"`
	// ProfitUSD is revenue minus power and overhead.
	ProfitUSD float64 `json:"profit_usd_per_day"`
	// Margin is ProfitUSD / RevenueUSD (negative when losing money).
	Margin float64 `json:"margin"`
	// BreakevenPowerUSDPerKWh is the power price at which revenue equals
	// the power cost (overhead excluded).
	BreakevenPowerUSDPerKWh float64 `json:"breakeven_power_usd_per_kwh"`
	// BreakevenHashpriceUSDPerPHDay is the gross hashprice at which revenue
	// equals power plus overhead.
	BreakevenHashpriceUSDPerPHDay float64 `json:"breakeven_hashprice_usd_per_ph_day"`
	// BreakevenPriceUSD is the BTC price at which revenue equals power plus
	// overhead, at today's hashvalue. nil (JSON null) when undefined: a
	// machine that earns no BTC has no breakeven price.
	BreakevenPriceUSD *float64 `json:"breakeven_price_usd"`
	// CostPerBTCPowerUSD and CostPerBTCAllInUSD are the cost to produce one
	// BTC: power only, and power plus overhead; nil when undefined (zero
	// hashvalue).
	CostPerBTCPowerUSD *float64 `json:"cost_per_btc_power_usd"`
	CostPerBTCAllInUSD *float64 `json:"cost_per_btc_all_in_usd"`
	// Run is true when the machine earns its power (PowerProfitUSD > 0).
	Run bool `json:"run"`
}

// netFactor is what the miner keeps of gross revenue.
func (c Conditions) netFactor() float64 { return c.Uptime * (1 - c.PoolFee) }

// Evaluate returns the daily economics of count machines of model m.
func Evaluate(m Model, count int, c Conditions) (Economics, error) {
	if err := m.Validate(); err != nil {
		return Economics{}, err
	}
	if count < 0 {
		return Economics{}, inputErr("count", count, ">= 0")
	}
	if err := c.Validate(); err != nil {
		return Economics{}, err
	}
	n := float64(count)
	ths := m.HashrateTHs * n
	e := Economics{Model: m.Name, Count: count, HashrateTHs: ths, PowerW: m.PowerW * n, JoulesPerTH: m.JoulesPerTH()}
	e.BTCPerDay = c.HashvalueBTCPerPHDay * ths / 1000 * c.netFactor()
	e.RevenueUSD = e.BTCPerDay * c.PriceUSD
	e.EnergyKWh = e.PowerW * 24 / 1000 * c.Uptime
	e.PowerCostUSD = e.EnergyKWh * c.PowerUSDPerKWh
	e.OverheadUSD = e.EnergyKWh * c.OverheadUSDPerKWh
	e.PowerProfitUSD = e.RevenueUSD - e.PowerCostUSD
	e.ProfitUSD = e.PowerProfitUSD - e.OverheadUSD
	if e.RevenueUSD > 0 {
		e.Margin = e.ProfitUSD / e.RevenueUSD
	}
	// Per unit of hashrate everything is linear, so breakevens do not
	// depend on count.
	kept := c.netFactor()
	jth := m.JoulesPerTH()
	energyPerTHDay := hashprice.EnergyKWhPerTHDay(jth) * c.Uptime // kWh per TH/s per day, with uptime
	grossUSDPerTHDay := c.HashpriceUSDPerPHDay() / 1000
	e.BreakevenPowerUSDPerKWh = grossUSDPerTHDay * kept / energyPerTHDay
	allIn := c.PowerUSDPerKWh + c.OverheadUSDPerKWh
	e.BreakevenHashpriceUSDPerPHDay = allIn * energyPerTHDay / kept * 1000
	btcPerTHDay := c.HashvalueBTCPerPHDay / 1000 * kept
	if btcPerTHDay > 0 {
		e.BreakevenPriceUSD = ptr(allIn * energyPerTHDay / btcPerTHDay)
		e.CostPerBTCPowerUSD = ptr(c.PowerUSDPerKWh * energyPerTHDay / btcPerTHDay)
		e.CostPerBTCAllInUSD = ptr(*e.BreakevenPriceUSD)
	}
	// With zero hashvalue the BTC-denominated breakevens are undefined and
	// stay nil (JSON null; never 0 or +Inf).
	e.Run = e.PowerProfitUSD > 0
	return e, nil
}

func ptr(v float64) *float64 { return &v }

// Merit is one catalogue model's economics, for the "which machines still
// pay" table.
type Merit struct {
	Model Model     `json:"spec"`
	Econ  Economics `json:"economics"`
}

// RankModels evaluates one unit of each model and sorts by margin, best
// first (ties by efficiency).
func RankModels(models []Model, c Conditions) ([]Merit, error) {
	out := make([]Merit, 0, len(models))
	for _, m := range models {
		e, err := Evaluate(m, 1, c)
		if err != nil {
			return nil, err
		}
		out = append(out, Merit{Model: m, Econ: e})
	}
	sortMerits(out)
	return out, nil
}

func sortMerits(ms []Merit) {
	// insertion sort keeps this dependency-free and stable; n is small.
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && better(ms[j], ms[j-1]); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

func better(a, b Merit) bool {
	if a.Econ.Margin != b.Econ.Margin {
		return a.Econ.Margin > b.Econ.Margin
	}
	return a.Model.JoulesPerTH() < b.Model.JoulesPerTH()
}
