package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/pgtest"
)

func open(t *testing.T) (*DB, string) {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "sub", "hashlab.db"))
}

// openAt opens (creating) the database name, closed when the test ends.
func openAt(t *testing.T, name string) (*DB, string) {
	t.Helper()
	db, err := Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, name
}

// backends runs fn on each backend with the name of a new database: an
// SQLite file, and a PostgreSQL database in a cluster of its own (pgtest:
// skipped without PostgreSQL unless HASHLAB_REQUIRE_PG is set).
func backends(t *testing.T, fn func(t *testing.T, name string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "sub", "hashlab.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.Start(t)) })
}

// hashOf names a test block: the SHA-256 of name, as a block hash.
func hashOf(name string) consensus.Hash { return consensus.Hash(sha256.Sum256([]byte(name))) }

func rec(h int64, hash, prev consensus.Hash) chain.BlockRecord {
	return chain.BlockRecord{Height: h, Hash: hash, PrevHash: prev, Time: 1000 + h*600, MedianTime: 900 + h*600, Bits: 0x207fffff,
		Version: 0x20000000, Nonce: uint32(h * 7), TxCount: h + 1, SizeBytes: 300 + h, WeightWU: 1200 + h, CoinbaseOutSats: 5_000_001_000,
		SubsidySats: 5_000_000_000, FeesSats: 1000, CoinbaseTag: "/Foundry USA Pool #dropgold/", PayoutAddresses: []string{"bcrt1qexample", "mzexample"},
		Pool: "foundryusa", Source: SourceRPC}
}

func TestOpenMigratesOnceAndUsesWAL(t *testing.T) { backends(t, testOpenMigratesOnce) }

func testOpenMigratesOnce(t *testing.T, name string) {
	db, path := openAt(t, name)
	ctx := context.Background()
	var v int
	if err := db.db.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("schema_version %d (%v), want %d", v, err, SchemaVersion())
	}
	if !db.pg {
		var mode string
		if err := db.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Fatalf("journal_mode %q (%v), want wal", mode, err)
		}
	}
	if err := db.PutBlocks(ctx, []chain.BlockRecord{rec(0, hashOf("aa"), chain.ZeroHash)}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Reopening applies no migration again and keeps the data.
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if _, hash, ok, err := db2.Tip(ctx); err != nil || !ok || hash != hashOf("aa").String() {
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
	backends(t, func(t *testing.T, name string) { testBlocksRoundTripTipRollback(t, name) })
}

func testBlocksRoundTripTipRollback(t *testing.T, name string) {
	db, _ := openAt(t, name)
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
		b := rec(h, hashOf(fmt.Sprint(h+1)), prev)
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
	if h, hash, ok, _ := db.Tip(ctx); !ok || h != 9 || hash != bs[9].Hash.String() {
		t.Fatalf("tip %d %s", h, hash)
	}
	ev := Reorg{DetectedAt: 1234, ForkHeight: 6, OldTipHeight: 9, OldTipHash: bs[9].Hash.String(), NewTipHash: "ff", Depth: 3}
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

func TestImportMergesAndIsTransactional(t *testing.T) { backends(t, testImportMerges) }

func testImportMerges(t *testing.T, name string) {
	db, _ := openAt(t, name)
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
	hdr := chain.BlockRecord{Height: 100, Hash: hashOf("h100"), PrevHash: hashOf("h99"), Time: 5000, Bits: 0x1c7fffff, Version: 1, Nonce: 42, SubsidySats: 5_000_000_000}
	if err := im.Header(hdr); err != nil {
		t.Fatal(err)
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _, _ := db.Block(ctx, 100)
	if b.Hash != hashOf("h100") || b.Pool != "f2pool" || b.Bits != 0x1c7fffff || b.Source != SourceHeadersCSV || b.Nonce != 42 {
		t.Errorf("merged block %+v", b)
	}
	// Re-importing the label keeps the header's bits.
	im, _ = db.BeginImport(ctx, "mainnet")
	im.BlockLabel(100, 5000, "f2pool", 0x1d00ffff, 5_000_000_000)
	im.Commit()
	if b, _, _ := db.Block(ctx, 100); b.Bits != 0x1c7fffff || b.Hash != hashOf("h100") {
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
	if err := db.PutBlocks(ctx, []chain.BlockRecord{rec(101, hashOf("rpc101"), hashOf("h100"))}); err != nil {
		t.Fatal(err)
	}
	im, _ = db.BeginImport(ctx, "mainnet")
	im.BlockLabel(101, 1, "unknown", 1, 1)
	im.Commit()
	if b, _, _ := db.Block(ctx, 101); b.Pool != "foundryusa" || b.Source != SourceRPC {
		t.Errorf("import overwrote a node's block: %+v", b)
	}
}

func TestPriceValidation(t *testing.T) { backends(t, testPriceValidation) }

func testPriceValidation(t *testing.T, name string) {
	db, _ := openAt(t, name)
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

// Queries never turn a file into a database: a missing path, a directory,
// a 0-byte file, a text file and an SQLite file without hashlab's schema
// are input errors naming the path, and none of them is changed.
func TestOpenExistingRefusesNonDatabases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	text := filepath.Join(dir, "notes.db")
	foreign := filepath.Join(dir, "foreign.db")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, []byte("height,time,pool_slug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A real SQLite file that is not hashlab's.
	sdb, err := sql.Open(sqliteDriver, foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	foreignBefore, _ := os.ReadFile(foreign)
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.db"), "file does not exist"},
		{dir, "not a directory"},
		{empty, "this file is empty"},
		{text, "not an SQLite database"},
		{foreign, "has no hashlab schema"},
	} {
		db, err := OpenExisting(ctx, c.path)
		if err == nil {
			db.Close()
			t.Errorf("%s opened", c.path)
			continue
		}
		ie, ok := hashlab.AsInput(err)
		if !ok || ie.Field != "database" || ie.Value != c.path || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an input error naming the path and %q", c.path, err, c.want)
		}
	}
	if st, err := os.Stat(empty); err != nil || st.Size() != 0 {
		t.Errorf("the empty file changed: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !os.IsNotExist(err) {
		t.Errorf("a missing database was created: %v", err)
	}
	if after, _ := os.ReadFile(foreign); !bytes.Equal(after, foreignBefore) {
		t.Error("the foreign SQLite file changed")
	}
	// Open (import, ingest) also refuses to write into a non-SQLite file.
	if _, err := Open(ctx, text); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("Open on a text file: %v", err)
	}
	// A hashlab database opens.
	_, path := open(t)
	db, err := OpenExisting(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}
