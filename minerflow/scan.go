package minerflow

import (
	"cmp"
	"math/big"
	"slices"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain"
)

// Kind says how a coin came to be watched.
type Kind string

const (
	// KindCoinbase is an output of a coinbase transaction.
	KindCoinbase Kind = "coinbase"
	// KindPayout is an output paid to a pool's known payout address by
	// a transaction that spent coinbase outputs (one hop).
	KindPayout Kind = "payout"
)

// OutPoint names a transaction output: the transaction's id in display
// order (hex) and the output's index.
type OutPoint struct {
	TxID string `json:"txid"`
	Vout uint32 `json:"vout"`
}

// Coin is a watched output, or the share of one that is attributed to one
// pool (a payout output funded by coinbase outputs of several pools has one
// Coin per pool).
type Coin struct {
	OutPoint
	Pool string `json:"pool"`
	Kind Kind   `json:"kind"`
	// Sats is the value attributed to Pool: the whole output for a
	// coinbase output.
	Sats int64 `json:"sats"`
	// Height and Time are the block that created the output.
	Height int64 `json:"height"`
	Time   int64 `json:"time"`
	// MinedTime is when the coins were mined: the block time of a
	// coinbase output; for a payout output the value-weighted mean block
	// time of the coinbase outputs of Pool that funded it.
	MinedTime int64  `json:"mined_time"`
	Address   string `json:"address,omitempty"`
	// Script is the output script in hex, for coinbase outputs without an
	// address (a standard script follows from its address).
	Script string `json:"script,omitempty"`
}

// Spend is the spend of a watched coin.
type Spend struct {
	OutPoint
	Pool      string `json:"pool"`
	Height    int64  `json:"height"`
	Time      int64  `json:"time"`
	SpendTxID string `json:"spend_txid"`
}

// Dest is an output of a transaction that spent watched coins, other than
// the payout outputs it created: the MaxDests largest keep their address
// (N is the output index); the rest are summed in one Dest with N -1 and no
// address.
type Dest struct {
	SpendTxID string `json:"spend_txid"`
	N         int    `json:"n"`
	Height    int64  `json:"height"`
	Time      int64  `json:"time"`
	Address   string `json:"address,omitempty"`
	Sats      int64  `json:"sats"`
}

// MaxDests is how many outputs of a spending transaction keep their
// address (for a labels file to name); the others are summed.
const MaxDests = 20

// RestDest is the N of the Dest that sums the outputs beyond MaxDests.
const RestDest = -1

// BlockFlow is what one block adds: new watched coins, spends of watched
// coins, and the destinations of the spending transactions.
type BlockFlow struct {
	Coins  []Coin
	Spends []Spend
	Dests  []Dest
}

// BlockInfo is what ScanBlock needs to know of a block besides its
// transactions.
type BlockInfo struct {
	Height int64
	Time   int64
	// Pool is the slug the block is attributed to ("unknown" when none).
	Pool string
	// Network is a hashlab network name (consensus.Params.Name).
	Network string
}

// Watched looks up the unspent watched coins at an outpoint (none, one, or
// one per pool for a payout output).
type Watched interface {
	Watched(op OutPoint) []Coin
}

// ScanBlock finds in blk the coinbase outputs to watch (every output with
// a value that is not provably unspendable), the spends of coins w watches
// or that an earlier transaction of blk created, and, for every transaction
// that spends coinbase outputs, the outputs it pays to an address for which
// isPayout is true: those are watched one hop further, attributed to the
// pools whose coinbase outputs funded them in proportion to their value
// (capped at that value when other inputs also paid in). Payout outputs
// are not followed any further.
func ScanBlock(blk *wire.MsgBlock, info BlockInfo, w Watched, isPayout func(address string) bool) BlockFlow {
	var out BlockFlow
	if len(blk.Transactions) == 0 {
		return out
	}
	params := chain.AddressParams(info.Network)
	local := map[OutPoint][]Coin{}
	cb := blk.Transactions[0]
	cbID := cb.TxHash().String()
	for i, o := range cb.TxOut {
		if info.Height == 0 {
			break // the genesis coinbase is not spendable: no node holds it as a coin
		}
		if o.Value <= 0 || txscript.IsUnspendable(o.PkScript) {
			continue
		}
		c := Coin{
			OutPoint: OutPoint{cbID, uint32(i)}, Pool: info.Pool, Kind: KindCoinbase, Sats: o.Value,
			Height: info.Height, Time: info.Time, MinedTime: info.Time,
			Address: AddressOf(o.PkScript, params),
		}
		if c.Address == "" {
			c.Script = hexOf(o.PkScript) // a standard script follows from its address
		}
		out.Coins = append(out.Coins, c)
		local[c.OutPoint] = []Coin{c}
	}
	for _, tx := range blk.Transactions[1:] {
		var hits []Coin
		for _, in := range tx.TxIn {
			op := OutPoint{in.PreviousOutPoint.Hash.String(), in.PreviousOutPoint.Index}
			rows, ok := local[op]
			if ok {
				delete(local, op)
			} else if w != nil {
				rows = w.Watched(op)
			}
			hits = append(hits, rows...)
		}
		if len(hits) == 0 {
			continue
		}
		txid := tx.TxHash().String()
		for _, h := range hits {
			out.Spends = append(out.Spends, Spend{OutPoint: h.OutPoint, Pool: h.Pool, Height: info.Height, Time: info.Time, SpendTxID: txid})
		}
		payouts := scanSpender(tx, txid, hits, info, params, isPayout, &out)
		for _, c := range payouts {
			local[c.OutPoint] = append(local[c.OutPoint], c)
		}
	}
	return out
}

// poolIn is the coinbase value of one pool among a transaction's inputs.
type poolIn struct {
	pool    string
	sats    int64
	timeSum float64 // Σ sats × mined time
}

// scanSpender adds the payout coins and destinations of tx, which spends
// the watched coins hits, and returns the payout coins.
func scanSpender(tx *wire.MsgTx, txid string, hits []Coin, info BlockInfo, params *chaincfg.Params, isPayout func(string) bool, out *BlockFlow) []Coin {
	var pools []*poolIn
	var v int64
	for _, h := range hits {
		if h.Kind != KindCoinbase {
			continue
		}
		i := slices.IndexFunc(pools, func(p *poolIn) bool { return p.pool == h.Pool })
		if i < 0 {
			pools = append(pools, &poolIn{pool: h.Pool})
			i = len(pools) - 1
		}
		pools[i].sats += h.Sats
		pools[i].timeSum += float64(h.Sats) * float64(h.MinedTime)
		v += h.Sats
	}
	type outp struct {
		n    int
		sats int64
		addr string
	}
	var pay, dest []outp
	var p int64
	for n, o := range tx.TxOut {
		if o.Value <= 0 {
			continue
		}
		a := AddressOf(o.PkScript, params)
		if v > 0 && a != "" && isPayout != nil && isPayout(a) {
			pay = append(pay, outp{n, o.Value, a})
			p += o.Value
			continue
		}
		dest = append(dest, outp{n, o.Value, a})
	}
	var created []Coin
	if v > 0 && p > 0 {
		// The largest pool takes the rounding remainder of each output.
		slices.SortStableFunc(pools, func(a, b *poolIn) int { return cmp.Compare(b.sats, a.sats) })
		for _, o := range pay {
			watched := o.sats
			if p > v {
				watched = mulDiv(o.sats, v, p)
			}
			shares := make([]int64, len(pools))
			shares[0] = watched
			for i := 1; i < len(pools); i++ {
				shares[i] = mulDiv(watched, pools[i].sats, v)
				shares[0] -= shares[i]
			}
			for i, pl := range pools {
				share := shares[i]
				if share <= 0 {
					continue
				}
				c := Coin{
					OutPoint: OutPoint{txid, uint32(o.n)}, Pool: pl.pool, Kind: KindPayout, Sats: share,
					Height: info.Height, Time: info.Time, MinedTime: int64(pl.timeSum/float64(pl.sats) + 0.5), Address: o.addr,
				}
				out.Coins = append(out.Coins, c)
				created = append(created, c)
			}
		}
	}
	slices.SortStableFunc(dest, func(a, b outp) int { return cmp.Compare(b.sats, a.sats) })
	var rest int64
	for i, d := range dest {
		if i >= MaxDests {
			rest += d.sats
			continue
		}
		out.Dests = append(out.Dests, Dest{SpendTxID: txid, N: d.n, Height: info.Height, Time: info.Time, Address: d.addr, Sats: d.sats})
	}
	if rest > 0 {
		out.Dests = append(out.Dests, Dest{SpendTxID: txid, N: RestDest, Height: info.Height, Time: info.Time, Sats: rest})
	}
	return created
}

// mulDiv is a×b/c rounded down, without overflow (a, b, c > 0).
func mulDiv(a, b, c int64) int64 {
	x := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	return x.Quo(x, big.NewInt(c)).Int64()
}

// AddressOf is the address an output script pays, as Bitcoin Core prints
// it (P2PKH, P2SH, segwit v0 and v1), with P2PK outputs as their key's
// P2PKH address (as btcd prints them and pool lists carry them); "" for
// bare multisig and non-standard scripts or an unknown network.
func AddressOf(script []byte, params *chaincfg.Params) string {
	if params == nil {
		return ""
	}
	class, addrs, _, err := txscript.ExtractPkScriptAddrs(script, params)
	if err != nil || len(addrs) != 1 {
		return ""
	}
	switch class {
	case txscript.PubKeyTy:
		pk, ok := addrs[0].(*address.AddressPubKey)
		if !ok {
			return ""
		}
		return pk.AddressPubKeyHash().EncodeAddress()
	case txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy,
		txscript.WitnessV0ScriptHashTy, txscript.WitnessV1TaprootTy:
		return addrs[0].EncodeAddress()
	}
	return ""
}

const hexDigits = "0123456789abcdef"

func hexOf(b []byte) string {
	s := make([]byte, 2*len(b))
	for i, c := range b {
		s[2*i], s[2*i+1] = hexDigits[c>>4], hexDigits[c&15]
	}
	return string(s)
}
