package mempool

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/source"
)

// The replayed week holds the real block counts per pool of the 7 days
// before block 946,236 (testdata/README.md): 1,003 blocks, Foundry USA 297.
func TestPoolShares(t *testing.T) {
	srv := replay(t, nil)
	s := newSource(t, srv, Config{})
	ps, err := s.PoolShares(context.Background(), "1w")
	if err != nil {
		t.Fatal(err)
	}
	if ps.Blocks != 1003 || len(ps.Pools) < 5 || ps.Pools[0].Slug != "foundryusa" || ps.Pools[0].Blocks != 297 {
		t.Fatalf("%+v", ps)
	}
	var sum int64
	for i, p := range ps.Pools {
		sum += p.Blocks
		if i > 0 && p.Blocks > ps.Pools[i-1].Blocks {
			t.Fatalf("not sorted at %d: %+v", i, ps.Pools)
		}
	}
	if sum != ps.Blocks || ps.Source != Name || !strings.HasSuffix(ps.Detail, "/api") || ps.AsOf.IsZero() {
		t.Fatalf("sum %d, provenance %+v", sum, ps.Provenance)
	}
	if _, err := s.PoolShares(context.Background(), "5w"); !errors.Is(err, hashlab.ErrInput) {
		t.Fatalf("bad period: %v", err)
	}
}

// Missing blocks are unattributed; implausible answers name the URL.
func TestPoolSharesFaults(t *testing.T) {
	for _, c := range []struct {
		name, body string
		kind       error
		check      func(*PoolShares) bool
	}{
		{"unlisted blocks are unknown", `{"pools":[{"name":"A","slug":"a","blockCount":6}],"blockCount":10}`, nil,
			func(p *PoolShares) bool {
				return len(p.Pools) == 2 && p.Pools[1].Slug == "unknown" && p.Pools[1].Blocks == 4
			}},
		{"unknown merged", `{"pools":[{"name":"Unknown","slug":"unknown","blockCount":1},{"name":"A","slug":"a","blockCount":6}],"blockCount":10}`, nil,
			func(p *PoolShares) bool {
				return len(p.Pools) == 2 && p.Pools[1].Slug == "unknown" && p.Pools[1].Blocks == 4
			}},
		{"more than the total", `{"pools":[{"name":"A","slug":"a","blockCount":11}],"blockCount":10}`, source.ErrImplausible, nil},
		{"negative", `{"pools":[{"name":"A","slug":"a","blockCount":-1}],"blockCount":10}`, source.ErrImplausible, nil},
		{"zero total", `{"pools":[],"blockCount":0}`, source.ErrImplausible, nil},
		{"no total", `{"pools":[]}`, source.ErrMalformed, nil},
		{"no slug", `{"pools":[{"name":"A","blockCount":1}],"blockCount":10}`, source.ErrMalformed, nil},
		{"not JSON", `<html>`, source.ErrMalformed, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := replay(t, map[string]http.HandlerFunc{"v1/mining/pools/1w": text(c.body)})
			ps, err := newSource(t, srv, Config{}).PoolShares(context.Background(), "1w")
			if c.kind != nil {
				if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), "/v1/mining/pools/1w") {
					t.Fatalf("err = %v, want %v naming the URL", err, c.kind)
				}
				return
			}
			if err != nil || !c.check(ps) {
				t.Fatalf("%+v %v", ps, err)
			}
		})
	}
}
