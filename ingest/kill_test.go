package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/internal/btcdtest"
	"github.com/hashlab/hashlab/store"
)

// Environment of the child process that TestIngestKillNineResumes kills:
// the test binary re-executed, running one ingest and exiting.
const (
	childDBEnv   = "HASHLAB_INGEST_CHILD_DB"
	childURLEnv  = "HASHLAB_INGEST_CHILD_URL"
	childUserEnv = "HASHLAB_INGEST_CHILD_USER"
	childPassEnv = "HASHLAB_INGEST_CHILD_PASS"
)

// ingestChild runs one ingest into the database at path, as hashlab
// ingest would, with small batches so that a kill lands in every phase
// (fetching, inside a write transaction, between batches).
func ingestChild(path string) int {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	client, err := noderpc.NewClient(noderpc.Config{URL: os.Getenv(childURLEnv), User: os.Getenv(childUserEnv), Password: os.Getenv(childPassEnv)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// WaitForLock: the killed run's PostgreSQL session may outlive it by
	// a moment, holding the ingest lock until the server sees it gone.
	if _, err := Run(ctx, client, db, Options{Workers: 2, BatchSize: 7, Attribute: chain.Attribute, WaitForLock: true}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestIngestKillNineResumes kills a running ingest with SIGKILL at many
// points (chosen by how far the database has got, plus a small jitter so
// kills also land inside transactions), checks after every kill that the
// database holds a contiguous, linked prefix of the chain whose every
// record equals an uninterrupted ingest's, and that the next run
// completes it to identical content.
func TestIngestKillNineResumes(t *testing.T) {
	n := btcdtest.Start(t)
	mined := mineScenario(t, n)
	m := btcdtest.NewMiner(t, n, "kill-miner")
	m.MineN(t, 245, btcdtest.BlockSpec{Tag: "/Foundry USA Pool #dropgold/"})
	tip := int64(len(mined) + 245)

	ctx := context.Background()
	ref := openStore(t)
	if _, err := Run(ctx, n.RPC, ref, Options{Attribute: chain.Attribute}); err != nil {
		t.Fatal(err)
	}
	want := readAll(t, ref)
	if int64(len(want)) != tip+1 {
		t.Fatalf("reference ingest holds %d blocks, want %d", len(want), tip+1)
	}
	for _, b := range backendDBs(t) {
		t.Run(b.backend, func(t *testing.T) { killNineResumes(t, n, b.db, want) })
	}
}

// killNineResumes kills ingests into the database path (a file or a
// PostgreSQL URL) and checks it against want, the reference ingest.
func killNineResumes(t *testing.T, n *btcdtest.Node, path string, want []chain.BlockRecord) {
	ctx := context.Background()
	watch, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childDBEnv+"="+path, childURLEnv+"="+n.RPCURL, childUserEnv+"="+n.User, childPassEnv+"="+n.Password)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	killedMidRun := 0
	for i, target := range []int64{-1, 0, 20, 60, 100, 150, 200, 260, 320, 380} {
		cmd := child()
		// Wait until the database has reached target, then kill
		// after a jitter of 0-2.7 ms.
		for {
			h, _, ok, err := watch.Tip(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if (ok && h >= target) || target < 0 || cmd.ProcessState != nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(i*300) * time.Microsecond)
		cmd.Process.Kill() // SIGKILL
		err := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) && !ee.Exited() {
			killedMidRun++
		}
		checkPrefix(t, watch, want, fmt.Sprintf("after kill %d (target %d)", i+1, target))
	}
	if killedMidRun < 8 {
		t.Errorf("only %d of 10 kills landed while the ingest ran", killedMidRun)
	}
	cmd := child()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the run after the kills: %v", err)
	}
	got := readAll(t, watch)
	if len(got) != len(want) {
		t.Fatalf("after resuming: %d blocks, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("after resuming, block %d differs:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if rs, err := watch.Reorgs(ctx); err != nil || len(rs) != 0 {
		t.Errorf("reorgs recorded: %v %v", rs, err)
	}
	t.Logf("%d kills while ingesting; the database was a consistent prefix after each and identical to an uninterrupted ingest at the end", killedMidRun)
}

func readAll(t *testing.T, db *store.DB) []chain.BlockRecord {
	var out []chain.BlockRecord
	if err := db.BlocksByHeight(context.Background(), 0, 1<<40, func(b chain.BlockRecord) error {
		out = append(out, b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkPrefix: the database holds blocks 0..k for some k, each equal to
// the reference record (so linked, with every field right).
func checkPrefix(t *testing.T, db *store.DB, want []chain.BlockRecord, when string) {
	t.Helper()
	got := readAll(t, db)
	for i, b := range got {
		if i >= len(want) || !reflect.DeepEqual(b, want[i]) {
			t.Fatalf("%s: stored block %d (height %d) is not the reference's:\n got %+v", when, i, b.Height, b)
		}
	}
	t.Logf("%s: %d blocks, a consistent prefix", when, len(got))
}
