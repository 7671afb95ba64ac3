package snapshot

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/sharedtest"
)

// TestSnapshotIsNewestSharedBlock checks that network.json's tip is the
// last row of shared/data's blocks file (height and header time), so the
// snapshot is the newest permissively licensed block data there.
func TestSnapshotIsNewestSharedBlock(t *testing.T) {
	f, err := os.Open(sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(zr)
	var last []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = rec
	}
	h, _ := strconv.ParseInt(last[0], 10, 64)
	tm, _ := strconv.ParseInt(last[1], 10, 64)
	n := Default()
	if n.Height != h || n.AsOf.Unix() != tm {
		t.Fatalf("snapshot tip %d at %d, newest shared block %d at %d", n.Height, n.AsOf.Unix(), h, tm)
	}
}

func TestSourceState(t *testing.T) {
	src := NewSource()
	if src.Name() != "snapshot" {
		t.Fatal(src.Name())
	}
	st, err := src.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Epoch 469 (945504..947519): its bits and first-block time from the
	// epoch table (block 945504 at 1776448537 in the shared blocks file).
	if st.Tip.Height != 946236 || !st.Tip.Time.Equal(time.Unix(1776894603, 0)) || st.Tip.Source != "snapshot" || st.Tip.Detail != "embedded snapshot of 2026-04-22" {
		t.Fatalf("tip %+v", st.Tip)
	}
	if st.Epoch.FirstHeight != 945504 || st.Epoch.FirstTime.Unix() != 1776448537 || st.Epoch.Bits != consensus.Bits(0x17021369) {
		t.Fatalf("epoch %+v", st.Epoch)
	}
	if st.Price == nil || st.Price.USD != 86000 || st.Price.AsOf.Format("2006-01-02") != "2025-11-24" || st.Fees.PerBlock != 2_000_000 || st.Fees.Blocks != 0 {
		t.Fatalf("price %+v fees %+v", st.Price, st.Fees)
	}
	// Each call is a copy: a caller's change does not leak.
	st.Price.USD = 1
	st.Tip.Height = 1
	again, _ := src.State(context.Background())
	if again.Price.USD != 86000 || again.Tip.Height != 946236 {
		t.Fatal("state shared between calls")
	}
	now := time.Date(2026, 11, 30, 21, 50, 3, 0, time.UTC)
	if d := st.Age(now); d != 222*24*time.Hour {
		t.Fatalf("age %v", d)
	}
}
