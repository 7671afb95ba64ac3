package security

import (
	"math"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
)

// AttackInputs describe the network and the markets an attacker could buy
// hashrate in. Prices are assumptions with documented defaults
// (DefaultAttackInputs); every one can be overridden.
type AttackInputs struct {
	// NetworkHashrateHs is the honest hashrate before any exodus.
	NetworkHashrateHs float64 `json:"network_hashrate_hs"`
	// ExodusFraction is the share of that hashrate that has left (for AI).
	ExodusFraction float64 `json:"exodus_fraction"`
	// TargetShare is the attacker's share of total hashrate to reach
	// (0.51 by default: a majority with margin).
	TargetShare float64 `json:"target_share"`
	// HashpriceUSDPerPHDay is what honest mining earns; the attacker
	// forgoes it on own machines and pays a premium over it when renting.
	HashpriceUSDPerPHDay float64 `json:"hashprice_usd_per_ph_day"`
	// PowerUSDPerKWh is the attacker's power price.
	PowerUSDPerKWh float64 `json:"power_usd_per_kwh"`

	// New machines (S21-class).
	NewUSDPerTH      float64 `json:"new_usd_per_th"`
	NewJoulesPerTH   float64 `json:"new_joules_per_th"`
	NewDeployDays    float64 `json:"new_deploy_days"`    // lead time to deliver and rack the whole fleet
	MachineLifeYears float64 `json:"machine_life_years"` // for amortising capex per hour
	ResaleFraction   float64 `json:"resale_fraction"`    // of capex recovered by selling after the attack

	// Rented hashrate (marketplaces such as NiceHash).
	RentUSDPerPHDay float64 `json:"rent_usd_per_ph_day"`
	RentDepthHs     float64 `json:"rent_depth_hs"` // hashrate the market can supply at that price

	// Idle machines left behind by miners who converted to AI
	// (second-hand S19-class).
	IdleUSDPerTH          float64 `json:"idle_usd_per_th"`
	IdleJoulesPerTH       float64 `json:"idle_joules_per_th"`
	IdleAvailableFraction float64 `json:"idle_available_fraction"` // of the exodus hashrate that is for sale
	IdleDeployDays        float64 `json:"idle_deploy_days"`

	// TimeBudgetHours is the time an attacker allows itself; the result
	// gives the probability of success within it (default 24 h).
	TimeBudgetHours float64 `json:"time_budget_hours"`

	// Params is the network whose target spacing sets the attack's
	// duration (nil: mainnet).
	Params *consensus.Params `json:"-"`
	// DurationQuantiles asks for the race's quantiles and the
	// within-budget probability (a few ms per depth); the mean and
	// P(success) are always exact.
	DurationQuantiles bool `json:"-"`
}

// DefaultAttackInputs returns documented assumptions for late 2025:
// S21-class machines at $15/TH, 17.5 J/TH, 90 days to deploy an exahash
// fleet; rented hashrate at 1.1× hashprice with 10 EH/s of depth (the
// order of magnitude of the largest marketplace's order book); second-hand
// S19-class at $3/TH, 30 J/TH, half of the exodus hashrate for sale, 30
// days to re-deploy; power at $0.05/kWh; 3-year machine life, 30% resale.
func DefaultAttackInputs(networkHs, hashprice float64) AttackInputs {
	return AttackInputs{
		NetworkHashrateHs: networkHs, TargetShare: 0.51, HashpriceUSDPerPHDay: hashprice, PowerUSDPerKWh: 0.05,
		NewUSDPerTH: 15, NewJoulesPerTH: 17.5, NewDeployDays: 90, MachineLifeYears: 3, ResaleFraction: 0.3,
		RentUSDPerPHDay: 1.1 * hashprice, RentDepthHs: 10e18,
		IdleUSDPerTH: 3, IdleJoulesPerTH: 30, IdleAvailableFraction: 0.5, IdleDeployDays: 30, TimeBudgetHours: 24,
	}
}

// Validate names the offending field.
func (in AttackInputs) Validate() error {
	type chk struct {
		name    string
		v       float64
		ok      bool
		allowed string
	}
	for _, c := range []chk{
		{"network_hashrate_hs", in.NetworkHashrateHs, in.NetworkHashrateHs > 0, "> 0"},
		{"exodus_fraction", in.ExodusFraction, in.ExodusFraction >= 0 && in.ExodusFraction < 1, "0 <= f < 1"},
		{"target_share", in.TargetShare, in.TargetShare > 0 && in.TargetShare < 1 && in.TargetShare != 0.5, "0 < share < 1 and share != 0.5 (at one half the expected race is infinite)"},
		{"hashprice_usd_per_ph_day", in.HashpriceUSDPerPHDay, in.HashpriceUSDPerPHDay >= 0, ">= 0"},
		{"power_usd_per_kwh", in.PowerUSDPerKWh, in.PowerUSDPerKWh >= 0 && in.PowerUSDPerKWh <= 10, "0 to 10"},
		{"new_usd_per_th", in.NewUSDPerTH, in.NewUSDPerTH >= 0, ">= 0"},
		{"new_joules_per_th", in.NewJoulesPerTH, in.NewJoulesPerTH > 0, "> 0"},
		{"machine_life_years", in.MachineLifeYears, in.MachineLifeYears > 0, "> 0"},
		{"resale_fraction", in.ResaleFraction, in.ResaleFraction >= 0 && in.ResaleFraction <= 1, "0 to 1"},
		{"rent_usd_per_ph_day", in.RentUSDPerPHDay, in.RentUSDPerPHDay >= 0, ">= 0"},
		{"rent_depth_hs", in.RentDepthHs, in.RentDepthHs >= 0, ">= 0"},
		{"idle_usd_per_th", in.IdleUSDPerTH, in.IdleUSDPerTH >= 0, ">= 0"},
		{"idle_joules_per_th", in.IdleJoulesPerTH, in.IdleJoulesPerTH > 0, "> 0"},
		{"idle_available_fraction", in.IdleAvailableFraction, in.IdleAvailableFraction >= 0 && in.IdleAvailableFraction <= 1, "0 to 1"},
		{"new_deploy_days", in.NewDeployDays, in.NewDeployDays >= 0, ">= 0"},
		{"idle_deploy_days", in.IdleDeployDays, in.IdleDeployDays >= 0, ">= 0"},
		{"time_budget_hours", in.TimeBudgetHours, in.TimeBudgetHours >= 0 && in.TimeBudgetHours <= 24*365, "0 to 8760 (0: none)"},
	} {
		if !c.ok || math.IsNaN(c.v) || math.IsInf(c.v, 0) {
			return inputErr(c.name, c.v, c.allowed)
		}
	}
	return nil
}

// SourceCost is the cost of getting the attack hashrate from one source.
type SourceCost struct {
	Source string `json:"source"` // buy-new, rent, idle-machines
	// Feasible is false when the source cannot supply the hashrate
	// (ShortfallHs says by how much).
	Feasible bool `json:"feasible"`
	// AvailableHs is the hashrate the source can supply: null (NaN)
	// with Unlimited for buying new.
	AvailableHs hashlab.Num `json:"available_hs"`
	Unlimited   bool        `json:"unlimited"`
	ShortfallHs float64     `json:"shortfall_hs"`
	// CapexUSD is the up-front purchase (0 for renting).
	CapexUSD float64 `json:"capex_usd"`
	// PerHourUSD is the running cost: power plus capex amortised over the
	// machine life (own machines) or the rental price.
	PerHourUSD      float64 `json:"per_hour_usd"`
	PowerPerHourUSD float64 `json:"power_per_hour_usd"`
	// AttackUSD is the cost of one z-block double spend: the running cost
	// for the attack's duration, plus for owned machines the capex not
	// recovered by resale when the attacker has no other use for them.
	AttackUSD  float64 `json:"attack_usd"`
	DeployDays float64 `json:"deploy_days"`
}

// AttackCost is the result for one confirmation depth.
type AttackCost struct {
	Z              int          `json:"z"`
	HonestHs       float64      `json:"honest_hs"`
	AttackerHs     float64      `json:"attacker_hs"`
	DurationHours  float64      `json:"duration_hours"`
	Sources        []SourceCost `json:"sources"`
	CheapestSource string       `json:"cheapest_source"`
	CheapestUSD    float64      `json:"cheapest_usd"`
	// MaxSafeValueUSD is the largest payment that is safe at z
	// confirmations under Budish's condition: an attack costs at least
	// what it can steal (V ≤ cost / P(success); with a majority P = 1).
	// It is nil (JSON null) when there is no finite bound: P(success)
	// underflows to 0 at this depth.
	MaxSafeValueUSD *float64 `json:"max_safe_value_usd"`
	// Duration is the race's duration distribution behind DurationHours
	// (its mean).
	Duration AttackDuration `json:"duration"`
}

// AttackDuration summarises the double-spend race of one attack
// (AttackRace). Hours are from the start of the race; quantiles and the
// budget figure are nil unless AttackInputs.DurationQuantiles is set, or
// when they lie beyond the computed range.
type AttackDuration struct {
	MeanHours  float64  `json:"mean_hours"`
	P50Hours   *float64 `json:"p50_hours"`
	P90Hours   *float64 `json:"p90_hours"`
	P99Hours   *float64 `json:"p99_hours"`
	MeanBlocks float64  `json:"mean_blocks"`
	// PSuccess is the probability the race is ever won (1 for a
	// majority).
	PSuccess float64 `json:"p_success"`
	// PSuccessWithinBudget is the probability of winning within
	// BudgetHours.
	BudgetHours          *float64 `json:"budget_hours"`
	PSuccessWithinBudget *float64 `json:"p_success_within_budget"`
	// HonestConfirmationHours is the expected time of the merchant's z
	// confirmations: no attack ends sooner.
	HonestConfirmationHours float64 `json:"honest_confirmation_hours"`
	Convention              string  `json:"convention"`
}

func hoursOf(sec *float64) *float64 {
	if sec == nil {
		return nil
	}
	h := *sec / 3600
	return &h
}

// AttackCostFor computes the cost of a z-confirmation double spend.
//
// Model (documented in docs/security.md): after the exodus the honest
// hashrate is H = N·(1−exodus) and difficulty has adjusted to it. The
// attacker adds A = H·s/(1−s) for share s (RaceConvention: added to the
// network, no pre-mining). The attack lasts until its private chain is
// strictly longer than the honest one after the merchant has seen z
// confirmations; AttackRace gives the exact expected duration of that race
// (the honest chain keeps growing while the attacker mines), and the
// running costs (power, rent) are paid over that mean duration. Own
// machines cost power plus amortised capex per hour; the one-off attack
// cost counts the unrecovered capex (1−resale) because a rational attacker
// buys machines only for the attack. The largest safe payment is
// Budish's V ≤ cost / P(success), with P(success) from the same race.
//
// The earlier model, (z+1)·600·H/A, counted only the attacker's blocks
// and understated the duration 1.7–17× (at s = 0.51, z = 6: 1.1 h
// against the race's 8.5 h).
func AttackCostFor(in AttackInputs, z int) (AttackCost, error) {
	if err := in.Validate(); err != nil {
		return AttackCost{}, err
	}
	if z < 0 {
		return AttackCost{}, inputErr("z (confirmations)", z, ">= 0")
	}
	H := in.NetworkHashrateHs * (1 - in.ExodusFraction)
	A := H * in.TargetShare / (1 - in.TargetShare)
	params := in.Params
	if params == nil {
		params = consensus.MainNet
	}
	race, err := AttackRace(in.TargetShare, z, float64(params.TargetSpacingSec))
	if err != nil {
		return AttackCost{}, err // the race's own bound on z (at most 1000); the share was checked by Validate
	}
	if in.DurationQuantiles {
		race.Distribution()
	}
	hours := race.MeanSeconds / 3600
	th := A / 1e12
	lifeHours := in.MachineLifeYears * 8766
	powerPerHour := func(jth float64) float64 { return th * jth / 1000 * in.PowerUSDPerKWh } // kW × $/kWh

	newCapex := th * in.NewUSDPerTH
	buy := SourceCost{Source: "buy-new", Feasible: true, Unlimited: true, AvailableHs: hashlab.Num(math.NaN()), CapexUSD: newCapex,
		PowerPerHourUSD: powerPerHour(in.NewJoulesPerTH), DeployDays: in.NewDeployDays}
	buy.PerHourUSD = buy.PowerPerHourUSD + newCapex/lifeHours
	buy.AttackUSD = buy.PowerPerHourUSD*hours + newCapex*(1-in.ResaleFraction)

	rent := SourceCost{Source: "rent", AvailableHs: hashlab.Num(in.RentDepthHs), PerHourUSD: in.RentUSDPerPHDay * A / 1e15 / 24, DeployDays: 0}
	rent.Feasible = in.RentDepthHs >= A
	rent.ShortfallHs = max(A-in.RentDepthHs, 0)
	rent.AttackUSD = rent.PerHourUSD * hours

	idleHs := in.NetworkHashrateHs * in.ExodusFraction * in.IdleAvailableFraction
	idleCapex := th * in.IdleUSDPerTH
	idle := SourceCost{Source: "idle-machines", AvailableHs: hashlab.Num(idleHs), Feasible: idleHs >= A, ShortfallHs: max(A-idleHs, 0), CapexUSD: idleCapex,
		PowerPerHourUSD: powerPerHour(in.IdleJoulesPerTH), DeployDays: in.IdleDeployDays}
	idle.PerHourUSD = idle.PowerPerHourUSD + idleCapex/lifeHours
	idle.AttackUSD = idle.PowerPerHourUSD*hours + idleCapex*(1-in.ResaleFraction)

	out := AttackCost{Z: z, HonestHs: H, AttackerHs: A, DurationHours: hours, Sources: []SourceCost{buy, rent, idle},
		Duration: AttackDuration{MeanHours: hours, PSuccess: race.PSuccess, MeanBlocks: race.MeanBlocks,
			HonestConfirmationHours: race.HonestConfirmationSeconds / 3600, Convention: RaceConvention,
			P50Hours: hoursOf(race.P50Seconds), P90Hours: hoursOf(race.P90Seconds), P99Hours: hoursOf(race.P99Seconds)}}
	if in.DurationQuantiles && in.TimeBudgetHours > 0 {
		b, p := in.TimeBudgetHours, race.PSuccessWithin(in.TimeBudgetHours*3600)
		out.Duration.BudgetHours, out.Duration.PSuccessWithinBudget = &b, &p
	}
	out.CheapestUSD = math.Inf(1)
	for _, s := range out.Sources {
		if s.Feasible && s.AttackUSD < out.CheapestUSD {
			out.CheapestUSD, out.CheapestSource = s.AttackUSD, s.Source
		}
	}
	// Budish's condition with the race's own success probability (1 for
	// a majority; for a minority the strictly-longer race of
	// RaceConvention).
	p := race.PSuccess
	if p > 0 {
		v := out.CheapestUSD / p
		out.MaxSafeValueUSD = &v
	}
	return out, nil
}
