package service

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/snapshot"
)

// Hashprice is what 1 PH/s earns per day now: `hashlab hashprice --json`
// and GET /api/v1/hashprice.
type Hashprice struct {
	hashprice.Result
	// Bits is the nBits in force; BitsExact is false when the difficulty
	// was given as a number and Bits is the nearest compact target at or
	// below it.
	Bits              consensus.Bits `json:"bits"`
	BitsExact         bool           `json:"bits_exact"`
	NextHalvingHeight int64          `json:"next_halving_height"`
	// BreakevenUSDPerKWhAt maps an efficiency in J/TH ("17.5") to the power
	// price at which a machine of that efficiency breaks even.
	BreakevenUSDPerKWhAt map[string]float64 `json:"breakeven_usd_per_kwh_at_jth"`
	// Method names the fees and difficulty method and the window asked
	// for (hashprice.go); FeeWindowBlocks..ToHeight are the blocks the
	// fees were averaged over, null when the source gave a single value.
	Method              HashpriceMethod `json:"method"`
	FeeWindowBlocks     *int64          `json:"fee_window_blocks"`
	FeeWindowFromHeight *int64          `json:"fee_window_from_height"`
	FeeWindowToHeight   *int64          `json:"fee_window_to_height"`
	// Realised is the realised method's window; omitted in-force.
	Realised *Realised `json:"realised,omitempty"`
	Freshness
}

// Hashprice computes hashvalue and hashprice (hashprice.Compute) from the
// state with o applied.
func (s *Service) Hashprice(ctx context.Context, o Overrides) (*Hashprice, error) {
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	return s.hashpriceFrom(st, o)
}

func (s *Service) hashpriceFrom(st *netstate.State, o Overrides) (*Hashprice, error) {
	m, err := s.market(st, o)
	if err != nil {
		return nil, err
	}
	return m.hashprice(), nil
}

func (m *Market) hashprice() *Hashprice {
	out := &Hashprice{Result: m.Result, Bits: m.Bits, BitsExact: m.BitsExact, Freshness: m.Freshness,
		NextHalvingHeight:    consensus.NextHalvingHeight(m.Inputs.Height, m.Inputs.Params),
		BreakevenUSDPerKWhAt: map[string]float64{}}
	out.refreshBreakeven()
	out.setMethod(m.State, FeeWindow{}, DifficultyInForce, m.overrides)
	return out
}

// refreshBreakeven computes the breakeven table from the hashprice.
func (h *Hashprice) refreshBreakeven() {
	for _, j := range BreakevenEfficienciesJPerTH {
		h.BreakevenUSDPerKWhAt[strconv.FormatFloat(j, 'g', -1, 64)] = hashprice.BreakevenUSDPerKWh(h.Result.USDPerPHDay, j)
	}
}

// AdjustmentQuery asks for the projection of a difficulty adjustment. A
// nil field takes the state's value; Confidence is required (faces
// default it to DefaultConfidence).
type AdjustmentQuery struct {
	// TipHeight is the height of the newest block of the epoch.
	TipHeight *int64
	// TipTime is that block's header time, Unix seconds. Without it the
	// time comes from the state (when TipHeight is the state's tip) or
	// from the embedded epoch table (when TipHeight is the first or last
	// block of a past epoch); otherwise the query is refused.
	TipTime *int64
	// EpochFirstTime is the header time of the epoch's first block, Unix
	// seconds; without it, the state's or the epoch table's.
	EpochFirstTime *int64
	// Confidence is the interval's coverage, 0 < c < 1.
	Confidence float64
}

// NextAdjustment is the projected retarget of the epoch holding the tip:
// `hashlab next-adjustment --json` and GET /api/v1/network/next-adjustment.
type NextAdjustment struct {
	hashprice.Projection
	TipHeight int64     `json:"tip_height"`
	TipTime   time.Time `json:"tip_time"`
	// TipTimeFrom says where the tip time came from: "state", "epoch
	// table" or "given".
	TipTimeFrom    string    `json:"tip_time_from"`
	EpochFirstTime time.Time `json:"epoch_first_time"`
	// CurrentBits is the nBits of the epoch; null when unknown.
	CurrentBits *consensus.Bits `json:"current_bits"`
	// ExpectedChangePct is 100 * ExpectedChange.
	ExpectedChangePct float64 `json:"expected_change_pct"`
	ExpectedDate      string  `json:"expected_date"`
	EarliestDate      string  `json:"earliest_date"`
	LatestDate        string  `json:"latest_date"`
	NextHalving       int64   `json:"next_halving_height"`
	Freshness
}

// NextAdjustment projects the retarget of the epoch holding the tip with
// hashprice.ProjectRetarget (the observed block rate of the epoch, a
// Poisson/F interval, Core's 4x clamp).
//
// Errors are *hashlab.InputError naming tip_height, tip_time,
// epoch_first_time or confidence; a failing source is an error naming it.
func (s *Service) NextAdjustment(ctx context.Context, q AdjustmentQuery) (*NextAdjustment, error) {
	if err := checkAdjustmentQuery(q); err != nil {
		return nil, err
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	return s.nextAdjustmentFrom(st, q)
}

func checkAdjustmentQuery(q AdjustmentQuery) error {
	switch {
	case q.TipHeight != nil && (*q.TipHeight < 0 || *q.TipHeight > MaxHeight):
		return hashlab.Invalid("tip_height", *q.TipHeight, "0 to 100,000,000")
	case q.TipTime != nil && (*q.TipTime < 0 || *q.TipTime > math.MaxUint32):
		return hashlab.Invalid("tip_time", *q.TipTime, "0 to 4294967295 (Unix seconds, a 32-bit header time)")
	case q.EpochFirstTime != nil && (*q.EpochFirstTime < 0 || *q.EpochFirstTime > math.MaxUint32):
		return hashlab.Invalid("epoch_first_time", *q.EpochFirstTime, "0 to 4294967295 (Unix seconds, a 32-bit header time)")
	case !(q.Confidence > 0 && q.Confidence < 1):
		return hashlab.Invalid("confidence", q.Confidence, "0 < c < 1")
	}
	return nil
}

// epochAt returns the embedded epoch table's row starting at first.
func epochAt(first int64) (snapshot.Epoch, bool) {
	es := snapshot.Epochs()
	i := first / consensus.MainNet.RetargetInterval()
	if i >= 0 && i < int64(len(es)) && es[i].FirstHeight == first {
		return es[i], true
	}
	return snapshot.Epoch{}, false
}

// knownTime returns the header time of block h when the state or the
// embedded epoch table knows it.
func knownTime(st *netstate.State, h int64) (int64, string, bool) {
	if h == st.Tip.Height && !st.Tip.Time.IsZero() {
		return st.Tip.Time.Unix(), "state", true
	}
	if h == st.Epoch.FirstHeight && !st.Epoch.FirstTime.IsZero() {
		return st.Epoch.FirstTime.Unix(), "state", true
	}
	if st.Network != "" && st.Network != consensus.MainNet.Name {
		return 0, "", false // the embedded epoch table is mainnet's
	}
	n := consensus.MainNet.RetargetInterval()
	if e, ok := epochAt(h / n * n); ok {
		if h == e.LastHeight && e.LastTime != 0 {
			return e.LastTime, "epoch table", true
		}
		if h == e.FirstHeight && e.FirstTime != 0 {
			return e.FirstTime, "epoch table", true
		}
	}
	return 0, "", false
}

func (s *Service) nextAdjustmentFrom(st *netstate.State, q AdjustmentQuery) (*NextAdjustment, error) {
	p := s.paramsOf(st)
	n := p.RetargetInterval()
	f := s.freshness(st)
	tipHeight := st.Tip.Height
	if q.TipHeight != nil {
		tipHeight = *q.TipHeight
		if tipHeight != st.Tip.Height {
			f.Overridden = append(f.Overridden, "tip_height")
		}
	}
	start := tipHeight / n * n
	var tipTime int64
	from := "given"
	if q.TipTime != nil {
		tipTime = *q.TipTime
		f.Overridden = append(f.Overridden, "tip_time")
	} else {
		t, src, ok := knownTime(st, tipHeight)
		if !ok {
			return nil, hashlab.Invalid("tip_time", "", fmt.Sprintf(
				"the Unix time of block %d's header: it is needed because block %d is not the state's tip (%d) and the embedded epoch table knows only the first and last block times of past epochs", tipHeight, tipHeight, st.Tip.Height))
		}
		tipTime, from = t, src
	}
	var bits *consensus.Bits
	var first int64
	haveFirst := false
	if st.Epoch.FirstHeight == start && st.Epoch.Bits != 0 {
		b := st.Epoch.Bits
		bits = &b
		if !st.Epoch.FirstTime.IsZero() {
			first, haveFirst = st.Epoch.FirstTime.Unix(), true
		}
	}
	if e, ok := epochAt(start); ok && p == consensus.MainNet {
		if bits == nil && e.Bits != 0 {
			b := consensus.Bits(e.Bits)
			bits = &b
		}
		if !haveFirst && e.FirstTime != 0 {
			first, haveFirst = e.FirstTime, true
		}
	}
	if q.EpochFirstTime != nil {
		first, haveFirst = *q.EpochFirstTime, true
		f.Overridden = append(f.Overridden, "epoch_first_time")
	}
	if !haveFirst {
		return nil, hashlab.Invalid("epoch_first_time", "", fmt.Sprintf("the Unix time of block %d's header (the first of the epoch): neither the state nor the embedded epoch table knows it", start))
	}
	if tipTime < first {
		return nil, hashlab.Invalid("tip_time", tipTime, fmt.Sprintf(">= %d, the time of the epoch's first block %d", first, start))
	}
	pr, err := hashprice.ProjectRetarget(hashprice.RetargetInputs{EpochStartHeight: start, EpochFirstTimeUnix: first, TipHeight: tipHeight, TipTimeUnix: tipTime, Confidence: q.Confidence, Params: p})
	if err != nil {
		return nil, inputErr("tip_height", err)
	}
	return &NextAdjustment{
		Projection: pr, TipHeight: tipHeight, TipTime: time.Unix(tipTime, 0).UTC(), TipTimeFrom: from,
		EpochFirstTime: time.Unix(first, 0).UTC(), CurrentBits: bits, ExpectedChangePct: 100 * pr.ExpectedChange,
		ExpectedDate: unixDate(pr.ExpectedRetargetUnix), EarliestDate: unixDate(pr.EarliestUnix), LatestDate: unixDate(pr.LatestUnix),
		NextHalving: consensus.NextHalvingHeight(tipHeight, p), Freshness: f,
	}, nil
}

// unixDate prints a Unix time as "2006-01-02 15:04 UTC".
func unixDate(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02 15:04 UTC") }

// HalvingQuery asks for the next halving.
type HalvingQuery struct {
	Market Overrides
	// BlockIntervalSec is the assumed mean block interval until the
	// halving, 1 to 1e6 seconds (faces default it to
	// DefaultBlockIntervalSec).
	BlockIntervalSec float64
}

// Halving is the next halving: `hashlab halving --json` and GET
// /api/v1/network/halving.
type Halving struct {
	hashprice.Halving
	// FromHeight is the height counted from.
	FromHeight int64 `json:"from_height"`
	// ExpectedDate (YYYY-MM-DD) is FromHeight's time plus BlocksToGo
	// blocks at BlockIntervalSec; null when FromHeight's time is unknown
	// (a height given by the caller that is neither the state's tip nor
	// an epoch boundary of the embedded table).
	ExpectedDate     *string `json:"expected_date"`
	DateBasis        string  `json:"expected_date_basis"`
	BlockIntervalSec float64 `json:"block_interval_sec"`
	Freshness
}

// Halving computes hashprice now and after the next halving
// (hashprice.NextHalving) and the expected date.
func (s *Service) Halving(ctx context.Context, q HalvingQuery) (*Halving, error) {
	if err := checkHalvingQuery(q); err != nil {
		return nil, err
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	return s.halvingFrom(st, q)
}

func checkHalvingQuery(q HalvingQuery) error {
	if !(q.BlockIntervalSec >= 1 && q.BlockIntervalSec <= 1e6) {
		return hashlab.Invalid("block_interval", q.BlockIntervalSec, "1 to 1,000,000 seconds per block")
	}
	return CheckOverrides(q.Market)
}

func (s *Service) halvingFrom(st *netstate.State, q HalvingQuery) (*Halving, error) {
	m, err := s.market(st, q.Market)
	if err != nil {
		return nil, err
	}
	h, err := hashprice.NextHalving(m.Inputs)
	if err != nil {
		return nil, inputErr("market", err)
	}
	out := &Halving{Halving: h, FromHeight: m.Inputs.Height, BlockIntervalSec: q.BlockIntervalSec, Freshness: m.Freshness}
	if t, src, ok := knownTime(st, m.Inputs.Height); ok {
		d := time.Unix(t, 0).Add(time.Duration(float64(h.BlocksToGo)*q.BlockIntervalSec) * time.Second).UTC().Format("2006-01-02")
		out.ExpectedDate = &d
		out.DateBasis = fmt.Sprintf("time of block %d (%s) + %d blocks at %g s", m.Inputs.Height, src, h.BlocksToGo, q.BlockIntervalSec)
	} else {
		out.DateBasis = fmt.Sprintf("unknown: the time of block %d is known neither to the state (tip %d) nor to the embedded epoch table", m.Inputs.Height, st.Tip.Height)
	}
	out.Halving.ExpectedDate = ""
	return out, nil
}
