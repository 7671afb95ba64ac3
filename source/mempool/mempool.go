package mempool

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source"
)

// Name is the source's name in Provenance and errors.
const Name = "mempool"

// DefaultBaseURL is the public instance's API root.
const DefaultBaseURL = "https://mempool.space/api"

// DefaultFeeWindowBlocks is the number of recent blocks whose fees are
// averaged: 144, about one day, the Hashrate Index convention.
const DefaultFeeWindowBlocks = 144

// MaxFeeWindowBlocks bounds the window (one retarget period; 135 pages
// of 15 blocks).
const MaxFeeWindowBlocks = 2016

// Config configures a Source. The zero value asks the public instance
// about mainnet with a 144-block fee window.
type Config struct {
	// BaseURL is the API root, e.g. "https://mempool.space/api" or
	// "http://umbrel.local:3006/api"; "" means DefaultBaseURL.
	BaseURL string
	// FeeWindowBlocks is how many recent blocks' fees are averaged
	// (1..MaxFeeWindowBlocks); 0 means DefaultFeeWindowBlocks.
	FeeWindowBlocks int
	// Params is the network the instance serves; nil means mainnet.
	Params *consensus.Params
	// HTTP is the client used; nil means one with source.DefaultTimeout.
	HTTP *http.Client
	// NoPrice makes State leave Price nil instead of asking /v1/prices
	// (for a self-hosted instance run without price feeds). By default a
	// failing price fails State: nothing is silently left out.
	NoPrice bool
	// Now is the clock, used only to leave the current, incomplete UTC day
	// out of DailyCloses; nil means time.Now.
	Now func() time.Time
}

// Source is a mempool.space-compatible REST API. It is safe for
// concurrent use; it remembers the highest tip it has seen, to refuse a
// tip that goes backwards.
type Source struct {
	base    string
	window  int64
	params  *consensus.Params
	noPrice bool
	now     func() time.Time
	c       source.Client

	mu         sync.Mutex
	lastHeight int64
}

var (
	_ netstate.Source      = (*Source)(nil)
	_ netstate.PriceSource = (*Source)(nil)
	_ source.DailyCloser   = (*Source)(nil)
)

// New returns a Source for cfg. A bad base URL or window is a
// *hashlab.InputError naming "mempool_url" or "fee_window_blocks".
func New(cfg Config) (*Source, error) {
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := source.ParseBaseURL(raw)
	if err != nil {
		return nil, hashlab.Invalidf("mempool_url", source.Redact(raw), "an http or https API root such as "+DefaultBaseURL, err)
	}
	w := cfg.FeeWindowBlocks
	if w == 0 {
		w = DefaultFeeWindowBlocks
	}
	if w < 1 || w > MaxFeeWindowBlocks {
		return nil, hashlab.Invalid("fee_window_blocks", cfg.FeeWindowBlocks, fmt.Sprintf("1 to %d blocks", MaxFeeWindowBlocks))
	}
	p := cfg.Params
	if p == nil {
		p = consensus.MainNet
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Source{base: base, window: int64(w), params: p, noPrice: cfg.NoPrice, now: now,
		c: source.Client{Source: Name, HTTP: cfg.HTTP}}, nil
}

// Name returns "mempool".
func (s *Source) Name() string { return Name }

// BaseURL returns the API root without credentials, as Provenance.Detail.
func (s *Source) BaseURL() string { return source.Redact(s.base) }

// block is the documented block object of /block/:hash and, with
// extras, of /v1/blocks/:startHeight.
type block struct {
	ID         string   `json:"id"`
	Height     *int64   `json:"height"`
	Timestamp  *int64   `json:"timestamp"`
	Bits       *uint32  `json:"bits"`
	Difficulty *float64 `json:"difficulty"`
	Extras     *struct {
		TotalFees *int64 `json:"totalFees"`
	} `json:"extras"`
}

var hashRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (s *Source) prov(asOf time.Time) netstate.Provenance {
	return netstate.Provenance{Source: Name, Detail: s.BaseURL(), AsOf: asOf.UTC()}
}

// State returns the network state now: the tip (/blocks/tip/height,
// /blocks/tip/hash, /block/:hash), the epoch of the next block with its
// first block's height and time and the bits in force
// (/v1/difficulty-adjustment, /block-height/:height), the mean fees per
// block over the last FeeWindowBlocks blocks (extras.totalFees of
// /v1/blocks/:startHeight, in satoshis, rounded to the nearest satoshi)
// and, unless NoPrice, the price (/v1/prices).
//
// It fails with a *source.Error (never a partial State) on a timeout, a
// 429 or 5xx answer, malformed JSON, a tip height that went backwards
// since the last call, a difficulty that disagrees with the bits, a price
// of 0 or less, or endpoints that disagree with each other.
func (s *Source) State(ctx context.Context) (*netstate.State, error) {
	tip, tb, err := s.tip(ctx)
	if err != nil {
		return nil, err
	}
	ep, err := s.epoch(ctx, tip, tb)
	if err != nil {
		return nil, err
	}
	fees, err := s.fees(ctx, tip)
	if err != nil {
		return nil, err
	}
	st := &netstate.State{Network: s.params.Name, Tip: tip, Epoch: ep, Fees: fees}
	if !s.noPrice {
		p, err := s.Price(ctx)
		if err != nil {
			return nil, err
		}
		st.Price = p
	}
	return st, nil
}

// Tip returns the newest block: its height from /blocks/tip/height, its
// hash from /blocks/tip/hash and its time from /block/:hash. When a block
// arrives between those calls it asks once more; endpoints that still
// disagree are an ErrImplausible error. A height lower than one this
// Source has already returned is an ErrImplausible error too.
func (s *Source) Tip(ctx context.Context) (netstate.Tip, error) {
	t, _, err := s.tip(ctx)
	return t, err
}

func (s *Source) tip(ctx context.Context) (netstate.Tip, *block, error) {
	var (
		tip   netstate.Tip
		b     *block
		raced bool
		err   error
	)
	for range 2 {
		tip, b, raced, err = s.tipOnce(ctx)
		if !raced {
			break
		}
	}
	if err != nil {
		return netstate.Tip{}, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if tip.Height < s.lastHeight {
		return netstate.Tip{}, nil, s.c.Fail(s.base+"/blocks/tip/height", source.ErrImplausible,
			"tip height went backwards from %d to %d (is a lagging or different instance behind this URL?)", s.lastHeight, tip.Height)
	}
	s.lastHeight = tip.Height
	return tip, b, nil
}

// tipOnce reads the tip once; raced reports a disagreement that a block
// arriving between the calls explains.
func (s *Source) tipOnce(ctx context.Context) (tip netstate.Tip, b *block, raced bool, err error) {
	hURL := s.base + "/blocks/tip/height"
	ht, err := s.c.GetText(ctx, hURL)
	if err != nil {
		return tip, nil, false, err
	}
	height, perr := strconv.ParseInt(ht, 10, 64)
	if perr != nil || height < 0 {
		return tip, nil, false, s.c.Fail(hURL, source.ErrMalformed, "tip height %q is not a non-negative integer", clip(ht))
	}
	hashURL := s.base + "/blocks/tip/hash"
	hash, err := s.c.GetText(ctx, hashURL)
	if err != nil {
		return tip, nil, false, err
	}
	if !hashRe.MatchString(hash) {
		return tip, nil, false, s.c.Fail(hashURL, source.ErrMalformed, "tip hash %q is not 64 lowercase hex digits", clip(hash))
	}
	b, err = s.block(ctx, hash)
	if err != nil {
		return tip, nil, false, err
	}
	if *b.Height != height {
		return tip, nil, true, s.c.Fail(s.base+"/block/"+hash, source.ErrImplausible,
			"tip hash's block is at height %d but /blocks/tip/height said %d", *b.Height, height)
	}
	t := time.Unix(*b.Timestamp, 0).UTC()
	return netstate.Tip{Height: height, Hash: hash, Time: t, Provenance: s.prov(t)}, b, false, nil
}

// block fetches /block/:hash and checks the documented fields this
// package reads, and that the difficulty agrees with the bits.
func (s *Source) block(ctx context.Context, hash string) (*block, error) {
	u := s.base + "/block/" + hash
	var b block
	if _, err := s.c.GetJSON(ctx, u, &b); err != nil {
		return nil, err
	}
	if err := s.checkBlock(u, &b); err != nil {
		return nil, err
	}
	if b.ID != hash {
		return nil, s.c.Fail(u, source.ErrImplausible, "asked for block %s, got %s", hash, clip(b.ID))
	}
	return &b, nil
}

func (s *Source) checkBlock(u string, b *block) error {
	switch {
	case b.Height == nil:
		return s.c.Fail(u, source.ErrMalformed, "block has no height")
	case b.Timestamp == nil:
		return s.c.Fail(u, source.ErrMalformed, "block %d has no timestamp", *b.Height)
	case b.Bits == nil:
		return s.c.Fail(u, source.ErrMalformed, "block %d has no bits", *b.Height)
	case b.Difficulty == nil:
		return s.c.Fail(u, source.ErrMalformed, "block %d has no difficulty", *b.Height)
	}
	bits := consensus.Bits(*b.Bits)
	if _, err := consensus.TargetFromBits(bits, s.params.PowLimit); err != nil {
		e := s.c.Fail(u, source.ErrImplausible, "block %d has bits %s, not a valid %s target", *b.Height, bits, s.params.Name)
		e.Err = err
		return e
	}
	want := consensus.Difficulty(bits)
	if d := *b.Difficulty; math.IsNaN(d) || math.Abs(d-want) > 1e-9*want {
		return s.c.Fail(u, source.ErrImplausible, "block %d has difficulty %v but its bits %s give %v", *b.Height, d, bits, want)
	}
	return nil
}

// blockAt fetches the block at height through /block-height/:height.
func (s *Source) blockAt(ctx context.Context, height int64) (*block, error) {
	u := s.base + "/block-height/" + strconv.FormatInt(height, 10)
	hash, err := s.c.GetText(ctx, u)
	if err != nil {
		return nil, err
	}
	if !hashRe.MatchString(hash) {
		return nil, s.c.Fail(u, source.ErrMalformed, "block hash %q is not 64 lowercase hex digits", clip(hash))
	}
	b, err := s.block(ctx, hash)
	if err != nil {
		return nil, err
	}
	if *b.Height != height {
		return nil, s.c.Fail(s.base+"/block/"+hash, source.ErrImplausible, "block-height %d answered a block at height %d", height, *b.Height)
	}
	return b, nil
}

// difficultyAdjustment is the documented answer of
// /v1/difficulty-adjustment (the fields read here).
type difficultyAdjustment struct {
	NextRetargetHeight *int64 `json:"nextRetargetHeight"`
	RemainingBlocks    *int64 `json:"remainingBlocks"`
}

// epoch returns the epoch the block after tip belongs to. The next
// retarget height comes from /v1/difficulty-adjustment and must agree
// with the tip; the epoch's first block (height and time) from
// /block-height/:height. The bits in force are the first block's bits; when
// the next block starts a new epoch they are computed exactly as Core's
// retarget from the ending epoch (consensus.NextBits) and FirstTime is
// zero (that block does not exist yet).
func (s *Source) epoch(ctx context.Context, tip netstate.Tip, tb *block) (netstate.Epoch, error) {
	u := s.base + "/v1/difficulty-adjustment"
	var da difficultyAdjustment
	if _, err := s.c.GetJSON(ctx, u, &da); err != nil {
		return netstate.Epoch{}, err
	}
	if da.NextRetargetHeight == nil {
		return netstate.Epoch{}, s.c.Fail(u, source.ErrMalformed, "no nextRetargetHeight")
	}
	interval := s.params.RetargetInterval()
	want := tip.Height - tip.Height%interval + interval
	if *da.NextRetargetHeight != want {
		return netstate.Epoch{}, s.c.Fail(u, source.ErrImplausible,
			"nextRetargetHeight %d disagrees with tip %d (expected %d; a block may have arrived mid-read, ask again)", *da.NextRetargetHeight, tip.Height, want)
	}
	next := tip.Height + 1
	first := next - next%interval
	tipBits := consensus.Bits(*tb.Bits)
	if first == next {
		// The next block opens a new epoch: its bits follow from the
		// ending epoch, whose first block is interval blocks back.
		var prevFirstTime int64
		if first >= interval {
			pf, err := s.blockAt(ctx, first-interval)
			if err != nil {
				return netstate.Epoch{}, err
			}
			prevFirstTime = *pf.Timestamp
		}
		bits, err := consensus.NextBits(tipBits, prevFirstTime, *tb.Timestamp, s.params)
		if err != nil {
			e := s.c.Fail(u, source.ErrImplausible, "cannot compute the bits of the epoch starting at %d", first)
			e.Err = err
			return netstate.Epoch{}, e
		}
		return netstate.Epoch{FirstHeight: first, Bits: bits, Provenance: s.prov(tip.Time)}, nil
	}
	fb, err := s.blockAt(ctx, first)
	if err != nil {
		return netstate.Epoch{}, err
	}
	bits := consensus.Bits(*fb.Bits)
	if !s.params.AllowMinDifficultyBlocks && bits != tipBits {
		return netstate.Epoch{}, s.c.Fail(s.base+"/block/"+tip.Hash, source.ErrImplausible,
			"tip %d has bits %s but its epoch's first block %d has %s", tip.Height, tipBits, first, bits)
	}
	return netstate.Epoch{FirstHeight: first, FirstTime: time.Unix(*fb.Timestamp, 0).UTC(), Bits: bits, Provenance: s.prov(tip.Time)}, nil
}

// fees averages extras.totalFees over the last window blocks ending at
// the tip, reading /v1/blocks/:startHeight pages (each the start height
// and the blocks below it) until the window is full. The first page
// must contain the tip's hash, and heights must follow one another.
func (s *Source) fees(ctx context.Context, tip netstate.Tip) (netstate.Fees, error) {
	n := min(s.window, tip.Height+1)
	var sum int64
	got := int64(0)
	for got < n {
		h := tip.Height - got
		u := s.base + "/v1/blocks/" + strconv.FormatInt(h, 10)
		var page []block
		if _, err := s.c.GetJSON(ctx, u, &page); err != nil {
			return netstate.Fees{}, err
		}
		if len(page) == 0 {
			return netstate.Fees{}, s.c.Fail(u, source.ErrMalformed, "no blocks from height %d", h)
		}
		for i := range page {
			if got == n {
				break
			}
			b := &page[i]
			want := tip.Height - got
			if b.Height == nil || *b.Height != want {
				return netstate.Fees{}, s.c.Fail(u, source.ErrMalformed, "expected block %d at position %d of the page, got %s", want, i, heightOf(b))
			}
			if want == tip.Height && b.ID != tip.Hash {
				return netstate.Fees{}, s.c.Fail(u, source.ErrImplausible, "block %d is %s here but the tip was %s (a reorganisation mid-read? ask again)", want, clip(b.ID), tip.Hash)
			}
			if b.Extras == nil || b.Extras.TotalFees == nil {
				return netstate.Fees{}, s.c.Fail(u, source.ErrMalformed, "block %d has no extras.totalFees (does this instance index mining data?)", want)
			}
			f := *b.Extras.TotalFees
			if f < 0 || f > maxSats {
				return netstate.Fees{}, s.c.Fail(u, source.ErrImplausible, "block %d has totalFees %d sats (allowed: 0 to 21,000,000 BTC)", want, f)
			}
			sum += f
			got++
		}
	}
	mean := (sum + n/2) / n
	return netstate.Fees{PerBlock: consensus.Sats(mean), Blocks: n, FromHeight: tip.Height - n + 1, ToHeight: tip.Height, Provenance: s.prov(tip.Time)}, nil
}

func heightOf(b *block) string {
	if b.Height == nil {
		return "a block without height"
	}
	return strconv.FormatInt(*b.Height, 10)
}

// maxSats is 21,000,000 BTC: no block's fees can exceed it (and a sum
// of 2016 such values cannot overflow int64).
const maxSats = 21_000_000 * consensus.SatsPerBTC

// prices is the documented answer of /v1/prices (the USD field read
// here) and one entry of /v1/historical-price's "prices".
type prices struct {
	Time *int64   `json:"time"`
	USD  *float64 `json:"USD"`
}

// Price returns the instance's BTC price in USD from /v1/prices, with
// its "time" as as_of and itself as the one quote (pair "BTC/USD"). A
// price of 0 or less, or a missing time, is an error: a self-hosted
// instance without price feeds answers zeros.
func (s *Source) Price(ctx context.Context) (*netstate.Price, error) {
	u := s.base + "/v1/prices"
	var p prices
	if _, err := s.c.GetJSON(ctx, u, &p); err != nil {
		return nil, err
	}
	if p.USD == nil || p.Time == nil {
		return nil, s.c.Fail(u, source.ErrMalformed, "no USD or time field")
	}
	if err := s.c.CheckUSD(u, "USD price", *p.USD); err != nil {
		return nil, err
	}
	if *p.Time <= 0 {
		return nil, s.c.Fail(u, source.ErrImplausible, "price time %d (allowed: a Unix time > 0)", *p.Time)
	}
	t := time.Unix(*p.Time, 0).UTC()
	return &netstate.Price{
		USD:        *p.USD,
		Quotes:     []netstate.Quote{{Exchange: Name, Pair: "BTC/USD", USD: *p.USD, Time: t}},
		Provenance: s.prov(t),
	}, nil
}

// DailyCloses returns one close per UTC day from since's day through
// yesterday (the current day is not over), from
// /v1/historical-price?currency=USD: for each day, the last price
// mempool recorded in it. Days mempool has no price for are absent. A
// price of 0 or less within the range is an ErrImplausible error naming
// the day.
func (s *Source) DailyCloses(ctx context.Context, since time.Time) ([]source.DailyClose, error) {
	u := s.base + "/v1/historical-price?currency=USD"
	var h struct {
		Prices *[]prices `json:"prices"`
	}
	if _, err := s.c.GetJSON(ctx, u, &h); err != nil {
		return nil, err
	}
	if h.Prices == nil {
		return nil, s.c.Fail(u, source.ErrMalformed, "no prices array")
	}
	from, today := source.Day(since), source.Day(s.now())
	type last struct {
		t   int64
		usd float64
	}
	byDay := map[string]last{}
	for i, p := range *h.Prices {
		if p.Time == nil || p.USD == nil {
			return nil, s.c.Fail(u, source.ErrMalformed, "prices[%d] has no time or USD", i)
		}
		d := source.Day(time.Unix(*p.Time, 0))
		if d < from || d >= today {
			continue
		}
		if err := s.c.CheckUSD(u, "USD price of "+d, *p.USD); err != nil {
			return nil, err
		}
		if l, ok := byDay[d]; !ok || *p.Time >= l.t {
			byDay[d] = last{*p.Time, *p.USD}
		}
	}
	out := make([]source.DailyClose, 0, len(byDay))
	for d, l := range byDay {
		out = append(out, source.DailyClose{Day: d, USD: l.usd, Source: Name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
