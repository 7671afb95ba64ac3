package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"sync"
)

// Heavy work is admitted against one budget of estimated CPU time, in
// work units of one microsecond of one core of the reference machine (the
// 2-core machine the figures in docs/server.md were measured on). Every
// heavy request is charged its estimate before it starts and refunded
// when it ends (finishes, fails, is cancelled or its client goes away):
//
//   - a request whose estimate is above MaxCost (half the budget) is
//     refused with 400 naming the parameter, its value and the limit;
//   - otherwise it waits, first come first served, while the work already
//     admitted leaves too little of the budget; at most MaxQueue requests
//     wait, a further one gets 429 with Retry-After, and one whose
//     deadline passes while waiting gets 503 with Retry-After.
//
// Cheap routes (/healthz, /metrics, hashprice, overview, ...) never touch
// the budget.
const (
	// DefaultHeavyBudget is two cores for one minute.
	DefaultHeavyBudget int64 = 120_000_000
	// DefaultMaxQueue is how many heavy requests may wait for the budget.
	DefaultMaxQueue = 64
	// minCost is what any heavy request is charged at least (parsing,
	// one evaluation): 1 ms.
	minCost int64 = 1_000
)

// Cost model, measured on the reference machine (go test ./server -run
// '^$' -bench CostModel -benchtime 1x measures them on this one).
const (
	// simUnitsPerOperatorDay: one operator agent for one simulated day of
	// one path, about 7 ns of one core (ai-exodus, 1,000 and 10,000
	// operators, 100 paths, one year: 0.25 s and 2.1 s).
	simUnitsPerOperatorDay = 0.007
	// simMaxPathUnits bounds one simulated path: the simulator checks for
	// cancellation between paths, so a path of at most 0.5 s keeps a
	// cancelled job's slot free within a second.
	simMaxPathUnits = 500_000
	// pivotUnitsPerPathYear: one Monte Carlo hashprice path for one year
	// of the site's horizon (20,000 paths × 10 years: 0.19 s).
	pivotUnitsPerPathYear = 1.0
	// selfishUnitsPerState: a whole optimal selfish-mining solve per
	// state of the largest truncation it may build. The solve grows its
	// truncation until the accuracy is met, so it is charged the states
	// at security.MaxSelfishTruncation (3·301² = 271,803 states, about
	// 27 s of one core: α = 0.49 at 1e-9 runs until the request's
	// deadline); the request timeout stops it.
	selfishUnitsPerState = 100
	// historyUnitsPerBlock: one stored block read by a history scan (the
	// daily history of 335,554 blocks: 3.5 s).
	historyUnitsPerBlock = 10
)

// budget is a weighted semaphore with a bounded first-come-first-served
// queue.
type budget struct {
	capacity int64
	maxQueue int

	mu      sync.Mutex
	used    int64
	running int
	waiting []*budgetWaiter
	// admitted and refused count requests (refused by reason: "cost",
	// "queue_full", "deadline").
	admitted uint64
	refused  map[string]uint64
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

func newBudget(capacity int64, maxQueue int) *budget {
	return &budget{capacity: capacity, maxQueue: maxQueue, refused: map[string]uint64{}}
}

// maxCost is the largest estimate one request may have.
func (b *budget) maxCost() int64 { return b.capacity / 2 }

// costError is the 400 of an estimate over maxCost.
func (b *budget) costError(field, value string, cost int64, allowed string) *apiError {
	b.mu.Lock()
	b.refused["cost"]++
	b.mu.Unlock()
	msg := fmt.Sprintf("%s: value %q makes the work estimate %s units (1 unit = 1 µs of CPU), above the limit of %s units per request (half the server's heavy-work budget of %s) (allowed: %s)",
		field, value, thousands(cost), thousands(b.maxCost()), thousands(b.capacity), allowed)
	return &apiError{Status: http.StatusBadRequest, Message: msg, Field: field, Value: value, Allowed: allowed}
}

// check refuses an estimate over maxCost (400 naming field and value).
func (b *budget) check(field, value string, cost int64, allowed string) error {
	if cost > b.maxCost() {
		return b.costError(field, value, cost, allowed)
	}
	return nil
}

// acquire charges n units (at least minCost), waiting in the queue while
// the budget is used by others. release refunds them; it is idempotent.
func (b *budget) acquire(ctx context.Context, n int64) (release func(), err error) {
	n = max(n, minCost)
	if n > b.maxCost() {
		return nil, b.costError("cost", thousands(n), n, fmt.Sprintf("at most %s units", thousands(b.maxCost())))
	}
	b.mu.Lock()
	if len(b.waiting) == 0 && b.used+n <= b.capacity {
		b.used += n
		b.running++
		b.admitted++
		b.mu.Unlock()
		return b.releaser(n), nil
	}
	if len(b.waiting) >= b.maxQueue {
		b.refused["queue_full"]++
		ra := b.retryAfterLocked()
		b.mu.Unlock()
		return nil, &apiError{Status: http.StatusTooManyRequests, RetryAfter: ra,
			Message: fmt.Sprintf("the heavy-work budget is in use and %d requests are already waiting (allowed: at most %d waiting; retry after %d s)", b.maxQueue, b.maxQueue, ra)}
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return b.releaser(n), nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	select {
	case <-w.ready:
		// Granted while we gave up: hand it back.
		b.mu.Unlock()
		b.releaser(n)()
		b.mu.Lock()
	default:
		for i, x := range b.waiting {
			if x == w {
				b.waiting = append(b.waiting[:i:i], b.waiting[i+1:]...)
				break
			}
		}
		b.grantLocked() // a large waiter leaving may unblock smaller ones
	}
	b.refused["deadline"]++
	ra := b.retryAfterLocked()
	msg := fmt.Sprintf("the request ended while waiting for the heavy-work budget (%s of %s units in use); retry after %d s", thousands(b.used), thousands(b.capacity), ra)
	b.mu.Unlock()
	return nil, &apiError{Status: http.StatusServiceUnavailable, RetryAfter: ra, Message: msg}
}

func (b *budget) releaser(n int64) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.used -= n
			b.running--
			b.grantLocked()
			b.mu.Unlock()
		})
	}
}

// grantLocked admits waiters in order while the first one fits.
func (b *budget) grantLocked() {
	for len(b.waiting) > 0 && b.used+b.waiting[0].n <= b.capacity {
		w := b.waiting[0]
		b.waiting = b.waiting[1:]
		b.used += w.n
		b.running++
		b.admitted++
		close(w.ready)
	}
}

// retryAfterLocked estimates how many seconds the admitted and queued
// work needs on this machine's cores (at least 1).
func (b *budget) retryAfterLocked() int {
	total := b.used
	for _, w := range b.waiting {
		total += w.n
	}
	return max(1, int(math.Ceil(float64(total)/1e6/float64(cpus()))))
}

// budgetStats is what /metrics shows.
type budgetStats struct {
	Capacity, Used   int64
	Running, Waiting int
	Admitted         uint64
	Refused          map[string]uint64
}

func (b *budget) stats() budgetStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := map[string]uint64{}
	for k, v := range b.refused {
		r[k] = v
	}
	return budgetStats{Capacity: b.capacity, Used: b.used, Running: b.running, Waiting: len(b.waiting), Admitted: b.admitted, Refused: r}
}

// thousands formats n with commas: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// units converts an estimate to work units, saturating.
func units(f float64) int64 {
	if !(f < 1e18) {
		return math.MaxInt64 / 4
	}
	return int64(math.Ceil(f))
}

// flightGroup merges identical in-flight computations: callers with the
// same key while one runs wait for its result instead of computing again.
// The computation runs under its own context, cancelled when every caller
// waiting for it has gone (deadline passed or client left), so a merged
// computation outlives its first caller but not its last.
type flightGroup struct {
	mu sync.Mutex
	m  map[string]*flightCall
}

type flightCall struct {
	done    chan struct{}
	val     any
	err     error
	waiters int
	cancel  context.CancelFunc
}

// do returns fn's result for key, computing it once for all concurrent
// callers.
func (g *flightGroup) do(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error) {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*flightCall{}
	}
	c, ok := g.m[key]
	if !ok {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &flightCall{done: make(chan struct{}), cancel: cancel}
		g.m[key] = c
		go func() {
			defer cancel()
			defer func() {
				if p := recover(); p != nil {
					c.err = fmt.Errorf("server: computation %q panicked: %v", key, p)
				}
				g.mu.Lock()
				if g.m[key] == c {
					delete(g.m, key)
				}
				g.mu.Unlock()
				close(c.done)
			}()
			c.val, c.err = fn(cctx)
		}()
	}
	c.waiters++
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		g.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			c.cancel()
			if g.m[key] == c {
				delete(g.m, key) // a later caller starts afresh
			}
		}
		g.mu.Unlock()
		return nil, ctx.Err()
	}
}

// inFlight is how many distinct computations run (for tests and metrics).
func (g *flightGroup) inFlight() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}

// cpus is the number of cores the Retry-After estimate divides by.
func cpus() int { return runtime.NumCPU() }
