package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/internal/pgtest"
)

// fill writes some of every kind of row: node blocks with a reorg,
// imported headers and labels, prices and daily fees, the node tip.
func fill(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	var bs []chain.BlockRecord
	prev := chain.ZeroHash
	for h := int64(0); h < 40; h++ {
		b := rec(h, hashOf(fmt.Sprint("c", h)), prev)
		b.UnderClaimed = h%7 == 3
		bs = append(bs, b)
		prev = b.Hash
	}
	if err := db.PutBlocks(ctx, bs); err != nil {
		t.Fatal(err)
	}
	if err := db.Rollback(ctx, 35, Reorg{DetectedAt: 99, ForkHeight: 35, OldTipHeight: 39, OldTipHash: "aa", NewTipHash: "bb", Depth: 4}); err != nil {
		t.Fatal(err)
	}
	im, err := db.BeginImport(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if err := im.BlockLabel(int64(1000+i), int64(700_000+600*i), "foundryusa", 0x1d00ffff, 5_000_000_000); err != nil {
			t.Fatal(err)
		}
		if err := im.Price(time.Unix(int64(86400*i), 0).UTC().Format(time.DateOnly), 1234.5+float64(i)/3); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.DailyFees(DailyFees{Date: "2024-01-02", PerBlockSats: 12345, Blocks: 144, Source: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.SetNodeTip(ctx, 41, time.Unix(1_700_000_000, 0)); err != nil {
		t.Fatal(err)
	}
}

// otherDatabase creates database name in the cluster of url and returns
// its URL.
func otherDatabase(t *testing.T, url, name string) string {
	t.Helper()
	sdb, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	return strings.Replace(url, "/hashlab?", "/"+name+"?", 1)
}

// TestCopySQLiteToPostgresAndBack: a copy reads back with the same row
// count and checksum per table, on PostgreSQL and again on SQLite; the
// copies answer queries alike; a non-empty TO is refused without
// replace; after a copy PostgreSQL numbers new reorgs past the copied.
func TestCopySQLiteToPostgresAndBack(t *testing.T) {
	ctx := context.Background()
	src, _ := open(t)
	fill(t, src)
	pg, _ := openAt(t, pgtest.Start(t))
	back, _ := openAt(t, filepath.Join(t.TempDir(), "back.db"))

	rep, err := Copy(ctx, src, pg, false)
	if err != nil {
		t.Fatalf("%v: %+v", err, rep)
	}
	rep2, err := Copy(ctx, pg, back, false)
	if err != nil {
		t.Fatalf("%v: %+v", err, rep2)
	}
	if !rep.Identical || !rep2.Identical || len(rep.Tables) < 5 {
		t.Fatalf("reports %+v %+v", rep, rep2)
	}
	for i, tc := range rep.Tables {
		if tc.FromChecksum != rep2.Tables[i].ToChecksum || tc.FromRows != rep2.Tables[i].ToRows {
			t.Errorf("%s: %d rows %s in the source, %d rows %s after the round trip", tc.Table, tc.FromRows, tc.FromChecksum, rep2.Tables[i].ToRows, rep2.Tables[i].ToChecksum)
		}
		if tc.Table == "blocks" && tc.FromRows != 36+30 {
			t.Errorf("blocks: %d rows", tc.FromRows)
		}
	}
	var s1, s2, s3 []TableSum
	var err1, err2, err3 error
	s1, err1 = src.Checksums(ctx)
	s2, err2 = pg.Checksums(ctx)
	s3, err3 = back.Checksums(ctx)
	if err := errors.Join(err1, err2, err3); err != nil || !reflect.DeepEqual(s1, s2) || !reflect.DeepEqual(s1, s3) {
		t.Errorf("checksums differ (%v):\n%+v\n%+v\n%+v", err, s1, s2, s3)
	}
	for _, db := range []*DB{pg, back} {
		for h := int64(0); h <= 35; h++ {
			a, _, _ := src.Block(ctx, h)
			b, ok, err := db.Block(ctx, h)
			if err != nil || !ok || !reflect.DeepEqual(a, b) {
				t.Fatalf("%s block %d: %+v %v", db.Path(), h, b, err)
			}
		}
		c1, _ := src.Count(ctx)
		c2, err := db.Count(ctx)
		if err != nil || !reflect.DeepEqual(c1, c2) {
			t.Errorf("%s counts %+v, source %+v (%v)", db.Path(), c2, c1, err)
		}
	}
	// The same writes made directly on PostgreSQL give the same tables,
	// rollups included, as on SQLite.
	direct, _ := openAt(t, otherDatabase(t, pg.Path(), "direct"))
	fill(t, direct)
	if s4, err := direct.Checksums(ctx); err != nil || !reflect.DeepEqual(s1, s4) {
		t.Errorf("the same writes on SQLite and on PostgreSQL (%v):\n%+v\n%+v", err, s1, s4)
	}
	// TO holds data now: refused, unless replace.
	if _, err := Copy(ctx, src, pg, false); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("copy into a database with rows: %v", err)
	}
	if rep, err := Copy(ctx, src, pg, true); err != nil || !rep.Identical {
		t.Errorf("copy --replace: %v %+v", err, rep)
	}
	// New reorgs on the PostgreSQL copy get ids after the copied one.
	if err := pg.Rollback(ctx, 30, Reorg{DetectedAt: 100, ForkHeight: 30, OldTipHeight: 35, OldTipHash: "cc", NewTipHash: "dd", Depth: 5}); err != nil {
		t.Fatal(err)
	}
	if rs, err := pg.Reorgs(ctx); err != nil || len(rs) != 2 || rs[1].DetectedAt != 100 {
		t.Errorf("reorgs after the copy: %+v %v", rs, err)
	}
}
