package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
)

// rollupRows reads block_days as kept, and as computed afresh from the
// blocks table, and height_runs as kept and afresh.
func rollupRows(t *testing.T, db *DB) (kept, fresh, keptRuns, freshRuns []string) {
	t.Helper()
	ctx := context.Background()
	read := func(q string) []string {
		rows, err := db.db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]int64, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(vals))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	kept = read(`SELECT day, epoch, bits, subsidy_sats, blocks, first_height, last_height, rpc_blocks, rpc_fees_sats FROM block_days ORDER BY day, epoch, bits, subsidy_sats`)
	fresh = read(`SELECT time / 86400 AS day, height / 2016 AS epoch, bits, subsidy_sats, COUNT(*), MIN(height), MAX(height),
		SUM(CASE WHEN source = 'rpc' THEN 1 ELSE 0 END), SUM(CASE WHEN source = 'rpc' THEN fees_sats ELSE 0 END)
		FROM blocks GROUP BY time / 86400, height / 2016, bits, subsidy_sats ORDER BY day, epoch, bits, subsidy_sats`)
	keptRuns = read(`SELECT first_height, last_height FROM height_runs ORDER BY first_height`)
	freshRuns = read(`SELECT MIN(height), MAX(height) FROM (SELECT height, height - ROW_NUMBER() OVER (ORDER BY height) AS run FROM blocks) AS numbered
		GROUP BY run ORDER BY MIN(height)`)
	return kept, fresh, keptRuns, freshRuns
}

// checkRollups fails unless the kept rollups equal the ones computed
// afresh from the blocks.
func checkRollups(t *testing.T, db *DB, step string) {
	t.Helper()
	kept, fresh, keptRuns, freshRuns := rollupRows(t, db)
	if !reflect.DeepEqual(kept, fresh) {
		t.Fatalf("%s: block_days kept %d rows, afresh %d:\nkept  %v\nfresh %v", step, len(kept), len(fresh), kept, fresh)
	}
	if !reflect.DeepEqual(keptRuns, freshRuns) {
		t.Fatalf("%s: height_runs kept %v, afresh %v", step, keptRuns, freshRuns)
	}
}

// TestRollupsFollowEveryWrite changes blocks in every way the store can
// (bulk import into an empty table, headers merged into it, node blocks
// replacing imported ones with other times and fees, a rollback, a
// re-import, out-of-order and sparse imports) and checks after each step
// that the rollups equal a fresh GROUP BY over the blocks.
func TestRollupsFollowEveryWrite(t *testing.T) { backends(t, testRollupsFollowEveryWrite) }

func testRollupsFollowEveryWrite(t *testing.T, name string) {
	db, _ := openAt(t, name)
	ctx := context.Background()
	p := consensus.MainNet
	const base = 838000 // a day and an epoch boundary (838656) and the 2024 halving (840000) ahead
	timeOf := func(h int64) int64 { return 1713000000 + (h-base)*613 + (h%7)*97 }
	bitsOf := func(h int64) consensus.Bits { return consensus.Bits(0x17030000 + h/2016) }

	// 1: the blocks CSV into an empty table (the bulk path).
	im, err := db.BeginImport(ctx, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	for h := int64(base); h < base+3000; h++ {
		if err := im.BlockLabel(h, timeOf(h), "foundryusa", bitsOf(h), consensus.BlockSubsidy(h, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "bulk import")

	// 2: sparse headers, some beyond the CSV, one with another time.
	im, err = db.BeginImport(ctx, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []int64{base - 5000, base + 10, base + 2015, base + 2016, base + 5000} {
		b := chain.BlockRecord{Height: h, Hash: hashOf(fmt.Sprint(h)), PrevHash: hashOf(fmt.Sprint(h - 1)), Time: timeOf(h), Bits: bitsOf(h) + 1,
			SubsidySats: consensus.BlockSubsidy(h, p)}
		if h == base+10 {
			b.Time += 3 * 86400
		}
		if err := im.Header(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "headers")

	// 3: node blocks over the top of the CSV and beyond, with fees and
	// times a day off, in two batches.
	var recs []chain.BlockRecord
	for h := int64(base + 2900); h < base+3100; h++ {
		r := rec(h, hashOf(fmt.Sprint("n", h)), hashOf(fmt.Sprint("n", h-1)))
		r.Time, r.Bits, r.SubsidySats, r.FeesSats = timeOf(h)+86400, bitsOf(h), consensus.BlockSubsidy(h, p), consensus.Sats(h%1000)
		recs = append(recs, r)
	}
	if err := db.PutBlocks(ctx, recs[:120]); err != nil {
		t.Fatal(err)
	}
	if err := db.PutBlocks(ctx, recs[120:]); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "node blocks")

	// 4: a reorg: the node blocks above base+3050 go; the CSV rows they
	// replaced below base+3000 stay replaced, so nothing is left there.
	if err := db.Rollback(ctx, base+2950, Reorg{ForkHeight: base + 2950, OldTipHeight: base + 3099, Depth: 149}); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "rollback")

	// 5: the CSV again (the changed-rows path), out of order.
	im, err = db.BeginImport(ctx, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []int64{base + 2999, base + 2960, base + 2998} {
		if err := im.BlockLabel(h, timeOf(h), "antpool", bitsOf(h), consensus.BlockSubsidy(h, p)); err != nil {
			t.Fatal(err)
		}
	}
	for h := int64(base); h < base+3000; h++ {
		if err := im.BlockLabel(h, timeOf(h), "foundryusa", bitsOf(h), consensus.BlockSubsidy(h, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "re-import")

	// 6: an import that fails writes nothing, rollups included.
	im, err = db.BeginImport(ctx, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	for h := int64(base + 4000); h < base+4100; h++ {
		if err := im.BlockLabel(h, timeOf(h), "foundryusa", bitsOf(h), consensus.BlockSubsidy(h, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Rollback(); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "rolled-back import")

	// 7: a rollback to below everything, then a fresh bulk import.
	if err := db.Rollback(ctx, 0, Reorg{}); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "deep rollback")
	if _, err := db.db.ExecContext(ctx, `DELETE FROM blocks`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `DELETE FROM block_days`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `DELETE FROM height_runs`); err != nil {
		t.Fatal(err)
	}
	im, err = db.BeginImport(ctx, "mainnet")
	if err != nil {
		t.Fatal(err)
	}
	for h := int64(base); h < base+500; h++ {
		if err := im.BlockLabel(h, timeOf(h), "foundryusa", bitsOf(h), consensus.BlockSubsidy(h, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := im.Commit(); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, db, "bulk import again")
	// EpochBoundaries finds exactly the stored heights that start or end
	// an epoch (the bulk import covers 838000..838499: 838655 and 838656
	// are not stored; add them and one more boundary pair).
	if err := db.PutBlocks(ctx, []chain.BlockRecord{rec(base+655, hashOf("a"), hashOf("b")), rec(base+656, hashOf("c"), hashOf("a")), rec(base+4687, hashOf("d"), hashOf("e"))}); err != nil {
		t.Fatal(err)
	}
	var got []int64
	if err := db.EpochBoundaries(ctx, 2016, func(b chain.BlockRecord) error { got = append(got, b.Height); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := []int64{base + 655, base + 656, base + 4687}; !reflect.DeepEqual(got, want) {
		t.Fatalf("epoch boundaries %v, want %v", got, want)
	}
	var idx int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM blocks WHERE time >= ?`, timeOf(base+100)).Scan(&idx); err != nil || idx != 400 {
		t.Fatalf("blocks by time after a bulk import: %d, %v", idx, err)
	}
}

// TestMigrationBuildsRollups opens a database whose blocks were written
// before the rollups existed: migration 4 builds them.
func TestMigrationBuildsRollups(t *testing.T) {
	db, path := open(t)
	ctx := context.Background()
	var recs []chain.BlockRecord
	for h := int64(100); h < 400; h++ {
		if h == 250 {
			continue
		}
		recs = append(recs, rec(h, hashOf(fmt.Sprint(h)), hashOf(fmt.Sprint(h-1))))
	}
	if err := db.PutBlocks(ctx, recs); err != nil {
		t.Fatal(err)
	}
	// Back to schema 3, the rollups gone.
	for _, q := range []string{`DROP TABLE block_days`, `DROP TABLE height_runs`, `UPDATE schema_version SET version = 3`} {
		if _, err := db.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db2, err := OpenExisting(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	checkRollups(t, db2, "migration")
	kept, _, runs, _ := rollupRows(t, db2)
	if len(kept) == 0 || !reflect.DeepEqual(runs, []string{"[100 249]", "[251 399]"}) {
		t.Fatalf("migrated rollups: %d day rows, runs %v", len(kept), runs)
	}
}
