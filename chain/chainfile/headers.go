package chain

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hashlab/hashlab/consensus"
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
	return 0, fmt.Errorf("chain: layout %q is unknown (allowed: contiguous, epoch-boundaries)", s)
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

// ErrTruncated means the input ended inside a header.
var ErrTruncated = errors.New("chain: header file truncated")

// HeaderReader streams raw 80-byte headers from plain or gzip input
// (detected by the gzip magic bytes).
type HeaderReader struct {
	r      *bufio.Reader
	buf    [consensus.HeaderSize]byte
	offset int64
}

// NewHeaderReader wraps r, decompressing gzip transparently.
func NewHeaderReader(r io.Reader) (*HeaderReader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, err := br.Peek(2)
	if err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("chain: bad gzip header: %w", err)
		}
		br = bufio.NewReaderSize(zr, 1<<16)
	}
	return &HeaderReader{r: br}, nil
}

// Next returns the next raw header (valid until the next call) and its
// byte offset in the (decompressed) stream. It returns io.EOF at a clean
// end and an error wrapping ErrTruncated when the input stops mid-header.
func (h *HeaderReader) Next() ([]byte, int64, error) {
	n, err := io.ReadFull(h.r, h.buf[:])
	off := h.offset
	h.offset += int64(n)
	switch {
	case err == io.EOF:
		return nil, off, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, off, fmt.Errorf("%w: %d trailing bytes at byte offset %d (a header is %d bytes)", ErrTruncated, n, off, consensus.HeaderSize)
	case err != nil:
		return nil, off, fmt.Errorf("chain: reading headers at byte offset %d: %w", off, err)
	}
	return h.buf[:], off, nil
}
