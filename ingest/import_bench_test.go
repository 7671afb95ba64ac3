package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/store"
)

// BenchmarkImportBlocksCSV imports the real 335,554-row blocks file
// (gzip) into a fresh database: decompression, parsing, bits from the
// epoch table and every row written, committed in one transaction.
func BenchmarkImportBlocksCSV(b *testing.B) {
	data, err := os.ReadFile(sharedtest.Path(b, "blocks", "blocks_610683-946236_time_pool.csv.gz"))
	if err != nil {
		b.Fatal(err)
	}
	var rows int64
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := ImportBlocksCSV(context.Background(), db, bytes.NewReader(data), consensus.MainNet, snapshot.Epochs(), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rows += rep.Written
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkImportHeaders imports the 8,065 contiguous real headers
// 822528-830592 with full verification (proof of work, links, retargets).
func BenchmarkImportHeaders(b *testing.B) {
	data, err := os.ReadFile(sharedtest.Path(b, "headers", "headers_822528-830592.bin"))
	if err != nil {
		b.Fatal(err)
	}
	layout, _ := chain.ParseLayout("contiguous")
	var rows int64
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "h.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := ImportHeaders(context.Background(), db, bytes.NewReader(data), consensus.MainNet,
			HeaderImportOptions{Layout: layout, StartHeight: 822528, Epochs: snapshot.Epochs()})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if rep.Verify == nil || rep.Verify.MismatchCount != 0 {
			b.Fatalf("verify: %+v", rep.Verify)
		}
		rows += rep.Written
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "headers/s")
}

// BenchmarkReimportBlocksCSV imports the real blocks file again into a
// database that holds it: every row meets its stored twin (the upserts
// change nothing), and the rollups of every day are recomputed from the
// blocks in the same transaction.
func BenchmarkReimportBlocksCSV(b *testing.B) {
	data, err := os.ReadFile(sharedtest.Path(b, "blocks", "blocks_610683-946236_time_pool.csv.gz"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := ImportBlocksCSV(context.Background(), db, bytes.NewReader(data), consensus.MainNet, snapshot.Epochs(), nil); err != nil {
		b.Fatal(err)
	}
	var rows int64
	for b.Loop() {
		rep, err := ImportBlocksCSV(context.Background(), db, bytes.NewReader(data), consensus.MainNet, snapshot.Epochs(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Written != 0 {
			b.Fatalf("re-import wrote %d rows", rep.Written)
		}
		rows += rep.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
