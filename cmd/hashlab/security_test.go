package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSecurityCLIMustShow(t *testing.T) {
	code, out, stderr := fndRun(t, "security", "double-spend", "--q", "0.1", "--z", "0-10", "--method", "nakamoto", "--json")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	// The API's answer (service.DoubleSpend): q, method and one entry per z.
	var res struct {
		Q       float64 `json:"q"`
		Method  string  `json:"method"`
		Entries []struct {
			Z int     `json:"z"`
			P float64 `json:"p"`
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Q != 0.1 || res.Method != "nakamoto" {
		t.Fatalf("%v %s", err, out)
	}
	if ds := res.Entries; len(ds) != 11 || ds[5].Z != 5 || ds[5].P < 0.00091365 || ds[5].P > 0.00091375 {
		t.Fatalf("%+v", ds)
	}
	code, out, _ = fndRun(t, "security", "confirmations", "--q", "0.45", "--risk", "0.001", "--method", "nakamoto", "--json")
	var cf struct{ Z int }
	if code != 0 || json.Unmarshal([]byte(out), &cf) != nil || cf.Z != 340 {
		t.Fatalf("confirmations: %d %s", code, out)
	}
	code, out, _ = fndRun(t, "security", "selfish", "--alpha", "0.35", "--gamma", "0", "--json")
	var sf struct{ Honest, SM1, Optimal float64 }
	if code != 0 || json.Unmarshal([]byte(out), &sf) != nil || sf.Honest != 0.35 || sf.SM1 < 0.3664 || sf.SM1 > 0.3666 || sf.Optimal < 0.3705 || sf.Optimal > 0.3710 {
		t.Fatalf("selfish: %d %s", code, out)
	}
	for _, args := range [][]string{{"security", "attack-cost", "--exodus", "0.3", "--json"}, {"security", "concentration", "--shares", "a=3,b=2,c=1", "--json"}, {"security", "selfish", "--threshold", "--gamma", "0.5", "--json"}} {
		if code, out, stderr := fndRun(t, args...); code != 0 || !json.Valid([]byte(out)) {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
}

func TestSecurityCLIErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"security", "double-spend", "--q", "1.2"}, "--q = 1.2"},
		{[]string{"security", "double-spend", "--z", "5-2"}, "--z = 5-2"},
		{[]string{"security", "double-spend", "--method", "magic"}, `--method "magic"`},
		{[]string{"security", "confirmations", "--q", "0.6"}, "--q = 0.6"},
		{[]string{"security", "selfish", "--gamma", "2"}, "gamma"},
		{[]string{"security", "attack-cost", "--exodus", "1"}, "--exodus = 1"},
		{[]string{"security", "concentration"}, "--shares, --db or --source is required"},
		{[]string{"security", "concentration", "--shares", "a=x"}, "not name=share"},
		{[]string{"security", "nope"}, "unknown subcommand"},
		{[]string{"security"}, "subcommand is required"},
	} {
		code, _, stderr := fndRun(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
}

// Issue 6 part 5: security report over a simulator scenario.
func TestSecurityReportCLI(t *testing.T) {
	code, out, errOut := fndRun(t, "security", "report", "ai-exodus", "--paths", "40", "--years", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"cost of 6-block double spend", "confirmations for risk 0.001", "2028-", "selfish mining pays above", "Nakamoto coefficient (pools)"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	code, out, errOut = fndRun(t, "security", "report", "china-2021-replay", "--paths", "20", "--z", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"name":"attack_cost_usd"`) || !strings.Contains(out, `"name":"double_spend_probability"`) {
		t.Errorf("JSON lacks the security series")
	}
	code, _, errOut = fndRun(t, "security", "report", "baseline", "--attacker-share", "0.7")
	if code != 2 || !strings.Contains(errOut, "--attacker-share") {
		t.Errorf("bad share: exit %d %q", code, errOut)
	}
}

// A negative share is an input error naming --shares, the entry and
// what is allowed, with nothing on stdout.
func TestConcentrationNegativeShareNamesFlag(t *testing.T) {
	code, out, errOut := fndRun(t, "security", "concentration", "--shares", "a=-1,b=2")
	if code != 2 || out != "" || !strings.Contains(errOut, "--shares") || !strings.Contains(errOut, "a=-1") || !strings.Contains(errOut, ">= 0") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// attack-cost: buying new is unlimited (available_hs null, "unlimited"
// in the table), and a source with 0 H/s available has no capex (n/a).
func TestAttackCostAvailability(t *testing.T) {
	code, out, errOut := fndRun(t, "security", "attack-cost", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Results []struct {
			Sources []map[string]any `json:"sources"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Results) == 0 {
		t.Fatalf("%v: %s", err, out)
	}
	for _, s := range r.Results[0].Sources {
		if v, ok := s["available_hs"]; s["source"] == "buy-new" && (!ok || v != nil || s["unlimited"] != true) {
			t.Errorf("buy-new: available_hs %v unlimited %v, want null and true", v, s["unlimited"])
		}
	}
	code, out, errOut = fndRun(t, "security", "attack-cost", "--exodus", "0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "idle-machines" && !strings.Contains(line, "n/a") {
			t.Errorf("idle machines with 0 H/s available: %q, want n/a capex", line)
		}
		if len(f) > 0 && f[0] == "buy-new" && !strings.HasSuffix(strings.TrimSpace(line), "unlimited") {
			t.Errorf("buy-new: %q", line)
		}
	}
}
