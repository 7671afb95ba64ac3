package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
)

// The hashprice method: which fees and which difficulty.
//
// Fees are the mean fees per block of a window of recent blocks: the last
// N blocks (FeeWindow.Blocks; DefaultFeeWindowBlocks = 144, one day of
// blocks, the Hashrate Index convention) or the blocks of the last
// FeeWindow.Duration before the tip (e.g. 24h). The window is the
// source's: a node or the chain store read it block by block, mempool
// reads the last N blocks, the snapshot has a dated reference value and
// no window (fee_window_blocks is then null).
//
// The difficulty is the one in force (DifficultyInForce, the default):
// hashvalue = (subsidy + mean fees) / (difficulty · 2^32) per hash, times
// 10^15 · 86,400 for a PH/s over a day. Realised (DifficultyRealised) is
// the revenue actually paid per hash over the same window: the window's
// subsidy and fees divided by the expected hashes behind its blocks (the
// sum of difficulty · 2^32 over them). The network hashrate over the
// window is that work divided by the time the blocks took (the observed
// block rate), so realised hashvalue = (revenue per day over the window)
// / (hashrate over the window) per PH/s: it differs from the in-force one
// when the subsidy, the fees or the difficulty changed within the window.
// It needs a source that reads single blocks (node, db).

// DefaultFeeWindowBlocks is the default fee window: one day of mainnet
// blocks.
var DefaultFeeWindowBlocks = 24 * 3600 / consensus.MainNet.TargetSpacingSec

// MaxFeeWindowBlocks bounds the fee window (one retarget period).
const MaxFeeWindowBlocks = 2016

// FeeWindow is the window fees are averaged over: Blocks, or Duration
// when it is > 0.
type FeeWindow struct {
	Blocks   int64
	Duration time.Duration
}

// String is the flag's spelling: "144" or "24h0m0s".
func (w FeeWindow) String() string {
	if w.Duration > 0 {
		return w.Duration.String()
	}
	return strconv.FormatInt(w.Blocks, 10)
}

// ParseFeeWindow reads "144" (blocks) or "24h", "90m" (a Go duration, 10
// minutes to 14 days). A bad value is an input error for field
// "fee_window".
func ParseFeeWindow(s string) (FeeWindow, error) {
	s = strings.TrimSpace(s)
	const allowed = "a number of blocks, 1 to 2016, or a duration from 10m to 336h (e.g. 144 or 24h)"
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 1 || n > MaxFeeWindowBlocks {
			return FeeWindow{}, hashlab.Invalid("fee_window", s, allowed)
		}
		return FeeWindow{Blocks: n}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 10*time.Minute || d > 14*24*time.Hour {
		return FeeWindow{}, hashlab.Invalid("fee_window", s, allowed)
	}
	return FeeWindow{Duration: d}, nil
}

// DifficultyMethod is how the hashprice's difficulty is taken.
type DifficultyMethod string

const (
	DifficultyInForce  DifficultyMethod = "in-force"
	DifficultyRealised DifficultyMethod = "realised"
)

// ParseDifficultyMethod reads "in-force" or "realised" (also "realized").
func ParseDifficultyMethod(s string) (DifficultyMethod, error) {
	switch strings.ToLower(s) {
	case "", "in-force", "inforce":
		return DifficultyInForce, nil
	case "realised", "realized":
		return DifficultyRealised, nil
	}
	return "", hashlab.Invalid("difficulty_method", s, "in-force or realised")
}

// HashpriceMethod names the method behind a hashprice answer.
type HashpriceMethod struct {
	// Fees says how the fees per block were taken ("mean of the last 144
	// blocks", "mean of the blocks of the last 24h0m0s", "reference
	// value", "given").
	Fees string `json:"fees"`
	// FeeWindow is the window asked for ("144" blocks or "24h0m0s").
	FeeWindow string `json:"fee_window"`
	// Difficulty is "in-force" or "realised".
	Difficulty DifficultyMethod `json:"difficulty"`
}

// Realised is the realised hashprice's window.
type Realised struct {
	Blocks     int64 `json:"blocks"`
	FromHeight int64 `json:"from_height"`
	ToHeight   int64 `json:"to_height"`
	// SpanSec is the time the blocks took; MeanBlockIntervalSec is
	// SpanSec / Blocks; null when the span is unknown.
	SpanSec              *int64   `json:"span_sec"`
	MeanBlockIntervalSec *float64 `json:"mean_block_interval_sec"`
	// HashrateHs is the window's work over its span: the observed
	// network hashrate (null when the span is unknown).
	HashrateHs *float64       `json:"hashrate_hs"`
	RewardSats consensus.Sats `json:"reward_sats"`
	WorkHashes float64        `json:"work_hashes"`
	// BTCPerPHDay and USDPerPHDay are the realised hashvalue and
	// hashprice (they replace the in-force ones in the answer).
	BTCPerPHDay float64 `json:"btc_per_ph_day"`
	USDPerPHDay float64 `json:"usd_per_ph_day"`
}

// HashpriceQuery asks for the hashprice with a method.
type HashpriceQuery struct {
	Market Overrides
	// Window is the fee window the source was opened with (the faces
	// open sources with it); zero means DefaultFeeWindowBlocks.
	Window     FeeWindow
	Difficulty DifficultyMethod
}

// HashpriceWith computes the hashprice with q's method.
func (s *Service) HashpriceWith(ctx context.Context, q HashpriceQuery) (*Hashprice, error) {
	if err := CheckOverrides(q.Market); err != nil {
		return nil, err
	}
	st, err := s.State(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.hashpriceFrom(st, q.Market)
	if err != nil {
		return nil, err
	}
	h.setMethod(st, q.Window, q.Difficulty, q.Market)
	if q.Difficulty != DifficultyRealised {
		return h, nil
	}
	w := st.Window
	if w == nil || w.Blocks < 1 || !(w.WorkHashes > 0) {
		return nil, hashlab.Invalid("difficulty_method", string(DifficultyRealised),
			fmt.Sprintf("in-force with source %s: the realised difficulty needs a source that reads the window's blocks with their fees (node, or db with ingested blocks)", h.Source))
	}
	if q.Market.Difficulty != nil || q.Market.Bits != nil || q.Market.FeesPerBlock != nil {
		return nil, hashlab.Invalid("difficulty_method", string(DifficultyRealised), "in-force when --difficulty, --bits or --fees-btc is given (the realised method uses the blocks' own)")
	}
	r := &Realised{Blocks: w.Blocks, FromHeight: w.FromHeight, ToHeight: w.ToHeight, RewardSats: w.RewardSats, WorkHashes: w.WorkHashes}
	r.BTCPerPHDay = w.RewardSats.BTC() / w.WorkHashes * 1e15 * 86400
	r.USDPerPHDay = r.BTCPerPHDay * h.Result.PriceUSD
	if w.SpanSec > 0 {
		span := w.SpanSec
		iv := float64(span) / float64(w.Blocks)
		hr := w.WorkHashes / float64(span)
		r.SpanSec, r.MeanBlockIntervalSec, r.HashrateHs = &span, &iv, &hr
	}
	h.Realised = r
	h.Result.BTCPerPHDay = r.BTCPerPHDay
	h.Result.SatsPerPHDay = r.BTCPerPHDay * consensus.SatsPerBTC
	h.Result.USDPerPHDay = r.USDPerPHDay
	h.Result.USDPerTHDay = r.USDPerPHDay / 1000
	h.refreshBreakeven()
	return h, nil
}

// setMethod fills the method and the fee window of h from the state.
func (h *Hashprice) setMethod(st *netstate.State, w FeeWindow, d DifficultyMethod, o Overrides) {
	if w.Blocks == 0 && w.Duration == 0 {
		w.Blocks = DefaultFeeWindowBlocks
	}
	if d == "" {
		d = DifficultyInForce
	}
	h.Method = HashpriceMethod{FeeWindow: w.String(), Difficulty: d}
	switch {
	case o.FeesPerBlock != nil:
		h.Method.Fees = "given (--fees-btc)"
	case st.Fees.Blocks > 0:
		n, from, to := st.Fees.Blocks, st.Fees.FromHeight, st.Fees.ToHeight
		h.FeeWindowBlocks, h.FeeWindowFromHeight, h.FeeWindowToHeight = &n, &from, &to
		if w.Duration > 0 {
			h.Method.Fees = fmt.Sprintf("mean of the %d blocks of the last %s before the tip", n, w.Duration)
		} else {
			h.Method.Fees = fmt.Sprintf("mean of the last %d blocks", n)
		}
	default:
		what := st.Fees.Source
		if st.Fees.Detail != "" {
			what = st.Fees.Detail
		}
		h.Method.Fees = "a single dated value (" + what + "), not a window of blocks"
	}
}
