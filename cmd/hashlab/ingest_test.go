package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/internal/btcdtest"
)

// TestMain removes the btcd binary the ingest test builds.
func TestMain(m *testing.M) { os.Exit(btcdtest.Main(m)) }

// runEnv runs the CLI in-process with the given environment variables.
func runEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Now: time.Now, Getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

// TestIngestCommandAgainstBtcd drives hashlab ingest against a real btcd
// in regtest: a first run, a resumed run, credentials from the
// environment, and the errors that must leave nothing written (wrong
// password, unreachable node, a database of another network).
func TestIngestCommandAgainstBtcd(t *testing.T) {
	n := btcdtest.Start(t)
	m := btcdtest.NewMiner(t, n, "cli-miner")
	m.MineN(t, 30, btcdtest.BlockSpec{Tag: "/ViaBTC/Mined by hashlab/"})
	dir := t.TempDir()
	db := filepath.Join(dir, "regtest.db")
	noFile := func(path string) {
		t.Helper()
		if _, err := os.Stat(path); err == nil {
			t.Errorf("%s was created", path)
		}
	}

	code, out, stderr := runEnv(t, nil, "ingest", "--rpc", n.RPCURL, "--rpc-user", n.User, "--rpc-pass", n.Password, "--db", db, "--json")
	if code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	var sum struct {
		Network       string `json:"network"`
		BlocksWritten int64  `json:"blocks_written"`
		TipHeight     int64  `json:"tip_height"`
		Resumed       bool   `json:"resumed"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.Network != "regtest" || sum.BlocksWritten != 31 || sum.TipHeight != 30 || sum.Resumed {
		t.Fatalf("first run: %+v %v\n%s", sum, err, out)
	}
	m.MineN(t, 5, btcdtest.BlockSpec{Tag: "Mined by AntPool"})
	// Credentials from the environment; the run resumes at the tip.
	vars := map[string]string{"BITCOIN_RPC_URL": n.RPCURL, "BITCOIN_RPC_USER": n.User, "BITCOIN_RPC_PASSWORD": n.Password}
	code, out, stderr = runEnv(t, vars, "ingest", "--db", db)
	if code != 0 || !strings.Contains(out, "resumed after the database tip") || !strings.Contains(out, "written        5 blocks") {
		t.Fatalf("resume: exit %d\n%s%s", code, out, stderr)
	}
	if code, out, _ := runEnv(t, nil, "pools", "--db", db, "--window", "1y"); code != 0 || !strings.Contains(out, "ViaBTC") || !strings.Contains(out, "AntPool") {
		t.Errorf("pools of the regtest chain: %d\n%s", code, out)
	}

	fresh := filepath.Join(dir, "fresh.db")
	if code, _, stderr := runEnv(t, vars, "ingest", "--db", fresh, "--getblock-verbosity", "1"); code != 2 || !strings.Contains(stderr, "--getblock-verbosity 1 (allowed: 0, 2)") {
		t.Errorf("verbosity 1: exit %d: %s", code, stderr)
	}
	code, _, stderr = runEnv(t, nil, "ingest", "--rpc", n.RPCURL, "--rpc-user", n.User, "--rpc-pass", "wrong", "--db", fresh)
	if code != 1 || !strings.Contains(stderr, "authentication failed") {
		t.Errorf("wrong password: exit %d: %s", code, stderr)
	}
	noFile(fresh)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	code, _, stderr = runEnv(t, nil, "ingest", "--rpc", closed, "--rpc-user", "u", "--rpc-pass", "p", "--db", fresh, "--rpc-timeout", "2s")
	if code != 1 || !strings.Contains(stderr, "is the node running") {
		t.Errorf("unreachable node: exit %d: %s", code, stderr)
	}
	noFile(fresh)

	// A mainnet database (the blocks CSV) refuses a regtest node.
	main := filepath.Join(dir, "mainnet.db")
	csv := filepath.Join(dir, "b.csv")
	os.WriteFile(csv, []byte("height,time,pool_slug\n900000,1749000000,foundryusa\n"), 0o644)
	if code, _, stderr := runEnv(t, nil, "import", "blocks", csv, "--db", main); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	before, _ := os.ReadFile(main)
	code, _, stderr = runEnv(t, nil, "ingest", "--rpc", n.RPCURL, "--rpc-user", n.User, "--rpc-pass", n.Password, "--db", main)
	if code != 1 || !strings.Contains(stderr, "mainnet") || !strings.Contains(stderr, "regtest") {
		t.Errorf("network mismatch: exit %d: %s", code, stderr)
	}
	if code, out, _ := runEnv(t, nil, "pools", "--db", main, "--window", "1d", "--json"); code != 0 || !strings.Contains(out, `"blocks": 1`) {
		t.Errorf("the mainnet database changed after the refused ingest: %s (size before %d)", out, len(before))
	}
}
