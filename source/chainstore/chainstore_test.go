package chainstore

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/store"
)

func openDB(t *testing.T) *store.DB {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SetNetwork(context.Background(), "regtest"); err != nil {
		t.Fatal(err)
	}
	return db
}

// blocks writes regtest blocks 0..n with fees of h sats (block h) when
// ingested, 600 s apart.
func blocks(t *testing.T, db *store.DB, n int64, source func(h int64) string) {
	var bs []chain.BlockRecord
	for h := int64(0); h <= n; h++ {
		sub := consensus.BlockSubsidy(h, consensus.RegTest)
		bs = append(bs, chain.BlockRecord{Height: h, Time: 1_700_000_000 + h*600, Bits: consensus.RegTest.PowLimitBits,
			SubsidySats: sub, FeesSats: consensus.Sats(h), CoinbaseOutSats: sub + consensus.Sats(h), Source: source(h)})
	}
	if err := db.PutBlocks(context.Background(), bs); err != nil {
		t.Fatal(err)
	}
}

func TestStateFromIngestedBlocks(t *testing.T) {
	db := openDB(t)
	blocks(t, db, 100, func(int64) string { return store.SourceRPC })
	im, _ := db.BeginImport(context.Background(), "")
	im.Price("2023-11-13", 36_500)
	im.Price("2023-11-14", 35_500)
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	src, _ := New(Config{DB: db, FeeWindowBlocks: 10})
	st, err := src.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Blocks 91..100 pay 91..100 sats: mean 95.5, rounded half up to 96.
	if st.Tip.Height != 100 || st.Fees.Blocks != 10 || st.Fees.FromHeight != 91 || st.Fees.PerBlock != 96 || st.Epoch.FirstHeight != 0 || st.Epoch.FirstTime.Unix() != 1_700_000_000 {
		t.Errorf("state = tip %d, fees %+v, epoch %+v", st.Tip.Height, st.Fees, st.Epoch)
	}
	if st.Window == nil || st.Window.SpanSec != 6000 || st.Window.FeesSats != 955 {
		t.Errorf("window = %+v, want 10 blocks over 6000 s paying 955 sats of fees", st.Window)
	}
	if st.Price == nil || st.Price.USD != 35_500 || st.Price.AsOf.Format(time.DateOnly) != "2023-11-14" || !strings.Contains(st.Price.Detail, "2023-11-14") {
		t.Errorf("price = %+v, want the newest import with its date", st.Price)
	}
	// A one-hour window of 600-s blocks: the tip and the five before.
	src, _ = New(Config{DB: db, FeeWindow: time.Hour})
	if st, err = src.State(context.Background()); err != nil || st.Fees.Blocks != 6 || st.Fees.FromHeight != 95 {
		t.Errorf("1h window: fees %+v, err %v", st.Fees, err)
	}
}

func TestStateFeesFromImportedDays(t *testing.T) {
	db := openDB(t)
	blocks(t, db, 50, func(int64) string { return store.SourceHeaders })
	src, _ := New(Config{DB: db})
	if _, err := src.State(context.Background()); err == nil || !strings.Contains(err.Error(), "no fees known") || !strings.Contains(err.Error(), db.Path()) {
		t.Fatalf("headers only: err = %v, want one naming the database and the missing fees", err)
	}
	im, _ := db.BeginImport(context.Background(), "")
	if err := im.DailyFees(store.DailyFees{Date: "2023-11-14", PerBlockSats: 1_000_000, Blocks: 144, Source: "mempool"}); err != nil {
		t.Fatal(err)
	}
	im.Commit()
	st, err := src.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Fees.PerBlock != 1_000_000 || st.Window != nil || st.Price != nil || !strings.Contains(st.Fees.Detail, "2023-11-14") {
		t.Errorf("fees = %+v, window %v, price %v", st.Fees, st.Window, st.Price)
	}
}

func TestStateEmpty(t *testing.T) {
	db := openDB(t)
	src, _ := New(Config{DB: db})
	if _, err := src.State(context.Background()); err == nil || !strings.Contains(err.Error(), "no blocks") {
		t.Errorf("empty store: err = %v", err)
	}
}
