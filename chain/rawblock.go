package chain

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/consensus"
)

// BlockFromRaw builds a BlockRecord from a serialized block (getblock
// <hash> 0, which Bitcoin Core, Knots and btcd all answer) at the given
// height: the same record noderpc.BlockFromRPC builds from a verbosity-2 answer,
// without asking the node to decode every transaction into JSON — on
// mainnet that is most of a getblock's cost. The block's hash is
// computed from its header, so the caller can check it is the block it
// asked for. MedianTime is 0 (the caller computes it); Pool is left
// empty for the caller to attribute.
//
// Payout addresses follow Bitcoin Core's "address" field: P2PKH, P2SH
// and segwit v0/v1 outputs, plus P2PK outputs as their key's P2PKH
// address (as btcd prints them); bare multisig, OP_RETURN and
// non-standard outputs have none.
func BlockFromRaw(raw []byte, height int64, p *consensus.Params) (BlockRecord, error) {
	var b wire.MsgBlock
	r := bytes.NewReader(raw)
	if err := b.Deserialize(r); err != nil {
		return BlockRecord{}, fmt.Errorf("chain: block at height %d: not a serialized block: %w", height, err)
	}
	if r.Len() != 0 {
		return BlockRecord{}, fmt.Errorf("chain: block at height %d: %d bytes after the block", height, r.Len())
	}
	if len(b.Transactions) == 0 || len(b.Transactions[0].TxIn) == 0 {
		return BlockRecord{}, fmt.Errorf("chain: block at height %d has no coinbase", height)
	}
	cb := b.Transactions[0]
	var out consensus.Sats
	for _, o := range cb.TxOut {
		out += consensus.Sats(o.Value)
	}
	rec := BlockRecord{
		Height:          height,
		Hash:            b.BlockHash(),
		PrevHash:        b.Header.PrevBlock,
		Time:            b.Header.Timestamp.Unix(),
		Bits:            consensus.Bits(b.Header.Bits),
		Version:         b.Header.Version,
		Nonce:           b.Header.Nonce,
		TxCount:         int64(len(b.Transactions)),
		SizeBytes:       int64(len(raw)),
		WeightWU:        int64(b.SerializeSizeStripped()*3 + len(raw)),
		CoinbaseOutSats: out,
		SubsidySats:     consensus.BlockSubsidy(height, p),
		CoinbaseTag:     CoinbaseTag(cb.TxIn[0].SignatureScript, height),
		PayoutAddresses: rawPayoutAddresses(cb.TxOut, p.Name),
		Source:          "rpc",
	}
	rec.SplitCoinbase()
	return rec, nil
}

// rawPayoutAddresses lists the distinct addresses the outputs pay, in
// output order (see BlockFromRaw for which outputs have one).
func rawPayoutAddresses(outs []*wire.TxOut, network string) []string {
	params := AddressParams(network)
	if params == nil {
		return nil
	}
	var list []string
	for _, o := range outs {
		class, addrs, _, err := txscript.ExtractPkScriptAddrs(o.PkScript, params)
		if err != nil || len(addrs) != 1 {
			continue
		}
		var a string
		switch class {
		case txscript.PubKeyTy:
			pk, ok := addrs[0].(*address.AddressPubKey)
			if !ok {
				continue
			}
			a = pk.AddressPubKeyHash().EncodeAddress()
		case txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy,
			txscript.WitnessV0ScriptHashTy, txscript.WitnessV1TaprootTy:
			a = addrs[0].EncodeAddress()
		default:
			continue
		}
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}
