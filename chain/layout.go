package chain

import (
	"strings"

	"github.com/hashlab/hashlab"
)

// Layout says which heights the headers of a file are at.
type Layout int

const (
	// LayoutContiguous: consecutive heights from a start height.
	LayoutContiguous Layout = iota
	// LayoutEpochBoundaries: height 0, then for every retarget the last
	// block of the old epoch and the first of the new: 0, 2015, 2016, 4031,
	// 4032, ... (shared/data/headers/epoch_boundary_headers_*.bin).
	LayoutEpochBoundaries
)

func (l Layout) String() string {
	if l == LayoutEpochBoundaries {
		return "epoch-boundaries"
	}
	return "contiguous"
}

// ParseLayout reads a layout name.
func ParseLayout(s string) (Layout, error) {
	switch strings.ToLower(s) {
	case "contiguous", "":
		return LayoutContiguous, nil
	case "epoch-boundaries", "boundaries":
		return LayoutEpochBoundaries, nil
	}
	return 0, hashlab.Invalid("layout", s, "contiguous, epoch-boundaries")
}

// HeightAt returns the height of the i-th header (0-based) of a file.
func (l Layout) HeightAt(i, startHeight, interval int64) int64 {
	if l == LayoutEpochBoundaries {
		if i == 0 {
			return 0
		}
		if i%2 == 1 {
			return (i+1)/2*interval - 1
		}
		return i / 2 * interval
	}
	return startHeight + i
}
