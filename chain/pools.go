package chain

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/hashlab/hashlab"
)

//go:embed pools/pools-v2.json
var defaultPoolsJSON []byte

// Pool is one mining pool of a pools definition file.
type Pool struct {
	ID        int      `json:"id"`
	Name      string   `json:"name"`
	Slug      string   `json:"slug"`
	Addresses []string `json:"addresses"`
	Tags      []string `json:"tags"`
	Link      string   `json:"link"`

	tags []*regexp.Regexp
}

// Pools is an ordered list of pool definitions. Attribution tries pools in
// file order, as mempool.space does.
type Pools struct {
	list []Pool
	// byAddr maps a payout address to the index of the first pool that
	// lists it.
	byAddr map[string]int
}

// poolsShape is what a pools file must be.
const poolsShape = "a JSON array of {id, name, addresses, tags, link} (mempool/mining-pools pools-v2.json)"

// ErrPools is the cause of every pools-file parse error (each a
// *hashlab.InputError naming the entry and field).
var ErrPools = errors.New("chain: bad pools file")

// PoolSlug is mempool's slug of a pool name: the lower-cased letters and
// digits ("Foundry USA" -> "foundryusa", "BTC.com" -> "btccom").
func PoolSlug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParsePools reads a pools definition file in the format of
// mempool/mining-pools pools-v2.json (also bitcoin-data/mining-pools
// merged into one array): a JSON array of {id, name, addresses, tags,
// link}. Tags are regular expressions, matched case-insensitively; a tag
// that is not a valid Go regular expression is matched literally.
func ParsePools(r io.Reader) (*Pools, error) {
	dec := json.NewDecoder(r)
	var raw []Pool
	if err := dec.Decode(&raw); err != nil {
		return nil, hashlab.Invalidf("pools file", err.Error(), poolsShape, ErrPools)
	}
	ps := &Pools{byAddr: map[string]int{}}
	for i, p := range raw {
		if strings.TrimSpace(p.Name) == "" {
			return nil, hashlab.Invalidf(fmt.Sprintf("entry %d (id %d): name", i+1, p.ID), p.Name, "a pool name", ErrPools)
		}
		p.Slug = PoolSlug(p.Name)
		if p.Slug == "" {
			return nil, hashlab.Invalidf(fmt.Sprintf("entry %d (id %d): name", i+1, p.ID), p.Name, "a name with letters or digits (its slug)", ErrPools)
		}
		for _, t := range p.Tags {
			if t == "" {
				continue
			}
			re, err := regexp.Compile("(?i)" + t)
			if err != nil {
				re = regexp.MustCompile("(?i)" + regexp.QuoteMeta(t))
			}
			p.tags = append(p.tags, re)
		}
		for _, a := range p.Addresses {
			if _, dup := ps.byAddr[a]; !dup && a != "" {
				ps.byAddr[a] = len(ps.list)
			}
		}
		ps.list = append(ps.list, p)
	}
	if len(ps.list) == 0 {
		return nil, hashlab.Invalidf("pools file", "no pools", poolsShape, ErrPools)
	}
	return ps, nil
}

// List returns the pools in file order.
func (ps *Pools) List() []Pool { return ps.list }

// Attribute names the pool that mined a block from its coinbase tag (the
// text of the coinbase scriptSig, CoinbaseTag) and its payout addresses,
// the way mempool.space does: for each pool in file order, a payout
// address it lists, then any of its tags matching the text. It returns
// ("", "") when no pool matches.
func (ps *Pools) Attribute(coinbaseTag string, payoutAddresses []string) (slug, name string) {
	best := -1
	for _, a := range payoutAddresses {
		if i, ok := ps.byAddr[a]; ok && (best < 0 || i < best) {
			best = i
		}
	}
	limit := len(ps.list)
	if best >= 0 {
		limit = best
	}
	if coinbaseTag != "" {
		for i := 0; i < limit; i++ {
			for _, re := range ps.list[i].tags {
				if re.MatchString(coinbaseTag) {
					return ps.list[i].Slug, ps.list[i].Name
				}
			}
		}
	}
	if best >= 0 {
		return ps.list[best].Slug, ps.list[best].Name
	}
	return "", ""
}

var (
	defaultPoolsOnce sync.Once
	defaultPools     *Pools
)

// DefaultPools returns the embedded pools list (mempool/mining-pools
// pools-v2.json, MIT; see chain/pools/README.md).
func DefaultPools() *Pools {
	defaultPoolsOnce.Do(func() {
		ps, err := ParsePools(bytes.NewReader(defaultPoolsJSON))
		if err != nil {
			panic("chain: embedded pools-v2.json: " + err.Error())
		}
		defaultPools = ps
	})
	return defaultPools
}

// Attribute attributes a block with the embedded pools list.
func Attribute(coinbaseTag string, payoutAddresses []string) (slug, name string) {
	return DefaultPools().Attribute(coinbaseTag, payoutAddresses)
}

// Name returns the display name of the pool with the given slug, or ""
// when the list has no such pool.
func (ps *Pools) Name(slug string) string {
	for _, p := range ps.list {
		if p.Slug == slug {
			return p.Name
		}
	}
	return ""
}
