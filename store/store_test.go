package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/chain"
)

func open(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "hashlab.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func rec(h int64, hash, prev string) chain.BlockRecord {
	return chain.BlockRecord{Height: h, Hash: hash, PrevHash: prev, Time: 1000 + h*600, MedianTime: 900 + h*600, Bits: 0x207fffff,
		Version: 0x20000000, Nonce: uint32(h * 7), TxCount: h + 1, SizeBytes: 300 + h, WeightWU: 1200 + h, CoinbaseOutSats: 5_000_001_000,
		SubsidySats: 5_000_000_000, FeesSats: 1000, CoinbaseTag: "/Foundry USA Pool #dropgold/", PayoutAddresses: []string{"bcrt1qexample", "mzexample"},
		Pool: "foundryusa", Source: SourceRPC}
}

func TestOpenMigratesOnceAndUsesWAL(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	var v int
	if err := db.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema_version %d (%v), want %d", v, err, SchemaVersion())
	}
	var mode string
	if err := db.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q (%v), want wal", mode, err)
	}
	if err := db.PutBlocks(ctx, []chain.BlockRecord{rec(0, "aa", chain.ZeroHash)}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Reopening applies no migration again and keeps the data.
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if _, hash, ok, err := db2.Tip(ctx); err != nil || !ok || hash != "aa" {
		t.Fatalf("tip after reopen: %q %v %v", hash, ok, err)
	}
	// A database from a newer hashlab is refused with a clear message.
	if _, err := db2.db.ExecContext(ctx, `UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	db2.Close()
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("opening a newer schema: %v", err)
	}
}

func TestBlocksRoundTripTipRollback(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	if n, err := db.Network(ctx); err != nil || n != "" {
		t.Fatalf("new database network %q %v", n, err)
	}
	if _, _, ok, err := db.Tip(ctx); ok || err != nil {
		t.Fatalf("empty tip ok=%v err=%v", ok, err)
	}
	if err := db.SetNetwork(ctx, "regtest"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetNetwork(ctx, "regtest"); err != nil {
		t.Fatalf("same network again: %v", err)
	}
	if err := db.SetNetwork(ctx, "mainnet"); !errors.Is(err, ErrNetworkMismatch) {
		t.Fatalf("other network: %v", err)
	}
	var bs []chain.BlockRecord
	prev := chain.ZeroHash
	for h := int64(0); h < 10; h++ {
		b := rec(h, fmt.Sprintf("%064x", h+1), prev)
		if h == 4 {
			b.UnderClaimed, b.FeesSats, b.PayoutAddresses = true, 0, nil
		}
		bs = append(bs, b)
		prev = b.Hash
	}
	if err := db.PutBlocks(ctx, bs); err != nil {
		t.Fatal(err)
	}
	for _, want := range bs {
		got, ok, err := db.Block(ctx, want.Height)
		if err != nil || !ok || fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("height %d:\n got %+v\nwant %+v (%v)", want.Height, got, want, err)
		}
	}
	if h, hash, ok, _ := db.Tip(ctx); !ok || h != 9 || hash != bs[9].Hash {
		t.Fatalf("tip %d %s", h, hash)
	}
	ev := Reorg{DetectedAt: 1234, ForkHeight: 6, OldTipHeight: 9, OldTipHash: bs[9].Hash, NewTipHash: "ff", Depth: 3}
	if err := db.Rollback(ctx, 6, ev); err != nil {
		t.Fatal(err)
	}
	if h, _, _, _ := db.Tip(ctx); h != 6 {
		t.Fatalf("tip after rollback %d, want 6", h)
	}
	if _, ok, _ := db.BlockHash(ctx, 7); ok {
		t.Fatal("block 7 survived the rollback")
	}
	rs, err := db.Reorgs(ctx)
	if err != nil || len(rs) != 1 || rs[0] != ev {
		t.Fatalf("reorgs %+v %v", rs, err)
	}
}

func TestImportMergesAndIsTransactional(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	// A CSV label first, then the header: both facts are kept.
	im, err := db.BeginImport(ctx, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	if err := im.BlockLabel(100, 5000, "f2pool", 0x1d00ffff, 5_000_000_000); err != nil {
		t.Fatal(err)
	}
	if err := im.BlockLabel(101, 5600, "antpool", 0x1d00ffff, 5_000_000_000); err != nil {
		t.Fatal(err)
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	im, _ = db.BeginImport(ctx, "mainnet")
	hdr := chain.BlockRecord{Height: 100, Hash: "h100", PrevHash: "h99", Time: 5000, Bits: 0x1c7fffff, Version: 1, Nonce: 42, SubsidySats: 5_000_000_000}
	if err := im.Header(hdr); err != nil {
		t.Fatal(err)
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _, _ := db.Block(ctx, 100)
	if b.Hash != "h100" || b.Pool != "f2pool" || b.Bits != 0x1c7fffff || b.Source != SourceHeadersCSV || b.Nonce != 42 {
		t.Errorf("merged block %+v", b)
	}
	// Re-importing the label keeps the header's bits.
	im, _ = db.BeginImport(ctx, "mainnet")
	im.BlockLabel(100, 5000, "f2pool", 0x1d00ffff, 5_000_000_000)
	im.Commit()
	if b, _, _ := db.Block(ctx, 100); b.Bits != 0x1c7fffff || b.Hash != "h100" {
		t.Errorf("label re-import changed header data: %+v", b)
	}
	// Imported rows are not the ingest tip.
	if _, _, ok, _ := db.Tip(ctx); ok {
		t.Error("imported rows seen as the ingest tip")
	}
	// An import that is rolled back writes nothing.
	im, _ = db.BeginImport(ctx, "mainnet")
	im.BlockLabel(102, 6200, "viabtc", 0x1d00ffff, 1)
	if err := im.Price("2024-01-01", 42000); err != nil {
		t.Fatal(err)
	}
	im.Rollback()
	if c, _ := db.Count(ctx); c.Blocks != 2 || c.Prices != 0 {
		t.Errorf("after rollback: %+v", c)
	}
	// An import of another network is refused before anything is written.
	if _, err := db.BeginImport(ctx, "testnet4"); !errors.Is(err, ErrNetworkMismatch) {
		t.Errorf("importing testnet4 into mainnet: %v", err)
	}
	// Rows from a node are never changed by imports.
	if err := db.PutBlocks(ctx, []chain.BlockRecord{rec(101, "rpc101", "h100")}); err != nil {
		t.Fatal(err)
	}
	im, _ = db.BeginImport(ctx, "mainnet")
	im.BlockLabel(101, 1, "unknown", 1, 1)
	im.Commit()
	if b, _, _ := db.Block(ctx, 101); b.Pool != "foundryusa" || b.Source != SourceRPC {
		t.Errorf("import overwrote a node's block: %+v", b)
	}
}

func TestPriceValidation(t *testing.T) {
	db, _ := open(t)
	im, err := db.BeginImport(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	for _, c := range []struct {
		date string
		usd  float64
	}{{"2024-13-01", 1}, {"2024-01-01", 0}, {"2024-01-01", -5}} {
		if err := im.Price(c.date, c.usd); err == nil {
			t.Errorf("price %s %v accepted", c.date, c.usd)
		}
	}
}

func TestDefaultPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_DATA_HOME": "/x/data", "HOME": "/home/u"}, "/x/data/hashlab/hashlab.db"},
		{map[string]string{"XDG_DATA_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/share/hashlab/hashlab.db"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/hashlab/hashlab.db"},
		{map[string]string{}, "hashlab.db"},
	} {
		if got := DefaultPath(env(c.env)); got != filepath.FromSlash(c.want) {
			t.Errorf("DefaultPath(%v) = %s, want %s", c.env, got, c.want)
		}
	}
}
