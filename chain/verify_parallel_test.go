package chain

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/snapshot"
)

// The pipeline gives the sequential loop's results with more workers
// than cores (GOMAXPROCS 1: the workers never run beside the checking
// goroutine, which then hashes nearly everything itself), for files that
// end on, just before and just after batch and chunk boundaries, with
// the ring's batches reused from run to run.
func TestRunPipelineOneCoreAndBoundaries(t *testing.T) {
	data := readShared(t, "headers_586657-589289.bin")
	opt := VerifyOptions{StartHeight: 586657, Epochs: snapshot.Epochs()}
	var sizes []int
	for _, base := range []int{hashChunk, runBatchSize, runBatchesPerWorker * runBatchSize, 2*runBatchesPerWorker*runBatchSize + runBatchSize} {
		sizes = append(sizes, base-1, base, base+1)
	}
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		for _, n := range sizes {
			if n*80 > len(data) {
				continue
			}
			seqOpt := opt
			seqOpt.Workers = 1
			want := runFrom(t, data[:n*80], seqOpt, 0, true)
			for _, w := range []int{2, 3, 5} {
				o := opt
				o.Workers = w
				for _, failAt := range []int{0, n / 2, n} {
					if failAt > 0 {
						want := runFrom(t, data[:n*80], seqOpt, failAt, true)
						if got := runWith(t, data[:n*80], o, failAt); !reflect.DeepEqual(got, want) {
							t.Fatalf("GOMAXPROCS %d, %d headers, %d workers, fn fails at %d: differs from the sequential loop", procs, n, w, failAt)
						}
						continue
					}
					if got := runWith(t, data[:n*80], o, 0); !reflect.DeepEqual(got, want) {
						t.Fatalf("GOMAXPROCS %d, %d headers, %d workers: differs from the sequential loop: %+v / %+v", procs, n, w, got.report, want.report)
					}
				}
			}
		}
		runtime.GOMAXPROCS(prev)
	}
}

// A cancelled context stops the pipeline (and its workers) with the
// context's error at the next check (every 4096 headers).
func TestRunPipelineCancelled(t *testing.T) {
	data := readShared(t, "headers_822528-830592.bin")
	ctx, cancel := context.WithCancel(context.Background())
	opt := VerifyOptions{StartHeight: 822528, Epochs: snapshot.Epochs(), Workers: 2}
	calls := 0
	hr, err := chainfile.NewHeaderReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(consensus.MainNet, opt)
	err = v.Run(ctx, hr, func(HeaderInfo) error {
		calls++
		if calls == 3000 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls > 4096 {
		t.Fatalf("err %v after %d headers", err, calls)
	}
}

// A worker that stalls between claiming a chunk and hashing it (as a
// thread the machine takes off the CPU) neither holds up the checking
// goroutine, which hashes that chunk again for itself, nor changes
// anything Run reports; the batches it still writes into are set aside
// until it is done.
func TestRunPipelineStalledWorker(t *testing.T) {
	var calls atomic.Int64
	workerClaimed = func() {
		if calls.Add(1)%5 == 0 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	defer func() { workerClaimed = nil }()
	for name, opt := range sharedHeaderFiles(t) {
		if opt.Layout != LayoutContiguous {
			continue
		}
		data := readShared(t, name)
		seqOpt := opt
		seqOpt.Workers = 1
		want := runFrom(t, data, seqOpt, 0, true)
		for _, w := range []int{2, 3} {
			o := opt
			o.Workers = w
			if got := runWith(t, data, o, 0); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s, %d workers, stalling: differs from the sequential loop: %+v / %+v", name, w, got.report, want.report)
			}
		}
	}
	if calls.Load() == 0 {
		t.Fatal("no worker claimed a chunk")
	}
}
