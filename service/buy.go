package service

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/mining"
	"github.com/hashlab/hashlab/sim"
)

// Buy-side defaults shared by `hashlab miners --buy` and GET /api/v1/miners/buy.
const (
	// DefaultBuyPath is the hashprice path: today's, held flat.
	DefaultBuyPath = "flat"
	// DefaultBuyPaths is the simulator's path count for path=montecarlo.
	DefaultBuyPaths = 1000
	// DefaultBuyScenario is the simulator scenario for path=montecarlo.
	DefaultBuyScenario = "baseline"
	// MaxBuyPaths bounds the simulator paths of one buy analysis.
	MaxBuyPaths = 100_000
)

// BuyPaths are the hashprice paths a purchase is evaluated along.
var BuyPaths = []string{"flat", "halving", "montecarlo"}

// BuyQuery asks for the economics of buying each catalogue model (or the
// named ones). Faces default PowerUSDPerKWh, PoolFee and Uptime as for
// MinersQuery, LifeYears to mining.DefaultLifeYears and Path to
// DefaultBuyPath.
type BuyQuery struct {
	Market            Overrides
	PowerUSDPerKWh    float64
	PoolFee           float64
	Uptime            float64
	OverheadUSDPerKWh float64
	// Models are catalogue names (LookupModel's spelling); empty: all.
	Models []string
	// MachinePriceUSDPerTH is the machine price for every model; nil: the
	// catalogue's dated price, else the price index's median for the
	// model's efficiency tier, else unknown (no purchase figures).
	MachinePriceUSDPerTH *float64
	LifeYears            float64
	// Path is flat (today's hashprice every day), halving (the subsidy
	// halves at each halving, fees, difficulty and price held) or
	// montecarlo (the simulator's realised daily hashprice).
	Path    string
	Curtail bool
	// Quotes feed the price index (nil: the catalogue's prices);
	// QuotesSource names them.
	Quotes       []mining.Quote
	QuotesSource string
	// Scenario, Paths, Seed and Workers are the simulator's for
	// path=montecarlo (Scenario nil: DefaultBuyScenario).
	Scenario *sim.Scenario
	Paths    int
	Seed     uint64
	Workers  int
	Progress func(done, total int)
}

// BuyRow is one model's purchase: the price used and where it came from,
// and payback, ROI and IRR along the path (Purchase, for flat and
// halving) or their Monte Carlo bands (MonteCarlo).
type BuyRow struct {
	Spec                 mining.Model `json:"spec"`
	JoulesPerTH          float64      `json:"joules_per_th"`
	Tier                 string       `json:"efficiency_tier"`
	MachinePriceUSDPerTH hashlab.Num  `json:"machine_price_usd_per_th"`
	MachinePriceUSD      hashlab.Num  `json:"machine_price_usd"`
	// MachinePriceSource says where the machine's price came from:
	// "given", "catalogue (DATE, SOURCE)", "price index tier T median
	// (QUOTES)" or "unknown" (not the BTC price's price_source).
	MachinePriceSource string                `json:"machine_price_source"`
	Purchase           *mining.Purchase      `json:"purchase"`
	MonteCarlo         *mining.PurchaseBands `json:"monte_carlo,omitempty"`
}

// BuyPriceIndex is the ASIC price index the rows fall back on.
type BuyPriceIndex struct {
	Source string             `json:"source"`
	Tiers  []mining.IndexTier `json:"tiers"`
}

// Buy is `hashlab miners --buy --json` and GET /api/v1/miners/buy.
type Buy struct {
	HashpriceUSDPerPHDay float64           `json:"hashprice_usd_per_ph_day"`
	Conditions           mining.Conditions `json:"conditions"`
	Path                 string            `json:"hashprice_path"`
	PathAssumption       string            `json:"path_assumption"`
	LifeYears            float64           `json:"life_years"`
	LifeDays             int               `json:"life_days"`
	Curtail              bool              `json:"curtail"`
	// DaysToHalving is the expected days to the next halving at the
	// target spacing (path=halving).
	DaysToHalving *float64 `json:"days_to_halving,omitempty"`
	// Scenario, Seed, Paths and StartDate describe the simulator run
	// (path=montecarlo).
	Scenario   string        `json:"scenario,omitempty"`
	Seed       *uint64       `json:"seed,omitempty"`
	Paths      int           `json:"paths,omitempty"`
	StartDate  string        `json:"sim_start_date,omitempty"`
	PriceIndex BuyPriceIndex `json:"price_index"`
	Models     []BuyRow      `json:"models"`
	// Notes flag what a reader should know, e.g. a model priced from a
	// tier whose newest quote is older than StaleQuoteDays.
	Notes []string `json:"notes"`
	Freshness
}

// CheckBuyQuery validates q without reading the state. Errors are
// hashlab.InputError naming the field (power_price, pool_fee, uptime,
// overhead, machine_price, life_years, path, model, paths, seed, quotes).
func CheckBuyQuery(q BuyQuery) error {
	if err := CheckMinersQuery(MinersQuery{Market: q.Market, PowerUSDPerKWh: q.PowerUSDPerKWh, PoolFee: q.PoolFee, Uptime: q.Uptime, OverheadUSDPerKWh: q.OverheadUSDPerKWh}); err != nil {
		return err
	}
	if p := q.MachinePriceUSDPerTH; p != nil && (!(*p > 0) || *p > 1e5) {
		return hashlab.Invalid("machine_price", *p, "> 0 and <= 100,000 USD per TH/s")
	}
	if !(q.LifeYears >= 1.0/365.25 && q.LifeYears <= mining.MaxLifeYears) {
		return hashlab.Invalid("life_years", q.LifeYears, fmt.Sprintf("1 day (0.00274) to %d years", mining.MaxLifeYears))
	}
	switch q.Path {
	case "flat", "halving":
	case "montecarlo":
		if q.Paths < 1 || q.Paths > MaxBuyPaths {
			return hashlab.Invalid("paths", q.Paths, fmt.Sprintf("1 to %d simulator paths", MaxBuyPaths))
		}
		opt := sim.Options{Paths: q.Paths, Seed: q.Seed, Years: float64(mining.LifeDays(q.LifeYears)) / 365.25, Workers: q.Workers}
		if err := opt.Validate(); err != nil {
			return err
		}
	default:
		return hashlab.Invalid("path", q.Path, strings.Join(BuyPaths, ", "))
	}
	_, err := buyModels(q.Models)
	return err
}

func buyModels(names []string) ([]mining.Model, error) {
	if len(names) == 0 {
		return mining.Catalogue(), nil
	}
	var out []mining.Model
	for _, n := range names {
		m, err := mining.LookupModel(n)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Buy evaluates buying each model at the state's hashprice along q's
// path (mining.EvaluatePurchase) and the price index of q's quotes. It
// stops with ctx (the simulator checks it).
func (s *Service) Buy(ctx context.Context, q BuyQuery) (*Buy, error) {
	if err := CheckBuyQuery(q); err != nil {
		return nil, err
	}
	models, _ := buyModels(q.Models)
	m, err := s.Market(ctx, q.Market)
	if err != nil {
		return nil, err
	}
	c, err := MinersQuery{PowerUSDPerKWh: q.PowerUSDPerKWh, PoolFee: q.PoolFee, Uptime: q.Uptime, OverheadUSDPerKWh: q.OverheadUSDPerKWh}.conditions(m)
	if err != nil {
		return nil, err
	}
	quotes, qsrc := q.Quotes, q.QuotesSource
	if quotes == nil {
		quotes, qsrc = mining.CatalogueQuotes(mining.Catalogue()), "catalogue"
	}
	tiers, err := mining.PriceIndex(quotes, mining.Catalogue())
	if err != nil {
		return nil, err
	}
	life := mining.LifeDays(q.LifeYears)
	hp := m.Result.USDPerPHDay
	out := &Buy{HashpriceUSDPerPHDay: hp, Conditions: c, Path: q.Path, LifeYears: q.LifeYears, LifeDays: life, Curtail: q.Curtail,
		PriceIndex: BuyPriceIndex{Source: qsrc, Tiers: tiers}, Notes: []string{}, Freshness: m.Freshness}

	var paths [][]float64
	switch q.Path {
	case "flat":
		paths = [][]float64{mining.FlatPath(hp, life)}
		out.PathAssumption = "today's hashprice every day of the life (difficulty, fees and BTC price held)"
	case "halving":
		p := m.Inputs.Params
		if p == nil {
			p = s.params
		}
		days := hashprice.YearsToNextHalving(m.Inputs.Height, p) * 365.25
		out.DaysToHalving = &days
		paths = [][]float64{mining.HalvingPath(hp, m.Result.FeeShare, days, hashprice.HalvingIntervalYears(p)*365.25, life)}
		out.PathAssumption = fmt.Sprintf("today's hashprice until the next halving in %.0f days (at the target spacing), then the subsidy halves at each halving; difficulty, fees per block (%.2f%% of revenue today) and BTC price held", days, 100*m.Result.FeeShare)
	case "montecarlo":
		sc := q.Scenario
		if sc == nil {
			if sc, err = sim.LoadShipped(DefaultBuyScenario); err != nil {
				return nil, err
			}
		}
		opt := sim.Options{Paths: q.Paths, Seed: q.Seed, Years: float64(life) / 365.25, Workers: q.Workers, Progress: q.Progress}
		hpPaths, res, err := HedgePaths(ctx, sc, opt, life)
		if err != nil {
			return nil, err
		}
		paths = hpPaths.HashpriceUSDPerPHDay
		seed := q.Seed
		out.Scenario, out.Seed, out.Paths = sc.Name, &seed, q.Paths
		if len(res.Dates) > 0 {
			out.StartDate = res.Dates[0]
		}
		out.PathAssumption = fmt.Sprintf("the simulator's realised daily hashprice, scenario %s (its own start state and price process; days 1..%d)", sc.Name, life)
	}

	for _, md := range models {
		row := BuyRow{Spec: md, JoulesPerTH: md.JoulesPerTH(), Tier: mining.TierOf(md.JoulesPerTH()), MachinePriceSource: "unknown",
			MachinePriceUSDPerTH: hashlab.Num(math.NaN()), MachinePriceUSD: hashlab.Num(math.NaN())}
		perTH := math.NaN()
		switch {
		case q.MachinePriceUSDPerTH != nil:
			perTH, row.MachinePriceSource = *q.MachinePriceUSDPerTH, "given"
		case md.PriceUSDPerTH != nil:
			perTH, row.MachinePriceSource = *md.PriceUSDPerTH, fmt.Sprintf("catalogue (%s, %s)", md.PriceDate, md.PriceSource)
		default:
			for _, t := range tiers {
				if t.Name == row.Tier && t.MedianUSDPerTH.Defined() {
					perTH, row.MachinePriceSource = float64(t.MedianUSDPerTH), fmt.Sprintf("price index: median of tier %s J/TH (%d quotes, %s to %s, %s)", t.Name, t.Quotes, t.From, t.To, qsrc)
					if note := s.staleQuoteNote(md.Name, t); note != "" {
						out.Notes = append(out.Notes, note)
					}
				}
			}
		}
		if !math.IsNaN(perTH) {
			price := perTH * md.HashrateTHs
			row.MachinePriceUSDPerTH, row.MachinePriceUSD = hashlab.Num(perTH), hashlab.Num(price)
			ps := make([]mining.Purchase, len(paths))
			for i, p := range paths {
				if ps[i], err = mining.EvaluatePurchase(md, price, p, c, q.Curtail); err != nil {
					return nil, inputErr("model", err)
				}
			}
			if q.Path == "montecarlo" {
				b := mining.SummarisePurchases(ps)
				row.MonteCarlo = &b
			} else {
				row.Purchase = &ps[0]
			}
		}
		out.Models = append(out.Models, row)
	}
	sort.SliceStable(out.Models, func(i, j int) bool { return buyScore(out.Models[i]) > buyScore(out.Models[j]) })
	return out, nil
}

// StaleQuoteDays is the age of a tier's newest quote beyond which a
// price from it is flagged in Buy.Notes.
const StaleQuoteDays = 365

// staleQuoteNote is the note for a model priced from tier t when t's
// newest quote is older than StaleQuoteDays at the service's clock ("" if
// not, or when the clock is not set). A month-only date counts from the
// month's last day.
func (s *Service) staleQuoteNote(model string, t mining.IndexTier) string {
	now := s.now().UTC()
	if now.Unix() <= 0 {
		return ""
	}
	newest, err := time.Parse(time.DateOnly, t.To)
	if err != nil {
		m, err2 := time.Parse("2006-01", t.To)
		if err2 != nil {
			return ""
		}
		newest = m.AddDate(0, 1, -1)
	}
	age := int(now.Sub(newest).Hours() / 24)
	if age <= StaleQuoteDays {
		return ""
	}
	return fmt.Sprintf("%s is priced from the tier %s J/TH median, whose newest quote is of %s, %d days before %s (the clock's date, UTC): older than %d days, it may not be today's price; give --machine-price (machine_price) or newer quotes",
		model, t.Name, t.To, age, now.Format(time.DateOnly), StaleQuoteDays)
}

// buyScore orders rows best first: ROI (the Monte Carlo mean), rows
// without a price last.
func buyScore(r BuyRow) float64 {
	switch {
	case r.Purchase != nil:
		return r.Purchase.ROI
	case r.MonteCarlo != nil && r.MonteCarlo.MeanROI.Defined():
		return float64(r.MonteCarlo.MeanROI)
	}
	return math.Inf(-1)
}
