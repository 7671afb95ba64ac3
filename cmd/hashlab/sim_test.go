package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/sim"
)

// Issue 5's must-show commands, run as a user would.
func TestSimRunChinaReplayJSON(t *testing.T) {
	code, out, errOut := fndRun(t, "sim", "run", "china-2021-replay", "--paths", "1000", "--seed", "1", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r sim.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	e := r.Epochs[0]
	const real = -27.94 // height 689472: 0x170e1ef9 -> 0x171398ce (see sim's test for the source)
	if math.Abs(float64(e.ChangePct.P50)-real) > 3 || float64(e.ChangePct.P5) > real || float64(e.ChangePct.P95) < real {
		t.Errorf("first retarget %+v does not reproduce %.2f%%", e.ChangePct, real)
	}
}

func TestSimRunAIExodusJSON(t *testing.T) {
	code, out, errOut := fndRun(t, "sim", "run", "ai-exodus", "--paths", "200", "--years", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r sim.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Days != 1096 || r.Paths != 200 || len(r.Population) != 5 {
		t.Errorf("days %d paths %d population %d", r.Days, r.Paths, len(r.Population))
	}
	for _, name := range []string{"hashrate_hs", "difficulty", "block_interval_s", "hashprice_usd_per_ph_day",
		"curtailed_hs", "converted_hs", "revenue_btc", "security_budget_usd", "miner_btc_sold",
		"hhi_operator", "nakamoto_operator", "hhi_pool", "nakamoto_pool", "small_miner_revenue_share"} {
		s := r.Series(name)
		if s == nil || len(s.P50) != r.Days {
			t.Errorf("series %s missing or short", name)
		}
	}
	conv := r.Series("converted_hs")
	if !(conv.P50[r.Days-1] > 1e20) {
		t.Errorf("ai-exodus converted only %v H/s", conv.P50[r.Days-1])
	}
	if len(r.Epochs) < 70 || r.Stat("slowest_epoch_days") == nil || r.Stat("blocks_over_hour") == nil {
		t.Errorf("epochs %d, summary %v", len(r.Epochs), r.Summary)
	}
}

// Shards written by the CLI and merged by the CLI give the bytes of one
// run; the shard index can come from JOB_COMPLETION_INDEX.
func TestSimShardsCLI(t *testing.T) {
	dir := t.TempDir()
	_, one, _ := fndRun(t, "sim", "run", "price-crash", "--paths", "12", "--years", "0.3", "--seed", "5", "--json")
	for i := 0; i < 3; i++ {
		code, _, errOut := fndRun(t, "sim", "run", "price-crash", "--paths", "12", "--years", "0.3", "--seed", "5",
			"--shard", []string{"0/3", "1/3", "2/3"}[i], "--out", dir)
		if code != 0 {
			t.Fatalf("shard %d: exit %d: %s", i, code, errOut)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "shard-*.json.gz"))
	if len(files) != 3 {
		t.Fatalf("shard files: %v", files)
	}
	code, merged, errOut := fndRun(t, append([]string{"sim", "merge", "--json"}, files...)...)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errOut)
	}
	if merged != one {
		t.Fatal("merged shards differ from one run")
	}
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
		if k == "JOB_COMPLETION_INDEX" {
			return "2"
		}
		return ""
	}}
	i, n, err := parseShard(env, "auto/3")
	if err != nil || i != 2 || n != 3 {
		t.Errorf("parseShard(auto/3) = %d, %d, %v", i, n, err)
	}
}

func TestSimOutDirAndHashpricePaths(t *testing.T) {
	dir := t.TempDir()
	hp := filepath.Join(dir, "hp.csv")
	code, out, errOut := fndRun(t, "sim", "run", "halving-2028", "--paths", "8", "--years", "2", "--out", dir, "--hashprice-paths", hp)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []string{"result.json", "daily.csv", "epochs.csv", "summary.csv"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(out, "Daily bands") || !strings.Contains(out, "Retargets") {
		t.Errorf("text report:\n%s", out)
	}
	b, _ := os.ReadFile(hp)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 8 || len(strings.Split(lines[0], ",")) != 2 {
		t.Errorf("hashprice paths:\n%s", b)
	}
	// The file feeds pivot's Monte Carlo.
	paths, err := readPathsCSV(hp, 2)
	if err != nil || len(paths) != 8 {
		t.Errorf("readPathsCSV: %v", err)
	}
}

func TestSimUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sim", "run"}, "needs one scenario"},
		{[]string{"sim", "run", "nope"}, "scenario = nope (allowed: a shipped scenario"},
		{[]string{"sim", "run", "baseline", "--paths", "0"}, "--paths = 0 (allowed: 1 to 100,000,000)"},
		{[]string{"sim", "run", "baseline", "--shard", "3/3", "--out", "x"}, "index \"3\" (allowed: 0 to 2)"},
		{[]string{"sim", "run", "baseline", "--shard", "0/2"}, "--shard needs --out"},
		{[]string{"sim", "run", "./missing.yaml"}, "no such file"},
		{[]string{"sim", "frob"}, "subcommand = frob (allowed: scenarios, run, merge, show)"},
		{[]string{"sim", "run", "baseline", "--workers", "-3"}, "--workers = -3 (allowed: 0 (one per CPU) to 4096)"},
	} {
		code, _, errOut := fndRun(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

func TestSimScenarioFileWithPriceSeries(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "prices.csv"), []byte("date,usd\n2025-11-24,86000\n2025-11-25,43000\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "s.yaml"), []byte("name: replay\nyears: 0.1\nprice: {model: replay, series_file: prices.csv}\n"), 0o644)
	code, out, errOut := fndRun(t, "sim", "run", filepath.Join(dir, "s.yaml"), "--paths", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r sim.Result
	json.Unmarshal([]byte(out), &r)
	p := r.Series("price_usd")
	if p.P50[0] != 86000 || p.P50[5] != 43000 {
		t.Errorf("replayed prices %v %v", p.P50[0], p.P50[5])
	}
	os.WriteFile(filepath.Join(dir, "bad.csv"), []byte("2025-11-24,abc\n2025-11-25,-1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("name: replay\nprice: {model: replay, series_file: bad.csv}\n"), 0o644)
	code, _, errOut = fndRun(t, "sim", "run", filepath.Join(dir, "b.yaml"), "--paths", "2")
	if code != 2 || !strings.Contains(errOut, "bad.csv line 2: usd -1 (allowed: > 0)") {
		t.Errorf("bad price file: exit %d %q", code, errOut)
	}
}
