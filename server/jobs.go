package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// SimRunner runs simulator scenarios for the /api/v1/sim routes. The
// server owns the jobs (queue, progress, cancellation, concurrency); the
// runner owns the simulator.
type SimRunner interface {
	// Scenarios lists the scenarios a request may name.
	Scenarios() []SimScenario
	// Prepare validates a request body (YAML or JSON) and returns the run
	// it describes; an error is a client error and should name the field,
	// the value and what is allowed.
	Prepare(body []byte) (SimRun, error)
}

// SimRun is one validated simulator run.
type SimRun interface {
	// Describe names the run for job listings (scenario, paths, seed…).
	Describe() map[string]any
	// Run executes the run, calling progress(done, total) as paths finish,
	// and stops early with ctx's error when ctx is cancelled.
	Run(ctx context.Context, progress func(done, total int)) (SimOutput, error)
}

// SimScenario is one shipped scenario.
type SimScenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// SimOutput is what a finished job returns: quantile bands ready to chart,
// per-epoch adjustments and the simulator's full result.
type SimOutput struct {
	Series []SimSeries `json:"series"`
	// Summary holds headline numbers (name → value with unit in the name).
	Summary map[string]float64 `json:"summary,omitempty"`
	// Result is the simulator's own result type, as documented by sim.
	Result any `json:"result,omitempty"`
}

// SimSeries is one daily output as Monte Carlo quantile bands, in the unit
// the chart shows.
type SimSeries struct {
	Name  string    `json:"name"`
	Title string    `json:"title"`
	Unit  string    `json:"unit"`
	Log   bool      `json:"log,omitempty"`
	Start string    `json:"start,omitempty"` // date of day 0, YYYY-MM-DD
	Days  []float64 `json:"days"`
	P5    Values    `json:"p5"`
	P25   Values    `json:"p25"`
	P50   Values    `json:"p50"`
	P75   Values    `json:"p75"`
	P95   Values    `json:"p95"`
}

// Values are numbers where NaN means "no value" and encodes as JSON null.
type Values []float64

// MarshalJSON implements json.Marshaler.
func (v Values) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

// JobState is a job's lifecycle state.
type JobState string

const (
	JobQueued    JobState = "queued"
	JobRunning   JobState = "running"
	JobDone      JobState = "done"
	JobFailed    JobState = "failed"
	JobCancelled JobState = "cancelled"
)

// Job is a simulator job as the API shows it.
type Job struct {
	ID       string         `json:"id"`
	State    JobState       `json:"state"`
	Run      map[string]any `json:"run"`
	Done     int            `json:"paths_done"`
	Total    int            `json:"paths_total"`
	Progress float64        `json:"progress"`
	Created  time.Time      `json:"created"`
	Started  *time.Time     `json:"started,omitempty"`
	Finished *time.Time     `json:"finished,omitempty"`
	Error    string         `json:"error,omitempty"`
	Output   *SimOutput     `json:"output,omitempty"`
}

type job struct {
	mu     sync.Mutex
	j      Job
	cancel context.CancelFunc
	// done is closed when the job has ended and handed back its slot and
	// its budget.
	done chan struct{}
}

// simCost is a run's work estimate (budget.go): Units for the whole run,
// and the parameter that scales it for the 400 when it is too large.
type simCost struct {
	Units int64
	// PathUnits is one path's estimate.
	PathUnits int64
	Paths     int
	Days      int
	Operators int
}

// costedRun is a SimRun that knows its cost; other runs are charged
// minCost.
type costedRun interface{ Cost() simCost }

func (j *job) snapshot(withOutput bool) Job {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := j.j
	if out.Total > 0 {
		out.Progress = float64(out.Done) / float64(out.Total)
	}
	if !withOutput {
		out.Output = nil
	}
	return out
}

// jobQueue runs simulator jobs under the server's heavy-work limit and
// keeps at most max jobs (the oldest finished ones are dropped first).
type jobQueue struct {
	runner SimRunner
	max    int
	slots  chan struct{}
	now    func() time.Time
	log    *slog.Logger

	mu     sync.Mutex
	jobs   map[string]*job
	order  []string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// budget, when set, is charged each run's estimate while it runs.
	budget *budget
	// cancelled counts jobs that ended cancelled (/metrics).
	cancelled atomic.Uint64
}

func newJobQueue(r SimRunner, max int, slots chan struct{}, now func() time.Time, log *slog.Logger) *jobQueue {
	ctx, cancel := context.WithCancel(context.Background())
	return &jobQueue{runner: r, max: max, slots: slots, now: now, log: log, jobs: map[string]*job{}, ctx: ctx, cancel: cancel}
}

var errNoSim = &apiError{Status: http.StatusNotFound, Message: "the simulator is not available in this server"}

// submit validates body and queues the run.
func (q *jobQueue) submit(body []byte) (Job, error) {
	if q.runner == nil {
		return Job{}, errNoSim
	}
	run, err := q.runner.Prepare(body)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			return Job{}, ae
		}
		return Job{}, badRequest("%v", err)
	}
	cost := simCost{Units: minCost}
	if c, ok := run.(costedRun); ok {
		cost = c.Cost()
	}
	if q.budget != nil && cost.Units > q.budget.maxCost() {
		maxPaths := int64(float64(q.budget.maxCost()) / float64(max(1, cost.PathUnits)))
		return Job{}, q.budget.costError("paths", fmt.Sprint(cost.Paths), cost.Units,
			fmt.Sprintf("operators × paths × days ≤ %s operator-path-days: at most %s paths for %s operators over %s days",
				thousands(int64(float64(q.budget.maxCost())/simUnitsPerOperatorDay)), thousands(maxPaths), thousands(int64(cost.Operators)), thousands(int64(cost.Days))))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) >= q.max && !q.evictLocked() {
		return Job{}, &apiError{Status: http.StatusTooManyRequests, Message: fmt.Sprintf("%d jobs are queued or running (allowed: at most %d; cancel one or wait)", len(q.jobs), q.max)}
	}
	var idb [8]byte
	rand.Read(idb[:])
	ctx, cancel := context.WithCancel(q.ctx)
	desc := run.Describe()
	j := &job{j: Job{ID: hex.EncodeToString(idb[:]), State: JobQueued, Run: desc, Created: q.now().UTC()}, cancel: cancel, done: make(chan struct{})}
	if n, ok := desc["paths"].(int); ok {
		j.j.Total = n
	}
	q.jobs[j.j.ID] = j
	q.order = append(q.order, j.j.ID)
	q.wg.Add(1)
	go q.execute(ctx, j, run, cost.Units)
	return j.snapshot(false), nil
}

// evictLocked drops the oldest finished job; false if none is finished.
func (q *jobQueue) evictLocked() bool {
	for i, id := range q.order {
		j := q.jobs[id]
		st := j.snapshot(false).State
		if st == JobDone || st == JobFailed || st == JobCancelled {
			delete(q.jobs, id)
			q.order = append(q.order[:i:i], q.order[i+1:]...)
			return true
		}
	}
	return false
}

func (q *jobQueue) execute(ctx context.Context, j *job, run SimRun, cost int64) {
	defer q.wg.Done()
	defer close(j.done)
	defer j.cancel()
	select {
	case q.slots <- struct{}{}:
	case <-ctx.Done():
		q.finish(j, SimOutput{}, ctx.Err())
		return
	}
	release := func() {}
	if q.budget != nil {
		r, err := q.budget.acquire(ctx, cost)
		if err != nil {
			<-q.slots
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			q.finish(j, SimOutput{}, err)
			return
		}
		release = r
	}
	t := q.now().UTC()
	j.mu.Lock()
	j.j.State, j.j.Started = JobRunning, &t
	j.mu.Unlock()
	out, err := func() (out SimOutput, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("simulator panicked: %v", p)
			}
		}()
		return run.Run(ctx, func(done, total int) {
			j.mu.Lock()
			j.j.Done, j.j.Total = done, total
			j.mu.Unlock()
		})
	}()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	// Hand back the budget and the slot before the state says the job
	// ended: whoever sees "cancelled" may start the next heavy work.
	release()
	<-q.slots
	q.finish(j, out, err)
}

func (q *jobQueue) finish(j *job, out SimOutput, err error) {
	t := q.now().UTC()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.j.Finished = &t
	switch {
	case err == nil:
		j.j.State, j.j.Output = JobDone, &out
	case errors.Is(err, context.Canceled):
		j.j.State, j.j.Error = JobCancelled, "cancelled"
		q.cancelled.Add(1)
	default:
		j.j.State, j.j.Error = JobFailed, err.Error()
		q.log.Error("simulator job failed", "id", j.j.ID, "err", err)
	}
}

func (q *jobQueue) get(id string) (*job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, ok := q.jobs[id]
	if !ok {
		return nil, &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("job %q not found (allowed: an id from GET /api/v1/sim/jobs)", id), Field: "id", Value: id}
	}
	return j, nil
}

func (q *jobQueue) list() []Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]Job, 0, len(q.jobs))
	for _, id := range q.order {
		out = append(out, q.jobs[id].snapshot(false))
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Created.After(out[b].Created) })
	return out
}

// states counts the jobs kept by state (/metrics: queued is the depth of
// the queue).
func (q *jobQueue) states() map[JobState]int {
	q.mu.Lock()
	jobs := make([]*job, 0, len(q.jobs))
	for _, j := range q.jobs {
		jobs = append(jobs, j)
	}
	q.mu.Unlock()
	out := make(map[JobState]int, 5)
	for _, j := range jobs {
		j.mu.Lock()
		out[j.j.State]++
		j.mu.Unlock()
	}
	return out
}

// cancelStopWait bounds how long DELETE waits for a cancelled job to stop
// (a safety net: the simulator checks its context between paths, and one
// path is bounded to simMaxPathUnits, half a second).
const cancelStopWait = 10 * time.Second

// cancelJob cancels a queued or running job and waits until it has
// stopped and handed back its slot and budget (or cancelStopWait, or the
// request's end).
func (q *jobQueue) cancelJob(ctx context.Context, id string) (Job, error) {
	j, err := q.get(id)
	if err != nil {
		return Job{}, err
	}
	j.cancel()
	t := time.NewTimer(cancelStopWait)
	defer t.Stop()
	select {
	case <-j.done:
	case <-t.C:
	case <-ctx.Done():
	}
	return j.snapshot(false), nil
}

// close cancels every job and waits for them.
func (q *jobQueue) close() {
	q.cancel()
	q.wg.Wait()
}
