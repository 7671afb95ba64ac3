package hashprice

import (
	"math"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
)

// Units used throughout the package. Hashrates are hashes per second and
// spelled with the suffix Hs in every name (NetworkHashrateHs, LowerHs,
// ImpliedHashrateHs); per-PH and per-TH figures say so in their names.
const (
	HashesPerPH    = 1e15
	HashesPerTH    = 1e12
	HashesPerEH    = 1e18
	SecondsPerDay  = 86400
	JoulesPerKWh   = 3.6e6
	kWhPerJouleDay = SecondsPerDay / JoulesPerKWh // kWh used in a day by 1 W
	// HashesPerDifficulty1 is the expected number of hashes per block at
	// difficulty 1: 2^32, the standard approximation of
	// 2^256 / (difficulty-1 target + 1) = 2^256 / (0xffff·2^208 + 1)
	// (Bitcoin Core's GetBlockProof; the relative error is 1.5e-5, the
	// same for every difficulty, and every hashrate in hashlab uses it).
	HashesPerDifficulty1 = 4294967296.0
)

// inputErr returns the one input-error type, *hashlab.InputError
// (errors.Is(err, hashlab.ErrInput) holds).
func inputErr(field string, value any, allowed string) error {
	return hashlab.Invalid(field, value, allowed)
}

// Inputs are the network and market values hashprice depends on.
type Inputs struct {
	// Difficulty is the network difficulty (mainnet difficulty-1 = 1).
	Difficulty float64
	// Height is the height of the next block to be mined; it sets the
	// subsidy.
	Height int64
	// FeesPerBlock is the average transaction fees per block, in sats.
	FeesPerBlock consensus.Sats
	// PriceUSD is the BTC price in USD; zero means unknown (USD fields are
	// then zero and only BTC-denominated values are meaningful).
	PriceUSD float64
	// Params is the network; nil means mainnet.
	Params *consensus.Params
}

// Validate checks every field and names the offending one.
func (in Inputs) Validate() error {
	switch {
	case !(in.Difficulty > 0) || math.IsInf(in.Difficulty, 0):
		return inputErr("difficulty", in.Difficulty, "> 0 and finite")
	case in.Height < 0:
		return inputErr("height", in.Height, ">= 0")
	case in.FeesPerBlock < 0:
		return inputErr("fees per block (sats)", int64(in.FeesPerBlock), ">= 0")
	case in.PriceUSD < 0 || math.IsNaN(in.PriceUSD) || math.IsInf(in.PriceUSD, 0):
		return inputErr("price (USD)", in.PriceUSD, ">= 0 and finite")
	}
	return nil
}

// Result is hashvalue and hashprice with what they were computed from.
type Result struct {
	// USDPerPHDay is the hashprice: USD earned per PH/s per day.
	USDPerPHDay float64 `json:"usd_per_ph_day"`
	// USDPerTHDay is the same per TH/s.
	USDPerTHDay float64 `json:"usd_per_th_day"`
	// BTCPerPHDay is the hashvalue: BTC earned per PH/s per day.
	BTCPerPHDay float64 `json:"btc_per_ph_day"`
	// SatsPerPHDay is the hashvalue in satoshis.
	SatsPerPHDay float64 `json:"sats_per_ph_day"`
	// NetworkHashrateHs is the hashrate implied by the difficulty, H/s.
	NetworkHashrateHs float64 `json:"network_hashrate_hs"`
	// BlocksPerDayPerPH is the expected number of blocks one PH/s finds per
	// day at this difficulty.
	BlocksPerDayPerPH float64 `json:"blocks_per_day_per_ph"`
	// SubsidySats is the block subsidy at Height.
	SubsidySats consensus.Sats `json:"subsidy_sats"`
	// FeesPerBlockSats echoes the fee input.
	FeesPerBlockSats consensus.Sats `json:"fees_per_block_sats"`
	// FeeShare is fees / (subsidy + fees).
	FeeShare float64 `json:"fee_share"`
	// Difficulty, Height and PriceUSD echo the inputs.
	Difficulty float64 `json:"difficulty"`
	Height     int64   `json:"height"`
	PriceUSD   float64 `json:"price_usd"`
	// SecurityBudgetUSDPerDay is what all miners earn per day at the target
	// block rate (144 blocks/day on mainnet).
	SecurityBudgetUSDPerDay float64 `json:"security_budget_usd_per_day"`
}

// HashesPerBlock is the expected work of one block at difficulty, in
// hashes: D * 2^32.
func HashesPerBlock(difficulty float64) float64 {
	return difficulty * HashesPerDifficulty1
}

// BlocksPerDay returns the expected blocks per day found by hashrate (H/s)
// at difficulty: hashrate * 86400 / (difficulty * 2^32).
func BlocksPerDay(hashrateHs, difficulty float64) float64 {
	return hashrateHs * SecondsPerDay / HashesPerBlock(difficulty)
}

// USDPerPHDay is the hashprice formula itself, in USD per PH/s per day:
// the blocks one PH/s finds in a day at difficulty (1e15 * 86400 /
// (D * 2^32)) times the reward per block (subsidy + fees, in BTC) times
// the BTC price (USD). Compute validates its inputs and calls it; the
// simulator calls it directly, once per simulated day.
func USDPerPHDay(difficulty, rewardBTC, priceUSD float64) float64 {
	return BlocksPerDay(HashesPerPH, difficulty) * rewardBTC * priceUSD
}

// ImpliedHashrateHs returns the network hashrate (H/s) that finds one
// block per target spacing at difficulty: D * 2^32 / spacing.
func ImpliedHashrateHs(difficulty float64, spacingSec int64) float64 {
	return HashesPerBlock(difficulty) / float64(spacingSec)
}

// DifficultyForHashrate is the inverse of ImpliedHashrateHs.
func DifficultyForHashrate(hashrateHs float64, spacingSec int64) float64 {
	return hashrateHs * float64(spacingSec) / HashesPerDifficulty1
}

// YearsToNextHalving is the time to the next halving after height at the
// network's target spacing, in years of 365.25 days.
func YearsToNextHalving(height int64, p *consensus.Params) float64 {
	if p == nil {
		p = consensus.MainNet
	}
	blocks := consensus.NextHalvingHeight(height, p) - height
	return float64(blocks*p.TargetSpacingSec) / (365.25 * SecondsPerDay)
}

// HalvingIntervalYears is the time between halvings at the network's
// target spacing, in years of 365.25 days (about 3.99 on mainnet:
// 210,000 blocks of 600 s).
func HalvingIntervalYears(p *consensus.Params) float64 {
	if p == nil {
		p = consensus.MainNet
	}
	return float64(p.SubsidyHalvingInterval*p.TargetSpacingSec) / (365.25 * SecondsPerDay)
}

// Compute returns hashvalue and hashprice for in.
func Compute(in Inputs) (Result, error) {
	if err := in.Validate(); err != nil {
		return Result{}, err
	}
	p := in.Params
	if p == nil {
		p = consensus.MainNet
	}
	subsidy := consensus.BlockSubsidy(in.Height, p)
	reward := float64(subsidy + in.FeesPerBlock)
	rewardBTC := (subsidy + in.FeesPerBlock).BTC()
	bpd := BlocksPerDay(HashesPerPH, in.Difficulty)
	usd := USDPerPHDay(in.Difficulty, rewardBTC, in.PriceUSD)
	r := Result{
		BTCPerPHDay:       bpd * rewardBTC,
		SatsPerPHDay:      bpd * reward,
		USDPerPHDay:       usd,
		USDPerTHDay:       usd / 1000,
		NetworkHashrateHs: ImpliedHashrateHs(in.Difficulty, p.TargetSpacingSec),
		BlocksPerDayPerPH: bpd,
		SubsidySats:       subsidy,
		FeesPerBlockSats:  in.FeesPerBlock,
		Difficulty:        in.Difficulty,
		Height:            in.Height,
		PriceUSD:          in.PriceUSD,
	}
	if reward > 0 {
		r.FeeShare = float64(in.FeesPerBlock) / reward
	}
	r.SecurityBudgetUSDPerDay = TargetBlocksPerDay(p) * reward / consensus.SatsPerBTC * in.PriceUSD
	return r, nil
}

// TargetBlocksPerDay is the blocks per day at the network's target
// spacing: 86400 / spacing (144 on mainnet).
func TargetBlocksPerDay(p *consensus.Params) float64 {
	if p == nil {
		p = consensus.MainNet
	}
	return float64(SecondsPerDay) / float64(p.TargetSpacingSec)
}

// EnergyKWhPerTHDay is the energy one TH/s uses in a day at efficiency
// joulesPerTH: J/TH * 86400 / 3.6e6 (= 0.024 kWh per J/TH).
func EnergyKWhPerTHDay(joulesPerTH float64) float64 {
	return joulesPerTH * kWhPerJouleDay
}

// BreakevenUSDPerKWh is the power price at which a machine of efficiency
// joulesPerTH earns exactly its power cost at hashprice usdPerPHDay.
func BreakevenUSDPerKWh(usdPerPHDay, joulesPerTH float64) float64 {
	if joulesPerTH <= 0 {
		return math.Inf(1)
	}
	return usdPerPHDay / 1000 / EnergyKWhPerTHDay(joulesPerTH)
}

// BreakevenUSDPerPHDay is the hashprice at which a machine of efficiency
// joulesPerTH pays exactly its power at usdPerKWh.
func BreakevenUSDPerPHDay(usdPerKWh, joulesPerTH float64) float64 {
	return usdPerKWh * EnergyKWhPerTHDay(joulesPerTH) * 1000
}

// RevenuePerKWhUSD is what mining earns per kWh consumed at hashprice
// usdPerPHDay and efficiency joulesPerTH (the figure to compare with AI
// hosting's revenue per kWh). It equals BreakevenUSDPerKWh.
func RevenuePerKWhUSD(usdPerPHDay, joulesPerTH float64) float64 {
	return BreakevenUSDPerKWh(usdPerPHDay, joulesPerTH)
}
