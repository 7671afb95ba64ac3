package chain

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/consensus"
)

// The compressed secp256k1 generator point. Its P2PKH address and its
// P2WPKH address are the well-known examples of BIP 173.
const gKey = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"

func rawTestBlock(t *testing.T, outs ...*wire.TxOut) *wire.MsgBlock {
	t.Helper()
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: 0xffffffff}, SignatureScript: append([]byte{3, 0xa0, 0x86, 0x01}, []byte("/Foundry USA Pool #dropgold/")...), Sequence: 0xffffffff})
	for _, o := range outs {
		cb.AddTxOut(o)
	}
	b := wire.NewMsgBlock(wire.NewBlockHeader(0x20000000, &chainhash.Hash{1}, &chainhash.Hash{2}, 0x17020684, 12345))
	b.Header.Timestamp = time.Unix(1_775_000_000, 0)
	if err := b.AddTransaction(cb); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlockFromRaw(t *testing.T) {
	key := mustHex(t, gKey)
	p2pk := append(append([]byte{33}, key...), 0xac)
	p2wpkh := mustHex(t, "0014751e76e8199196d454941c45d1b3a323f1433bd6")
	opReturn := mustHex(t, "6a24aa21a9ed"+strings.Repeat("00", 32))
	multisig := append(append(append([]byte{0x51, 33}, key...), 0x51), 0xae) // 1-of-1 bare multisig
	b := rawTestBlock(t,
		&wire.TxOut{Value: 200_000_000, PkScript: p2pk},
		&wire.TxOut{Value: 112_500_000, PkScript: p2wpkh},
		&wire.TxOut{Value: 0, PkScript: opReturn},
		&wire.TxOut{Value: 1_000_000, PkScript: multisig},
		&wire.TxOut{Value: 500, PkScript: p2wpkh},
	)
	var buf bytes.Buffer
	if err := b.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	rec, err := BlockFromRaw(buf.Bytes(), 1_000_000, consensus.MainNet)
	if err != nil {
		t.Fatal(err)
	}
	want := BlockRecord{
		Height: 1_000_000, Hash: b.BlockHash(), PrevHash: b.Header.PrevBlock, Time: 1_775_000_000,
		Bits: 0x17020684, Version: 0x20000000, Nonce: 12345, TxCount: 1, SizeBytes: int64(buf.Len()), WeightWU: int64(4 * buf.Len()),
		CoinbaseOutSats: 313_500_500, SubsidySats: 312_500_000, FeesSats: 1_000_500, CoinbaseTag: "/Foundry USA Pool #dropgold/",
		PayoutAddresses: []string{"1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		Source:          "rpc",
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("got\n%+v\nwant\n%+v", rec, want)
	}
	// A coinbase below the subsidy is flagged, fees 0.
	under := rawTestBlock(t, &wire.TxOut{Value: 312_499_000, PkScript: p2wpkh})
	buf.Reset()
	under.Serialize(&buf)
	if r, err := BlockFromRaw(buf.Bytes(), 1_000_000, consensus.MainNet); err != nil || !r.UnderClaimed || r.FeesSats != 0 {
		t.Errorf("under-claiming block: %+v %v", r, err)
	}
}

func TestBlockFromRawErrors(t *testing.T) {
	b := rawTestBlock(t, &wire.TxOut{Value: 1, PkScript: []byte{0x51}})
	var buf bytes.Buffer
	b.Serialize(&buf)
	good := buf.Bytes()
	for name, c := range map[string]struct {
		raw  []byte
		want string
	}{
		"empty":          {nil, "not a serialized block"},
		"truncated":      {good[:len(good)-3], "not a serialized block"},
		"trailing bytes": {append(append([]byte{}, good...), 0, 0), "2 bytes after the block"},
		"no coinbase":    {append(append([]byte{}, good[:80]...), 0), "has no coinbase"},
	} {
		if _, err := BlockFromRaw(c.raw, 5, consensus.MainNet); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "height 5") {
			t.Errorf("%s: %v, want an error with %q naming the height", name, err, c.want)
		}
	}
}

// FuzzBlockFromRaw: any bytes give a record or an error, never a panic.
func FuzzBlockFromRaw(f *testing.F) {
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0xff}, 90))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rec, err := BlockFromRaw(raw, 1, consensus.RegTest)
		if err == nil && (rec.TxCount < 1 || rec.SizeBytes != int64(len(raw))) {
			t.Fatalf("record %+v from %d bytes", rec, len(raw))
		}
	})
}
