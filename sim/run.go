package sim

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashlab/hashlab"
)

// Options control a Monte Carlo run.
type Options struct {
	// Paths is the number of paths of the whole run (all shards).
	Paths int
	// Seed makes the run reproducible: path i draws from (Seed, i) only.
	Seed uint64
	// Years overrides the scenario's horizon when > 0.
	Years float64
	// Workers is the number of goroutines (default GOMAXPROCS). It never
	// changes the result.
	Workers int
	// Shard and Shards split the paths into Shards contiguous ranges and
	// run range Shard (0-based). Zero Shards means one shard.
	Shard, Shards int
	// BlockByBlock uses the plain engine that draws every block interval
	// (slower; for validation).
	BlockByBlock bool
	// Probes are extra daily metrics.
	Probes []Probe
	// Progress, if set, is called with the number of paths done (from any
	// goroutine, serialised).
	Progress func(done, total int)
	// PathSink, if set, receives each path's daily values in path order:
	// vals[day*len(names)+metric] with names from Result.Daily's order
	// (built-in metrics then probes). It must not keep vals.
	PathSink func(path int, names []string, vals []float64)
}

// Quantiles are the Monte Carlo quantiles of one number.
type Quantiles struct {
	P5  Num `json:"p5"`
	P25 Num `json:"p25"`
	P50 Num `json:"p50"`
	P75 Num `json:"p75"`
	P95 Num `json:"p95"`
}

// Series is one daily metric's quantile bands: element d of each slice is
// day d (Result.Dates[d]). Days without a value (a probe computed weekly,
// or a metric undefined on that path) are null.
type Series struct {
	Name        string `json:"name"`
	Unit        string `json:"unit,omitempty"`
	Description string `json:"description,omitempty"`
	P5          []Num  `json:"p5"`
	P25         []Num  `json:"p25"`
	P50         []Num  `json:"p50"`
	P75         []Num  `json:"p75"`
	P95         []Num  `json:"p95"`
}

// EpochBand describes the n-th retarget after the start over all paths
// that reached it.
type EpochBand struct {
	Index int `json:"index"` // 1 = first retarget after the start
	Paths int `json:"paths"`
	// Day is days after the start; ChangePct the difficulty change;
	// LengthDays the epoch's timespan (first to last block); BlocksOverHour
	// the blocks in the epoch that took more than an hour.
	Day            Quantiles `json:"day"`
	ChangePct      Quantiles `json:"change_pct"`
	LengthDays     Quantiles `json:"length_days"`
	BlocksOverHour Quantiles `json:"blocks_over_hour"`
}

// Stat is one per-path scalar's quantiles.
type Stat struct {
	Name        string    `json:"name"`
	Unit        string    `json:"unit,omitempty"`
	Description string    `json:"description,omitempty"`
	Paths       int       `json:"paths"`
	Q           Quantiles `json:"q"`
}

// Result is a Monte Carlo run's output: quantile bands (p5/p25/p50/p75/p95)
// of every daily metric, of every retarget and of per-path summaries. It is
// what `hashlab sim run --json` prints and what the security report and
// the dashboard read. The same (scenario, years, seed, paths) gives the same
// Result, byte for byte, whatever the workers or shards.
type Result struct {
	Scenario    string  `json:"scenario"`
	Description string  `json:"description,omitempty"`
	Digest      string  `json:"digest"` // of the scenario, horizon and engine
	Seed        uint64  `json:"seed"`
	Paths       int     `json:"paths"`
	Years       float64 `json:"years"`
	Days        int     `json:"days"`
	Engine      string  `json:"engine"` // "fast" or "block-by-block"
	StartHeight int64   `json:"start_height"`
	StartTime   int64   `json:"start_time"`
	// StartHashrateHs and StartHashpriceUSDPerPHDay are the calibration
	// point of the population.
	StartHashrateHs           float64        `json:"start_hashrate_hs"`
	StartHashpriceUSDPerPHDay float64        `json:"start_hashprice_usd_per_ph_day"`
	Population                []ClassSummary `json:"population,omitempty"`
	// Dates are the UTC dates of the days' starts.
	Dates   []string    `json:"dates"`
	Daily   []Series    `json:"daily"`
	Epochs  []EpochBand `json:"epochs"`
	Summary []Stat      `json:"summary"`
	Notes   []string    `json:"notes,omitempty"`
	// HaltedPaths is how many paths had a day on which nothing ran: the
	// network hashrate fell to zero, so no block came and no retarget could
	// lower the difficulty. Such days are left out of the bands of
	// hashrate, block interval, revenue and security budget (which are
	// over running paths) and counted per day in HaltedByDay.
	HaltedPaths int   `json:"halted_paths"`
	HaltedByDay []int `json:"halted_by_day,omitempty"`
}

// Num is a float64 whose undefined values encode as JSON null (the
// shared hashlab.Num).
type Num = hashlab.Num

// Series returns the named daily series, or nil.
func (r *Result) Series(name string) *Series {
	for i := range r.Daily {
		if r.Daily[i].Name == name {
			return &r.Daily[i]
		}
	}
	return nil
}

// Stat returns the named summary statistic, or nil.
func (r *Result) Stat(name string) *Stat {
	for i := range r.Summary {
		if r.Summary[i].Name == name {
			return &r.Summary[i]
		}
	}
	return nil
}

// agg accumulates paths into histograms.
type agg struct {
	daily [][]hist // [metric][day]
	// shared, when set, is the run's aggregate that this worker's paths
	// go to (see newWorkerAgg), under mu; the worker keeps only its batch.
	shared  *agg
	mu      *sync.Mutex
	batch   []float32 // [metric][day][path in batch]
	inBatch int
	epochs  [][numEpochMetrics]hist
	summary [numSummary]hist
	paths   int
	notes   map[string]bool
	// halted[d] counts paths whose network had stopped on day d;
	// haltedPaths the paths with at least one such day.
	halted      []uint32
	haltedPaths int
}

func newAgg(m *model) *agg {
	a := &agg{daily: make([][]hist, m.numMetrics()), notes: map[string]bool{}, halted: make([]uint32, m.days)}
	for i := range a.daily {
		a.daily[i] = make([]hist, m.days)
	}
	return a
}

func (m *model) spec(i int) metricSpec {
	if i < int(numBuiltin) {
		return builtinMetrics[i]
	}
	p := m.probes[i-int(numBuiltin)]
	return metricSpec{name: p.Name, unit: p.Unit, scale: p.Scale, width: p.Width}
}

// batchPaths is how many paths' daily values each worker buffers before
// it adds them to the histograms: adding a batch per histogram keeps its
// bins in cache, which matters when there are tens of thousands of
// histograms. The buffer is the run's largest allocation after the
// histograms (4 bytes per metric, day and path: 6 MB a worker for 17
// metrics over 4 years), so it is no larger than that needs.
const batchPaths = 64

// flush adds the buffered daily values to the histograms.
func (a *agg) flush(m *model) {
	if a.inBatch == 0 {
		return
	}
	nm, days := m.numMetrics(), m.days
	t := a
	if a.shared != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		t = a.shared
	}
	for i := 0; i < nm; i++ {
		sp := m.spec(i)
		hs := t.daily[i]
		for d := 0; d < days; d++ {
			hs[d].addBatch(sp.scale, sp.width, a.batch[(i*days+d)*batchPaths:][:a.inBatch])
		}
	}
	a.inBatch = 0
}

func (a *agg) addPath(m *model, p *path) {
	nm, days := m.numMetrics(), m.days
	if a.batch == nil {
		a.batch = make([]float32, nm*days*batchPaths)
	}
	j := a.inBatch
	for d := 0; d < days; d++ {
		row := p.vals[d*nm : (d+1)*nm]
		for i, v := range row {
			a.batch[(i*days+d)*batchPaths+j] = float32(v)
		}
	}
	a.inBatch++
	if a.inBatch == batchPaths {
		a.flush(m)
	}
	if a.shared != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		a = a.shared
	}
	a.paths++
	for len(a.epochs) < len(p.epochs) {
		a.epochs = append(a.epochs, [numEpochMetrics]hist{})
	}
	var slowest, drop float64 = math.NaN(), math.NaN()
	for i, e := range p.epochs {
		h := &a.epochs[i]
		for j, v := range [numEpochMetrics]float64{e.day, e.change, e.length, float64(e.overHour)} {
			sp := epochMetrics[j]
			h[j].add(sp.scale, sp.width, v)
		}
		if !(e.length <= slowest) {
			slowest = e.length
		}
		if !(e.change >= drop) {
			drop = e.change
		}
	}
	first := math.NaN()
	if len(p.epochs) > 0 {
		first = p.epochs[0].change
	}
	anyHalt := false
	for d := 0; d < days; d++ {
		if math.IsNaN(p.vals[d*nm+mHashrate]) {
			a.halted[d]++
			anyHalt = true
		}
	}
	if anyHalt {
		a.haltedPaths++
	}
	minRatio := p.minHs / m.h0
	if math.IsInf(minRatio, 1) {
		minRatio = math.NaN()
	}
	nmv := p.vals[(m.days-1)*nm+mHashrate]
	conv := math.NaN()
	if m.pop != nil {
		conv = p.converted
	}
	for j, v := range [numSummary]float64{first, drop, slowest, float64(p.overAll), minRatio, nmv / m.h0, conv} {
		sp := summaryMetrics[j]
		a.summary[j].add(sp.scale, sp.width, v)
	}
	for n := range p.notes {
		a.notes[n] = true
	}
}

func (a *agg) merge(o *agg) {
	if o.inBatch > 0 {
		panic("sim: merging an unflushed aggregate")
	}
	a.paths += o.paths
	a.haltedPaths += o.haltedPaths
	for d, n := range o.halted {
		a.halted[d] += n
	}
	for i := range a.daily {
		for d := range a.daily[i] {
			a.daily[i][d].merge(&o.daily[i][d])
		}
	}
	for len(a.epochs) < len(o.epochs) {
		a.epochs = append(a.epochs, [numEpochMetrics]hist{})
	}
	for i := range o.epochs {
		for j := range o.epochs[i] {
			a.epochs[i][j].merge(&o.epochs[i][j])
		}
	}
	for j := range a.summary {
		a.summary[j].merge(&o.summary[j])
	}
	for n := range o.notes {
		a.notes[n] = true
	}
}

var bandQs = []float64{0.05, 0.25, 0.5, 0.75, 0.95}

func quantiles(h *hist, sp metricSpec) Quantiles {
	var v [5]float64
	h.quantiles(sp.scale, sp.width, bandQs, v[:])
	q := func(i int) Num { return Num(round6(v[i])) }
	return Quantiles{q(0), q(1), q(2), q(3), q(4)}
}

// Bounds of a run's options, shared by the CLI and the API
// (Options.Validate).
const (
	MaxPaths   = 100_000_000
	MaxWorkers = 4096 // more goroutines than this only cost memory
	MaxYears   = 50.0
)

// Validate checks the options against the bounds without a scenario: paths
// 1 to MaxPaths; workers 0 (GOMAXPROCS) to MaxWorkers; years 0 (the
// scenario's horizon) or 0 < years <= MaxYears; shards 0 or 1 to paths and
// shard 0 to shards-1; probes named, with a function and a positive
// width on a linear scale. Errors are *hashlab.InputError naming the
// option as the CLI flag and the API parameter spell it.
func (opt Options) Validate() error {
	switch {
	case opt.Paths < 1 || opt.Paths > MaxPaths:
		return hashlab.Invalid("paths", opt.Paths, "1 to 100,000,000")
	case opt.Workers < 0 || opt.Workers > MaxWorkers:
		return hashlab.Invalid("workers", opt.Workers, "0 (one per CPU) to 4096")
	case opt.Years != 0 && !(opt.Years > 0 && opt.Years <= MaxYears):
		return hashlab.Invalid("years", opt.Years, "0 < years <= 50")
	case opt.Shards < 0 || opt.Shards > opt.Paths:
		return hashlab.Invalid("shards", opt.Shards, fmt.Sprintf("1 to paths = %d", opt.Paths))
	case opt.Shard < 0 || opt.Shard >= max(opt.Shards, 1):
		return hashlab.Invalid("shard", opt.Shard, fmt.Sprintf("0 to %d", max(opt.Shards, 1)-1))
	}
	for i, p := range opt.Probes {
		if p.Name == "" || p.Fn == nil {
			return hashlab.Invalid(fmt.Sprintf("probes[%d]", i), p.Name, "a name and a function")
		}
		if p.Scale == Linear && !(p.Width > 0) {
			return hashlab.Invalid("probe "+p.Name+" width", p.Width, "> 0 for a linear scale")
		}
	}
	return nil
}

// prepare validates the options and builds the model.
func prepare(sc *Scenario, opt *Options) (*model, error) {
	if sc == nil {
		return nil, hashlab.Invalid("scenario", "none", "a parsed scenario")
	}
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Shards == 0 {
		opt.Shards = 1
	}
	years := sc.Years
	if opt.Years != 0 {
		years = opt.Years
	}
	if !(years > 0 && years <= MaxYears) {
		return nil, hashlab.Invalid("years", years, "0 < years <= 50")
	}
	days := int(math.Ceil(years*365.25 - 1e-9))
	m, err := newModel(sc, days, opt.Probes, opt.BlockByBlock)
	if err != nil {
		return nil, err
	}
	if opt.Years != 0 {
		m.yearsOverride = opt.Years
	}
	return m, nil
}

func (m *model) years() float64 {
	if m.yearsOverride != 0 {
		return m.yearsOverride
	}
	return m.sc.Years
}

// digest identifies what a run computes (not how it is split).
func (m *model) digest() string {
	h := sha256.New()
	b, _ := json.Marshal(m.sc)
	h.Write(b)
	fmt.Fprintf(h, "|years=%g|days=%d|blockwise=%v", m.years(), m.days, m.blockwise)
	for _, p := range m.probes {
		fmt.Fprintf(h, "|probe=%s,%s,%d,%g,%d", p.Name, p.Unit, p.Scale, p.Width, p.Every)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func shardRange(paths, shard, shards int) (lo, hi int) {
	return paths * shard / shards, paths * (shard + 1) / shards
}

// newWorkerAgg returns an aggregate for one of a run's workers: it
// buffers a batch of its paths' daily values and adds them, and each
// path's epochs and summaries, to shared under mu. One set of histograms
// for the whole run (tens of thousands, whose bins widen as paths reach
// further into the tails) rather than one per worker and a merge: the
// run's memory is that set and a batch buffer per worker. Counts add up
// whatever the order, so the result is the same.
func newWorkerAgg(shared *agg, mu *sync.Mutex) *agg {
	return &agg{shared: shared, mu: mu}
}

// run simulates paths [lo, hi) on workers goroutines.
func (m *model) run(ctx context.Context, opt Options, lo, hi int) (*agg, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, hi-lo))
	var next atomic.Int64
	next.Store(int64(lo))
	errs := make([]error, workers)
	var done atomic.Int64
	var progMu sync.Mutex
	sink := newOrderedSink(opt.PathSink, lo, m)
	shared := newAgg(m)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			a := newWorkerAgg(shared, &mu)
			defer a.flush(m)
			p := newPath(m)
			p.ctx = ctx
			for {
				i := int(next.Add(1) - 1)
				if i >= hi {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				p.reset(opt.Seed, i)
				if err := p.run(); err != nil {
					errs[w] = fmt.Errorf("sim: path %d: %w", i, err)
					return
				}
				a.addPath(m, p)
				sink.put(i, p.vals)
				if opt.Progress != nil {
					d := int(done.Add(1))
					progMu.Lock()
					opt.Progress(d, hi-lo)
					progMu.Unlock()
				}
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return shared, nil
}

// orderedSink hands paths to the user's sink in path order.
type orderedSink struct {
	fn      func(int, []string, []float64)
	names   []string
	mu      sync.Mutex
	next    int
	pending map[int][]float64
}

func newOrderedSink(fn func(int, []string, []float64), lo int, m *model) *orderedSink {
	s := &orderedSink{fn: fn, next: lo, pending: map[int][]float64{}}
	for i := 0; i < m.numMetrics(); i++ {
		s.names = append(s.names, m.spec(i).name)
	}
	return s
}

func (s *orderedSink) put(i int, vals []float64) {
	if s.fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[i] = append([]float64(nil), vals...)
	for {
		v, ok := s.pending[s.next]
		if !ok {
			return
		}
		delete(s.pending, s.next)
		s.fn(s.next, s.names, v)
		s.next++
	}
}

// Run simulates the scenario's Monte Carlo paths (all of them, or one
// shard's when opt.Shards > 1: use RunShard and Merge for that) and returns
// the quantile bands.
func Run(ctx context.Context, sc *Scenario, opt Options) (*Result, error) {
	if opt.Shards > 1 {
		return nil, fmt.Errorf("sim: Run computes a whole run; use RunShard for shard %d/%d", opt.Shard, opt.Shards)
	}
	m, err := prepare(sc, &opt)
	if err != nil {
		return nil, err
	}
	a, err := m.run(ctx, opt, 0, opt.Paths)
	if err != nil {
		return nil, err
	}
	return m.result(a, opt.Seed, opt.Paths), nil
}

func (m *model) result(a *agg, seed uint64, paths int) *Result {
	sc := m.sc
	r := &Result{
		Scenario: sc.Name, Description: sc.Description, Digest: m.digest(), Seed: seed, Paths: paths,
		Years: m.years(), Days: m.days, Engine: "fast",
		StartHeight: sc.Start.Height, StartTime: sc.Start.Time,
		StartHashrateHs: round6(m.h0), StartHashpriceUSDPerPHDay: round6(m.hp0),
	}
	if m.blockwise {
		r.Engine = "block-by-block"
	}
	if m.pop != nil {
		r.Population = m.pop.summaryAt(m.hp0)
	}
	for d := 0; d < m.days; d++ {
		r.Dates = append(r.Dates, time.Unix(sc.Start.Time+int64(d)*86400, 0).UTC().Format(time.DateOnly))
	}
	for i := range a.daily {
		sp := m.spec(i)
		if sp.agents && m.pop == nil {
			continue
		}
		s := Series{Name: sp.name, Unit: sp.unit, Description: sp.desc}
		for d := range a.daily[i] {
			q := quantiles(&a.daily[i][d], sp)
			s.P5 = append(s.P5, q.P5)
			s.P25 = append(s.P25, q.P25)
			s.P50 = append(s.P50, q.P50)
			s.P75 = append(s.P75, q.P75)
			s.P95 = append(s.P95, q.P95)
		}
		r.Daily = append(r.Daily, s)
	}
	for i := range a.epochs {
		h := &a.epochs[i]
		r.Epochs = append(r.Epochs, EpochBand{
			Index: i + 1, Paths: int(h[eChange].n),
			Day:            quantiles(&h[eDay], epochMetrics[eDay]),
			ChangePct:      quantiles(&h[eChange], epochMetrics[eChange]),
			LengthDays:     quantiles(&h[eLength], epochMetrics[eLength]),
			BlocksOverHour: quantiles(&h[eOverHour], epochMetrics[eOverHour]),
		})
	}
	for j := range a.summary {
		sp := summaryMetrics[j]
		if sp.agents && m.pop == nil {
			continue
		}
		r.Summary = append(r.Summary, Stat{Name: sp.name, Unit: sp.unit, Description: sp.desc,
			Paths: int(a.summary[j].n), Q: quantiles(&a.summary[j], sp)})
	}
	r.HaltedPaths = a.haltedPaths
	if a.haltedPaths > 0 {
		r.HaltedByDay = make([]int, m.days)
		for d, n := range a.halted {
			r.HaltedByDay[d] = int(n)
		}
		a.notes[fmt.Sprintf("%d of %d paths halted (no machine earned its power at the expected hashprice, so no blocks came and difficulty could not fall); their halted days are counted in halted_by_day and left out of the hashrate, block interval, revenue and security budget bands", a.haltedPaths, paths)] = true
	}
	r.Notes = sortedNames(a.notes)
	return r
}

// Shard is a shard's raw Monte Carlo state: histograms whose counts add up
// exactly, so merged shards equal one run.
type Shard struct {
	Format   string  `json:"format"`
	Scenario string  `json:"scenario"`
	Digest   string  `json:"digest"`
	Seed     uint64  `json:"seed"`
	Paths    int     `json:"paths"`
	Shard    int     `json:"shard"`
	Shards   int     `json:"shards"`
	Years    float64 `json:"years"`
	// ScenarioJSON is the scenario (defaults applied), so merge can rebuild
	// the model without the original file.
	ScenarioJSON json.RawMessage `json:"scenario_json"`
	Blockwise    bool            `json:"blockwise,omitempty"`
	Done         int             `json:"done"`
	Daily        [][]histJSON    `json:"daily"`
	Epochs       [][]histJSON    `json:"epochs"`
	Summary      []histJSON      `json:"summary"`
	Notes        []string        `json:"notes,omitempty"`
	Halted       []uint32        `json:"halted,omitempty"`
	HaltedPaths  int             `json:"halted_paths,omitempty"`
}

type histJSON struct {
	Lo     int32    `json:"l,omitempty"`
	Counts []uint32 `json:"c,omitempty"`
	Zero   uint32   `json:"z,omitempty"`
	Inf    uint32   `json:"i,omitempty"`
	N      uint32   `json:"n,omitempty"`
	Min    float64  `json:"mn,omitempty"`
	Max    float64  `json:"mx,omitempty"`
	// Far are sparse bins outside the dense window, as bin, count pairs.
	Far []int64 `json:"f,omitempty"`
}

const shardFormat = "hashlab-sim-shard/1"

func toJSON(h *hist) histJSON {
	j := histJSON{Lo: h.lo, Zero: h.zero, Inf: h.inf, N: h.n, Min: h.min, Max: h.max}
	if len(h.counts) > 0 {
		j.Counts = make([]uint32, len(h.counts))
		for i := range h.counts {
			j.Counts[i] = h.countAt(i)
		}
	}
	keys := make([]int32, 0, len(h.far))
	for b := range h.far {
		keys = append(keys, b)
	}
	slices.Sort(keys)
	for _, b := range keys {
		j.Far = append(j.Far, int64(b), int64(h.far[b]))
	}
	return j
}

func fromJSON(j histJSON) hist {
	h := hist{lo: j.Lo, zero: j.Zero, inf: j.Inf, n: j.N, min: j.Min, max: j.Max}
	if len(j.Counts) > 0 {
		h.counts = make([]uint16, len(j.Counts))
		for i, c := range j.Counts {
			h.addDense(i, c)
		}
	}
	for i := 0; i+1 < len(j.Far); i += 2 {
		if h.far == nil {
			h.far = map[int32]uint32{}
		}
		h.far[int32(j.Far[i])] += uint32(j.Far[i+1])
	}
	return h
}

// RunShard simulates shard opt.Shard of opt.Shards and returns its state,
// gzip-compressed JSON, for Merge. Probes cannot be sharded (their
// functions do not travel); use Run for them.
func RunShard(ctx context.Context, sc *Scenario, opt Options) ([]byte, error) {
	if len(opt.Probes) > 0 {
		return nil, errors.New("sim: probes cannot be sharded")
	}
	m, err := prepare(sc, &opt)
	if err != nil {
		return nil, err
	}
	lo, hi := shardRange(opt.Paths, opt.Shard, opt.Shards)
	a, err := m.run(ctx, opt, lo, hi)
	if err != nil {
		return nil, err
	}
	scj, err := json.Marshal(sc)
	if err != nil {
		return nil, err
	}
	s := Shard{Format: shardFormat, Scenario: sc.Name, Digest: m.digest(), Seed: opt.Seed, Paths: opt.Paths,
		Shard: opt.Shard, Shards: opt.Shards, Years: m.years(), ScenarioJSON: scj, Blockwise: opt.BlockByBlock,
		Done: a.paths, Notes: sortedNames(a.notes), HaltedPaths: a.haltedPaths}
	if a.haltedPaths > 0 {
		s.Halted = a.halted
	}
	for i := range a.daily {
		row := make([]histJSON, len(a.daily[i]))
		for d := range a.daily[i] {
			row[d] = toJSON(&a.daily[i][d])
		}
		s.Daily = append(s.Daily, row)
	}
	for i := range a.epochs {
		row := make([]histJSON, numEpochMetrics)
		for j := range a.epochs[i] {
			row[j] = toJSON(&a.epochs[i][j])
		}
		s.Epochs = append(s.Epochs, row)
	}
	for j := range a.summary {
		s.Summary = append(s.Summary, toJSON(&a.summary[j]))
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err := json.NewEncoder(zw).Encode(&s); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeShard reads a shard written by RunShard.
func DecodeShard(r io.Reader) (*Shard, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("sim: shard: not a hashlab shard file (gzip): %w", err)
	}
	var s Shard
	if err := json.NewDecoder(zr).Decode(&s); err != nil {
		return nil, fmt.Errorf("sim: shard: %w", err)
	}
	if s.Format != shardFormat {
		return nil, fmt.Errorf("sim: shard: format %q (allowed: %s)", s.Format, shardFormat)
	}
	return &s, nil
}

// Merge combines the shards of one run into its Result. Every shard
// 0..n-1 must be present exactly once, from the same scenario, horizon,
// seed and number of paths.
func Merge(shards []*Shard) (*Result, error) {
	if len(shards) == 0 {
		return nil, errors.New("sim: merge: no shards")
	}
	s0 := shards[0]
	seen := make([]bool, s0.Shards)
	for _, s := range shards {
		if s.Digest != s0.Digest || s.Seed != s0.Seed || s.Paths != s0.Paths || s.Shards != s0.Shards {
			return nil, fmt.Errorf("sim: merge: shard %d/%d is from another run (scenario %s digest %s seed %d paths %d; first shard: %s %s %d %d)",
				s.Shard, s.Shards, s.Scenario, s.Digest, s.Seed, s.Paths, s0.Scenario, s0.Digest, s0.Seed, s0.Paths)
		}
		if s.Shard < 0 || s.Shard >= s.Shards {
			return nil, fmt.Errorf("sim: merge: shard index %d (allowed: 0 to %d)", s.Shard, s.Shards-1)
		}
		if seen[s.Shard] {
			return nil, fmt.Errorf("sim: merge: shard %d/%d given twice", s.Shard, s.Shards)
		}
		seen[s.Shard] = true
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, fmt.Sprint(i))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("sim: merge: missing shards %v of %d", missing, s0.Shards)
	}
	sc, err := ParseScenario(s0.ScenarioJSON)
	if err != nil {
		return nil, fmt.Errorf("sim: merge: %w", err)
	}
	opt := Options{Paths: s0.Paths, Seed: s0.Seed, Years: s0.Years, BlockByBlock: s0.Blockwise}
	m, err := prepare(sc, &opt)
	if err != nil {
		return nil, err
	}
	if m.digest() != s0.Digest {
		return nil, fmt.Errorf("sim: merge: shards were written by another hashlab version (digest %s, this version computes %s)", s0.Digest, m.digest())
	}
	sort.Slice(shards, func(i, j int) bool { return shards[i].Shard < shards[j].Shard })
	total := newAgg(m)
	for _, s := range shards {
		a := newAgg(m)
		a.paths = s.Done
		a.haltedPaths = s.HaltedPaths
		for d, n := range s.Halted {
			if d < len(a.halted) {
				a.halted[d] = n
			}
		}
		if len(s.Daily) != len(a.daily) {
			return nil, fmt.Errorf("sim: merge: shard %d has %d metrics (want %d)", s.Shard, len(s.Daily), len(a.daily))
		}
		for i := range s.Daily {
			if len(s.Daily[i]) != m.days {
				return nil, fmt.Errorf("sim: merge: shard %d has %d days (want %d)", s.Shard, len(s.Daily[i]), m.days)
			}
			for d := range s.Daily[i] {
				a.daily[i][d] = fromJSON(s.Daily[i][d])
			}
		}
		for _, row := range s.Epochs {
			var e [numEpochMetrics]hist
			for j := range e {
				if j < len(row) {
					e[j] = fromJSON(row[j])
				}
			}
			a.epochs = append(a.epochs, e)
		}
		for j := range a.summary {
			if j < len(s.Summary) {
				a.summary[j] = fromJSON(s.Summary[j])
			}
		}
		for _, n := range s.Notes {
			a.notes[n] = true
		}
		total.merge(a)
	}
	if total.paths != s0.Paths {
		return nil, fmt.Errorf("sim: merge: shards hold %d paths (want %d)", total.paths, s0.Paths)
	}
	return m.result(total, s0.Seed, s0.Paths), nil
}
