package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/pgtest"
	"github.com/hashlab/hashlab/store"
)

// fakeMainnet is a JSON-RPC node that says it is on mainnet and serves a
// chain it makes up above height base (serve answers for mainnet only,
// and btcd cannot mine mainnet blocks): getblockchaininfo, getblockhash
// (batched too), getblockheader and getblock at verbosity 0. Its blocks
// are well formed (BIP34 height, pool tag, the subsidy, merkle root) but
// carry no proof of work, which the ingester does not check.
type fakeMainnet struct {
	mu     sync.Mutex
	base   int64
	blocks []*wire.MsgBlock // blocks[i] is at height base+i
	srv    *httptest.Server
}

func newFakeMainnet(t *testing.T, base int64, n int) *fakeMainnet {
	f := &fakeMainnet{base: base}
	f.mine(n)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMainnet) tip() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.base + int64(len(f.blocks)) - 1
}

// mine appends n blocks ten minutes apart.
func (f *fakeMainnet) mine(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		h := f.base + int64(len(f.blocks))
		var prev chainhash.Hash
		if len(f.blocks) > 0 {
			prev = f.blocks[len(f.blocks)-1].BlockHash()
		}
		sig, _ := txscript.NewScriptBuilder().AddInt64(h).AddData([]byte("/Foundry USA Pool #dropgold/")).Script()
		cb := wire.NewMsgTx(1)
		cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex}, SignatureScript: sig, Sequence: wire.MaxTxInSequenceNum})
		cb.AddTxOut(wire.NewTxOut(int64(consensus.BlockSubsidy(h, consensus.MainNet)), []byte{txscript.OP_TRUE}))
		f.blocks = append(f.blocks, &wire.MsgBlock{Header: wire.BlockHeader{Version: 0x20000000, PrevBlock: prev, MerkleRoot: cb.TxHash(),
			Timestamp: time.Unix(1_776_000_000+600*h-600*946_000, 0), Bits: 0x17021369, Nonce: uint32(h)}, Transactions: []*wire.MsgTx{cb}})
	}
}

func (f *fakeMainnet) byHash(s string) (int64, *wire.MsgBlock) {
	for i, b := range f.blocks {
		if b.BlockHash().String() == s {
			return f.base + int64(i), b
		}
	}
	return -1, nil
}

func (f *fakeMainnet) call(method string, params []json.RawMessage) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tip := f.base + int64(len(f.blocks)) - 1
	arg := func(i int) string {
		var s string
		if i < len(params) && json.Unmarshal(params[i], &s) != nil {
			s = string(params[i])
		}
		return s
	}
	switch method {
	case "getblockchaininfo":
		return map[string]any{"chain": "main", "blocks": tip, "headers": tip, "bestblockhash": f.blocks[len(f.blocks)-1].BlockHash().String(),
			"mediantime": f.blocks[len(f.blocks)-1].Header.Timestamp.Unix() - 3000}, nil
	case "getblockcount":
		return tip, nil
	case "getblockhash":
		h, _ := strconv.ParseInt(arg(0), 10, 64)
		if h < f.base || h > tip {
			return nil, fmt.Errorf("Block height out of range")
		}
		return f.blocks[h-f.base].BlockHash().String(), nil
	case "getblockheader":
		h, b := f.byHash(arg(0))
		if b == nil {
			return nil, fmt.Errorf("Block not found")
		}
		var times []int64
		for i := max(0, int(h-f.base)-10); i <= int(h-f.base); i++ {
			times = append(times, f.blocks[i].Header.Timestamp.Unix())
		}
		hdr := map[string]any{"hash": arg(0), "height": h, "version": b.Header.Version, "merkleroot": b.Header.MerkleRoot.String(),
			"time": b.Header.Timestamp.Unix(), "mediantime": chain.MedianTimePast(times), "nonce": b.Header.Nonce,
			"bits": fmt.Sprintf("%08x", b.Header.Bits), "confirmations": tip - h + 1}
		if h > f.base {
			hdr["previousblockhash"] = b.Header.PrevBlock.String()
		}
		return hdr, nil
	case "getblock":
		_, b := f.byHash(arg(0))
		if b == nil {
			return nil, fmt.Errorf("Block not found")
		}
		var buf bytes.Buffer
		if err := b.Serialize(&buf); err != nil {
			return nil, err
		}
		return hex.EncodeToString(buf.Bytes()), nil
	}
	return nil, fmt.Errorf("Method not found")
}

type fakeReq struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

func (f *fakeMainnet) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	answer := func(q fakeReq) map[string]any {
		res, err := f.call(q.Method, q.Params)
		if err != nil {
			return map[string]any{"id": q.ID, "result": nil, "error": map[string]any{"code": -5, "message": err.Error()}}
		}
		return map[string]any{"id": q.ID, "result": res, "error": nil}
	}
	w.Header().Set("Content-Type", "application/json")
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		var qs []fakeReq
		json.Unmarshal(body, &qs)
		out := make([]map[string]any, len(qs))
		for i, q := range qs {
			out[i] = answer(q)
		}
		json.NewEncoder(w).Encode(out)
		return
	}
	var q fakeReq
	json.Unmarshal(body, &q)
	json.NewEncoder(w).Encode(answer(q))
}

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

// TestTwoServesOnePostgresOneIngester: one `ingest --follow` writes a
// PostgreSQL database that two `serve` processes read; blocks the node
// gets reach both servers' /healthz and their refreshed state within one
// refresh interval of being written (the data generation both read); a
// second ingester on the same database refuses, naming the first.
func TestTwoServesOnePostgresOneIngester(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four processes")
	}
	pg := pgtest.Start(t)
	const base = 946_300
	node := newFakeMainnet(t, base-20, 32) // the ingester reads the 11 headers before --from-height
	bin := buildHashlab(t)
	rpc := []string{"--rpc", node.srv.URL, "--rpc-user", "u", "--rpc-pass", "p", "--db", pg}

	// A price, so that --source db has a "now" to answer with.
	prices := filepath.Join(t.TempDir(), "prices.csv")
	os.WriteFile(prices, []byte("date,usd\n2026-04-20,86000\n2026-04-21,86500\n"), 0o644)
	if out, err := exec.Command(bin, "import", "prices", prices, "--db", pg).CombinedOutput(); err != nil {
		t.Fatalf("import prices: %v\n%s", err, out)
	}

	ing := startProc(t, bin, append([]string{"ingest", "--follow", "--poll", "100ms", "--from-height", strconv.Itoa(base)}, rpc...)...)
	db, err := store.OpenExisting(context.Background(), pg)
	if err != nil {
		t.Fatal(err)
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
	waitTip(node.tip())

	// The second ingester exits at once, naming the first.
	out, err := exec.Command(bin, append([]string{"ingest", "--from-height", strconv.Itoa(base)}, rpc...)...).CombinedOutput()
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
		if hz, hp := heights(b); hz != node.tip() || hp != node.tip() {
			t.Errorf("%s: healthz %d, hashprice %d; want the tip %d", b, hz, hp, node.tip())
		}
	}
	for round := range 3 {
		node.mine(2 + round)
		want := node.tip()
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
