package chainfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
)

// ErrTruncated means the input ended inside a header.
var ErrTruncated = errors.New("chainfile: header file truncated")

// HeaderReader streams raw 80-byte headers from plain or gzip input
// (detected by the gzip magic bytes).
type HeaderReader struct {
	r      *bufio.Reader
	buf    [consensus.HeaderSize]byte
	offset int64
}

// NewHeaderReader wraps r, decompressing gzip transparently.
func NewHeaderReader(r io.Reader) (*HeaderReader, error) {
	br, err := gunzipMaybe(r)
	if err != nil {
		return nil, err
	}
	return &HeaderReader{r: br}, nil
}

// NextBatch returns up to max whole headers that are already buffered,
// as one slice straight from the buffer (valid until the next call), and
// the byte offset of the first; when not one whole header is buffered it
// returns Next's answer, so every error and offset is Next's.
// chain.Verifier.Run reads through it without copying each header.
func (h *HeaderReader) NextBatch(max int) ([]byte, int64, error) {
	n := min(max, h.r.Buffered()/consensus.HeaderSize) * consensus.HeaderSize
	if n <= 0 {
		return h.Next()
	}
	b, _ := h.r.Peek(n) // buffered: no read, no error
	h.r.Discard(n)
	off := h.offset
	h.offset += int64(n)
	return b, off, nil
}

// Next returns the next raw header (valid until the next call) and its
// byte offset in the (decompressed) stream. It returns io.EOF at a clean
// end and an error wrapping ErrTruncated when the input stops mid-header.
func (h *HeaderReader) Next() ([]byte, int64, error) {
	n, err := io.ReadFull(h.r, h.buf[:])
	off := h.offset
	h.offset += int64(n)
	if err == nil {
		return h.buf[:], off, nil // the hot path: no error to classify
	}
	switch {
	case err == io.EOF:
		return nil, off, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, off, hashlab.Invalidf("byte offset "+strconv.FormatInt(off, 10), fmt.Sprintf("%d trailing bytes", n),
			fmt.Sprintf("whole %d-byte headers (the file ends inside a header)", consensus.HeaderSize), ErrTruncated)
	case corrupt(err):
		return nil, off, hashlab.Invalidf("byte offset "+strconv.FormatInt(off, 10), "corrupt gzip data", "an intact gzip stream, or an uncompressed file", err)
	case err != nil:
		return nil, off, fmt.Errorf("chainfile: reading headers at byte offset %d: %w", off, err)
	}
	return h.buf[:], off, nil
}
