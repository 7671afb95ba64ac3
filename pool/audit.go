package pool

import (
	"math"
	"sort"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
)

// Scheme is a pool's payout scheme.
type Scheme string

// The payout schemes the audit knows.
const (
	// FPPS (full pay per share) pays every share its expected value,
	// subsidy and fees, whether or not the pool finds blocks.
	FPPS Scheme = "fpps"
	// PPSPlus pays the subsidy per share (PPS) and the fees of the blocks
	// the pool actually finds, shared PPLNS-like. Its expected payout is
	// FPPS's; only the fee part varies with the pool's luck.
	PPSPlus Scheme = "pps+"
	// PPLNS pays out the blocks the pool finds, shared over the last N
	// shares: the payout follows the pool's luck.
	PPLNS Scheme = "pplns"
	// Solo pays the account the blocks it finds itself.
	Solo Scheme = "solo"
)

// ParseScheme accepts fpps, pps+ (or ppsplus), pplns or solo.
func ParseScheme(s string) (Scheme, error) {
	switch s {
	case "fpps", "pps+", "pplns", "solo":
		return Scheme(s), nil
	case "ppsplus":
		return PPSPlus, nil
	}
	return "", inputErr("scheme", s, "fpps, pps+, pplns or solo")
}

// AccountDay is one day of a pool account's export.
type AccountDay struct {
	Date       string         `json:"date"` // YYYY-MM-DD, UTC
	HashrateHs float64        `json:"hashrate_hs"`
	PayoutSats consensus.Sats `json:"payout_sats"`
	// Blocks is the blocks the account found itself (solo); -1 when the
	// export does not say.
	Blocks int64 `json:"blocks"`
}

// AuditInputs is an account's export and what the audit assumes.
type AuditInputs struct {
	Days   []AccountDay
	Scheme Scheme
	// PoolFee is the pool's fee as a fraction, 0 ≤ fee < 1.
	PoolFee float64
	// FeesPerBlock is the mean transaction fees per block of a day
	// (keyed by date); days missing take DefaultFeesPerBlock.
	FeesPerBlock        map[string]consensus.Sats
	DefaultFeesPerBlock consensus.Sats
	Timeline            Timeline
	Confidence          float64
	// PoolHashrateHs is, for PPLNS, the whole pool's mean hashrate: it
	// sets the band of the payout ratio (0: no band).
	PoolHashrateHs float64
}

// AuditDay is one day of the audit.
type AuditDay struct {
	Date       string  `json:"date"`
	HashrateHs float64 `json:"hashrate_hs"`
	// ExpectedBlocks is what the account's hashrate should find that day.
	ExpectedBlocks   float64        `json:"expected_blocks"`
	FeesPerBlockSats consensus.Sats `json:"fees_per_block_sats"`
	// HashvalueSatsPerPHDay is the day's hashvalue, subsidy plus fees.
	HashvalueSatsPerPHDay float64 `json:"hashvalue_sats_per_ph_day"`
	// ExpectedSats is the expected payout after the pool fee, and
	// ExpectedSubsidySats / ExpectedFeeSats its two parts.
	ExpectedSats        consensus.Sats `json:"expected_sats"`
	ExpectedSubsidySats consensus.Sats `json:"expected_subsidy_sats"`
	ExpectedFeeSats     consensus.Sats `json:"expected_fee_sats"`
	PayoutSats          consensus.Sats `json:"payout_sats"`
	// DiffSats is payout − expected; CumDiffSats its running sum.
	DiffSats    consensus.Sats `json:"diff_sats"`
	CumDiffSats consensus.Sats `json:"cum_diff_sats"`
	// Blocks is the account's own blocks that day; nil (JSON null) when
	// the export does not say.
	Blocks *int64 `json:"blocks"`
}

// Audit is the payout audit of an account.
type Audit struct {
	Scheme  Scheme     `json:"scheme"`
	PoolFee float64    `json:"pool_fee"`
	Days    []AuditDay `json:"days"`
	From    string     `json:"from"`
	To      string     `json:"to"`
	// Totals over the days.
	ExpectedSats consensus.Sats `json:"expected_sats"`
	PayoutSats   consensus.Sats `json:"payout_sats"`
	DiffSats     consensus.Sats `json:"diff_sats"`
	// PayoutRatio is paid / expected (null when nothing was expected).
	PayoutRatio    hashlab.Num `json:"payout_ratio"`
	ExpectedBlocks float64     `json:"expected_blocks"`
	// Luck is, for solo, the account's own blocks against its expected
	// blocks; for PPLNS with the pool's hashrate, the pool blocks the
	// payout ratio implies (round(ratio × λ_pool)) against λ_pool, whose
	// Ratio is the payout ratio itself. Nil otherwise.
	Luck *Luck `json:"luck"`
	// Convention says how the expected payout was computed.
	Convention string `json:"convention"`
}

// Conventions, one per scheme.
var conventions = map[Scheme]string{
	FPPS:    "FPPS: expected = hashrate/1e15 × hashvalue (subsidy + fees, sats/PH/day at the day's difficulty) × (1 − pool fee); the difference should stay near 0",
	PPSPlus: "PPS+: subsidy paid per share (PPS) plus the fees of the pool's blocks shared PPLNS-like; expected = the FPPS value (the fee part is an expectation, so daily differences in it are the pool's luck)",
	PPLNS:   "PPLNS: expected = the FPPS value (what the pool's blocks pay on average); the payout ratio is the pool's luck over the window",
	Solo:    "solo: expected = the FPPS value; luck = the account's blocks against its expected blocks, with exact Poisson bands",
}

// AuditAccount computes, for each day of the export, the payout the
// scheme should pay on average and the difference with what was paid.
func AuditAccount(in AuditInputs) (Audit, error) {
	if _, err := ParseScheme(string(in.Scheme)); err != nil {
		return Audit{}, err
	}
	if !(in.PoolFee >= 0 && in.PoolFee < 1) {
		return Audit{}, inputErr("fee", in.PoolFee, "a fraction 0 <= fee < 1 (0.02 = 2%)")
	}
	if !(in.Confidence > 0 && in.Confidence < 1) {
		return Audit{}, inputErr("confidence", in.Confidence, "0 < c < 1")
	}
	if in.DefaultFeesPerBlock < 0 {
		return Audit{}, inputErr("fees per block", in.DefaultFeesPerBlock, ">= 0 sats")
	}
	if !(in.PoolHashrateHs >= 0) || math.IsInf(in.PoolHashrateHs, 0) {
		return Audit{}, inputErr("pool hashrate", in.PoolHashrateHs, "a finite number >= 0 (H/s)")
	}
	if len(in.Days) == 0 {
		return Audit{}, inputErr("export", "no days", "at least one day")
	}
	days := append([]AccountDay(nil), in.Days...)
	sort.SliceStable(days, func(i, j int) bool { return days[i].Date < days[j].Date })
	a := Audit{Scheme: in.Scheme, PoolFee: in.PoolFee, From: days[0].Date, To: days[len(days)-1].Date, Convention: conventions[in.Scheme]}
	var expected, poolLambda float64
	var blocks int64
	haveBlocks := true
	keep := 1 - in.PoolFee
	for i, d := range days {
		if i > 0 && d.Date == days[i-1].Date {
			return Audit{}, inputErr("date", d.Date, "each day once")
		}
		if !(d.HashrateHs >= 0) || math.IsInf(d.HashrateHs, 0) {
			return Audit{}, inputErr("hashrate of "+d.Date, d.HashrateHs, "a finite number >= 0 (H/s)")
		}
		start, err := dayStart("date", d.Date)
		if err != nil {
			return Audit{}, err
		}
		fees, ok := in.FeesPerBlock[d.Date]
		if !ok {
			fees = in.DefaultFeesPerBlock
		}
		sub, fee := in.Timeline.Hashvalue(start, start+86400, fees)
		if math.IsNaN(sub) {
			return Audit{}, inputErr("date", d.Date, "a day the difficulty timeline covers")
		}
		ph := d.HashrateHs / 1e15
		ad := AuditDay{
			Date: d.Date, HashrateHs: d.HashrateHs, FeesPerBlockSats: fees, PayoutSats: d.PayoutSats,
			ExpectedBlocks:        in.Timeline.ExpectedBlocks(d.HashrateHs, start, start+86400),
			HashvalueSatsPerPHDay: sub + fee,
			ExpectedSubsidySats:   consensus.Sats(math.Round(ph * sub * keep)),
			ExpectedFeeSats:       consensus.Sats(math.Round(ph * fee * keep)),
		}
		ad.ExpectedSats = ad.ExpectedSubsidySats + ad.ExpectedFeeSats
		ad.DiffSats = ad.PayoutSats - ad.ExpectedSats
		a.ExpectedSats += ad.ExpectedSats
		a.PayoutSats += ad.PayoutSats
		ad.CumDiffSats = a.PayoutSats - a.ExpectedSats
		a.ExpectedBlocks += ad.ExpectedBlocks
		expected += ph * (sub + fee) * keep
		if in.PoolHashrateHs > 0 {
			poolLambda += in.Timeline.ExpectedBlocks(in.PoolHashrateHs, start, start+86400)
		}
		if d.Blocks < 0 {
			haveBlocks = false
		} else {
			blocks += d.Blocks
			n := d.Blocks
			ad.Blocks = &n
		}
		a.Days = append(a.Days, ad)
	}
	a.DiffSats = a.PayoutSats - a.ExpectedSats
	a.PayoutRatio = hashlab.Num(math.NaN())
	if expected > 0 {
		a.PayoutRatio = hashlab.Num(float64(a.PayoutSats) / expected)
	}
	switch {
	case in.Scheme == Solo && haveBlocks:
		l, err := PoissonLuck(blocks, a.ExpectedBlocks, in.Confidence)
		if err != nil {
			return Audit{}, err
		}
		a.Luck = &l
	case in.Scheme == PPLNS && poolLambda > 0 && expected > 0:
		k := int64(math.Round(float64(a.PayoutRatio) * poolLambda))
		l, err := PoissonLuck(k, poolLambda, in.Confidence)
		if err != nil {
			return Audit{}, err
		}
		l.Ratio = a.PayoutRatio // the ratio itself, not its rounding to whole blocks
		a.Luck = &l
	}
	return a, nil
}
