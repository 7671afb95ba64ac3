package service

import (
	"context"

	"github.com/hashlab/hashlab/pivot"
)

// Portfolio is several sites under one hashprice path and a conversion
// schedule: `hashlab pivot portfolio FILE --json`.
type Portfolio struct {
	pivot.PortfolioResult
	HashpriceUSDPerPHDay float64 `json:"hashprice_usd_per_ph_day"`
	Path                 string  `json:"hashprice_path"`
	Freshness
}

// Portfolio evaluates sites (file entries already read by the face) with
// pivot.EvaluatePortfolio on the hashprice path of q over the longest
// horizon.
func (s *Service) Portfolio(ctx context.Context, name string, sites []*pivot.Site, schedule []pivot.Conversion, q PivotQuery) (*Portfolio, error) {
	horizon := 0
	for _, st := range sites {
		horizon = max(horizon, st.HorizonYears)
	}
	mkt, hp, f, err := s.PivotMarket(ctx, q, horizon)
	if err != nil {
		return nil, err
	}
	res, err := pivot.EvaluatePortfolio(name, sites, schedule, pivot.Inputs{Market: mkt})
	if err != nil {
		return nil, inputErr("portfolio", err)
	}
	return &Portfolio{PortfolioResult: res, HashpriceUSDPerPHDay: hp, Path: q.Path, Freshness: f}, nil
}
