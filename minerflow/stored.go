package minerflow

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hashlab/hashlab"
)

// Stored is the tracked miner flow as a store holds it: every watched coin
// with its spend, the destinations of the spending transactions, the first
// height scanned and the tip.
type Stored struct {
	FromHeight int64
	FirstTime  int64 // block time at FromHeight
	TipHeight  int64
	TipTime    int64 // newest block time
	Coins      []Tracked
	Dests      []Dest
}

// ErrNotTracked is returned for a store that does not track miner flow.
var ErrNotTracked = errors.New("minerflow: this database does not track miner flow (ingest from a node with --miner-flow)")

// labelsShape is what a labels file must be.
const labelsShape = "CSV lines address,entity (an optional header line address,entity)"

// ParseLabels reads a labels file: CSV lines "address,entity" (a first
// line "address,entity" is a header). An address given twice with two
// entities, an empty field or a line of another width is an
// *hashlab.InputError naming the line.
func ParseLabels(r io.Reader) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	out := map[string]string{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, hashlab.Invalidf("labels file", err.Error(), labelsShape, err)
		}
		l, _ := cr.FieldPos(0)
		if line == 1 && len(rec) == 2 && strings.EqualFold(strings.TrimSpace(rec[0]), "address") {
			continue
		}
		if len(rec) != 2 {
			return nil, hashlab.Invalid(fmt.Sprintf("labels file line %d", l), strings.Join(rec, ","), labelsShape)
		}
		a, e := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if a == "" || e == "" {
			return nil, hashlab.Invalid(fmt.Sprintf("labels file line %d", l), strings.Join(rec, ","), "a non-empty address and entity")
		}
		if old, ok := out[a]; ok && old != e {
			return nil, hashlab.Invalid(fmt.Sprintf("labels file line %d", l), a, fmt.Sprintf("one entity per address (already %q)", old))
		}
		out[a] = e
	}
	return out, nil
}
