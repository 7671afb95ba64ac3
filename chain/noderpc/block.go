package chain

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"

	"github.com/hashlab/hashlab/consensus"
)

// This file turns what a node's getblock (verbosity 2) says into a
// BlockRecord. Bitcoin Core and btcd differ in a few field names; every
// difference is handled here:
//
//	transactions    Core: "tx" (objects)        btcd: "rawtx"
//	tx count        Core: "nTx" and len(tx)     btcd: len(rawtx) only
//	output address  Core: "address"             btcd: "address" and "addresses"
//	P2PK outputs    Core: no address            btcd: the P2PKH address of the key
//	median time     Core: "mediantime"          btcd: absent (computed by the caller)

// ZeroHash is the display-order previous-block hash of a genesis block.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// RPCBlock is getblock's verbosity-2 answer. Transactions are kept
// undecoded; only the coinbase is decoded.
type RPCBlock struct {
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

// RPCTx is a decoded transaction of a verbosity-2 block.
type RPCTx struct {
	Txid string    `json:"txid"`
	Hash string    `json:"hash"`
	Vin  []RPCVin  `json:"vin"`
	Vout []RPCVout `json:"vout"`
}

// RPCVin is a transaction input; Coinbase is the scriptSig hex of a
// coinbase input.
type RPCVin struct {
	Coinbase string `json:"coinbase"`
	Txid     string `json:"txid"`
	Vout     uint32 `json:"vout"`
}

// RPCVout is a transaction output. Value is kept as the exact decimal the
// node printed.
type RPCVout struct {
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
func (b *RPCBlock) Transactions() []json.RawMessage {
	if len(b.Tx) > 0 {
		return b.Tx
	}
	return b.RawTx
}

// Coinbase decodes the block's first transaction and checks that it is a
// coinbase.
func (b *RPCBlock) Coinbase() (*RPCTx, error) {
	txs := b.Transactions()
	if len(txs) == 0 {
		return nil, fmt.Errorf("chain: block %s at height %d has no transactions in the getblock answer (was verbosity 2 honoured?)", b.Hash, b.Height)
	}
	var tx RPCTx
	if err := json.Unmarshal(txs[0], &tx); err != nil {
		return nil, fmt.Errorf("chain: block %s: decoding coinbase: %w", b.Hash, err)
	}
	if len(tx.Vin) == 0 || tx.Vin[0].Coinbase == "" {
		// A node that ignores verbosity 2 returns txids (strings),
		// which do not decode into an object; a first tx without a
		// coinbase input is a malformed answer.
		return nil, fmt.Errorf("chain: block %s: first transaction %s is not a coinbase", b.Hash, tx.Txid)
	}
	return &tx, nil
}

// ErrNetwork is wrapped when a node's network name is not one hashlab
// supports.
var ErrNetwork = errors.New("chain: unsupported network")

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

func addressParams(network string) *chaincfg.Params {
	switch network {
	case "mainnet":
		return &chaincfg.MainNetParams
	case "testnet3":
		return &chaincfg.TestNet3Params
	case "testnet4":
		return &chaincfg.TestNet4Params
	case "signet":
		return &chaincfg.SigNetParams
	case "regtest":
		return &chaincfg.RegressionNetParams
	}
	return nil
}

// BlockFromRPC builds a BlockRecord from a verbosity-2 getblock answer:
// every header field, size, weight, the tx count, the coinbase output
// total, the subsidy at the block's height and the fees claimed, the
// coinbase tag and the payout addresses. MedianTime is the node's when it
// gives one (Core) and 0 otherwise (btcd); Pool is left empty for the
// caller to attribute. Source is "rpc".
func BlockFromRPC(b *RPCBlock, p *consensus.Params) (BlockRecord, error) {
	if b.Hash == "" {
		return BlockRecord{}, errors.New("chain: getblock answer has no hash")
	}
	bits, err := strconv.ParseUint(b.Bits, 16, 32)
	if err != nil {
		return BlockRecord{}, fmt.Errorf("chain: block %s: bits %q is not 8 hex digits: %w", b.Hash, b.Bits, err)
	}
	if b.Nonce > 0xffffffff {
		return BlockRecord{}, fmt.Errorf("chain: block %s: nonce %d does not fit 32 bits", b.Hash, b.Nonce)
	}
	cb, err := b.Coinbase()
	if err != nil {
		return BlockRecord{}, err
	}
	var out int64
	for _, v := range cb.Vout {
		sats, err := ParseBTC(v.Value)
		if err != nil {
			return BlockRecord{}, fmt.Errorf("chain: block %s: coinbase output %d: %w", b.Hash, v.N, err)
		}
		out += sats
	}
	prev := b.PreviousHash
	if prev == "" {
		prev = ZeroHash
	}
	ntx := int64(len(b.Transactions()))
	if b.NTx > 0 && b.NTx != ntx {
		return BlockRecord{}, fmt.Errorf("chain: block %s: nTx %d but %d transactions listed", b.Hash, b.NTx, ntx)
	}
	scriptSig, err := hex.DecodeString(cb.Vin[0].Coinbase)
	if err != nil {
		return BlockRecord{}, fmt.Errorf("chain: block %s: coinbase scriptSig is not hex: %w", b.Hash, err)
	}
	subsidy := int64(consensus.BlockSubsidy(b.Height, p))
	r := BlockRecord{
		Height:          b.Height,
		Hash:            b.Hash,
		PrevHash:        prev,
		Time:            b.Time,
		MedianTime:      b.MedianTime,
		Bits:            uint32(bits),
		Version:         b.Version,
		Nonce:           uint32(b.Nonce),
		TxCount:         ntx,
		SizeBytes:       b.Size,
		WeightWU:        b.Weight,
		CoinbaseOutSats: out,
		SubsidySats:     subsidy,
		CoinbaseTag:     CoinbaseTag(scriptSig, b.Height),
		PayoutAddresses: PayoutAddresses(cb.Vout, p.Name),
		Source:          "rpc",
	}
	r.splitCoinbase()
	return r, nil
}

// PayoutAddresses lists the distinct addresses the outputs pay, in output
// order. It reads Core's "address" and btcd's "addresses"; for a P2PK
// output, which Core gives no address, it derives the P2PKH address of the
// key (what btcd prints), so both nodes yield the same list. Outputs
// without an address (OP_RETURN commitments, non-standard scripts) are
// skipped.
func PayoutAddresses(vout []RPCVout, network string) []string {
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
			add(p2pkAddress(spk.Hex, network))
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

// p2pkAddress returns the P2PKH address of a pay-to-pubkey script
// (<push pubkey> OP_CHECKSIG), or "" when it is not one.
func p2pkAddress(scriptHex, network string) string {
	params := addressParams(network)
	script, err := hex.DecodeString(scriptHex)
	if params == nil || err != nil || len(script) < 2 || script[len(script)-1] != 0xac {
		return ""
	}
	n := int(script[0])
	if (n != 33 && n != 65) || len(script) != n+2 {
		return ""
	}
	pk, err := address.NewAddressPubKey(script[1:1+n], params)
	if err != nil {
		return ""
	}
	return pk.AddressPubKeyHash().EncodeAddress()
}

// ParseBTC converts an RPC amount in BTC, as the node printed it (e.g.
// 6.25000000 or 1e-08), to satoshis exactly, without going through a
// float.
func ParseBTC(n json.Number) (int64, error) {
	s := string(n)
	if s == "" {
		return 0, errors.New("chain: empty BTC amount")
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
			return 0, fmt.Errorf("chain: BTC amount %q has a bad exponent", string(n))
		}
		exp = e
		s = s[:i]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, fmt.Errorf("chain: BTC amount %q is not a decimal number", string(n))
	}
	// value = digits * 10^(exp - len(frac)) BTC = digits * 10^(exp - len(frac) + 8) sats
	shift := exp - len(frac) + 8
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			cut = 0
		}
		if strings.Trim(digits[cut:], "0") != "" {
			return 0, fmt.Errorf("chain: BTC amount %q has more than 8 decimals", string(n))
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
		return 0, fmt.Errorf("chain: BTC amount %q is out of range", string(n))
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("chain: BTC amount %q is out of range", string(n))
	}
	if v > 21_000_000*consensus.SatsPerBTC {
		return 0, fmt.Errorf("chain: BTC amount %q exceeds 21 million BTC", string(n))
	}
	if neg {
		v = -v
	}
	return v, nil
}

// minTagRun is the shortest run of printable bytes CoinbaseTag keeps.
// Shorter runs are mostly chance bytes of extranonces and merged-mining
// commitments (the 0xfabe "mm" marker is two); a random byte is printable
// ASCII with probability 95/256, so a chance run of four happens at about
// 2% of positions. The shortest tags in mempool's pool list ("Kano",
// "emcd", the 4-byte UTF-8 fish) are four bytes.
const minTagRun = 4

// CoinbaseTag returns the printable text of a coinbase scriptSig: after
// the BIP34 height push (skipped when the first push is the block's
// height), the runs of printable UTF-8 (ASCII or multi-byte runes such as
// the pool tags "七彩神仙鱼" or "🐟") at least four bytes long, trimmed and
// joined by single spaces. A run that is exactly a script push of text
// whose length byte happens to be printable (a push of 32 to 75 bytes:
// the genesis block's "E" before "The Times ...") loses that byte.
// "/Foundry USA Pool #dropgold/" between extranonce bytes gives exactly
// that string.
func CoinbaseTag(scriptSig []byte, height int64) string {
	rest := scriptSig
	if n, size, ok := firstPushNumber(scriptSig); ok && n == height {
		rest = scriptSig[size:]
	}
	var parts []string
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		run := rest[start:end]
		start = -1
		if c := run[0]; c >= 0x20 && c <= 0x4b && len(run) == 1+int(c) {
			run = run[1:]
		}
		text := strings.Join(strings.Fields(string(run)), " ")
		if len(text) >= minTagRun {
			parts = append(parts, text)
		}
	}
	for i := 0; i < len(rest); {
		r, size := utf8.DecodeRune(rest[i:])
		if (r != utf8.RuneError || size > 1) && unicode.IsPrint(r) {
			if start < 0 {
				start = i
			}
		} else {
			flush(i)
		}
		i += size
	}
	flush(len(rest))
	return strings.Join(parts, " ")
}

// firstPushNumber decodes the first opcode of a script as a number, the
// way BIP34 encodes the height: OP_0, OP_1..OP_16, or a push of at most 8
// bytes holding a little-endian sign-magnitude integer. size is the number
// of script bytes the opcode used.
func firstPushNumber(s []byte) (n int64, size int, ok bool) {
	if len(s) == 0 {
		return 0, 0, false
	}
	op := s[0]
	switch {
	case op == 0x00:
		return 0, 1, true
	case op >= 0x51 && op <= 0x60:
		return int64(op - 0x50), 1, true
	case op >= 0x01 && op <= 0x08:
		l := int(op)
		if len(s) < 1+l {
			return 0, 0, false
		}
		b := s[1 : 1+l]
		var v int64
		for i := l - 1; i >= 0; i-- {
			v = v<<8 | int64(b[i])
		}
		if b[l-1]&0x80 != 0 {
			v &^= int64(0x80) << (8 * (l - 1))
			v = -v
		}
		return v, 1 + l, true
	}
	return 0, 0, false
}

// MedianTimePast is Bitcoin Core's GetMedianTimePast: the median of the
// timestamps of a block and up to ten blocks before it. times holds those
// timestamps (at most 11, any order); the result for fewer than 11 (the
// first blocks of a chain) is the element at index len/2 after sorting,
// as in Core.
func MedianTimePast(times []int64) int64 {
	if len(times) == 0 {
		return 0
	}
	s := slices.Clone(times)
	if len(s) > 11 {
		s = s[len(s)-11:]
	}
	slices.Sort(s)
	return s[len(s)/2]
}
