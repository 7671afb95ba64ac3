// Package netstate defines the network state "now" that every command,
// the API and the dashboard start from, and the small interface a source
// of it implements. Each value carries its provenance: the source that
// gave it and the time it is true as of. Sources are adapters (the
// embedded snapshot, the chain store, a node's JSON-RPC, a
// mempool-compatible REST API, exchanges' tickers); this package only
// defines the shapes and does no I/O.
package netstate

import (
	"context"
	"time"

	"github.com/hashlab/hashlab/consensus"
)

// Provenance says where a value came from and when it was true.
type Provenance struct {
	// Source is the source's kind: "snapshot", "db", "node", "mempool",
	// an exchange's name, or "flag" for a value the user gave.
	Source string `json:"source"`
	// Detail names the instance: a URL (never with credentials), a
	// database path, or the snapshot's description.
	Detail string `json:"detail,omitempty"`
	// AsOf is when the value was true (a block's header time, a ticker's
	// timestamp), in UTC.
	AsOf time.Time `json:"as_of"`
}

// Tip is the newest block a source knows.
type Tip struct {
	Height int64     `json:"height"`
	Hash   string    `json:"hash,omitempty"` // display order hex; empty when the source does not give it
	Time   time.Time `json:"time"`           // header time
	Provenance
}

// Epoch is the difficulty epoch the next block belongs to.
type Epoch struct {
	// FirstHeight is the height of the epoch's first block.
	FirstHeight int64 `json:"first_height"`
	// FirstTime is that block's header time; zero when unknown.
	FirstTime time.Time `json:"first_time"`
	// Bits is the nBits in force for the next block.
	Bits consensus.Bits `json:"bits"`
	Provenance
}

// Fees is the average fees per block over a window of recent blocks.
type Fees struct {
	PerBlock consensus.Sats `json:"per_block_sats"`
	// Blocks is the number of blocks averaged (0 when the value is a
	// reference assumption, as in the embedded snapshot).
	Blocks int64 `json:"window_blocks"`
	// FromHeight..ToHeight is the window, inclusive; zero when Blocks is 0.
	FromHeight int64 `json:"from_height,omitempty"`
	ToHeight   int64 `json:"to_height,omitempty"`
	Provenance
}

// Quote is one exchange's (or API's) answer for the BTC price.
type Quote struct {
	Exchange string    `json:"exchange"`
	Pair     string    `json:"pair"`
	USD      float64   `json:"usd"`
	Time     time.Time `json:"time"`
}

// Price is the BTC price in USD. When several quotes were asked it is
// their median, like the Hashrate Index's three-exchange price.
type Price struct {
	USD    float64 `json:"usd"`
	Quotes []Quote `json:"quotes,omitempty"`
	Provenance
}

// State is the network state now, from one source (single values may be
// overridden by the user, which their Provenance then says).
type State struct {
	Network string `json:"network"`
	Tip     Tip    `json:"tip"`
	Epoch   Epoch  `json:"epoch"`
	Fees    Fees   `json:"fees"`
	// Price is nil when the source has no price (a node).
	Price *Price `json:"price"`
	// Overridden lists the values the user replaced by flags or
	// parameters ("price", "fees", "difficulty", "height").
	Overridden []string `json:"overridden,omitempty"`
	// Window sums the fee window's blocks, for the realised-difficulty
	// hashprice; nil when the source does not read single blocks (the
	// snapshot, mempool).
	Window *Window `json:"window,omitempty"`
}

// Window is what the blocks of the fee window paid and cost: the blocks
// FromHeight..ToHeight, all with known fees.
type Window struct {
	Blocks     int64 `json:"blocks"`
	FromHeight int64 `json:"from_height"`
	ToHeight   int64 `json:"to_height"`
	// SpanSec is the time the window's blocks took: the header time of
	// ToHeight minus that of FromHeight-1 (seconds; > 0 when known, 0
	// when not).
	SpanSec int64 `json:"span_sec"`
	// RewardSats is the subsidy plus fees the window's blocks paid.
	RewardSats consensus.Sats `json:"reward_sats"`
	// FeesSats is the fees alone.
	FeesSats consensus.Sats `json:"fees_sats"`
	// WorkHashes is the expected number of hashes behind the window's
	// blocks: the sum of difficulty(bits)·2^32 over them.
	WorkHashes float64 `json:"work_hashes"`
}

// Source answers the network state now. Implementations are adapters;
// they return an error naming the source, its URL and why when they
// cannot answer, and never a partially filled State.
type Source interface {
	// Name is the source's kind, as Provenance.Source.
	Name() string
	State(ctx context.Context) (*State, error)
}

// PriceSource answers the BTC price now.
type PriceSource interface {
	Name() string
	Price(ctx context.Context) (*Price, error)
}

// Age is how old the state's tip is at now; never negative.
func (s *State) Age(now time.Time) time.Duration {
	d := now.Sub(s.Tip.Time)
	if d < 0 {
		return 0
	}
	return d
}
