package security

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/hashlab/hashlab/consensus"
)

// Share is one entity's (pool's or operator's) share of hashrate or blocks.
type Share struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"`
}

// Normalize returns the shares sorted largest first and scaled to sum to
// 1; it rejects negative shares and an all-zero input.
func Normalize(shares []Share) ([]Share, error) {
	total := 0.0
	for _, s := range shares {
		if !(s.Share >= 0) || math.IsInf(s.Share, 0) {
			return nil, inputErr("shares", fmt.Sprintf("%s=%g", s.Name, s.Share), "name=share pairs with every share a finite number >= 0")
		}
		total += s.Share
	}
	if total <= 0 {
		return nil, inputErr("shares", "all zero", "at least one positive share")
	}
	out := make([]Share, len(shares))
	for i, s := range shares {
		out[i] = Share{s.Name, s.Share / total}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Share > out[j].Share })
	return out, nil
}

// HHI is the Herfindahl-Hirschman index of normalized shares on the 0-1
// scale (multiply by 10,000 for the antitrust convention).
func HHI(shares []Share) float64 {
	h := 0.0
	for _, s := range shares {
		h += s.Share * s.Share
	}
	return h
}

// NakamotoCoefficient is the smallest number of entities whose combined
// share exceeds threshold (0.5 for a majority, 0.33 for stalling BFT-style
// finality or a selfish-mining coalition). Shares must be normalized and
// sorted (Normalize).
func NakamotoCoefficient(shares []Share, threshold float64) int {
	sum := 0.0
	for i, s := range shares {
		sum += s.Share
		if sum > threshold {
			return i + 1
		}
	}
	return len(shares) + 1 // never exceeded (only when threshold >= 1)
}

// TopKShare is the combined share of the k largest entities.
func TopKShare(shares []Share, k int) float64 {
	sum := 0.0
	for i := 0; i < k && i < len(shares); i++ {
		sum += shares[i].Share
	}
	return sum
}

// ProbMajorityOfBlocks is the probability that a coalition with true
// hashrate share s mines more than threshold·n of n blocks (binomial): how
// likely the top-k pools are to *appear* to hold a majority in a window.
func ProbMajorityOfBlocks(s float64, n int, threshold float64) (float64, error) {
	if !(s >= 0 && s <= 1) {
		return 0, inputErr("share", s, "0 to 1")
	}
	if n < 1 {
		return 0, inputErr("blocks", n, ">= 1")
	}
	if !(threshold >= 0 && threshold < 1) {
		return 0, inputErr("threshold", threshold, "0 <= t < 1")
	}
	k := int(math.Floor(threshold * float64(n))) // need more than k blocks
	b := distuv.Binomial{N: float64(n), P: s}
	return 1 - b.CDF(float64(k)), nil
}

// ProbRunInWindow is the exact probability that an entity with share q
// mines at least k consecutive blocks somewhere in n blocks. It runs a
// Markov chain over the current run length (O(n·k)).
func ProbRunInWindow(q float64, k, n int) (float64, error) {
	if !(q >= 0 && q <= 1) {
		return 0, inputErr("q", q, "0 to 1")
	}
	if k < 1 {
		return 0, inputErr("run length k", k, ">= 1")
	}
	if n < 0 {
		return 0, inputErr("blocks n", n, ">= 0")
	}
	if k > n {
		return 0, nil
	}
	// dist[j] = P(current run = j and no run of k yet).
	dist := make([]float64, k)
	next := make([]float64, k)
	dist[0] = 1
	hit := 0.0
	for range n {
		clear(next)
		for j, p := range dist {
			if p == 0 {
				continue
			}
			next[0] += p * (1 - q)
			if j+1 == k {
				hit += p * q
			} else {
				next[j+1] += p * q
			}
		}
		dist, next = next, dist
	}
	return hit, nil
}

// CensorshipDelay describes how long a transaction censored by miners with
// share q waits for an honest block, assuming blocks every spacing seconds
// on average. Block arrivals are memoryless, so the wait is exponential
// with mean spacing/(1−q).
type CensorshipDelay struct {
	MeanSec float64 `json:"mean_sec"`
	P50Sec  float64 `json:"p50_sec"`
	P95Sec  float64 `json:"p95_sec"`
	P99Sec  float64 `json:"p99_sec"`
	// ExpectedBlocks is the expected number of blocks until the first
	// honest one: 1/(1−q).
	ExpectedBlocks float64 `json:"expected_blocks"`
}

// CensoredDelay returns the delay distribution for censoring share q.
func CensoredDelay(q, spacingSec float64) (CensorshipDelay, error) {
	if !(q >= 0 && q < 1) {
		return CensorshipDelay{}, inputErr("q (censoring share)", q, "0 <= q < 1")
	}
	if !(spacingSec > 0) {
		return CensorshipDelay{}, inputErr("block spacing", spacingSec, "> 0 s")
	}
	mean := spacingSec / (1 - q)
	pct := func(p float64) float64 { return -math.Log(1-p) * mean }
	return CensorshipDelay{MeanSec: mean, P50Sec: pct(0.5), P95Sec: pct(0.95), P99Sec: pct(0.99), ExpectedBlocks: 1 / (1 - q)}, nil
}

// ConcentrationReport summarises a share distribution. Blocks that no
// pool claimed ("unknown") and the bucket of small pools ("other") are
// reported apart (Unattributed) and, unless the report was asked to
// include them, are not entities: they stay in the denominator of every
// share but are left out of Entities, HHI, the Nakamoto coefficients, the
// top-k shares and the cartel and censorship figures (they are many small
// miners, not one pool that could collude).
type ConcentrationReport struct {
	Entities int     `json:"entities"`
	HHI      float64 `json:"hhi"`
	HHI10000 float64 `json:"hhi_10000"`
	// Nakamoto50 and Nakamoto33 are the fewest entities whose combined
	// share exceeds one half and one third; Entities+1 when all of them
	// together do not (the rest is unattributed).
	Nakamoto50 int     `json:"nakamoto_coefficient_50"`
	Nakamoto33 int     `json:"nakamoto_coefficient_33"`
	Top1Share  float64 `json:"top1_share"`
	Top2Share  float64 `json:"top2_share"`
	Top3Share  float64 `json:"top3_share"`
	// Shares are the entities, largest first, as shares of all blocks.
	Shares []Share `json:"shares"`
	// Unattributed are the "unknown" and "other" buckets (IsUnattributed)
	// as shares of all blocks, and UnattributedShare their sum.
	Unattributed      []Share `json:"unattributed"`
	UnattributedShare float64 `json:"unattributed_share"`
	// IncludeUnknown says the unattributed buckets were counted as
	// entities (ConcentrationOptions.IncludeUnknown).
	IncludeUnknown bool `json:"include_unknown"`
	// ProbTop2Majority1Day is the probability the top two entities mine
	// more than half of a day's 144 blocks; ProbTop3Over33Day the same for
	// the top three and a third.
	ProbTop2Majority1Day float64 `json:"prob_top2_majority_144_blocks"`
	ProbTop3Over33Day    float64 `json:"prob_top3_over_33pct_144_blocks"`
	// ProbTop1Run6Day is the probability that the largest entity mines 6
	// blocks in a row within a day (144 blocks).
	ProbTop1Run6Day float64 `json:"prob_top1_6_in_a_row_144_blocks"`
	// Censorship by the largest entity, and by the top three together.
	CensorTop1 CensorshipDelay `json:"censorship_delay_top1"`
	CensorTop3 CensorshipDelay `json:"censorship_delay_top3"`
}

// ConcentrationOptions change what Concentration counts.
type ConcentrationOptions struct {
	// IncludeUnknown counts each unattributed bucket ("unknown", "other")
	// as one entity, as mempool.space's pie does; the default leaves them
	// out of the entity figures.
	IncludeUnknown bool
	// BlocksPerDay is the day's block count of the cartel figures and
	// SpacingSec the mean block interval of the censorship delays (0:
	// mainnet's, from consensus.MainNet: 144 blocks of 600 s).
	BlocksPerDay int
	SpacingSec   float64
}

// IsUnattributed reports whether an entity name stands for blocks no
// single pool claimed: "unknown", "other", "others", "unattributed" or an
// empty name (any case, surrounding space ignored).
func IsUnattributed(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "unknown", "other", "others", "unattributed":
		return true
	}
	return false
}

// Concentration computes the full report for a share distribution with
// the default options (unattributed buckets left out of the entity
// figures).
func Concentration(shares []Share) (ConcentrationReport, error) {
	return ConcentrationWith(shares, ConcentrationOptions{})
}

// ConcentrationWith computes the full report with opt. Shares need not be
// normalized (block counts will do); errors are *hashlab.InputError.
func ConcentrationWith(shares []Share, opt ConcentrationOptions) (ConcentrationReport, error) {
	all, err := Normalize(shares)
	if err != nil {
		return ConcentrationReport{}, err
	}
	if opt.BlocksPerDay == 0 {
		opt.BlocksPerDay = int(86400 / consensus.MainNet.TargetSpacingSec)
	}
	if opt.SpacingSec == 0 {
		opt.SpacingSec = float64(consensus.MainNet.TargetSpacingSec)
	}
	if opt.BlocksPerDay < 1 {
		return ConcentrationReport{}, inputErr("blocks per day", opt.BlocksPerDay, ">= 1")
	}
	if !(opt.SpacingSec > 0) || math.IsInf(opt.SpacingSec, 0) {
		return ConcentrationReport{}, inputErr("block spacing", opt.SpacingSec, "> 0 s")
	}
	r := ConcentrationReport{IncludeUnknown: opt.IncludeUnknown, Shares: []Share{}, Unattributed: []Share{}}
	for _, s := range all {
		if IsUnattributed(s.Name) {
			r.Unattributed = append(r.Unattributed, s)
			r.UnattributedShare += s.Share
			if !opt.IncludeUnknown {
				continue
			}
		}
		r.Shares = append(r.Shares, s)
	}
	s := r.Shares
	h := HHI(s)
	r.Entities, r.HHI, r.HHI10000 = len(s), h, h*10000
	r.Nakamoto50, r.Nakamoto33 = NakamotoCoefficient(s, 0.5), NakamotoCoefficient(s, 1.0/3)
	r.Top1Share, r.Top2Share, r.Top3Share = TopKShare(s, 1), TopKShare(s, 2), TopKShare(s, 3)
	r.ProbTop2Majority1Day, _ = ProbMajorityOfBlocks(min(r.Top2Share, 1), opt.BlocksPerDay, 0.5)
	r.ProbTop3Over33Day, _ = ProbMajorityOfBlocks(min(r.Top3Share, 1), opt.BlocksPerDay, 1.0/3)
	r.ProbTop1Run6Day, _ = ProbRunInWindow(min(r.Top1Share, 1), 6, opt.BlocksPerDay)
	r.CensorTop1, _ = CensoredDelay(min(r.Top1Share, 0.999999), opt.SpacingSec)
	r.CensorTop3, _ = CensoredDelay(min(r.Top3Share, 0.999999), opt.SpacingSec)
	return r, nil
}
