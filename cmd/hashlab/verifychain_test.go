package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

func TestVerifyChainMustShow(t *testing.T) {
	dir := sharedtest.Path(t, "headers")
	tests := []struct {
		args      []string
		retargets float64
	}{
		{[]string{"--headers", filepath.Join(dir, "epoch_boundary_headers_0-832608.bin"), "--layout", "epoch-boundaries", "--chainwork-csv", filepath.Join(dir, "epoch_boundary_headers_0-832608.csv")}, 413},
		{[]string{"--headers", filepath.Join(dir, "headers_822528-830592.bin"), "--start-height", "822528"}, 4},
		{[]string{"--headers", filepath.Join(dir, "headers_586657-589289.bin"), "--start-height", "586657"}, 1},
		{[]string{"--epochs", filepath.Join(dir, "difficulty_epochs.csv")}, 469},
	}
	for _, tt := range tests {
		code, out, stderr := fndRun(t, append([]string{"verify-chain", "--json"}, tt.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d %s", tt.args, code, stderr)
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r["mismatches"].(float64) != 0 || r["retargets_checked"].(float64) != tt.retargets {
			t.Fatalf("%v: %v", tt.args, r)
		}
	}
}

func TestVerifyChainCorruptFile(t *testing.T) {
	data, err := os.ReadFile(sharedtest.Path(t, "headers", "headers_822528-830592.bin"))
	if err != nil {
		t.Fatal(err)
	}
	data[80*5000+70] ^= 0x40 // the time field of height 827528
	bad := filepath.Join(t.TempDir(), "bad.bin")
	os.WriteFile(bad, data, 0o644)
	code, out, stderr := fndRun(t, "verify-chain", "--headers", bad, "--start-height", "822528")
	if code != 1 || !strings.Contains(stderr, "height 827528") || !strings.Contains(stderr, "byte offset 400000") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	// A file that ends inside a header is bad input (exit 2) naming the
	// file, the height and byte offset, the value and what is allowed.
	os.WriteFile(bad, data[:80*3+5], 0o644)
	code, _, stderr = fndRun(t, "verify-chain", "--headers", bad, "--start-height", "822528")
	if code != 2 || !strings.Contains(stderr, bad+`: height 822531 at byte offset 240 = "5 trailing bytes" (allowed: whole 80-byte headers`) || !strings.Contains(stderr, "truncated") {
		t.Fatalf("truncated: exit %d %s", code, stderr)
	}
	// An empty file is an error, not "0 mismatches".
	empty := filepath.Join(t.TempDir(), "empty.bin")
	os.WriteFile(empty, nil, 0o644)
	code, out, stderr = fndRun(t, "verify-chain", "--headers", empty)
	if code != 2 || !strings.Contains(stderr, empty+": headers = \"0 headers\" (allowed: at least one 80-byte block header)") || strings.Contains(out, "mismatches") {
		t.Fatalf("empty: exit %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	// A file that cannot be read is bad input naming the flag (exit 2),
	// as for every command that reads a user's file.
	if code, _, stderr := fndRun(t, "verify-chain", "--headers", filepath.Join(t.TempDir(), "absent.bin")); code != 2 || !strings.Contains(stderr, "--headers") {
		t.Fatalf("missing file: exit %d %s, want 2", code, stderr)
	}
	if code, _, stderr := fndRun(t, "verify-chain", "--headers", bad, "--layout", "sparse"); code != 2 || !strings.Contains(stderr, "sparse") {
		t.Fatalf("bad layout: exit %d %s", code, stderr)
	}
}
