package service

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/netstate"
)

type countingSource struct {
	n    int
	fail bool
}

func (c *countingSource) Name() string { return "node" }
func (c *countingSource) State(context.Context) (*netstate.State, error) {
	c.n++
	if c.fail {
		return nil, errors.New("node http://127.0.0.1:1: connection refused")
	}
	st := windowState()
	st.Tip.Height += int64(c.n)
	st.Price.Source, st.Price.AsOf = "exchanges", now.Add(-30*time.Second)
	return &st, nil
}

func TestRefresherIntervalAndGeneration(t *testing.T) {
	clock := now
	gen := int64(1)
	src := &countingSource{}
	r := &Refresher{Src: src, Interval: time.Minute, Now: func() time.Time { return clock },
		Generation: func(context.Context) (int64, error) { return gen, nil }}
	ctx := context.Background()
	height := func() int64 {
		st, err := r.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.Tip.Height
	}
	h1 := height()
	clock = clock.Add(59 * time.Second)
	if h := height(); h != h1 || src.n != 1 {
		t.Fatalf("within the interval: height %d (first %d), %d asks", h, h1, src.n)
	}
	gen++ // the store changed
	if h := height(); h != h1+1 || src.n != 2 {
		t.Fatalf("after a store change: height %d, %d asks", h, src.n)
	}
	clock = clock.Add(time.Minute)
	if h := height(); h != h1+2 {
		t.Fatalf("after the interval: height %d", h)
	}
	ages := r.SourceAges(clock.Add(10 * time.Second))
	if len(ages) != 2 || ages[0].What != "price" || ages[0].Source != "exchanges" || ages[1].What != "tip" || ages[1].AgeSeconds != (59+60+10) {
		t.Fatalf("ages = %+v", ages)
	}
	// A failing refresh is an error, never the kept state.
	src.fail = true
	clock = clock.Add(time.Minute)
	if _, err := r.State(ctx); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("failed refresh: err = %v", err)
	}
}

// TestAutoSkipsAnOldStore: auto takes a source registered with a max age
// only when its tip is younger, and names why it went on.
func TestAutoSkipsAnOldStore(t *testing.T) {
	clock := now
	var r Registry
	r.Now = func() time.Time { return clock }
	var skipped []string
	r.OnSkip = func(why string) { skipped = append(skipped, why) }
	old := windowState()
	old.Tip.Source, old.Tip.Time = "db", now.Add(-2*time.Hour)
	r.RegisterAuto("db", func() (netstate.Source, error) { return fixedSource{old}, nil }, time.Hour)
	r.Register("node", func() (netstate.Source, error) { return &countingSource{fail: true}, nil })
	snap := windowState()
	snap.Tip.Source = "snapshot"
	r.Register("snapshot", func() (netstate.Source, error) { return fixedSource{snap}, nil })
	src, _ := r.Open("auto")
	st, err := src.State(context.Background())
	if err != nil || st.Tip.Source != "snapshot" { // the node fails
		t.Fatalf("auto with a 2-hour-old store: %v, source %v", err, st)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0], "db: tip 946236 is 2 h old (auto takes it under 1 h)") || !strings.Contains(skipped[1], "connection refused") {
		t.Errorf("skipped = %q", skipped)
	}
	clock = now.Add(-90 * time.Minute) // the store's tip is 30 min old
	st, err = src.State(context.Background())
	if err != nil || st.Tip.Source != "db" {
		t.Fatalf("auto with a 30-min-old store: %v, %+v", err, st.Tip)
	}
	// Named explicitly, the old store answers.
	clock = now
	db, _ := r.Open("db")
	if st, err := db.State(context.Background()); err != nil || st.Tip.Source != "db" {
		t.Fatalf("explicit db: %v", err)
	}
}
