package service

import "context"

// OverviewQuery asks for the overview; Miners.Market is ignored (Market
// applies to every section).
type OverviewQuery struct {
	Market Overrides
	// PowerUSDPerKWh is the power price of the machine table (faces
	// default it to DefaultPowerUSDPerKWh).
	PowerUSDPerKWh float64
	// Window is the fee window the source was opened with, for the
	// hashprice's method (zero: DefaultFeeWindowBlocks).
	Window FeeWindow
}

// Overview is README's first command: what 1 PH/s earns now, the next
// difficulty adjustment, the next halving and which machines still earn
// their power, all from one read of the state: `hashlab overview --json`
// and GET /api/v1/overview.
type Overview struct {
	Freshness
	Hashprice      *Hashprice      `json:"hashprice"`
	NextAdjustment *NextAdjustment `json:"next_adjustment"`
	Halving        *Halving        `json:"halving"`
	Miners         *Miners         `json:"miners"`
}

func (q OverviewQuery) miners() MinersQuery {
	return MinersQuery{Market: q.Market, PowerUSDPerKWh: q.PowerUSDPerKWh, PoolFee: defaultPoolFee, Uptime: defaultUptime}
}

// CheckOverviewQuery validates q without reading the state.
func CheckOverviewQuery(q OverviewQuery) error { return CheckMinersQuery(q.miners()) }

// Overview answers the four sections from one state. The next
// adjustment is that of the state's tip (the market overrides do not
// move the tip).
func (s *Service) Overview(ctx context.Context, q OverviewQuery) (*Overview, error) {
	if err := CheckOverviewQuery(q); err != nil {
		return nil, err
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	out := &Overview{}
	if out.Hashprice, err = s.hashpriceFrom(st, q.Market); err != nil {
		return nil, err
	}
	out.Hashprice.setMethod(st, q.Window, DifficultyInForce, q.Market)
	out.Freshness = out.Hashprice.Freshness
	if out.NextAdjustment, err = s.nextAdjustmentFrom(st, AdjustmentQuery{Confidence: DefaultConfidence}); err != nil {
		return nil, err
	}
	if out.Halving, err = s.halvingFrom(st, HalvingQuery{Market: q.Market, BlockIntervalSec: DefaultBlockIntervalSec}); err != nil {
		return nil, err
	}
	if out.Miners, err = s.minersFrom(st, q.miners()); err != nil {
		return nil, err
	}
	return out, nil
}
