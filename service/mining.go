package service

import (
	"context"

	"github.com/hashlab/hashlab/mining"
	"github.com/hashlab/hashlab/netstate"
)

const (
	defaultPoolFee = mining.DefaultPoolFee
	defaultUptime  = mining.DefaultUptime
)

// MinersQuery asks for the catalogue's economics. Faces default the
// operating values to DefaultPowerUSDPerKWh, mining.DefaultPoolFee,
// mining.DefaultUptime and 0 overhead.
type MinersQuery struct {
	Market            Overrides
	PowerUSDPerKWh    float64
	PoolFee           float64
	Uptime            float64
	OverheadUSDPerKWh float64
}

// Miners is every catalogue model's daily economics, best margin first:
// `hashlab miners --json` and GET /api/v1/miners.
type Miners struct {
	HashpriceUSDPerPHDay float64           `json:"hashprice_usd_per_ph_day"`
	Conditions           mining.Conditions `json:"conditions"`
	Models               []mining.Merit    `json:"models"`
	Freshness
}

// Conditions returns the mining conditions of q at the market m,
// validated (mining.Conditions.Validate).
func (q MinersQuery) conditions(m *Market) (mining.Conditions, error) {
	c := mining.Conditions{HashvalueBTCPerPHDay: m.Result.BTCPerPHDay, PriceUSD: m.Inputs.PriceUSD,
		PowerUSDPerKWh: q.PowerUSDPerKWh, PoolFee: q.PoolFee, Uptime: q.Uptime, OverheadUSDPerKWh: q.OverheadUSDPerKWh}
	err := renameField(inputErr("conditions", c.Validate()), map[string]string{"power_usd_per_kwh": "power_price", "overhead_usd_per_kwh": "overhead"})
	return c, err
}

// CheckMinersQuery validates q without reading the state.
func CheckMinersQuery(q MinersQuery) error {
	if err := CheckOverrides(q.Market); err != nil {
		return err
	}
	_, err := q.conditions(&Market{})
	return err
}

// Miners ranks the embedded catalogue (mining.RankModels) at the state's
// hashprice.
func (s *Service) Miners(ctx context.Context, q MinersQuery) (*Miners, error) {
	if err := CheckMinersQuery(q); err != nil {
		return nil, err
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	return s.minersFrom(st, q)
}

func (s *Service) minersFrom(st *netstate.State, q MinersQuery) (*Miners, error) {
	m, err := s.market(st, q.Market)
	if err != nil {
		return nil, err
	}
	c, err := q.conditions(m)
	if err != nil {
		return nil, err
	}
	ranked, err := mining.RankModels(mining.Catalogue(), c)
	if err != nil {
		return nil, inputErr("conditions", err)
	}
	return &Miners{HashpriceUSDPerPHDay: m.Result.USDPerPHDay, Conditions: c, Models: ranked, Freshness: m.Freshness}, nil
}

// Fleet is a fleet's economics at the state's hashprice: `hashlab fleet
// FILE --json` and POST /api/v1/fleet.
type Fleet struct {
	PriceUSD float64 `json:"btc_price_usd"`
	mining.FleetResult
	Freshness
}

// Fleet evaluates f (parsed by mining.ParseFleet) with mining.EvaluateFleet
// at the market of the state with o applied.
func (s *Service) Fleet(ctx context.Context, f *mining.Fleet, o Overrides) (*Fleet, error) {
	if err := CheckOverrides(o); err != nil {
		return nil, err
	}
	m, err := s.Market(ctx, o)
	if err != nil {
		return nil, err
	}
	res, err := mining.EvaluateFleet(f, mining.Conditions{HashvalueBTCPerPHDay: m.Result.BTCPerPHDay, PriceUSD: m.Inputs.PriceUSD})
	if err != nil {
		return nil, inputErr("fleet", err)
	}
	return &Fleet{PriceUSD: m.Inputs.PriceUSD, FleetResult: res, Freshness: m.Freshness}, nil
}
