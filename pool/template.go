package pool

import (
	"sort"
	"strings"

	"github.com/hashlab/hashlab/security"
)

// TemplateGroup is a set of pools that mine on one block template: for
// concentration they are one entity, whatever their names.
type TemplateGroup struct {
	Name string `json:"name"`
	// Members are pool keys (see [PoolKey]): slugs or display names
	// lower-cased with everything but letters and digits removed.
	Members []string `json:"members"`
	// Source cites where the sharing was observed, and AsOf when.
	Source string `json:"source"`
	AsOf   string `json:"as_of"`
}

// b10c2024 is the source of the template groups.
const b10c2024 = "b10c, \"Block Template Similarities between Mining Pools: AntPool and friends?\", 2024-09-16, https://b10c.me/observations/12-template-similarity " +
	"(stratum jobs' Merkle branches compared: Poolin 99% and BTC.com 98% similar to AntPool; Ultimus, Braiins, Binance Pool and SpiderPool above 80%); " +
	"b10c on Nostr, 2024-04-17 (BTC.com, Binance Pool, Poolin, EMCD, Rawpool and possibly Braiins send AntPool's exact template; SigmaPool and SECPOOL share one template of their own); " +
	"b10c, \"Invalid mining jobs by AntPool & friends during forks\", 2025-03-12, https://b10c.me/observations/14-antpool-and-friends-invalid-mining-jobs (AntPool, CloverPool (formerly BTC.com), Ultimus, Rawpool, Poolin)"

// TemplateGroups returns the known template groups. The mapping is
// evidence of shared templates at the dates given, not of common
// ownership; pools can change templates at any time.
func TemplateGroups() []TemplateGroup {
	return []TemplateGroup{
		{Name: "AntPool & friends", AsOf: "2024-09-16", Source: b10c2024,
			Members: []string{"antpool", "poolin", "btccom", "cloverpool", "binancepool", "braiinspool", "ultimuspool", "spiderpool", "emcdpool", "emcd", "rawpool"}},
		{Name: "SECPOOL & SigmaPool", AsOf: "2024-04-17", Source: b10c2024,
			Members: []string{"secpool", "sigmapoolcom", "sigmapool"}},
	}
}

// PoolKey is how a pool's slug or display name is matched to a group:
// lower case, letters and digits only ("Binance Pool" and "binancepool"
// are one key).
func PoolKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Grouping says which pools were merged into a template group.
type Grouping struct {
	Group  string   `json:"group"`
	Pools  []string `json:"pools"`
	Share  float64  `json:"share"`
	Source string   `json:"source"`
	AsOf   string   `json:"as_of"`
}

// ByTemplate merges the shares of pools in one template group into one
// entity named after the group; other pools keep their own share. It
// returns the merged shares (in the input's scale) and, for each group
// that matched at least one pool, which pools it merged.
func ByTemplate(shares []security.Share, groups []TemplateGroup) ([]security.Share, []Grouping) {
	groupOf := map[string]int{}
	for i, g := range groups {
		for _, m := range g.Members {
			groupOf[PoolKey(m)] = i
		}
	}
	var out []security.Share
	merged := map[int]*Grouping{}
	at := map[int]int{}
	poolShare := map[string]float64{}
	for _, s := range shares {
		gi, ok := groupOf[PoolKey(s.Name)]
		if !ok {
			out = append(out, s)
			continue
		}
		g := merged[gi]
		if g == nil {
			g = &Grouping{Group: groups[gi].Name, Source: groups[gi].Source, AsOf: groups[gi].AsOf}
			merged[gi] = g
			at[gi] = len(out)
			out = append(out, security.Share{Name: groups[gi].Name})
		}
		g.Pools = append(g.Pools, s.Name)
		poolShare[s.Name] += s.Share
		g.Share += s.Share
		out[at[gi]].Share += s.Share
	}
	var gs []Grouping
	for _, g := range merged {
		// The group's pools, largest first (name order on ties).
		sort.SliceStable(g.Pools, func(i, j int) bool {
			si, sj := poolShare[g.Pools[i]], poolShare[g.Pools[j]]
			if si != sj {
				return si > sj
			}
			return g.Pools[i] < g.Pools[j]
		})
		gs = append(gs, *g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Share > gs[j].Share })
	return out, gs
}
