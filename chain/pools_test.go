package chain

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
)

func TestAttributeWithEmbeddedPools(t *testing.T) {
	if n := len(DefaultPools().List()); n != 168 {
		t.Fatalf("embedded pools: %d, want 168 (mempool/mining-pools pools-v2.json @ 6abbdc8)", n)
	}
	for _, c := range []struct {
		tag   string
		addrs []string
		slug  string
	}{
		{"/Foundry USA Pool #dropgold/", nil, "foundryusa"},
		{"Mined by AntPool bj3 0", nil, "antpool"},
		{"mined by antpool", nil, "antpool"}, // case-insensitive, as mempool does
		{"/ViaBTC/Mined by hashlab/", nil, "viabtc"},
		{"七彩神仙鱼", nil, "f2pool"},
		// A payout address alone attributes the block.
		{"", []string{"bc1qxhmdufsvnuaaaer4ynz88fspdsxq2h9e9cetdj"}, "foundryusa"},
		{"", []string{"1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY"}, "f2pool"},
		{"no pool here", []string{"bcrt1qnothing"}, ""},
		{"", nil, ""},
	} {
		if slug, _ := Attribute(c.tag, c.addrs); slug != c.slug {
			t.Errorf("Attribute(%q, %v) = %q, want %q", c.tag, c.addrs, slug, c.slug)
		}
	}
}

func TestAttributeFileOrderWins(t *testing.T) {
	// Pool A is listed first and matches by tag; pool B matches by
	// address. mempool tries pools in file order, so A wins.
	ps, err := ParsePools(strings.NewReader(`[
		{"id":1,"name":"Pool A","addresses":[],"tags":["/A+/"]},
		{"id":2,"name":"Pool-B","addresses":["addrB"],"tags":["B"]},
		{"id":3,"name":"Pool C","addresses":["addrC"],"tags":["(unclosed"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if slug, name := ps.Attribute("x/AAA/x", []string{"addrB"}); slug != "poola" || name != "Pool A" {
		t.Errorf("got %s %s, want poola", slug, name)
	}
	if slug, _ := ps.Attribute("nothing", []string{"addrB"}); slug != "poolb" {
		t.Errorf("address match: %s", slug)
	}
	// An invalid regular expression is matched literally.
	if slug, _ := ps.Attribute("tag (unclosed here", nil); slug != "poolc" {
		t.Errorf("literal fallback: %s", slug)
	}
}

func TestParsePoolsErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{}`, "allowed: a JSON array of {id, name, addresses, tags, link}"},
		{`[]`, "pools file = \"no pools\""},
		{`[{"id":7,"name":" "}]`, `entry 1 (id 7): name = " " (allowed: a pool name)`},
		{`[{"id":7,"name":"..."}]`, `entry 1 (id 7): name = ... (allowed: a name with letters or digits`},
	} {
		_, err := ParsePools(strings.NewReader(c.in))
		if !errors.Is(err, ErrPools) || !errors.Is(err, hashlab.ErrInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
	}
}

// FuzzParsePools: any input gives pools or an input error, never a panic;
// parsed pools attribute without panicking.
func FuzzParsePools(f *testing.F) {
	f.Add(`[{"id":1,"name":"Foundry USA","addresses":["bc1q"],"tags":["Foundry USA Pool"]}]`)
	f.Add(`[{"id":2,"name":"x","tags":["(unclosed"]}]`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, in string) {
		ps, err := ParsePools(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, hashlab.ErrInput) {
				t.Fatalf("%q: %v is not an input error", in, err)
			}
			return
		}
		for _, p := range ps.List() {
			if p.Slug == "" || PoolSlug(p.Name) != p.Slug {
				t.Fatalf("pool %+v has a bad slug", p)
			}
		}
		ps.Attribute(in, []string{in})
	})
}
