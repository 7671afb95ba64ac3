package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPivotCLIMustShow(t *testing.T) {
	code, out, stderr := fndRun(t, "pivot", "../../examples/site-example.yaml", "--path", "flat", "--hashprice", "35.73", "--json")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	var r struct {
		Options []struct {
			Name          string  `json:"name"`
			RevenuePerKWh float64 `json:"revenue_usd_per_kwh"`
			Ratio         float64 `json:"revenue_ratio_to_mining"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, o := range r.Options {
		got[o.Name] = [2]float64{o.RevenuePerKWh, o.Ratio}
	}
	// Issue #7: mining ≈ $0.085/kWh at $35.7/PH/day and 17.5 J/TH; lease
	// ≈ $0.205/kWh; GPU rental; ratios to mining.
	if m := got["keep mining"]; m[0] < 0.0845 || m[0] > 0.0855 || m[1] != 1 {
		t.Fatalf("mining %v", m)
	}
	if l := got["lease to AI tenant"]; l[0] < 0.204 || l[0] > 0.206 || l[1] < 2.3 || l[1] > 2.5 {
		t.Fatalf("lease %v", l)
	}
	if g := got["own GPU cloud"]; g[0] != 1 || g[1] < 11 {
		t.Fatalf("gpu %v", g)
	}
	if _, ok := got["mine with curtailment"]; !ok {
		t.Fatal("no curtailment option despite hourly prices")
	}
}

func TestPivotGolden(t *testing.T) {
	code, out, stderr := runAt(t, issueDay, "pivot", "../../examples/site-example.yaml", "--paths", "200", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	fndGolden(t, "pivot-site.txt", out)
}

func TestPivotPortfolioExport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "conv.yaml")
	code, _, stderr := fndRun(t, "pivot", "portfolio", "../../examples/portfolio-bitfarms.yaml", "--export-conversions", out)
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "conversions:") || !strings.Contains(string(b), "mw: 341") {
		t.Fatalf("%s %v", b, err)
	}
}

func TestPivotCLIErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "s.yaml")
	os.WriteFile(bad, []byte("gross_mw: 10\npue_mining: 0.2\n"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"pivot", bad}, "pue_mining = 0.2"},
		{[]string{"pivot"}, "want one site file"},
		{[]string{"pivot", "../../examples/site-example.yaml", "--path", "zigzag"}, "--path = zigzag"},
		{[]string{"pivot", "../../examples/site-example.yaml", "--hashprice", "-4"}, "--hashprice = -4"},
	} {
		code, _, stderr := fndRun(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
	os.WriteFile(filepath.Join(dir, "p.csv"), []byte("hour,usd_per_kwh\n0,0.03\n1,abc\n"), 0o644)
	os.WriteFile(bad, []byte("gross_mw: 10\nhourly_prices_csv: p.csv\n"), 0o644)
	if code, _, stderr := fndRun(t, "pivot", bad); code != 2 || !strings.Contains(stderr, "line 3") {
		t.Errorf("bad hourly csv: exit %d %q", code, stderr)
	}
}
