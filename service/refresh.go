package service

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/hashlab/hashlab/netstate"
)

// Refresher is a netstate.Source that keeps the last state of Src and
// asks Src again when the state is older than Interval or when
// Generation reports that the store's data changed (an ingest batch, an
// import). A long-running face (serve) answers every request from it and
// runs Run in the background. A refresh that fails is an error for the
// requests until a refresh succeeds: the kept state is never served as if
// it were new.
type Refresher struct {
	Src netstate.Source
	// Interval is how long a state is kept (0: 60 s).
	Interval time.Duration
	// Generation, when set, returns a number that changes whenever the
	// store's data changes (store.DB.Generation).
	Generation func(ctx context.Context) (int64, error)
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	mu      sync.Mutex
	st      *netstate.State
	err     error
	at      time.Time
	gen     int64
	haveGen bool
	// Refreshes counts the calls to Src.State.
	refreshes int64
}

// DefaultRefresh is serve's refresh interval.
const DefaultRefresh = 60 * time.Second

func (r *Refresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Refresher) interval() time.Duration {
	if r.Interval > 0 {
		return r.Interval
	}
	return DefaultRefresh
}

// Name is the wrapped source's name.
func (r *Refresher) Name() string { return r.Src.Name() }

// State returns the kept state, refreshing it first when it is due.
func (r *Refresher) State(ctx context.Context) (*netstate.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.due(ctx) {
		r.refresh(ctx)
	}
	if r.err != nil {
		return nil, r.err
	}
	st := *r.st
	return &st, nil
}

// due reports whether the kept state must be replaced. Called with mu held.
func (r *Refresher) due(ctx context.Context) bool {
	if r.st == nil && r.err == nil || r.now().Sub(r.at) >= r.interval() {
		return true
	}
	if r.Generation != nil {
		g, err := r.Generation(ctx)
		if err == nil && (!r.haveGen || g != r.gen) {
			return true
		}
	}
	return r.err != nil && r.now().Sub(r.at) >= time.Second
}

// refresh asks Src. Called with mu held.
func (r *Refresher) refresh(ctx context.Context) {
	if r.Generation != nil {
		if g, err := r.Generation(ctx); err == nil {
			r.gen, r.haveGen = g, true
		}
	}
	r.refreshes++
	st, err := r.Src.State(ctx)
	r.at = r.now()
	if err != nil {
		r.err = err
		return
	}
	r.st, r.err = st, nil
}

// Refreshes is how many times the source was asked.
func (r *Refresher) Refreshes() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refreshes
}

// Run refreshes the state every Interval, and within poll of a change
// of Generation, until ctx ends.
func (r *Refresher) Run(ctx context.Context, poll time.Duration) {
	if poll <= 0 || poll > r.interval() {
		poll = r.interval()
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		r.State(c)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SourceAge is how old one source's part of the state is.
type SourceAge struct {
	// Source names the source: the state's ("node", "db", "mempool",
	// "snapshot") or the price's ("exchanges", ...).
	Source string `json:"source"`
	// What says which values: "tip", "fees", "price".
	What       string  `json:"what"`
	AgeSeconds float64 `json:"age_seconds"`
}

// SourceAges returns the age at now of each part of the kept state (the
// tip, the fees and the price when they come from another source or
// another time); none before the first successful refresh.
func (r *Refresher) SourceAges(now time.Time) []SourceAge {
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	if st == nil {
		return nil
	}
	age := func(t time.Time) float64 { return max(0, now.Sub(t).Seconds()) }
	out := []SourceAge{{Source: st.Tip.Source, What: "tip", AgeSeconds: age(st.Tip.Time)}}
	if st.Fees.Source != "" && (st.Fees.Source != st.Tip.Source || !st.Fees.AsOf.Equal(st.Tip.AsOf)) && !st.Fees.AsOf.IsZero() {
		out = append(out, SourceAge{Source: st.Fees.Source, What: "fees", AgeSeconds: age(st.Fees.AsOf)})
	}
	if p := st.Price; p != nil && !p.AsOf.IsZero() {
		out = append(out, SourceAge{Source: p.Source, What: "price", AgeSeconds: age(p.AsOf)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].What < out[j].What })
	return out
}
