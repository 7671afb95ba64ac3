package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite golden files under testdata/")

// fndRun runs the CLI in-process and returns exit code, stdout, stderr.
func fndRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Now: func() time.Time { return time.Unix(1763992124, 0) }, Getenv: func(string) string { return "" }}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func fndGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update-golden to create)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestHashpriceMustShow(t *testing.T) {
	code, out, stderr := fndRun(t, "hashprice", "--difficulty", "152270000000000", "--height", "925000", "--fees-btc", "0.02", "--price", "86000", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	hp := r["usd_per_ph_day"].(float64)
	if hp < 35.65 || hp > 35.75 {
		t.Fatalf("usd_per_ph_day %v, want ≈35.7", hp)
	}
	for _, k := range []string{"btc_per_ph_day", "network_hashrate_hs"} {
		if _, ok := r[k].(float64); !ok {
			t.Errorf("missing %s", k)
		}
	}
	be := r["breakeven_usd_per_kwh_at_jth"].(map[string]any)["17.5"].(float64)
	if be < 0.0845 || be > 0.0855 {
		t.Fatalf("breakeven at 17.5 J/TH %v, want ≈0.085", be)
	}
}

func TestNextBitsMustShow(t *testing.T) {
	code, out, stderr := fndRun(t, "next-bits", "--prev-bits", "0x170e1ef9", "--first-time", "1623614836", "--last-time", "1625293501", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Bits      string  `json:"bits"`
		PrevBits  string  `json:"prev_bits"`
		ChangePct float64 `json:"change_pct"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Bits != "0x171398ce" || r.PrevBits != "0x170e1ef9" || r.ChangePct > -27.9 || r.ChangePct < -28 {
		t.Fatalf("%+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"hashprice", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"hashprice", "--price", "-1"}, "--price = -1"},
		{[]string{"hashprice", "--bits", "0x01fedcba"}, "--bits = 0x01fedcba"},
		{[]string{"hashprice", "--bits", "0xff123456"}, "--bits = 0xff123456"},
		{[]string{"hashprice", "--bits", "0x1e00ffff"}, "--bits = 0x1e00ffff"},
		{[]string{"hashprice", "--bits", "zz"}, "--bits = zz"},
		{[]string{"hashprice", "--difficulty", "-3"}, "--difficulty = -3"},
		{[]string{"hashprice", "--difficulty", "1", "--bits", "0x1d00ffff"}, "not both"},
		{[]string{"hashprice", "--fees-btc", "-0.1"}, "--fees-btc = -0.1"},
		{[]string{"next-bits", "--first-time", "1", "--last-time", "2"}, "--prev-bits is required"},
		{[]string{"next-bits", "--prev-bits", "0x00000000", "--first-time", "1", "--last-time", "2"}, "zero"},
		{[]string{"miners", "--pool-fee", "3"}, "--pool-fee = 3"},
		{[]string{"fleet"}, "want exactly one fleet file"},
		{[]string{"nosuchcommand"}, "unknown command"},
	}
	for _, tt := range tests {
		code, _, stderr := fndRun(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

func TestFleetFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("machines:\n  - model: S21\n    count: -4\n"), 0o644)
	code, _, stderr := fndRun(t, "fleet", bad)
	if code != 2 || !strings.Contains(stderr, "machines[0]") || !strings.Contains(stderr, "count = -4") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr = fndRun(t, "fleet", filepath.Join(dir, "missing.yaml"))
	if code != 2 || !strings.Contains(stderr, "FILE = ") || !strings.Contains(stderr, "missing.yaml") || !strings.Contains(stderr, "a readable file") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

func TestGoldenOutputs(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"hashprice.txt", []string{"hashprice"}},
		{"miners.txt", []string{"miners"}},
		{"fleet.txt", []string{"fleet", "../../examples/fleet.yaml"}},
		{"next-adjustment.txt", []string{"next-adjustment"}},
		{"halving.txt", []string{"halving"}},
		{"overview.txt", []string{"overview"}},
		{"next-bits.txt", []string{"next-bits", "--prev-bits", "0x170e1ef9", "--first-time", "1623614836", "--last-time", "1625293501"}},
	} {
		code, out, stderr := runAt(t, issueDay, tt.args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, stderr)
		}
		fndGolden(t, tt.name, out)
	}
}

func TestJSONEverywhere(t *testing.T) {
	for _, args := range [][]string{{"hashprice"}, {"miners"}, {"fleet", "../../examples/fleet.yaml"}, {"next-adjustment"}, {"halving"}, {"overview"}} {
		code, out, stderr := fndRun(t, append(args, "--json")...)
		if code != 0 || !json.Valid([]byte(out)) {
			t.Errorf("%v --json: exit %d, valid %v, %s", args, code, json.Valid([]byte(out)), stderr)
		}
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := fndRun(t, "help")
	if code != 0 || !strings.Contains(out, "hashprice") {
		t.Fatalf("help: %d %s", code, out)
	}
	if code, _, _ := fndRun(t, "hashprice", "-h"); code != 0 {
		t.Fatalf("-h exit %d", code)
	}
	if code, out, stderr := fndRun(t); code != 2 || out != "" || !strings.Contains(stderr, "Usage: hashlab <command>") {
		t.Fatalf("no args: exit %d, stdout %q (want 2, usage on stderr)", code, out)
	}
	if code, out, _ := fndRun(t, "help", "sim"); code != 0 || !strings.Contains(out, "Usage: hashlab sim <subcommand>") {
		t.Fatalf("help sim: exit %d, %q", code, out)
	}
}
