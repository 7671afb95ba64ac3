package noderpc

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chainhash/v2"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
)

// This file turns what a node's getblock (verbosity 2) says into a
// chain.BlockRecord. Bitcoin Core and btcd differ in a few field names; every
// difference is handled here:
//
//	transactions    Core: "tx" (objects)        btcd: "rawtx"
//	tx count        Core: "nTx" and len(tx)     btcd: len(rawtx) only
//	output address  Core: "address"             btcd: "address" and "addresses"
//	P2PK outputs    Core: no address            btcd: the P2PKH address of the key
//	median time     Core: "mediantime"          btcd: absent (computed by the caller)

// Block is getblock's verbosity-2 answer. Transactions are kept
// undecoded; only the coinbase is decoded.
type Block struct {
	Hash          string            `json:"hash"`
	Confirmations int64             `json:"confirmations"`
	Height        int64             `json:"height"`
	Version       int32             `json:"version"`
	MerkleRoot    string            `json:"merkleroot"`
	Time          int64             `json:"time"`
	MedianTime    int64             `json:"mediantime"` // Core only
	Nonce         uint64            `json:"nonce"`
	Bits          string            `json:"bits"`
	PreviousHash  string            `json:"previousblockhash"`
	Size          int64             `json:"size"`
	StrippedSize  int64             `json:"strippedsize"`
	Weight        int64             `json:"weight"`
	NTx           int64             `json:"nTx"` // Core only
	Tx            []json.RawMessage `json:"tx"`
	RawTx         []json.RawMessage `json:"rawtx"` // btcd
}

// Tx is a decoded transaction of a verbosity-2 block.
type Tx struct {
	Txid string `json:"txid"`
	Hash string `json:"hash"`
	Vin  []Vin  `json:"vin"`
	Vout []Vout `json:"vout"`
}

// Vin is a transaction input; Coinbase is the scriptSig hex of a
// coinbase input.
type Vin struct {
	Coinbase string `json:"coinbase"`
	Txid     string `json:"txid"`
	Vout     uint32 `json:"vout"`
}

// Vout is a transaction output. Value is kept as the exact decimal the
// node printed.
type Vout struct {
	Value        json.Number `json:"value"`
	N            uint32      `json:"n"`
	ScriptPubKey struct {
		Hex       string   `json:"hex"`
		Type      string   `json:"type"`
		Address   string   `json:"address"`
		Addresses []string `json:"addresses"`
	} `json:"scriptPubKey"`
}

// Transactions returns the block's transactions wherever the node put
// them ("tx" for Core, "rawtx" for btcd).
func (b *Block) Transactions() []json.RawMessage {
	if len(b.Tx) > 0 {
		return b.Tx
	}
	return b.RawTx
}

// Coinbase decodes the block's first transaction and checks that it is a
// coinbase.
func (b *Block) Coinbase() (*Tx, error) {
	txs := b.Transactions()
	if len(txs) == 0 {
		return nil, fmt.Errorf("noderpc: block %s at height %d has no transactions in the getblock answer (was verbosity 2 honoured?)", b.Hash, b.Height)
	}
	var tx Tx
	if err := json.Unmarshal(txs[0], &tx); err != nil {
		return nil, fmt.Errorf("noderpc: block %s: decoding coinbase: %w", b.Hash, err)
	}
	if len(tx.Vin) == 0 || tx.Vin[0].Coinbase == "" {
		// A node that ignores verbosity 2 returns txids (strings),
		// which do not decode into an object; a first tx without a
		// coinbase input is a malformed answer.
		return nil, fmt.Errorf("noderpc: block %s: first transaction %s is not a coinbase", b.Hash, tx.Txid)
	}
	return &tx, nil
}

// ErrNetwork is wrapped when a node's network name is not one hashlab
// supports.
var ErrNetwork = errors.New("noderpc: unsupported network")

// NetworkName maps the "chain" of getblockchaininfo (Core: main, test,
// testnet4, signet, regtest; btcd: mainnet, testnet3, ...) to hashlab's
// network names (consensus.Params.Name).
func NetworkName(chainName string) (string, error) {
	if strings.EqualFold(chainName, "simnet") {
		return "", fmt.Errorf("%w: %q (btcd's simnet has no hashlab parameters; use regtest)", ErrNetwork, chainName)
	}
	p, err := consensus.ParamsByName(chainName)
	if err != nil {
		return "", fmt.Errorf("%w: %q (allowed: main/mainnet, test/testnet3, testnet4, signet, regtest)", ErrNetwork, chainName)
	}
	return p.Name, nil
}

// BlockFromRPC builds a chain.BlockRecord from a verbosity-2 getblock
// answer: every header field, size, weight, the tx count, the coinbase
// output total, the subsidy at the block's height and the fees claimed,
// the coinbase tag and the payout addresses. MedianTime is the node's when
// it gives one (Core) and 0 otherwise (btcd); Pool is left empty for the
// caller to attribute. Source is "rpc".
func BlockFromRPC(b *Block, p *consensus.Params) (chain.BlockRecord, error) {
	if b.Hash == "" {
		return chain.BlockRecord{}, errors.New("noderpc: getblock answer has no hash")
	}
	hash, err := parseHash(b.Hash)
	if err != nil {
		return chain.BlockRecord{}, fmt.Errorf("noderpc: block hash %q: %w", b.Hash, err)
	}
	prev := chain.ZeroHash
	if b.PreviousHash != "" {
		if prev, err = parseHash(b.PreviousHash); err != nil {
			return chain.BlockRecord{}, fmt.Errorf("noderpc: block %s: previousblockhash %q: %w", b.Hash, b.PreviousHash, err)
		}
	}
	bits, err := consensus.ParseBits(b.Bits)
	if err != nil {
		return chain.BlockRecord{}, fmt.Errorf("noderpc: block %s: %w", b.Hash, err)
	}
	if b.Nonce > 0xffffffff {
		return chain.BlockRecord{}, fmt.Errorf("noderpc: block %s: nonce %d does not fit 32 bits", b.Hash, b.Nonce)
	}
	cb, err := b.Coinbase()
	if err != nil {
		return chain.BlockRecord{}, err
	}
	var out consensus.Sats
	for _, v := range cb.Vout {
		sats, err := ParseBTC(v.Value)
		if err != nil {
			return chain.BlockRecord{}, fmt.Errorf("noderpc: block %s: coinbase output %d: %w", b.Hash, v.N, err)
		}
		out += sats
	}
	ntx := int64(len(b.Transactions()))
	if b.NTx > 0 && b.NTx != ntx {
		return chain.BlockRecord{}, fmt.Errorf("noderpc: block %s: nTx %d but %d transactions listed", b.Hash, b.NTx, ntx)
	}
	scriptSig, err := hex.DecodeString(cb.Vin[0].Coinbase)
	if err != nil {
		return chain.BlockRecord{}, fmt.Errorf("noderpc: block %s: coinbase scriptSig is not hex: %w", b.Hash, err)
	}
	r := chain.BlockRecord{
		Height:          b.Height,
		Hash:            hash,
		PrevHash:        prev,
		Time:            b.Time,
		MedianTime:      b.MedianTime,
		Bits:            bits,
		Version:         b.Version,
		Nonce:           uint32(b.Nonce),
		TxCount:         ntx,
		SizeBytes:       b.Size,
		WeightWU:        b.Weight,
		CoinbaseOutSats: out,
		SubsidySats:     consensus.BlockSubsidy(b.Height, p),
		CoinbaseTag:     chain.CoinbaseTag(scriptSig, b.Height),
		PayoutAddresses: PayoutAddresses(cb.Vout, p.Name),
		Source:          "rpc",
	}
	r.SplitCoinbase()
	return r, nil
}

// parseHash reads a display-order block hash (64 hex digits).
func parseHash(s string) (consensus.Hash, error) {
	var h consensus.Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("want %d hex digits, have %d", 2*len(h), len(s))
	}
	hp, err := chainhash.NewHashFromStr(s)
	if err != nil {
		return h, err
	}
	return *hp, nil
}

// PayoutAddresses lists the distinct addresses the outputs pay, in output
// order. It reads Core's "address" and btcd's "addresses"; for a P2PK
// output, which Core gives no address, it derives the P2PKH address of the
// key (what btcd prints), so both nodes yield the same list. Outputs
// without an address (OP_RETURN commitments, non-standard scripts) are
// skipped.
func PayoutAddresses(vout []Vout, network string) []string {
	var out []string
	add := func(a string) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, v := range vout {
		spk := v.ScriptPubKey
		switch {
		case spk.Type == "pubkey":
			if script, err := hex.DecodeString(spk.Hex); err == nil {
				add(chain.P2PKAddress(script, network))
			}
		case spk.Address != "":
			add(spk.Address)
		default:
			for _, a := range spk.Addresses {
				add(a)
			}
		}
	}
	return out
}

// ParseBTC converts an RPC amount in BTC, as the node printed it (e.g.
// 6.25000000 or 1e-08), to satoshis exactly, without going through a
// float.
func ParseBTC(n json.Number) (consensus.Sats, error) {
	s := string(n)
	if s == "" {
		return 0, errors.New("noderpc: empty BTC amount")
	}
	neg := false
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 30 || e < -30 {
			return 0, fmt.Errorf("noderpc: BTC amount %q has a bad exponent", string(n))
		}
		exp = e
		s = s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("noderpc: BTC amount %q is not a decimal number", string(n))
	}
	// value = digits * 10^(exp - len(frac)) BTC = digits * 10^(exp - len(frac) + 8) sats
	shift := exp - len(frac) + 8
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			cut = 0
		}
		if strings.Trim(digits[cut:], "0") != "" {
			return 0, fmt.Errorf("noderpc: BTC amount %q has more than 8 decimals", string(n))
		}
		digits = digits[:cut]
	} else {
		digits += strings.Repeat("0", shift)
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return 0, nil
	}
	if len(digits) > 18 {
		return 0, fmt.Errorf("noderpc: BTC amount %q is out of range", string(n))
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("noderpc: BTC amount %q is out of range", string(n))
	}
	if v > 21_000_000*consensus.SatsPerBTC {
		return 0, fmt.Errorf("noderpc: BTC amount %q exceeds 21 million BTC", string(n))
	}
	if neg {
		v = -v
	}
	return consensus.Sats(v), nil
}
