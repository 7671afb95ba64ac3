package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/pool"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/snapshot"
)

// DefaultLuckConfidence is the coverage of the luck bands.
const DefaultLuckConfidence = 0.95

// coverSlackSec is how far before a day's end the last block read may
// be for the blocks to count as covering the day: two hours, the
// tolerance of header times.
const coverSlackSec = 2 * 3600

// timelineLeadSec is how far before the first day blocks are read to find
// the difficulty in force at its start: longer than any epoch since 2013.
const timelineLeadSec = 60 * 86400

// BlocksByTime calls fn for every block whose header time t has
// from <= t < to, ascending by height: history.BlockReader's method (the
// chain store), or a blocks CSV read by the CLI.
type BlocksByTime func(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error

// PoolLuckRequest is a whole pool's luck question.
type PoolLuckRequest struct {
	// Pool is the pool's slug in the blocks (e.g. "foundryusa").
	Pool string
	// Hashrate is the pool's reported hashrate per UTC day.
	Hashrate []pool.DayHashrate
	// From and To restrict the days (YYYY-MM-DD, inclusive; "" = all).
	From, To   string
	Every      pool.Period
	Confidence float64
	// BlocksSource names where the blocks came from, for the answer.
	BlocksSource string
	// BlocksSpan, when set, gives the header times of the first and last
	// of all the blocks (ok false when there is none): when the blocks do
	// not cover the hashrate file's days and From/To were not given, the
	// error says what they cover.
	BlocksSpan func(ctx context.Context) (first, last int64, ok bool, err error)
}

// BlocksField is the field of the *hashlab.InputError PoolLuck returns
// when the blocks do not cover the hashrate file's days and no From/To
// asked for them: the caller names its source of blocks (a flag and its
// path), and may complete Allowed ("blocks over the hashrate file's
// days ...") with what that source is.
const BlocksField = "blocks"

// PoolLuckAnswer is a pool's luck with what it rests on.
type PoolLuckAnswer struct {
	pool.LuckReport
	BlocksSource string `json:"blocks_source"`
	// Definition states the formula.
	Definition string `json:"definition"`
}

// luckDefinition is the formula, as the answer states it.
const luckDefinition = "expected blocks = Σ reported hashrate × seconds / (D × 2^32) over each UTC day, D from the nBits in force (epoch table by height, switching at the header time of each epoch's first block); luck = blocks / expected; bands exact Poisson (Garwood interval for the luck; central Poisson(λ) band of k/λ at luck 1)"

// bitsAt returns the nBits of a height from the embedded epoch table.
func bitsAt(epochs []snapshot.Epoch, h int64) consensus.Bits {
	i := sort.Search(len(epochs), func(i int) bool { return epochs[i].LastHeight >= h })
	if i < len(epochs) && epochs[i].FirstHeight <= h {
		return consensus.Bits(epochs[i].Bits)
	}
	return 0
}

// PoolLuck compares a pool's blocks with its reported hashrate.
func (s *Service) PoolLuck(ctx context.Context, blocks BlocksByTime, req PoolLuckRequest) (*PoolLuckAnswer, error) {
	if req.Pool == "" {
		return nil, hashlab.Invalid("pool", "", "a pool slug as the blocks name it, e.g. foundryusa")
	}
	if req.Confidence == 0 {
		req.Confidence = DefaultLuckConfidence
	}
	if req.Every == "" {
		req.Every = pool.Whole
	}
	days, err := filterDays(req.Hashrate, req.From, req.To)
	if err != nil {
		return nil, err
	}
	first, _ := time.Parse(time.DateOnly, days[0].Date)
	last, _ := time.Parse(time.DateOnly, days[len(days)-1].Date)
	from, to := first.Unix(), last.Unix()+86400
	tl, times, _, err := s.readBlocks(ctx, blocks, from, to, req.Pool)
	if ie, ok := hashlab.AsInput(err); ok && (ie.Field == "from" && req.From == "" || ie.Field == "to" && req.To == "") {
		// The user chose no day: the days are the hashrate file's, and
		// what falls short is the blocks.
		return nil, s.blocksShort(ctx, req, days)
	}
	if err != nil {
		return nil, err
	}
	rep, err := pool.PoolLuck(pool.LuckInputs{Pool: req.Pool, Days: days, BlockTimes: times, Timeline: tl, Every: req.Every, Confidence: req.Confidence})
	if err != nil {
		return nil, err
	}
	return &PoolLuckAnswer{LuckReport: rep, BlocksSource: req.BlocksSource, Definition: luckDefinition}, nil
}

// blocksShort is the error of blocks that do not cover the days of the
// hashrate file (days, after From/To) when no From/To asked for them.
func (s *Service) blocksShort(ctx context.Context, req PoolLuckRequest, days []pool.DayHashrate) error {
	cover := "the hashrate file covers " + days[0].Date + " .. " + days[len(days)-1].Date
	if req.BlocksSpan != nil {
		first, last, ok, err := req.BlocksSpan(ctx)
		switch {
		case err != nil:
			return err
		case !ok:
			cover = "there are no blocks, " + cover
		default:
			cover = "the blocks cover " + time.Unix(first, 0).UTC().Format(time.DateOnly) + " .. " + time.Unix(last, 0).UTC().Format(time.DateOnly) + ", " + cover
		}
	}
	return hashlab.Invalidf(BlocksField, "", "blocks over the hashrate file's days, from an epoch before the first to the end of the last (or from/to days inside the blocks')", errors.New(cover))
}

// dayFees sums the own fees of a day's blocks ingested from a node.
type dayFees struct {
	sum    consensus.Sats
	blocks int64
}

// readBlocks reads the blocks of [from-lead, to): the difficulty
// timeline from every block, the header times of pool's blocks inside
// [from, to), and per UTC day the fees of the blocks ingested from a node
// (their own, from the coinbase; under-claimers left out).
func (s *Service) readBlocks(ctx context.Context, blocks BlocksByTime, from, to int64, slug string) (pool.Timeline, []int64, map[string]dayFees, error) {
	epochs := snapshot.Epochs()
	var tl pool.Timeline
	var times []int64
	var last int64
	fees := map[string]dayFees{}
	err := blocks(ctx, from-timelineLeadSec, to, func(b chain.BlockRecord) error {
		last = max(last, b.Time)
		if b.Time >= from && b.Source == "rpc" && !b.UnderClaimed {
			d := time.Unix(b.Time, 0).UTC().Format(time.DateOnly)
			f := fees[d]
			f.sum += b.FeesSats
			f.blocks++
			fees[d] = f
		}
		bits := b.Bits
		if bits == 0 {
			bits = bitsAt(epochs, b.Height)
		}
		if bits == 0 {
			return fmt.Errorf("service: no nBits for block %d (neither in the blocks nor in the embedded epoch table)", b.Height)
		}
		tl = tl.Observe(b.Time, bits, consensus.BlockSubsidy(b.Height, s.params))
		if b.Time >= from && b.Pool == slug {
			times = append(times, b.Time)
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	if len(tl) == 0 || tl[0].FromUnix > from {
		return nil, nil, nil, hashlab.Invalid("from", time.Unix(from, 0).UTC().Format(time.DateOnly), "a day after the first block read plus its epoch (the blocks must start at least one epoch earlier)")
	}
	// A day after the last block would count no blocks against a full
	// day of expected ones. Header times may run up to two hours ahead.
	if to > last+coverSlackSec {
		return nil, nil, nil, hashlab.Invalid("to", time.Unix(to-86400, 0).UTC().Format(time.DateOnly),
			"a day the blocks cover to its end (the last block read is at "+time.Unix(last, 0).UTC().Format("2006-01-02 15:04 UTC")+")")
	}
	return tl, times, fees, nil
}

// filterDays keeps the days in [from, to] (dates, inclusive).
func filterDays(in []pool.DayHashrate, from, to string) ([]pool.DayHashrate, error) {
	for _, f := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if f.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, f.v); err != nil {
			return nil, hashlab.Invalid(f.name, f.v, "a UTC date YYYY-MM-DD")
		}
	}
	var out []pool.DayHashrate
	for _, d := range in {
		if (from == "" || d.Date >= from) && (to == "" || d.Date <= to) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, hashlab.Invalid("from/to", from+".."+to, "a range holding at least one day of the hashrate file")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	for _, d := range out {
		if _, err := time.Parse(time.DateOnly, d.Date); err != nil {
			return nil, hashlab.Invalid("date", d.Date, "a UTC date YYYY-MM-DD")
		}
	}
	return out, nil
}

// PoolAuditRequest is an account export and the audit's assumptions.
type PoolAuditRequest struct {
	Days    []pool.AccountDay
	Scheme  pool.Scheme
	PoolFee float64
	// FeesPerBlock are daily mean fees per block (e.g. from the chain
	// store); days without one take DefaultFeesPerBlock.
	FeesPerBlock        map[string]consensus.Sats
	DefaultFeesPerBlock consensus.Sats
	// FeesParam names the input that gives DefaultFeesPerBlock
	// ("--fees-btc" on the command line, "fees_btc" in the API), and
	// FeesGiven says whether it was given (else DefaultFeesPerBlock is
	// the snapshot's reference assumption). FeesFrom names where
	// FeesPerBlock came from (e.g. the database's path). The service
	// labels the fees' source from these, the same for every face.
	FeesParam      string
	FeesGiven      bool
	FeesFrom       string
	PoolHashrateHs float64
	Confidence     float64
	// Blocks, when set, give the difficulty timeline from the blocks;
	// nil uses the embedded epoch table (halvings interpolated in time).
	Blocks BlocksByTime
}

// PoolAuditAnswer is the audit with where its inputs came from.
type PoolAuditAnswer struct {
	pool.Audit
	FeesSource       string `json:"fees_source"`
	DifficultySource string `json:"difficulty_source"`
}

// PoolAudit audits an account's payouts against the scheme's expected
// payout from each day's hashvalue.
func (s *Service) PoolAudit(ctx context.Context, req PoolAuditRequest) (*PoolAuditAnswer, error) {
	if req.Confidence == 0 {
		req.Confidence = DefaultLuckConfidence
	}
	if len(req.Days) == 0 {
		return nil, hashlab.Invalid("export", "no days", "at least one day")
	}
	feesSource := poolAuditFeesSource(req)
	lo, hi := req.Days[0].Date, req.Days[0].Date
	for _, d := range req.Days {
		lo, hi = min(lo, d.Date), max(hi, d.Date)
	}
	var tl pool.Timeline
	diffSource := "embedded epoch table (nBits per epoch from its first block's time; a halving inside an epoch interpolated in time)"
	if req.Blocks != nil {
		first, err := time.Parse(time.DateOnly, lo)
		if err != nil {
			return nil, hashlab.Invalid("date", lo, "a UTC date YYYY-MM-DD")
		}
		last, err := time.Parse(time.DateOnly, hi)
		if err != nil {
			return nil, hashlab.Invalid("date", hi, "a UTC date YYYY-MM-DD")
		}
		var own map[string]dayFees
		if tl, _, own, err = s.readBlocks(ctx, req.Blocks, first.Unix(), last.Unix()+86400, "\x00"); err != nil {
			return nil, err
		}
		diffSource = "the blocks' nBits, switching at each epoch's first block"
		if len(own) > 0 {
			// The blocks' own fees (ingested from a node) come first.
			merged := make(map[string]consensus.Sats, len(req.FeesPerBlock)+len(own))
			for d, f := range req.FeesPerBlock {
				merged[d] = f
			}
			for d, f := range own {
				merged[d] = f.sum / consensus.Sats(f.blocks)
			}
			req.FeesPerBlock = merged
			feesSource = fmt.Sprintf("the mean own fees of the node-ingested blocks on %d days; %s", len(own), feesSource)
		}
	} else {
		var es []pool.EpochTimes
		known := snapshot.Default().AsOf.Unix() // the snapshot's tip: the table's bits are known to here
		for _, e := range snapshot.Epochs() {
			es = append(es, pool.EpochTimes{FirstHeight: e.FirstHeight, LastHeight: e.LastHeight, Bits: consensus.Bits(e.Bits), FirstTime: e.FirstTime, LastTime: e.LastTime})
			known = max(known, e.LastTime)
		}
		tl = pool.TimelineFromEpochs(es, s.params)
		if end, _ := time.Parse(time.DateOnly, hi); end.Unix()+86400 > known+coverSlackSec {
			return nil, hashlab.Invalid("date", hi, "a day the embedded epoch table covers to its end (to "+time.Unix(known, 0).UTC().Format("2006-01-02 15:04 UTC")+"); give --blocks or --db for later days")
		}
	}
	a, err := pool.AuditAccount(pool.AuditInputs{
		Days: req.Days, Scheme: req.Scheme, PoolFee: req.PoolFee, FeesPerBlock: req.FeesPerBlock,
		DefaultFeesPerBlock: req.DefaultFeesPerBlock, Timeline: tl, Confidence: req.Confidence, PoolHashrateHs: req.PoolHashrateHs,
	})
	if err != nil {
		return nil, err
	}
	return &PoolAuditAnswer{Audit: a, FeesSource: feesSource, DifficultySource: diffSource}, nil
}

// poolAuditFeesSource labels where an audit's fees per block come from.
func poolAuditFeesSource(req PoolAuditRequest) string {
	param := req.FeesParam
	if param == "" {
		param = "fees_btc"
	}
	btc := float64(req.DefaultFeesPerBlock) / consensus.SatsPerBTC
	src := fmt.Sprintf("%g BTC per block (%s)", btc, param)
	if !req.FeesGiven {
		src = fmt.Sprintf("%g BTC per block, the snapshot's reference assumption (give %s, or a chain store with imported fees)", btc, param)
	}
	if len(req.FeesPerBlock) > 0 {
		from := req.FeesFrom
		if from == "" {
			from = "the chain store"
		}
		src = "daily fees per block from " + from + "; " + src + " on other days"
	}
	return src
}

// TemplateConcentration is concentration over template groups: pools
// known to share one block template counted as one entity.
type TemplateConcentration struct {
	security.ConcentrationReport
	By     string          `json:"by"`
	Groups []pool.Grouping `json:"template_groups"`
}

// ConcentrationByTemplate merges the shares of pools that share a block
// template (pool.TemplateGroups) before computing the concentration.
func (s *Service) ConcentrationByTemplate(shares []security.Share, opt security.ConcentrationOptions) (*TemplateConcentration, error) {
	merged, groups := pool.ByTemplate(shares, pool.TemplateGroups())
	r, err := s.Concentration(merged, opt)
	if err != nil {
		return nil, err
	}
	var total float64
	for _, sh := range shares {
		total += sh.Share
	}
	for i := range groups {
		if total > 0 && !math.IsInf(total, 0) {
			groups[i].Share /= total
		}
	}
	return &TemplateConcentration{ConcentrationReport: *r, By: "template", Groups: groups}, nil
}
