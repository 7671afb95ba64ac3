package security

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
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
			return nil, inputErr("share of "+s.Name, s.Share, ">= 0")
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

// ConcentrationReport summarises a share distribution.
type ConcentrationReport struct {
	Entities   int     `json:"entities"`
	HHI        float64 `json:"hhi"`
	HHI10000   float64 `json:"hhi_10000"`
	Nakamoto50 int     `json:"nakamoto_coefficient_50"`
	Nakamoto33 int     `json:"nakamoto_coefficient_33"`
	Top1Share  float64 `json:"top1_share"`
	Top2Share  float64 `json:"top2_share"`
	Top3Share  float64 `json:"top3_share"`
	Shares     []Share `json:"shares"`
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

// Concentration computes the full report for a share distribution.
func Concentration(shares []Share) (ConcentrationReport, error) {
	s, err := Normalize(shares)
	if err != nil {
		return ConcentrationReport{}, err
	}
	h := HHI(s)
	r := ConcentrationReport{Entities: len(s), HHI: h, HHI10000: h * 10000, Nakamoto50: NakamotoCoefficient(s, 0.5), Nakamoto33: NakamotoCoefficient(s, 1.0/3),
		Top1Share: TopKShare(s, 1), Top2Share: TopKShare(s, 2), Top3Share: TopKShare(s, 3), Shares: s}
	r.ProbTop2Majority1Day, _ = ProbMajorityOfBlocks(r.Top2Share, 144, 0.5)
	r.ProbTop3Over33Day, _ = ProbMajorityOfBlocks(r.Top3Share, 144, 1.0/3)
	r.ProbTop1Run6Day, _ = ProbRunInWindow(r.Top1Share, 6, 144)
	r.CensorTop1, _ = CensoredDelay(min(r.Top1Share, 0.999999), 600)
	r.CensorTop3, _ = CensoredDelay(min(r.Top3Share, 0.999999), 600)
	return r, nil
}
