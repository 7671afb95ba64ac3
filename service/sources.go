package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/netstate"
)

// Opener builds a source from configuration the face holds (a URL, a
// database path, RPC credentials). It returns an error naming what is
// missing when the source is not configured.
type Opener func() (netstate.Source, error)

// Registry names the state sources a face offers ("snapshot", "db",
// "node", "mempool"); adapters plug in with Register. "auto" tries the
// registered sources in registration order, each within a deadline, and
// takes the first that answers; an explicitly named source that fails is
// an error, never a fallback.
type Registry struct {
	names  []string
	open   map[string]Opener
	maxAge map[string]time.Duration
	// Now is the clock auto compares a state's age with (nil: time.Now).
	Now func() time.Time
	// OnSkip, when set, hears why auto passed over a source before the
	// one that answered (a face prints it, so the choice is explained).
	OnSkip func(reason string)
	// AutoTimeout bounds each source's answer under "auto" (0: 5 s).
	AutoTimeout time.Duration
}

// Register adds a source; a later registration of the same name replaces
// the earlier one but keeps its place.
func (r *Registry) Register(name string, open Opener) {
	if r.open == nil {
		r.open = map[string]Opener{}
	}
	if _, ok := r.open[name]; !ok {
		r.names = append(r.names, name)
	}
	r.open[name] = open
}

// RegisterAuto adds a source that "auto" takes only when its state is at
// most maxAge old (the chain store: its tip under an hour old); named
// explicitly it answers whatever its age.
func (r *Registry) RegisterAuto(name string, open Opener, maxAge time.Duration) {
	r.Register(name, open)
	if r.maxAge == nil {
		r.maxAge = map[string]time.Duration{}
	}
	r.maxAge[name] = maxAge
}

// Names returns "auto" and the registered names, in order.
func (r *Registry) Names() []string { return append([]string{"auto"}, r.names...) }

// Open returns the named source. An unknown name is a *hashlab.InputError
// for field "source"; a known source that cannot be built is an error
// naming it.
func (r *Registry) Open(name string) (netstate.Source, error) {
	if name == "auto" {
		return &autoSource{r: r}, nil
	}
	open, ok := r.open[name]
	if !ok {
		return nil, hashlab.Invalid("source", name, strings.Join(r.Names(), ", "))
	}
	src, err := open()
	if err != nil {
		return nil, fmt.Errorf("service: source %s: %w", name, err)
	}
	return src, nil
}

// autoSource answers with the first registered source that answers.
type autoSource struct {
	r *Registry
}

func (a *autoSource) Name() string { return "auto" }

// State tries each source in order; the state names the source that
// answered. When none does, the error lists why each failed.
func (a *autoSource) State(ctx context.Context) (*netstate.State, error) {
	timeout := a.r.AutoTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	var errs []error
	for _, name := range a.r.names {
		src, err := a.r.open[name]()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		c, cancel := context.WithTimeout(ctx, timeout)
		st, err := src.State(c)
		cancel()
		if err == nil && st != nil {
			if max, ok := a.r.maxAge[name]; ok {
				now := time.Now
				if a.r.Now != nil {
					now = a.r.Now
				}
				if age := st.Age(now()); age > max {
					errs = append(errs, fmt.Errorf("%s: tip %d is %s old (auto takes it under %s)", name, st.Tip.Height, AgeString(age), AgeString(max)))
					continue
				}
			}
			if a.r.OnSkip != nil {
				for _, e := range errs {
					a.r.OnSkip(e.Error())
				}
			}
			return st, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return nil, fmt.Errorf("no source answered: %w", errors.Join(errs...))
}
