package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/sim"
)

// The simulator: one four-year path of the baseline scenario (1,000
// operators, exact retargets) against a bare per-block loop with exact
// retargets and no agents, both in this process on one core; then the
// 10,000-path Monte Carlo on every core (wall time, goal < 10 s) and its
// peak memory against a 1,000-path run (goal: flat in the number of
// paths), each as its own `hashlab sim run` process.
func init() {
	register("sim", benchSim)
}

const simPathsInProcess = 100

func benchSim(ctx context.Context, e *env) ([]row, error) {
	sc, err := sim.LoadShipped("baseline")
	if err != nil {
		return nil, err
	}
	prev := runtime.GOMAXPROCS(1)
	ours := func() (measured, error) {
		t0, c0 := time.Now(), cpuSelf()
		if _, err := sim.Run(ctx, sc, sim.Options{Paths: simPathsInProcess, Seed: 1, Years: 4, Workers: 1}); err != nil {
			return measured{}, err
		}
		return measured{wall: time.Since(t0) / simPathsInProcess, cpu: (cpuSelf() - c0) / simPathsInProcess}, nil
	}
	bare := func() (measured, error) {
		t0, c0 := time.Now(), cpuSelf()
		var sink float64
		for i := 0; i < simPathsInProcess; i++ {
			sink += bareBlockLoop(uint64(i), 4)
		}
		if math.IsNaN(sink) {
			return measured{}, fmt.Errorf("bare loop produced NaN")
		}
		return measured{wall: time.Since(t0) / simPathsInProcess, cpu: (cpuSelf() - c0) / simPathsInProcess}, nil
	}
	a, b, err := interleave(e.rounds, ours, bare, cpuKey)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		return nil, err
	}
	rows := []row{{work: "one 4-year path, 1,000 operators, 1 core (CPU)", hashlab: fmtDur(a.cpu),
		baseline: "bare per-block loop, exact retargets: " + fmtDur(b.cpu), ratio: float64(a.cpu) / float64(b.cpu),
		note: "no goal: hashlab draws whole days, not each block, so it can be faster than the bare loop"}}

	// 10,000 paths on every core, and memory against 1,000 paths.
	big, err := runCmd(ctx, e.root, nil, nil, e.hashlab, "sim", "run", "baseline", "--paths", "10000", "--seed", "1", "--years", "4", "--json")
	if err != nil {
		return nil, err
	}
	small, err := runCmd(ctx, e.root, nil, nil, e.hashlab, "sim", "run", "baseline", "--paths", "1000", "--seed", "1", "--years", "4", "--json")
	if err != nil {
		return nil, err
	}
	rows = append(rows,
		row{work: fmt.Sprintf("10,000 four-year paths, %d cores (wall)", runtime.NumCPU()), hashlab: fmtDur(big.wall),
			baseline: "goal 10 s", ratio: big.wall.Seconds() / 10, goal: "< 1.0× of 10 s", met: big.wall < 10*time.Second,
			note: fmt.Sprintf("%s of CPU (user + system) over %d cores: %s each, the wall time when nothing else runs", fmtDur(big.cpu), runtime.NumCPU(), fmtDur(big.cpu/time.Duration(runtime.NumCPU())))},
		row{work: "peak memory, 10,000 paths vs 1,000 paths", hashlab: fmt.Sprintf("%.0f MB", float64(big.maxRSSKB)/1024),
			baseline: fmt.Sprintf("1,000 paths: %.0f MB", float64(small.maxRSSKB)/1024), ratio: float64(big.maxRSSKB) / float64(small.maxRSSKB),
			goal: "<= 1.2× (flat)", met: float64(big.maxRSSKB) <= 1.2*float64(small.maxRSSKB)},
	)
	return rows, nil
}

// bareBlockLoop simulates years of mainnet blocks one by one at a
// constant hashrate equal to the first epoch's difficulty (so the mean
// interval starts at 600 s), applying Core's retarget exactly at every
// epoch boundary. It is the floor any per-block simulator pays.
func bareBlockLoop(seed uint64, years float64) float64 {
	p := consensus.MainNet
	rng := rand.New(rand.NewPCG(seed, 1))
	bits := consensus.Bits(0x1701d936)
	hs := hashprice.ImpliedHashrateHs(consensus.Difficulty(bits), p.TargetSpacingSec)
	horizon := years * 365.25 * 86400
	t, first := 0.0, 0.0
	height := int64(0)
	mean := hashprice.HashesPerBlock(consensus.Difficulty(bits)) / hs
	for t < horizon {
		t += rng.ExpFloat64() * mean
		height++
		if height%p.RetargetInterval() == p.RetargetInterval()-1 {
			nb, err := consensus.NextBits(bits, int64(first), int64(t), p)
			if err == nil {
				bits = nb
				mean = hashprice.HashesPerBlock(consensus.Difficulty(bits)) / hs
			}
		}
		if height%p.RetargetInterval() == 0 {
			first = t
		}
	}
	return t
}
