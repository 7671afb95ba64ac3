package mining

import (
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// legacyUncited are the catalogue rows that still cite a manufacturer's spec
// sheet by name only, without a public page and access date (they predate
// the source_url column; docs/mining.md lists them as a known gap). The list
// may only shrink: a row added to the catalogue must carry its URL.
var legacyUncited = map[string]bool{
	"Antminer S9":         true,
	"Antminer S19 XP Hyd": true, "Antminer S21+": true, "Antminer S21 XP Hyd": true,
	"Whatsminer M20S": true, "Whatsminer M50S": true,
	"Whatsminer M63S": true, "Avalon A1246": true,
}

func isDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// TestCatalogueCitations: every row names its source; every row outside the
// frozen legacy list gives the public page (an absolute http(s) URL) and the
// UTC date it was read; a URL and an access date come together; every price
// has a date and a source, and a price date or source never stands without
// a price.
func TestCatalogueCitations(t *testing.T) {
	cat := Catalogue()
	names := map[string]bool{}
	for _, m := range cat {
		names[m.Name] = true
		if strings.TrimSpace(m.Source) == "" {
			t.Errorf("%s: no source", m.Name)
		}
		if m.SourceURL == "" && !legacyUncited[m.Name] {
			t.Errorf("%s: no source_url (every row added to the catalogue cites the page it was read from)", m.Name)
		}
		if (m.SourceURL == "") != (m.SourceAccessed == "") {
			t.Errorf("%s: source_url %q and accessed %q must come together", m.Name, m.SourceURL, m.SourceAccessed)
		}
		if m.SourceURL != "" {
			u, err := url.Parse(m.SourceURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Errorf("%s: source_url %q is not an absolute http(s) URL", m.Name, m.SourceURL)
			}
			if !isDate(m.SourceAccessed) {
				t.Errorf("%s: accessed %q is not a YYYY-MM-DD date", m.Name, m.SourceAccessed)
			}
		}
		if m.PriceUSDPerTH != nil {
			if !isDate(m.PriceDate) {
				t.Errorf("%s: price_date %q is not a YYYY-MM-DD date", m.Name, m.PriceDate)
			}
			if strings.TrimSpace(m.PriceSource) == "" {
				t.Errorf("%s: a price without a source", m.Name)
			}
		} else if m.PriceDate != "" || m.PriceSource != "" {
			t.Errorf("%s: price_date %q / price_source %q without a price", m.Name, m.PriceDate, m.PriceSource)
		}
	}
	for n := range legacyUncited {
		if !names[n] {
			t.Errorf("legacy list names %q, which is not in the catalogue: drop it from the list", n)
		}
	}
	for _, m := range cat {
		if legacyUncited[m.Name] && m.SourceURL != "" {
			t.Errorf("%s now has a source_url: drop it from legacyUncited", m.Name)
		}
	}
}

// TestCatalogueRejectsUndatedPrice: the parser refuses a price without its
// date or its source.
func TestCatalogueRejectsUndatedPrice(t *testing.T) {
	const head = "manufacturer,model,hashrate_ths,power_w,cooling,release_year,source,source_url,accessed,usd_per_th,price_date,price_source\n"
	for _, row := range []string{
		"X,Y,100,2000,air,2024,sheet,https://example.org/y,2026-12-01,15,,a source\n",
		"X,Y,100,2000,air,2024,sheet,https://example.org/y,2026-12-01,15,2026-11-01,\n",
	} {
		if _, err := ParseCatalogue(strings.NewReader(head + row)); err == nil {
			t.Errorf("accepted %q", row)
		}
	}
}

// TestCatalogueDerivedPower: where a row's source says its power was
// derived ("power = T TH/s x J J/TH"), the power column is that product.
func TestCatalogueDerivedPower(t *testing.T) {
	re := regexp.MustCompile(`power = ([0-9.]+) TH/s x ([0-9.]+) J/TH`)
	n := 0
	for _, m := range Catalogue() {
		g := re.FindStringSubmatch(m.Source)
		if g == nil {
			continue
		}
		n++
		th, _ := strconv.ParseFloat(g[1], 64)
		j, _ := strconv.ParseFloat(g[2], 64)
		if th != m.HashrateTHs || math.Abs(th*j-m.PowerW) > 0.5 {
			t.Errorf("%s: %v TH/s, %v W; the source derives %v TH/s x %v J/TH = %v W", m.Name, m.HashrateTHs, m.PowerW, th, j, th*j)
		}
	}
	if n == 0 {
		t.Error("no row derives its power; the pattern no longer matches the sources")
	}
}
