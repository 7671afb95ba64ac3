package history_test

import (
	"context"
	"math"
	"testing"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/history"
)

// A store of five testnet4 epoch-boundary headers (heights 0, 2015, 2016,
// 4031, 4032) whose block 4031 is a 20-minute minimum-difficulty block
// (bits at the proof-of-work limit, 0x1d00ffff), as testnet4's epochs often
// end. The records are built here in that shape (no testnet4 headers ship
// with the shared data): epoch 1 at difficulty ~16,305 and a retarget at
// 4032 computed by consensus.NextBits with BIP94's base, the epoch's first
// block. The old rule took the ended epoch's difficulty from block 4031 and
// reported about +1,630,000%; the change is -0.008%.
func TestAdjustmentsTestnetMinDifficultyLastBlock(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	p := consensus.TestNet4
	tg, err := consensus.TargetFromDifficulty(16305.7)
	if err != nil {
		t.Fatal(err)
	}
	epochBits := consensus.BitsFromTarget(tg)
	const t0 = int64(1_714_777_860) // testnet4's genesis time
	t2016 := t0 + 2016*600
	t4031 := t2016 + 1_209_697 // 0.008% slower than two weeks
	next, err := consensus.NextBits(epochBits, t2016, t4031, p)
	if err != nil {
		t.Fatal(err)
	}
	recs := []chain.BlockRecord{
		{Height: 0, Time: t0, Bits: p.PowLimitBits},
		{Height: 2015, Time: t0 + 2015*600, Bits: p.PowLimitBits},
		{Height: 2016, Time: t2016, Bits: epochBits},
		{Height: 4031, Time: t4031, Bits: p.PowLimitBits}, // 20-minute rule
		{Height: 4032, Time: t4031 + 600, Bits: next},
	}
	for i := range recs {
		recs[i].Source = "headers"
	}
	if err := db.PutBlocks(ctx, recs); err != nil {
		t.Fatal(err)
	}
	adj, err := history.Adjustments(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(adj) != 2 || adj[1].Height != 4032 {
		t.Fatalf("adjustments %+v", adj)
	}
	want := 100 * (consensus.Difficulty(next)/consensus.Difficulty(epochBits) - 1)
	if got := adj[1].ChangePct; math.Abs(got-want) > 1e-9 || math.Abs(got-(-0.008)) > 0.001 {
		t.Errorf("change at 4032 = %.6f%%, want %.6f%% (about -0.008%%)", got, want)
	}
	if adj[1].Bits != next || adj[1].EpochDurationSec != 1_209_697 {
		t.Errorf("adjustment %+v", adj[1])
	}
	// The same rows read with mainnet's rules (no minimum-difficulty
	// blocks) take block 4031's bits as the epoch's: the figure the old
	// code printed on testnet4.
	naive, err := history.Adjustments(ctx, db, consensus.MainNet)
	if err != nil || len(naive) != 2 || naive[1].ChangePct < 1_000_000 {
		t.Errorf("mainnet reading: %+v %v", naive, err)
	}
	// Without the epoch's first block the testnet4 retarget cannot be
	// told apart from a min-difficulty artefact: it is left out.
	db2 := openDB(t)
	if err := db2.PutBlocks(ctx, []chain.BlockRecord{recs[3], recs[4]}); err != nil {
		t.Fatal(err)
	}
	if adj, err := history.Adjustments(ctx, db2, p); err != nil || len(adj) != 0 {
		t.Errorf("without block 2016: %+v %v", adj, err)
	}
}
