package exchange

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source"
)

// IndexName is the index's name in Provenance.Source.
const IndexName = "exchanges"

// DefaultIndexTimeout is how long the index waits for the sources.
const DefaultIndexTimeout = 5 * time.Second

// Index is the median BTC price of several price sources (exchanges, or
// any netstate.PriceSource such as a mempool instance), asked
// concurrently. It implements netstate.PriceSource.
type Index struct {
	sources []netstate.PriceSource
	timeout time.Duration
}

var _ netstate.PriceSource = (*Index)(nil)

// NewIndex returns the median of sources, each given timeout to answer
// (0 means DefaultIndexTimeout). It panics on no sources: that is a
// programming error, not input.
func NewIndex(timeout time.Duration, sources ...netstate.PriceSource) *Index {
	if len(sources) == 0 {
		panic("exchange: NewIndex with no sources")
	}
	if timeout <= 0 {
		timeout = DefaultIndexTimeout
	}
	return &Index{sources: sources, timeout: timeout}
}

// Name returns "exchanges".
func (ix *Index) Name() string { return IndexName }

// Price asks every source at once and waits at most the index's timeout
// (or ctx's earlier deadline). USD is the median of the answers (the mean
// of the two middle ones for an even count); Quotes holds every answer,
// sorted by exchange; AsOf is the oldest answer's time, so the price is
// at least that fresh; Detail names the sources that answered and, for
// each that did not, why in a few words (the kind of failure).  It fails only when none answered, with an
// error naming each source's failure (errors.Is matches each failure's
// kind, e.g. source.ErrTimeout).
func (ix *Index) Price(ctx context.Context) (*netstate.Price, error) {
	ctx, cancel := context.WithTimeout(ctx, ix.timeout)
	defer cancel()
	type result struct {
		p   *netstate.Price
		err error
	}
	res := make([]result, len(ix.sources))
	var wg sync.WaitGroup
	for i, s := range ix.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := s.Price(ctx)
			if err == nil && (p == nil || len(p.Quotes) == 0) {
				err = fmt.Errorf("%s: answered no quote", s.Name())
			}
			res[i] = result{p, err}
		}()
	}
	wg.Wait()

	var quotes []netstate.Quote
	var answered, failedMsgs []string
	var errs []error
	for i, r := range res {
		if r.err != nil {
			errs = append(errs, r.err)
			failedMsgs = append(failedMsgs, ix.sources[i].Name()+" ("+shortWhy(r.err)+")")
			continue
		}
		answered = append(answered, ix.sources[i].Name())
		quotes = append(quotes, r.p.Quotes...)
	}
	if len(quotes) == 0 {
		return nil, fmt.Errorf("exchange: none of %d price sources answered (%s): %w", len(ix.sources), strings.Join(names(ix.sources), ", "), errors.Join(errs...))
	}
	sort.Slice(quotes, func(i, j int) bool { return quotes[i].Exchange < quotes[j].Exchange })
	usd := Median(quotes)
	oldest := quotes[0].Time
	for _, q := range quotes[1:] {
		if q.Time.Before(oldest) {
			oldest = q.Time
		}
	}
	detail := fmt.Sprintf("median of %d quotes from %s", len(quotes), strings.Join(answered, ", "))
	if len(failedMsgs) > 0 {
		detail += "; no answer from " + strings.Join(failedMsgs, ", ")
	}
	return &netstate.Price{
		USD:        usd,
		Quotes:     quotes,
		Provenance: netstate.Provenance{Source: IndexName, Detail: detail, AsOf: oldest.UTC()},
	}, nil
}

// Median returns the median USD of quotes: the middle value, or the mean
// of the two middle values for an even count; 0 for none.
func Median(quotes []netstate.Quote) float64 {
	v := make([]float64, len(quotes))
	for i, q := range quotes {
		v[i] = q.USD
	}
	sort.Float64s(v)
	n := len(v)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// shortWhy is a failure in a few words for Detail: the kind and why of a
// *source.Error ("timeout: no answer before the deadline"), else the
// error's text.
func shortWhy(err error) string {
	var se *source.Error
	if errors.As(err, &se) {
		if se.Why != "" {
			return se.Kind.Error() + ": " + se.Why
		}
		return se.Kind.Error()
	}
	return err.Error()
}

func names(ss []netstate.PriceSource) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name()
	}
	return out
}
