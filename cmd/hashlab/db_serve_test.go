package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/internal/btcdtest"
	"github.com/hashlab/hashlab/internal/pgtest"
	"github.com/hashlab/hashlab/store"
)

// buildHashlab builds the binary once for the test.
func buildHashlab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hashlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is a hashlab process whose stderr the test reads.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
}

func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), stderr: &syncBuffer{}}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { p.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				p.cmd.Process.Kill()
				<-done
			}
		}
	})
	return p
}

// TestTwoServesOnePostgresOneIngester: one `ingest --follow` copies a real
// btcd's regtest chain into a PostgreSQL database that two `serve`
// processes read; blocks the node mines reach both servers' /healthz and
// their refreshed state within one refresh interval of being written (the
// data generation both read); a second ingester on the same database
// refuses, naming the first.
func TestTwoServesOnePostgresOneIngester(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs five processes")
	}
	pg := pgtest.Start(t)
	node := btcdtest.Start(t)
	miner := btcdtest.NewMiner(t, node, "two-serves")
	mine := func(n int) {
		for range n {
			miner.Mine(t, btcdtest.BlockSpec{Tag: "/TwoServes/"})
		}
	}
	tipOf := func() int64 { return node.Height(t) }
	mine(12)
	bin := buildHashlab(t)
	rpc := []string{"--rpc", node.RPCURL, "--rpc-user", node.User, "--rpc-pass", node.Password, "--db", pg}

	ing := startProc(t, bin, append([]string{"ingest", "--follow", "--poll", "100ms"}, rpc...)...)
	db, err := store.OpenExisting(context.Background(), pg)
	for deadline := time.Now().Add(60 * time.Second); err != nil; db, err = store.OpenExisting(context.Background(), pg) {
		if time.Now().After(deadline) {
			t.Fatalf("the ingester never created the database: %v\n%s", err, ing.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer db.Close()
	waitTip := func(h int64) time.Time {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; {
			got, _, ok, err := db.Tip(context.Background())
			if err == nil && ok && got == h {
				return time.Now()
			}
			if time.Now().After(deadline) {
				t.Fatalf("the database tip is %d (%v), never %d; ingest stderr:\n%s", got, err, h, ing.stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitTip(tipOf())

	// A price, so that --source db has a "now" to answer with.
	prices := filepath.Join(t.TempDir(), "prices.csv")
	os.WriteFile(prices, []byte("date,usd\n2026-04-20,86000\n2026-04-21,86500\n"), 0o644)
	if out, err := exec.Command(bin, "import", "prices", prices, "--db", pg).CombinedOutput(); err != nil {
		t.Fatalf("import prices: %v\n%s", err, out)
	}

	// The second ingester exits at once, naming the first.
	out, err := exec.Command(bin, append([]string{"ingest"}, rpc...)...).CombinedOutput()
	holder := fmt.Sprintf("hashlab ingest pid %d on ", ing.cmd.Process.Pid)
	if err == nil || !strings.Contains(string(out), "another ingester is writing") || !strings.Contains(string(out), holder) {
		t.Errorf("second ingester: %v\n%s\nwant a refusal naming %q", err, out, holder)
	}
	t.Logf("second ingester: %s", strings.TrimSpace(string(out)))

	const refresh = time.Second
	var bases []string
	for range 2 {
		s := startProc(t, bin, "serve", "--addr", "127.0.0.1:0", "--db", pg, "--source", "db", "--refresh", refresh.String())
		re := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
		for deadline := time.Now().Add(60 * time.Second); ; {
			if m := re.FindStringSubmatch(s.stderr.String()); m != nil {
				bases = append(bases, m[1])
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve did not start: %s", s.stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// heights returns each server's /healthz height and the height of
	// its refreshed state (/api/v1/hashprice).
	heights := func(b string) (int64, int64) {
		var hz struct {
			Height int64 `json:"height"`
		}
		var hp struct {
			Height int64 `json:"height"`
		}
		for path, v := range map[string]any{"/healthz": &hz, "/api/v1/hashprice": &hp} {
			res, err := http.Get(b + path)
			if err != nil {
				continue
			}
			json.NewDecoder(res.Body).Decode(v)
			res.Body.Close()
		}
		return hz.Height, hp.Height
	}
	for _, b := range bases {
		if hz, hp := heights(b); hz != tipOf() || hp != tipOf() {
			t.Errorf("%s: healthz %d, hashprice %d; want the tip %d", b, hz, hp, tipOf())
		}
	}
	for round := range 3 {
		mine(2 + round)
		want := tipOf()
		written := waitTip(want)
		for _, b := range bases {
			for {
				hz, hp := heights(b)
				if hz == want && hp == want {
					t.Logf("round %d: %s serves tip %d %v after the ingester wrote it", round, b, want, time.Since(written).Round(time.Millisecond))
					break
				}
				if time.Since(written) > refresh {
					t.Fatalf("round %d: %s still at healthz %d, hashprice %d %v after the tip %d was written (refresh %v)", round, b, hz, hp, time.Since(written), want, refresh)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
}
