package chain

import "github.com/hashlab/hashlab/consensus"

// ZeroHash is the previous-block hash of a genesis block (all zeros).
var ZeroHash consensus.Hash

// BlockRecord is everything hashlab stores about one block. Fields the
// source does not provide are zero: Size, Weight and MedianTime are zero
// when a block came from a header or CSV import rather than a node; Hash
// and PrevHash are the zero hash when a block is known only from the
// blocks CSV (a real block never hashes to zero). Hashes print in display
// order (chainhash); amounts are satoshis (consensus.Sats).
type BlockRecord struct {
	Height     int64          `json:"height"`
	Hash       consensus.Hash `json:"hash"`
	PrevHash   consensus.Hash `json:"prev_hash"`
	Time       int64          `json:"time"` // header timestamp, Unix seconds
	MedianTime int64          `json:"median_time,omitempty"`
	// Bits is the header's nBits; 0 when unknown.
	Bits      consensus.Bits `json:"bits"`
	Version   int32          `json:"version"`
	Nonce     uint32         `json:"nonce"`
	TxCount   int64          `json:"tx_count,omitempty"`
	SizeBytes int64          `json:"size_bytes,omitempty"`
	WeightWU  int64          `json:"weight_wu,omitempty"`
	// CoinbaseOutSats is the sum of the coinbase transaction's outputs.
	CoinbaseOutSats consensus.Sats `json:"coinbase_out_sats,omitempty"`
	// SubsidySats is the consensus subsidy at Height.
	SubsidySats consensus.Sats `json:"subsidy_sats,omitempty"`
	// FeesSats is CoinbaseOutSats - SubsidySats when that is >= 0. A block
	// whose coinbase claims less than its subsidy has UnderClaimed set and
	// FeesSats 0 (its true fees are unknown from the coinbase alone).
	FeesSats     consensus.Sats `json:"fees_sats,omitempty"`
	UnderClaimed bool           `json:"under_claimed,omitempty"`
	// CoinbaseTag is the printable text of the coinbase scriptSig.
	CoinbaseTag     string   `json:"coinbase_tag,omitempty"`
	PayoutAddresses []string `json:"payout_addresses,omitempty"`
	// Pool is the attributed mining pool's slug ("unknown" when none).
	Pool string `json:"pool,omitempty"`
	// Source says where the record came from: "rpc", "headers", "blocks-csv".
	Source string `json:"source,omitempty"`
}

// SplitCoinbase sets FeesSats to what the coinbase claimed beyond the
// subsidy, or flags a coinbase that claimed less (fees 0). Both
// CoinbaseOutSats and SubsidySats must be set.
func (r *BlockRecord) SplitCoinbase() {
	if r.CoinbaseOutSats >= r.SubsidySats {
		r.FeesSats = r.CoinbaseOutSats - r.SubsidySats
	} else {
		r.UnderClaimed = true
	}
}
