package ingest

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/btcdtest"
)

// busyChain mines 101 empty blocks (so coins mature), then blocks
// busyBlocks holding txsPerBlock+1 transactions each.
func busyChain(tb testing.TB, busyBlocks, txsPerBlock int) *btcdtest.Node {
	n := btcdtest.Start(tb)
	m := btcdtest.NewMiner(tb, n, "busy-miner")
	m.MineN(tb, 100+busyBlocks, btcdtest.BlockSpec{Tag: "/Foundry USA Pool #dropgold/"})
	for range busyBlocks {
		txs, fees := m.BusyTxs(tb, txsPerBlock)
		m.Mine(tb, btcdtest.BlockSpec{Tag: "Mined by AntPool", Txs: txs, Fees: fees})
	}
	return n
}

// TestIngestBusyBlocksBothWays: blocks with hundreds of transactions read
// from serialized blocks and from the node's decoding give the same
// records, with every transaction counted and every fee found.
func TestIngestBusyBlocksBothWays(t *testing.T) {
	const busy, per = 3, 300
	n := busyChain(t, busy, per)
	ctx := context.Background()
	raw, dec := newRecorder(t), newRecorder(t)
	if _, err := Run(ctx, n.RPC, raw, Options{Attribute: chain.Attribute}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, n.RPC, dec, Options{Attribute: chain.Attribute, Verbosity: 2}); err != nil {
		t.Fatal(err)
	}
	if len(raw.blocks) != len(dec.blocks) || len(raw.blocks) != 100+2*busy+1 {
		t.Fatalf("%d and %d blocks", len(raw.blocks), len(dec.blocks))
	}
	for h, r := range raw.blocks {
		if !reflect.DeepEqual(r, dec.blocks[h]) {
			t.Errorf("height %d:\nraw     %+v\ndecoded %+v", h, r, dec.blocks[h])
		}
	}
	// Each busy block spends a 50 BTC coinbase coin: the fan-out keeps
	// what does not divide into per outputs, each child pays 2,000.
	const coin = 50 * 100_000_000
	wantFees := consensus.Sats(coin - (coin-100_000)/per*per + per*2_000)
	for h := int64(100 + busy + 1); h <= int64(100+2*busy); h++ {
		r := raw.blocks[h]
		if r.TxCount != per+2 || r.FeesSats != wantFees || r.Pool != "antpool" {
			t.Errorf("busy block %d: %d txs, fees %d, pool %s; want %d txs, fees %d, antpool", h, r.TxCount, r.FeesSats, r.Pool, per+2, wantFees)
		}
		checkAgainstNode(t, n, r)
	}
}

// BenchmarkIngestBusyBlocks measures ingest on blocks filled the way
// mainnet's are (2,000 transactions, about 450 kB each), fetched
// serialized (verbosity 0, the default) and decoded by the node
// (verbosity 2). Only the busy blocks count: the run starts above the
// empty blocks that matured the coins.
func BenchmarkIngestBusyBlocks(b *testing.B) {
	const busy, per = 10, 2000
	n := busyChain(b, busy, per)
	from := int64(100 + busy + 1)
	for _, verbosity := range []int{0, 2} {
		for _, workers := range []int{1, 4} {
			b.Run(fmt.Sprintf("verbosity=%d/workers=%d", verbosity, workers), func(b *testing.B) {
				var bytes int64
				for b.Loop() {
					b.StopTimer()
					db := openStore(b)
					b.StartTimer()
					sum, err := Run(context.Background(), n.RPC, db, Options{FromHeight: from, Workers: workers, BatchSize: 50, Verbosity: verbosity, Attribute: chain.Attribute})
					if err != nil {
						b.Fatal(err)
					}
					if sum.BlocksWritten != busy {
						b.Fatalf("wrote %d blocks", sum.BlocksWritten)
					}
					b.StopTimer()
					last, _, _ := db.Block(context.Background(), from)
					bytes += busy * last.SizeBytes
					b.StartTimer()
				}
				secs := b.Elapsed().Seconds()
				b.ReportMetric(float64(b.N*busy)/secs, "blocks/s")
				b.ReportMetric(float64(b.N*busy*(per+2))/secs, "tx/s")
				b.ReportMetric(float64(bytes)/1e6/secs, "MB/s")
			})
		}
	}
}
