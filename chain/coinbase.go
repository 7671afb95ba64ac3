package chain

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
)

// AddressParams returns btcd's address parameters of a hashlab network
// name (consensus.Params.Name), or nil for an unknown name.
func AddressParams(network string) *chaincfg.Params {
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

// P2PKAddress returns the P2PKH address of a pay-to-pubkey script
// (<push 33- or 65-byte pubkey> OP_CHECKSIG) on network, or "" when the
// script is not one. Bitcoin Core gives such outputs no address; btcd
// prints this one, and hashlab attributes pools by it.
func P2PKAddress(script []byte, network string) string {
	params := AddressParams(network)
	if params == nil || len(script) < 2 || script[len(script)-1] != 0xac {
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
