package btcdtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/consensus"
)

type jsonRaw = json.RawMessage

// Params are the address parameters of regtest.
var Params = &chaincfg.RegressionNetParams

// Key is a test key with its regtest addresses.
type Key struct {
	Priv   *btcec.PrivateKey
	P2PKH  *address.AddressPubKeyHash
	P2WPKH *address.AddressWitnessPubKeyHash
}

// NewKey derives a key deterministically from seed.
func NewKey(tb testing.TB, seed string) *Key {
	tb.Helper()
	sum := sha256.Sum256([]byte("btcdtest key " + seed))
	priv, pub := btcec.PrivKeyFromBytes(sum[:])
	h := address.Hash160(pub.SerializeCompressed())
	p2pkh, err := address.NewAddressPubKeyHash(h, Params)
	if err != nil {
		tb.Fatal(err)
	}
	p2wpkh, err := address.NewAddressWitnessPubKeyHash(h, Params)
	if err != nil {
		tb.Fatal(err)
	}
	return &Key{Priv: priv, P2PKH: p2pkh, P2WPKH: p2wpkh}
}

// Coin is a spendable output the miner owns.
type Coin struct {
	OutPoint wire.OutPoint
	Value    int64
	Height   int64 // height of the block that created it
	PkScript []byte
}

// Miner builds blocks itself (its own coinbase, its own transactions),
// solves the trivial regtest proof of work and submits them with
// submitblock. btcd's generate cannot put a pool tag or fees in the
// coinbase, which is what the ingester must read.
type Miner struct {
	Node *Node
	Key  *Key
	// coins are coinbase outputs paid to Key.P2PKH, oldest first.
	coins []Coin
	last  int64 // last timestamp used
}

// NewMiner returns a miner paying to a key derived from seed.
func NewMiner(tb testing.TB, n *Node, seed string) *Miner {
	return &Miner{Node: n, Key: NewKey(tb, seed)}
}

// BlockSpec says what goes into a block.
type BlockSpec struct {
	// Tag is placed in the coinbase scriptSig after the BIP34 height
	// push, e.g. "/Foundry USA Pool #dropgold/".
	Tag string
	// Payouts receive the coinbase value, split evenly (the first takes
	// the remainder). Empty means the miner's own P2PKH address.
	Payouts []address.Address
	// Txs are included after the coinbase, in order.
	Txs []*wire.MsgTx
	// Fees is the sum of the fees of Txs; the coinbase claims subsidy +
	// Fees.
	Fees int64
	// UnderClaimSats is left unclaimed: the coinbase pays subsidy + Fees
	// - UnderClaimSats.
	UnderClaimSats int64
}

// Tip is the node's best block as the miner sees it.
type Tip struct {
	Hash   chainhash.Hash
	Height int64
	Time   int64
	Bits   consensus.Bits
}

// Tip reads the node's best block.
func (m *Miner) Tip(tb testing.TB) Tip {
	tb.Helper()
	best := m.Node.BestHash(tb)
	hdr, err := m.Node.RPC.BlockHeader(context.Background(), best)
	if err != nil {
		tb.Fatal(err)
	}
	h, err := chainhash.NewHashFromStr(best)
	if err != nil {
		tb.Fatal(err)
	}
	bits, err := consensus.ParseBits(hdr.Bits)
	if err != nil {
		tb.Fatal(err)
	}
	return Tip{Hash: *h, Height: hdr.Height, Time: hdr.Time, Bits: bits}
}

// Mine builds, solves and submits one block on the node's tip and returns
// it.
func (m *Miner) Mine(tb testing.TB, spec BlockSpec) *wire.MsgBlock {
	tb.Helper()
	tip := m.Tip(tb)
	height := tip.Height + 1
	subsidy := int64(consensus.BlockSubsidy(height, consensus.RegTest))
	value := subsidy + spec.Fees - spec.UnderClaimSats
	if value < 0 {
		tb.Fatalf("btcdtest: coinbase value %d is negative", value)
	}
	payouts := spec.Payouts
	if len(payouts) == 0 {
		payouts = []address.Address{m.Key.P2PKH}
	}
	tag := spec.Tag
	sig, err := txscript.NewScriptBuilder().AddInt64(height).AddData([]byte(tag)).AddData(extraNonce(tip.Hash, m.Key)).Script()
	if err != nil {
		tb.Fatal(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  sig,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	share := value / int64(len(payouts))
	for i, a := range payouts {
		v := share
		if i == 0 {
			v += value - share*int64(len(payouts))
		}
		pk, err := txscript.PayToAddrScript(a)
		if err != nil {
			tb.Fatal(err)
		}
		cb.AddTxOut(wire.NewTxOut(v, pk))
	}
	txs := append([]*wire.MsgTx{cb}, spec.Txs...)

	ts := max(tip.Time+1, time.Now().Unix(), m.last+1)
	m.last = ts
	blk := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    0x20000000,
			PrevBlock:  tip.Hash,
			MerkleRoot: merkleRoot(txs),
			Timestamp:  time.Unix(ts, 0),
			Bits:       uint32(tip.Bits),
		},
		Transactions: txs,
	}
	solve(tb, &blk.Header)
	var buf bytes.Buffer
	if err := blk.Serialize(&buf); err != nil {
		tb.Fatal(err)
	}
	if err := m.Node.submit(hex.EncodeToString(buf.Bytes())); err != nil {
		tb.Fatalf("block at height %d: %v", height, err)
	}
	if a, ok := payouts[0].(*address.AddressPubKeyHash); ok && a.EncodeAddress() == m.Key.P2PKH.EncodeAddress() {
		m.coins = append(m.coins, Coin{
			OutPoint: wire.OutPoint{Hash: cb.TxHash(), Index: 0},
			Value:    cb.TxOut[0].Value,
			Height:   height,
			PkScript: cb.TxOut[0].PkScript,
		})
	}
	return blk
}

// MineN mines n blocks with the same spec (without transactions).
func (m *Miner) MineN(tb testing.TB, n int, spec BlockSpec) []*wire.MsgBlock {
	tb.Helper()
	out := make([]*wire.MsgBlock, 0, n)
	for range n {
		out = append(out, m.Mine(tb, spec))
	}
	return out
}

// extraNonce makes coinbases of different miners on the same parent
// differ. Its bytes are UTF-8 continuation bytes (0x80-0xbf), which are
// never printable on their own, so the coinbase tag a reader extracts is
// exactly BlockSpec.Tag.
func extraNonce(prev chainhash.Hash, k *Key) []byte {
	h := sha256.Sum256(append(prev[:], k.P2PKH.ScriptAddress()...))
	out := make([]byte, 4)
	for i := range out {
		out[i] = 0x80 | h[i]&0x3f
	}
	return out
}

// Spend builds and signs a transaction spending the oldest mature coin
// (100 confirmations at the node's tip) to `to`, paying fee. It returns
// the transaction and the fee; include it in a block with
// BlockSpec{Txs: ..., Fees: fee}.
func (m *Miner) Spend(tb testing.TB, fee int64, to address.Address) *wire.MsgTx {
	tb.Helper()
	tip := m.Tip(tb)
	if len(m.coins) == 0 || tip.Height+1-m.coins[0].Height < 100 {
		tb.Fatalf("btcdtest: no mature coin at height %d (coins: %d)", tip.Height, len(m.coins))
	}
	c := m.coins[0]
	m.coins = m.coins[1:]
	if fee <= 0 || fee >= c.Value {
		tb.Fatalf("btcdtest: fee %d out of range (0, %d)", fee, c.Value)
	}
	pk, err := txscript.PayToAddrScript(to)
	if err != nil {
		tb.Fatal(err)
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: c.OutPoint, Sequence: wire.MaxTxInSequenceNum})
	tx.AddTxOut(wire.NewTxOut(c.Value-fee, pk))
	sig, err := txscript.SignatureScript(tx, 0, c.PkScript, txscript.SigHashAll, m.Key.Priv, true)
	if err != nil {
		tb.Fatal(err)
	}
	tx.TxIn[0].SignatureScript = sig
	return tx
}

// MatureCoins is the number of coins Spend can use at the current tip.
func (m *Miner) MatureCoins(tb testing.TB) int {
	tip := m.Tip(tb)
	n := 0
	for _, c := range m.coins {
		if tip.Height+1-c.Height >= 100 {
			n++
		}
	}
	return n
}

func merkleRoot(txs []*wire.MsgTx) chainhash.Hash {
	level := make([]chainhash.Hash, len(txs))
	for i, tx := range txs {
		level[i] = tx.TxHash()
	}
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := make([]chainhash.Hash, len(level)/2)
		for i := range next {
			var buf [64]byte
			copy(buf[:32], level[2*i][:])
			copy(buf[32:], level[2*i+1][:])
			next[i] = chainhash.DoubleHashH(buf[:])
		}
		level = next
	}
	return level[0]
}

// solve increments the nonce until the header meets its target. On
// regtest about every second hash does.
func solve(tb testing.TB, h *wire.BlockHeader) {
	target, err := consensus.TargetFromBits(consensus.Bits(h.Bits), consensus.RegTest.PowLimit)
	if err != nil {
		tb.Fatal(err)
	}
	for nonce := uint32(0); ; nonce++ {
		h.Nonce = nonce
		hash := h.BlockHash()
		var be [32]byte
		for i := range 32 {
			be[i] = hash[31-i]
		}
		if new(big.Int).SetBytes(be[:]).Cmp(target) <= 0 {
			return
		}
		if nonce == ^uint32(0) {
			tb.Fatal("btcdtest: no nonce solves the header")
		}
	}
}

// BlockHeight reads the BIP34 height of a block this package built.
func BlockHeight(b *wire.MsgBlock) (int64, error) {
	s := b.Transactions[0].TxIn[0].SignatureScript
	if len(s) == 0 {
		return 0, fmt.Errorf("btcdtest: empty coinbase script")
	}
	if s[0] >= txscript.OP_1 && s[0] <= txscript.OP_16 {
		return int64(s[0] - txscript.OP_1 + 1), nil
	}
	n := int(s[0])
	if n > 8 || len(s) < 1+n {
		return 0, fmt.Errorf("btcdtest: no height push")
	}
	var buf [8]byte
	copy(buf[:], s[1:1+n])
	return int64(binary.LittleEndian.Uint64(buf[:])), nil
}

// BusyTxs builds n+1 transactions that fill a block the way mainnet's
// are filled: one spends the oldest mature coin into n P2PKH outputs of
// the miner's key, and n more each spend one of those outputs (in the
// same block, after their parent), every one paying a fee. It returns
// them in block order and the sum of their fees, for BlockSpec{Txs,
// Fees}.
func (m *Miner) BusyTxs(tb testing.TB, n int) ([]*wire.MsgTx, int64) {
	tb.Helper()
	const fanFee, childFee = 100_000, 2_000
	tip := m.Tip(tb)
	if n < 1 || len(m.coins) == 0 || tip.Height+1-m.coins[0].Height < 100 {
		tb.Fatalf("btcdtest: BusyTxs(%d): no mature coin at height %d (coins: %d)", n, tip.Height, len(m.coins))
	}
	c := m.coins[0]
	m.coins = m.coins[1:]
	each := (c.Value - fanFee) / int64(n)
	if each <= childFee {
		tb.Fatalf("btcdtest: BusyTxs(%d): a coin of %d sats is too small", n, c.Value)
	}
	pk, err := txscript.PayToAddrScript(m.Key.P2PKH)
	if err != nil {
		tb.Fatal(err)
	}
	sign := func(tx *wire.MsgTx, prevScript []byte) {
		sig, err := txscript.SignatureScript(tx, 0, prevScript, txscript.SigHashAll, m.Key.Priv, true)
		if err != nil {
			tb.Fatal(err)
		}
		tx.TxIn[0].SignatureScript = sig
	}
	fan := wire.NewMsgTx(2)
	fan.AddTxIn(&wire.TxIn{PreviousOutPoint: c.OutPoint, Sequence: wire.MaxTxInSequenceNum})
	for range n {
		fan.AddTxOut(wire.NewTxOut(each, pk))
	}
	sign(fan, c.PkScript)
	fees := c.Value - each*int64(n)
	txs := []*wire.MsgTx{fan}
	fanHash := fan.TxHash()
	for i := range n {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: fanHash, Index: uint32(i)}, Sequence: wire.MaxTxInSequenceNum})
		tx.AddTxOut(wire.NewTxOut(each-childFee, pk))
		sign(tx, pk)
		txs = append(txs, tx)
		fees += childFee
	}
	return txs, fees
}
