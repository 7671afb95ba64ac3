package service

import (
	"context"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/pivot"
)

// MaxPivotPaths bounds the Monte Carlo paths of one pivot analysis.
const MaxPivotPaths = 1_000_000

// PivotQuery asks for a site's conversion economics. Faces default Path
// to DefaultPivotPath, Seed to DefaultSeed, Volatility and Drift to
// DefaultPivotVolatility and DefaultPivotDrift.
type PivotQuery struct {
	// HashpriceUSDPerPHDay is today's hashprice; nil: the state's.
	HashpriceUSDPerPHDay *float64
	// Path is "flat" or "halving" (the subsidy halves at the next halving
	// height, fees held).
	Path string
	// Paths > 0 runs that many GBM hashprice paths (seeded by Seed) for the
	// convert-or-wait analysis; GivenPaths (yearly USD/PH/day, e.g. from
	// the simulator) replace them.
	Paths      int
	Seed       uint64
	Volatility float64
	Drift      float64
	GivenPaths [][]float64
	// HourlyPricesUSDPerKWh is one year of hourly power prices for the
	// curtailment option (nil: none).
	HourlyPricesUSDPerKWh []float64
}

// Pivot is a site's options (mine, curtail, lease, GPU cloud, sell):
// `hashlab pivot SITE --json` and POST /api/v1/pivot.
type Pivot struct {
	HashpriceUSDPerPHDay float64           `json:"hashprice_usd_per_ph_day"`
	Path                 string            `json:"hashprice_path"`
	HashpricePath        []float64         `json:"hashprice_by_year"`
	MonteCarlo           *pivot.MonteCarlo `json:"monte_carlo,omitempty"`
	pivot.Result
	Freshness
}

// CheckPivotQuery validates q without reading the state.
func CheckPivotQuery(q PivotQuery) error {
	switch {
	case q.HashpriceUSDPerPHDay != nil && (!(*q.HashpriceUSDPerPHDay >= 0) || *q.HashpriceUSDPerPHDay > 1e6):
		return hashlab.Invalid("hashprice", *q.HashpriceUSDPerPHDay, "0 to 1,000,000 USD/PH/day")
	case q.Path != "flat" && q.Path != "halving":
		return hashlab.Invalid("path", q.Path, "flat, halving")
	case q.Paths < 0 || q.Paths > MaxPivotPaths:
		return hashlab.Invalid("paths", q.Paths, "0 to 1,000,000 Monte Carlo paths")
	}
	return pivot.CheckGBM(q.Drift, q.Volatility)
}

// PivotMarket returns the hashprice path over years and today's
// hashprice: q's or the state's, flat or halving at the state's height.
func (s *Service) PivotMarket(ctx context.Context, q PivotQuery, years int) (pivot.Market, float64, Freshness, error) {
	if err := CheckPivotQuery(q); err != nil {
		return pivot.Market{}, 0, Freshness{}, err
	}
	m, err := s.Market(ctx, Overrides{})
	if err != nil {
		return pivot.Market{}, 0, Freshness{}, err
	}
	hp := m.Result.USDPerPHDay
	if q.HashpriceUSDPerPHDay != nil {
		hp = *q.HashpriceUSDPerPHDay
		m.Freshness.Overridden = append(m.Freshness.Overridden, "hashprice")
	}
	if q.Path == "flat" {
		return pivot.Market{HashpriceUSDPerPHDay: pivot.FlatPath(hp, years)}, hp, m.Freshness, nil
	}
	p := s.params
	yearsToHalving := hashprice.YearsToNextHalving(m.Inputs.Height, p)
	return pivot.Market{HashpriceUSDPerPHDay: pivot.HalvingPath(hp, m.Result.FeeShare, yearsToHalving, years)}, hp, m.Freshness, nil
}

// Pivot evaluates site (parsed by pivot.ParseSite) with pivot.Evaluate
// and, when asked, the convert-or-wait Monte Carlo (pivot.RunMonteCarlo
// over pivot.GBMPaths or the given paths).
func (s *Service) Pivot(ctx context.Context, site *pivot.Site, q PivotQuery) (*Pivot, error) {
	mkt, hp, f, err := s.PivotMarket(ctx, q, site.HorizonYears)
	if err != nil {
		return nil, err
	}
	res, err := pivot.Evaluate(site, pivot.Inputs{Market: mkt, HourlyPricesUSDPerKWh: q.HourlyPricesUSDPerKWh})
	if err != nil {
		return nil, inputErr("site", err)
	}
	out := &Pivot{HashpriceUSDPerPHDay: hp, Path: q.Path, HashpricePath: mkt.HashpriceUSDPerPHDay, Result: res, Freshness: f}
	paths := q.GivenPaths
	if paths == nil && q.Paths > 0 {
		paths = pivot.GBMPaths(hp, q.Drift, q.Volatility, site.HorizonYears, q.Paths, q.Seed)
	}
	if paths != nil {
		mc, err := pivot.RunMonteCarlo(ctx, site, paths)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err // cancelled or past its deadline: not bad input
			}
			return nil, inputErr("paths", err)
		}
		out.MonteCarlo = &mc
	}
	return out, nil
}
