package hashprice

import (
	"math"

	"github.com/hashlab/hashlab/consensus"
)

// HalvingAssumption is what NextHalving holds fixed.
const HalvingAssumption = "difficulty, fees per block and BTC price held at today's values"

// Halving is what the next halving does to a PH/s, with difficulty, fees
// per block and the BTC price held at today's values.
type Halving struct {
	Height     int64 `json:"next_halving_height"`
	BlocksToGo int64 `json:"blocks_to_go"`
	// ExpectedDate (YYYY-MM-DD) is filled by callers that know the tip's
	// time and an assumed block interval.
	ExpectedDate      string  `json:"expected_date,omitempty"`
	SubsidyBeforeSats int64   `json:"subsidy_before_sats"`
	SubsidyAfterSats  int64   `json:"subsidy_after_sats"`
	HashpriceNow      float64 `json:"hashprice_now_usd_per_ph_day"`
	HashpriceAfter    float64 `json:"hashprice_after_usd_per_ph_day"`
	// PriceToKeepHashUSD is the BTC price at which hashprice after the
	// halving equals today's; nil (JSON null) when no price does (no
	// reward after the halving).
	PriceToKeepHashUSD *float64 `json:"btc_price_to_keep_hashprice_usd"`
	// Breakeven is the breakeven power price before and after the
	// halving, one entry per machine efficiency asked for (by default
	// DefaultEfficiencyJPerTH).
	Breakeven  []HalvingBreakeven `json:"breakeven_usd_per_kwh"`
	Assumption string             `json:"assumption"`
}

// HalvingBreakeven is the power price at which a machine of efficiency
// JoulesPerTH earns its power, at today's hashprice and after the halving.
type HalvingBreakeven struct {
	JoulesPerTH    float64 `json:"joules_per_th"`
	NowUSDPerKWh   float64 `json:"now"`
	AfterUSDPerKWh float64 `json:"after"`
}

// DefaultEfficiencyJPerTH is the machine efficiency NextHalving reports a
// breakeven for when none is given: 17.5 J/TH, the Antminer S21 class that
// is the bulk of the 2025 fleet's new machines.
const DefaultEfficiencyJPerTH = 17.5

// BreakevenAt returns the entry for efficiency jPerTH, if present.
func (h Halving) BreakevenAt(jPerTH float64) (HalvingBreakeven, bool) {
	for _, b := range h.Breakeven {
		if b.JoulesPerTH == jPerTH {
			return b, true
		}
	}
	return HalvingBreakeven{}, false
}

// NextHalving computes hashprice now (at in) and at the next halving
// height with everything else in in unchanged, and the breakeven power
// price of each machine efficiency in jPerTH (J/TH, > 0; none given:
// DefaultEfficiencyJPerTH).
func NextHalving(in Inputs, jPerTH ...float64) (Halving, error) {
	if len(jPerTH) == 0 {
		jPerTH = []float64{DefaultEfficiencyJPerTH}
	}
	for _, j := range jPerTH {
		if !(j > 0) || math.IsInf(j, 0) {
			return Halving{}, inputErr("efficiency (J/TH)", j, "> 0 and finite")
		}
	}
	p := in.Params
	if p == nil {
		p = consensus.MainNet
	}
	now, err := Compute(in)
	if err != nil {
		return Halving{}, err
	}
	after := in
	after.Height = consensus.NextHalvingHeight(in.Height, p)
	then, err := Compute(after)
	if err != nil {
		return Halving{}, err
	}
	h := Halving{
		Height: after.Height, BlocksToGo: after.Height - in.Height,
		SubsidyBeforeSats: int64(now.SubsidySats), SubsidyAfterSats: int64(then.SubsidySats),
		HashpriceNow: now.USDPerPHDay, HashpriceAfter: then.USDPerPHDay,
		Assumption: HalvingAssumption,
	}
	for _, j := range jPerTH {
		h.Breakeven = append(h.Breakeven, HalvingBreakeven{JoulesPerTH: j,
			NowUSDPerKWh: BreakevenUSDPerKWh(now.USDPerPHDay, j), AfterUSDPerKWh: BreakevenUSDPerKWh(then.USDPerPHDay, j)})
	}
	if then.BTCPerPHDay > 0 {
		v := now.USDPerPHDay / then.BTCPerPHDay
		h.PriceToKeepHashUSD = &v
	}
	return h, nil
}
