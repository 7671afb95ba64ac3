package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/store"
)

// TestImportBlocksCSVWrittenCount: the count of rows written includes the
// last partial batch (written at Commit), on a fresh database and when a
// changed file is imported again; re-importing the same file writes
// nothing (the documented convention: rows inserted or changed).
func TestImportBlocksCSVWrittenCount(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "new.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const first, rows = 610683, 5000 // 3 full batches of 1,638 and 86 rows
	csv := func(pool func(i int) string) string {
		var b strings.Builder
		b.WriteString("height,time,pool_slug\n")
		for i := range rows {
			fmt.Fprintf(&b, "%d,%d,%s\n", first+i, 1575000000+600*i, pool(i))
		}
		return b.String()
	}
	a := csv(func(int) string { return "foundryusa" })
	rep, err := ImportBlocksCSV(ctx, db, strings.NewReader(a), consensus.MainNet, snapshot.Epochs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != rows || rep.Written != rows {
		t.Errorf("fresh database: read %d, written %d; want %d and %d", rep.Rows, rep.Written, rows, rows)
	}
	rep, err = ImportBlocksCSV(ctx, db, strings.NewReader(a), consensus.MainNet, snapshot.Epochs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != rows || rep.Written != 0 {
		t.Errorf("same file again: read %d, written %d; want %d and 0", rep.Rows, rep.Written, rows)
	}
	// Change the pool of the last 100 rows (all in the last partial batch)
	// and of every 7th row.
	changed := 0
	b := csv(func(i int) string {
		if i >= rows-100 || i%7 == 0 {
			changed++
			return "antpool"
		}
		return "foundryusa"
	})
	rep, err = ImportBlocksCSV(ctx, db, strings.NewReader(b), consensus.MainNet, snapshot.Epochs(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Written != int64(changed) {
		t.Errorf("re-import with %d rows changed: written %d", changed, rep.Written)
	}
}
