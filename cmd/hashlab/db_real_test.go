package main

import (
	"path/filepath"
	"testing"

	"github.com/hashlab/hashlab/internal/pgtest"
	"github.com/hashlab/hashlab/internal/sharedtest"
)

// TestDBCopyRealChainRoundTrip is the must-show: the 335,554
// imported real blocks (../shared/data/blocks) copied by `hashlab db copy`
// from SQLite to a real PostgreSQL and back read back with identical row
// counts and checksums in every table, rollups included.
func TestDBCopyRealChainRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("imports and copies 335,554 blocks twice")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "chain.db")
	csv := sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz")
	if code, _, stderr := fndRun(t, "import", "blocks", csv, "--db", src); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	pg := pgtest.Start(t)
	there := dbCopyJSON(t, src, pg)
	back := dbCopyJSON(t, pg, filepath.Join(dir, "back.db"))
	if len(there.Tables) != len(back.Tables) || len(there.Tables) < 5 {
		t.Fatalf("tables: %d there, %d back", len(there.Tables), len(back.Tables))
	}
	var blocks int64
	for i, tc := range there.Tables {
		b := back.Tables[i]
		if tc.Table != b.Table || tc.FromChecksum != b.ToChecksum || tc.FromRows != b.ToRows || tc.ToChecksum != tc.FromChecksum {
			t.Errorf("%s: %d rows %s in SQLite, %d rows %s in PostgreSQL, %d rows %s back in SQLite",
				tc.Table, tc.FromRows, tc.FromChecksum, tc.ToRows, tc.ToChecksum, b.ToRows, b.ToChecksum)
		}
		if tc.Table == "blocks" {
			blocks = tc.ToRows
		}
		t.Logf("%-12s %7d rows  %s", tc.Table, tc.FromRows, tc.FromChecksum)
	}
	if blocks != 335_554 {
		t.Errorf("blocks copied: %d, want 335,554", blocks)
	}
}
