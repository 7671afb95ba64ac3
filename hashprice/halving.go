package hashprice

import "github.com/hashlab/hashlab/consensus"

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
	// halving equals today's.
	PriceToKeepHashUSD float64 `json:"btc_price_to_keep_hashprice_usd"`
	Breakeven175Now    float64 `json:"breakeven_usd_per_kwh_17_5_jth_now"`
	Breakeven175After  float64 `json:"breakeven_usd_per_kwh_17_5_jth_after"`
	Assumption         string  `json:"assumption"`
}

// NextHalving computes hashprice now (at in) and at the next halving
// height with everything else in in unchanged.
func NextHalving(in Inputs) (Halving, error) {
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
		Breakeven175Now:   BreakevenUSDPerKWh(now.USDPerPHDay, 17.5),
		Breakeven175After: BreakevenUSDPerKWh(then.USDPerPHDay, 17.5),
		Assumption:        HalvingAssumption,
	}
	if then.BTCPerPHDay > 0 {
		h.PriceToKeepHashUSD = now.USDPerPHDay / then.BTCPerPHDay
	}
	return h, nil
}
