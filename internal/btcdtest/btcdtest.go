package btcdtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/internal/sharedtest"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// Main runs a package's tests and then removes the btcd binary this
// process built. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(btcdtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	return code
}

// Binary returns the path of a btcd binary built from the version pinned
// by the tool directive in go.mod. It is built once per test process (the
// Go build cache makes later builds a link step).
func Binary(tb testing.TB) string {
	tb.Helper()
	root := sharedtest.RepoRoot(tb)
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "hashlab-btcd-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "btcd")
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/btcsuite/btcd")
		cmd.Dir = root
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("btcdtest: go build github.com/btcsuite/btcd: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// Node is a running btcd in regtest mode, listening on loopback only.
type Node struct {
	// RPCURL is http://127.0.0.1:port (no TLS).
	RPCURL string
	// P2PAddr is the host:port peers connect to.
	P2PAddr  string
	User     string
	Password string
	Dir      string
	// RPC is a client for the node (hashlab's own, noderpc.Client).
	RPC *noderpc.Client

	cmd  *exec.Cmd
	done chan struct{}
	once sync.Once
}

// Start runs a fresh btcd --regtest in a temporary directory and waits
// until its RPC server answers. The node is stopped by t.Cleanup.
func Start(tb testing.TB) *Node {
	tb.Helper()
	bin := Binary(tb)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		n, err := start(tb, bin)
		if err == nil {
			tb.Cleanup(n.Stop)
			return n
		}
		lastErr = err
	}
	tb.Fatal(lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(tb testing.TB, bin string) (*Node, error) {
	dir := tb.TempDir()
	rpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	p2pPort, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "btcd.conf")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nil, err
	}
	n := &Node{
		RPCURL:   "http://127.0.0.1:" + strconv.Itoa(rpcPort),
		P2PAddr:  "127.0.0.1:" + strconv.Itoa(p2pPort),
		User:     "hashlab",
		Password: "regtest-pass",
		Dir:      dir,
		done:     make(chan struct{}),
	}
	args := []string{
		"--regtest",
		"--configfile=" + conf,
		"--datadir=" + filepath.Join(dir, "data"),
		"--logdir=" + filepath.Join(dir, "logs"),
		"--rpcuser=" + n.User,
		"--rpcpass=" + n.Password,
		"--rpclisten=" + strings.TrimPrefix(n.RPCURL, "http://"),
		"--listen=" + n.P2PAddr,
		"--notls",
		"--nodnsseed",
		"--nocfilters",
		"--utxocachemaxsize=16",
		"--rpcmaxclients=64",
		"--debuglevel=info",
	}
	n.cmd = exec.Command(bin, args...)
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	n.cmd.Stdout, n.cmd.Stderr = &syncWriter{w: &out}, &syncWriter{w: &out}
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("btcdtest: starting btcd: %w", err)
	}
	go func() {
		n.cmd.Wait()
		close(n.done)
	}()
	n.RPC, err = noderpc.NewClient(noderpc.Config{URL: n.RPCURL, User: n.User, Password: n.Password, Timeout: 30 * time.Second})
	if err != nil {
		n.Stop()
		return nil, err
	}
	// Wait for the RPC server. btcd needs well under a second; the
	// deadline only keeps a broken start from hanging the test.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := n.RPC.BlockCount(ctx)
		cancel()
		if err == nil {
			return n, nil
		}
		select {
		case <-n.done:
			return nil, fmt.Errorf("btcdtest: btcd exited during start-up: %s\n%s", n.cmd.ProcessState, tail(out.String()))
		default:
		}
		if time.Now().After(deadline) {
			n.Stop()
			return nil, fmt.Errorf("btcdtest: btcd RPC at %s not answering: %v\n%s", n.RPCURL, err, tail(out.String()))
		}
		time.Sleep(30 * time.Millisecond)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// Stop kills the node's process group and waits for it to exit. It is
// safe to call more than once.
func (n *Node) Stop() {
	n.once.Do(func() {
		if n.cmd == nil || n.cmd.Process == nil {
			return
		}
		pid := n.cmd.Process.Pid
		// Ask politely first so the database closes cleanly; then kill
		// the group.
		syscall.Kill(-pid, syscall.SIGINT)
		select {
		case <-n.done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pid, syscall.SIGKILL)
			<-n.done
		}
		if n.RPC != nil {
			n.RPC.CloseIdleConnections()
		}
	})
}

// Call is a shorthand for n.RPC.Call with a background context that fails
// the test on error.
func (n *Node) Call(tb testing.TB, method string, result any, params ...any) {
	tb.Helper()
	if err := n.RPC.Call(context.Background(), method, result, params...); err != nil {
		tb.Fatalf("btcdtest: %s: %v", method, err)
	}
}

// BestHash returns the node's best block hash.
func (n *Node) BestHash(tb testing.TB) string {
	tb.Helper()
	var h string
	n.Call(tb, "getbestblockhash", &h)
	return h
}

// Height returns the node's best height.
func (n *Node) Height(tb testing.TB) int64 {
	tb.Helper()
	h, err := n.RPC.BlockCount(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// BlockHex returns the serialized block with the given hash.
func (n *Node) BlockHex(tb testing.TB, hash string) string {
	tb.Helper()
	var h string
	n.Call(tb, "getblock", &h, hash, 0)
	return h
}

// SubmitHex submits a serialized block and fails the test if the node
// rejects it.
func (n *Node) SubmitHex(tb testing.TB, blockHex string) {
	tb.Helper()
	if err := n.submit(blockHex); err != nil {
		tb.Fatal(err)
	}
}

func (n *Node) submit(blockHex string) error {
	var res jsonRaw
	if err := n.RPC.Call(context.Background(), "submitblock", &res, blockHex); err != nil {
		return fmt.Errorf("btcdtest: submitblock: %w", err)
	}
	// Success is null; a rejection (or Core's "duplicate") is a string.
	if s := strings.TrimSpace(string(res)); s != "null" && s != "" {
		return fmt.Errorf("btcdtest: submitblock rejected: %s", s)
	}
	return nil
}

// CopyChain submits every block of from's best chain above to's height
// to to, so that both nodes share a prefix without being connected.
func CopyChain(tb testing.TB, from, to *Node) {
	tb.Helper()
	for h := to.Height(tb) + 1; h <= from.Height(tb); h++ {
		hash, err := from.RPC.BlockHash(context.Background(), h)
		if err != nil {
			tb.Fatal(err)
		}
		to.SubmitHex(tb, from.BlockHex(tb, hash))
	}
}

// Connect makes n connect to peer (addnode ... add).
func (n *Node) Connect(tb testing.TB, peer *Node) {
	tb.Helper()
	n.Call(tb, "addnode", nil, peer.P2PAddr, "add")
}

// ErrTimeout is returned by WaitFor when the condition did not hold in
// time.
var ErrTimeout = errors.New("btcdtest: timed out")

// WaitForBest waits until n's best block is hash (e.g. after connecting
// to a peer with more work). The limit only keeps a broken sync from
// hanging the test.
func (n *Node) WaitForBest(tb testing.TB, hash string, limit time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for n.BestHash(tb) != hash {
		if time.Now().After(deadline) {
			tb.Fatalf("%v waiting for %s to reach block %s (at height %d)", ErrTimeout, n.RPCURL, hash, n.Height(tb))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
