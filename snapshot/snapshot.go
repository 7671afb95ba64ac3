package snapshot

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab/consensus"
)

//go:embed network.json
var networkJSON []byte

//go:embed epochs.csv
var epochsCSV []byte

// Network is the default network state.
type Network struct {
	AsOf     time.Time `json:"as_of"`
	Height   int64     `json:"height"`
	BitsHex  string    `json:"bits"`
	PriceUSD float64   `json:"price_usd"`
	// PriceAsOf is the date the reference price belongs to (it is an
	// assumption, older than the block data).
	PriceAsOf       time.Time         `json:"price_as_of"`
	FeesPerBlockBTC float64           `json:"fees_per_block_btc"`
	NetworkName     string            `json:"network"`
	Sources         map[string]string `json:"sources"`
}

// Bits returns the snapshot's nBits.
func (n Network) Bits() uint32 {
	v, _ := strconv.ParseUint(n.BitsHex, 16, 32)
	return uint32(v)
}

// Difficulty returns the snapshot's difficulty.
func (n Network) Difficulty() float64 { return consensus.Difficulty(consensus.Bits(n.Bits())) }

// FeesPerBlock returns the average fees per block in sats.
func (n Network) FeesPerBlock() consensus.Sats {
	return consensus.Sats(n.FeesPerBlockBTC*consensus.SatsPerBTC + 0.5)
}

// Default returns the embedded network snapshot.
func Default() Network {
	var n Network
	if err := json.Unmarshal(networkJSON, &n); err != nil {
		panic("snapshot: embedded network.json: " + err.Error())
	}
	return n
}

// Epoch is one difficulty epoch. Unknown times and bits are zero.
type Epoch struct {
	Epoch         int64  `json:"epoch"`
	FirstHeight   int64  `json:"first_height"`
	LastHeight    int64  `json:"last_height"`
	Bits          uint32 `json:"-"`
	FirstTime     int64  `json:"first_time,omitempty"`
	LastTime      int64  `json:"last_time,omitempty"`
	NextBits      uint32 `json:"-"`
	LastBlockHash string `json:"last_block_hash,omitempty"`
}

// HasTimes reports whether both timestamps are known.
func (e Epoch) HasTimes() bool { return e.FirstTime != 0 && e.LastTime != 0 }

// Epochs returns the embedded epoch table, ascending by epoch.
func Epochs() []Epoch {
	es, err := ParseEpochs(bytes.NewReader(epochsCSV))
	if err != nil {
		panic("snapshot: embedded epochs.csv: " + err.Error())
	}
	return es
}

// ErrEpochTable is wrapped by every epoch-table parse error.
var ErrEpochTable = errors.New("snapshot: bad epoch table")

// ParseEpochs reads an epoch table in the format of
// shared/data/headers/difficulty_epochs.csv:
// epoch,first_height,last_height,bits,first_time,last_time,next_bits,last_block_hash[,time_source].
// Errors name the line and the field.
func ParseEpochs(r io.Reader) ([]Epoch, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: reading header: %v", ErrEpochTable, err)
	}
	want := []string{"epoch", "first_height", "last_height", "bits", "first_time", "last_time", "next_bits"}
	if len(header) < len(want) {
		return nil, fmt.Errorf("%w: header has %d columns, want at least %s", ErrEpochTable, len(header), strings.Join(want, ","))
	}
	for i, w := range want {
		if strings.TrimPrefix(header[i], "\ufeff") != w {
			return nil, fmt.Errorf("%w: column %d is %q, want %q", ErrEpochTable, i+1, header[i], w)
		}
	}
	var out []Epoch
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrEpochTable, line, err)
		}
		if len(rec) < len(want) {
			return nil, fmt.Errorf("%w: line %d: %d fields, want at least %d", ErrEpochTable, line, len(rec), len(want))
		}
		var e Epoch
		fields := []struct {
			name string
			dst  *int64
		}{{"epoch", &e.Epoch}, {"first_height", &e.FirstHeight}, {"last_height", &e.LastHeight}, {"first_time", &e.FirstTime}, {"last_time", &e.LastTime}}
		idx := map[string]int{"epoch": 0, "first_height": 1, "last_height": 2, "first_time": 4, "last_time": 5}
		for _, f := range fields {
			s := rec[idx[f.name]]
			if s == "" && (f.name == "first_time" || f.name == "last_time") {
				continue
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("%w: line %d: %s = %q (allowed: a non-negative integer)", ErrEpochTable, line, f.name, s)
			}
			*f.dst = v
		}
		for _, f := range []struct {
			name string
			s    string
			dst  *uint32
		}{{"bits", rec[3], &e.Bits}, {"next_bits", rec[6], &e.NextBits}} {
			if f.s == "" && f.name == "next_bits" {
				continue
			}
			v, err := strconv.ParseUint(strings.TrimPrefix(f.s, "0x"), 16, 32)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %s = %q (allowed: 8 hex digits)", ErrEpochTable, line, f.name, f.s)
			}
			*f.dst = uint32(v)
		}
		if len(rec) > 7 {
			e.LastBlockHash = rec[7]
		}
		if e.LastHeight < e.FirstHeight {
			return nil, fmt.Errorf("%w: line %d: last_height %d < first_height %d", ErrEpochTable, line, e.LastHeight, e.FirstHeight)
		}
		out = append(out, e)
	}
	return out, nil
}

func unixUTC(t int64) time.Time { return time.Unix(t, 0).UTC() }
