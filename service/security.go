package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/security"
)

// ParseZList reads confirmation depths written as "6", "0-10" or
// "1,2,6": integers 0 to 10,000, at most 1,000 values. Errors are
// *hashlab.InputError naming field.
func ParseZList(field, s string) ([]int, error) {
	const allowed = "a number, a range a-b with 0 <= a <= b <= 10000, or a comma list; at most 1000 values"
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if a, b, ok := strings.Cut(part, "-"); ok {
			lo, err1 := strconv.Atoi(strings.TrimSpace(a))
			hi, err2 := strconv.Atoi(strings.TrimSpace(b))
			if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi > 10000 || len(out)+hi-lo+1 > 1000 {
				return nil, hashlab.Invalid(field, s, allowed)
			}
			for z := lo; z <= hi; z++ {
				out = append(out, z)
			}
			continue
		}
		z, err := strconv.Atoi(part)
		if err != nil || z < 0 || z > 10000 {
			return nil, hashlab.Invalid(field, s, allowed)
		}
		out = append(out, z)
	}
	if len(out) > 1000 {
		return nil, hashlab.Invalid(field, s, allowed)
	}
	return out, nil
}

// DoubleSpend is the probability that an attacker with share Q catches up
// from each depth z: `hashlab security double-spend --json` and GET
// /api/v1/security/double-spend.
type DoubleSpend struct {
	Q       float64            `json:"q"`
	Method  security.Method    `json:"method"`
	Entries []DoubleSpendEntry `json:"entries"`
}

// DoubleSpendEntry is one depth.
type DoubleSpendEntry struct {
	Z int     `json:"z"`
	P float64 `json:"p"`
}

// DoubleSpend computes security.DoubleSpendProbability for each z.
func (s *Service) DoubleSpend(q float64, zs []int, m security.Method) (*DoubleSpend, error) {
	if err := security.AnyShare.Check("q", q); err != nil {
		return nil, err
	}
	out := &DoubleSpend{Q: q, Method: m, Entries: make([]DoubleSpendEntry, 0, len(zs))}
	for _, z := range zs {
		p, err := security.DoubleSpendProbability(q, z, m)
		if err != nil {
			return nil, inputErr("q", err)
		}
		out.Entries = append(out.Entries, DoubleSpendEntry{z, p})
	}
	return out, nil
}

// Confirmations is the depth that keeps the double-spend risk below Risk:
// `hashlab security confirmations --json` and GET
// /api/v1/security/confirmations.
type Confirmations struct {
	Q      float64 `json:"q"`
	Risk   float64 `json:"risk"`
	Method string  `json:"method"`
	Z      int     `json:"z"`
	P      float64 `json:"p"`
	// Minutes is Z blocks at the target spacing.
	Minutes float64 `json:"expected_wait_minutes"`
}

// Confirmations computes security.ConfirmationsFor.
func (s *Service) Confirmations(q, risk float64, m security.Method) (*Confirmations, error) {
	if err := security.MinorityShare.Check("q", q); err != nil {
		return nil, err
	}
	if err := security.Risk.Check("risk", risk); err != nil {
		return nil, err
	}
	z, err := security.ConfirmationsFor(q, risk, m)
	if err != nil {
		return nil, inputErr("q", err)
	}
	p, err := security.DoubleSpendProbability(q, z, m)
	if err != nil {
		return nil, inputErr("q", err)
	}
	return &Confirmations{Q: q, Risk: risk, Method: string(m), Z: z, P: p, Minutes: float64(int64(z)*s.params.TargetSpacingSec) / 60}, nil
}

// AttackQuery overrides security.DefaultAttackInputs; a nil field keeps
// the default (network hashrate and hashprice from the state).
type AttackQuery struct {
	NetworkHs             *float64
	ExodusFraction        float64
	TargetShare           *float64
	HashpriceUSDPerPHDay  *float64
	PowerUSDPerKWh        *float64
	NewUSDPerTH           *float64
	RentPremium           *float64
	RentDepthHs           *float64
	IdleUSDPerTH          *float64
	IdleAvailableFraction *float64
	// TimeBudgetHours is the attacker's time budget (default 24 h).
	TimeBudgetHours *float64
	// Z are the confirmation depths (at most 100).
	Z []int
}

// AttackCost is the cost of a majority double spend per depth: `hashlab
// security attack-cost --json` and GET /api/v1/security/attack-cost.
type AttackCost struct {
	Inputs  security.AttackInputs `json:"inputs"`
	Results []security.AttackCost `json:"results"`
	Freshness
}

// attackParams maps security.AttackInputs' field names to the faces'
// parameters.
var attackParams = map[string]string{
	"network_hashrate_hs": "network_ehs", "exodus_fraction": "exodus", "target_share": "share",
	"hashprice_usd_per_ph_day": "hashprice", "power_usd_per_kwh": "power_price", "rent_depth_hs": "rent_depth_ehs",
	"idle_available_fraction": "idle_available", "z (confirmations)": "z", "time_budget_hours": "budget_hours",
}

// AttackCost computes security.AttackCostFor for each depth.
func (s *Service) AttackCost(ctx context.Context, q AttackQuery) (*AttackCost, error) {
	if len(q.Z) == 0 || len(q.Z) > 100 {
		return nil, hashlab.Invalid("z", len(q.Z), "1 to 100 depths")
	}
	m, err := s.Market(ctx, Overrides{})
	if err != nil {
		return nil, err
	}
	netHs := hashprice.ImpliedHashrateHs(m.Inputs.Difficulty, s.params.TargetSpacingSec)
	in := security.DefaultAttackInputs(netHs, m.Result.USDPerPHDay)
	set := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.NetworkHashrateHs, q.NetworkHs)
	in.ExodusFraction = q.ExodusFraction
	set(&in.TargetShare, q.TargetShare)
	set(&in.HashpriceUSDPerPHDay, q.HashpriceUSDPerPHDay)
	set(&in.PowerUSDPerKWh, q.PowerUSDPerKWh)
	set(&in.NewUSDPerTH, q.NewUSDPerTH)
	prem := DefaultRentPremium
	set(&prem, q.RentPremium)
	in.RentUSDPerPHDay = prem * in.HashpriceUSDPerPHDay
	set(&in.RentDepthHs, q.RentDepthHs)
	set(&in.IdleUSDPerTH, q.IdleUSDPerTH)
	set(&in.IdleAvailableFraction, q.IdleAvailableFraction)
	set(&in.TimeBudgetHours, q.TimeBudgetHours)
	// Both faces show the race's quantiles and the chance within budget.
	in.DurationQuantiles = true
	if q.NetworkHs != nil {
		m.Freshness.Overridden = append(m.Freshness.Overridden, "network_ehs")
	}
	if q.HashpriceUSDPerPHDay != nil {
		m.Freshness.Overridden = append(m.Freshness.Overridden, "hashprice")
	}
	out := &AttackCost{Inputs: in, Freshness: m.Freshness}
	for _, z := range q.Z {
		c, err := security.AttackCostFor(in, z)
		if err != nil {
			return nil, renameField(inputErr("attack inputs", err), attackParams)
		}
		out.Results = append(out.Results, c)
	}
	return out, nil
}

// Concentration computes security.ConcentrationWith over shares (any
// scale; normalised): unknown and other blocks are reported apart and
// are entities only with opt.IncludeUnknown.
func (s *Service) Concentration(shares []security.Share, opt security.ConcentrationOptions) (*security.ConcentrationReport, error) {
	if len(shares) == 0 {
		return nil, hashlab.Invalid("shares", "", `name=share pairs, e.g. "foundry=0.30,antpool=0.18,other=0.52"`)
	}
	r, err := security.ConcentrationWith(shares, opt)
	if err != nil {
		return nil, inputErr("shares", err)
	}
	return &r, nil
}
