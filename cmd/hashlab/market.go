package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/snapshot"
)

// marketFlags are the network and market inputs shared by every command
// that needs a hashprice. Unset flags fall back to the embedded snapshot.
type marketFlags struct {
	fs         *flag.FlagSet
	difficulty float64
	bits       string
	height     int64
	feesBTC    float64
	price      float64
	// resolvedBits is the exact nBits behind the difficulty, when known (from
	// --bits or the snapshot); zero when --difficulty was given.
	resolvedBits uint32
}

func addMarketFlags(fs *flag.FlagSet) *marketFlags {
	snap := snapshot.Default()
	m := &marketFlags{fs: fs}
	fs.Float64Var(&m.difficulty, "difficulty", 0, "network difficulty (default: the snapshot's bits)")
	fs.StringVar(&m.bits, "bits", "", "compact target nBits, hex, e.g. 0x1701d936 (alternative to --difficulty)")
	fs.Int64Var(&m.height, "height", snap.Height, "block height (sets the subsidy)")
	fs.Float64Var(&m.feesBTC, "fees-btc", snap.FeesPerBlockBTC, "average transaction fees per block, BTC")
	fs.Float64Var(&m.price, "price", snap.PriceUSD, "BTC price, USD")
	return m
}

// parseBits reads nBits as hex with or without 0x.
func parseBits(field, s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "0x"), 16, 32)
	if err != nil {
		return 0, usagef("--%s %q is not a compact target (allowed: 8 hex digits, e.g. 0x1701d936)", field, s)
	}
	return uint32(v), nil
}

// validBits parses and validates nBits against a network's pow limit.
func validBits(field, s string, p *consensus.Params) (uint32, error) {
	bits, err := parseBits(field, s)
	if err != nil {
		return 0, err
	}
	if _, err := consensus.TargetFromBits(consensus.Bits(bits), p.PowLimit); err != nil {
		return 0, usagef("--%s 0x%08x is not a valid target: %v (allowed: a positive target up to the %s limit %s)", field, bits, err, p.Name, p.PowLimitBits)
	}
	return bits, nil
}

// inputs resolves the flags into hashprice inputs and says where the
// difficulty came from.
func (m *marketFlags) inputs() (hashprice.Inputs, string, error) {
	snap := snapshot.Default()
	in := hashprice.Inputs{Height: m.height, PriceUSD: m.price, Params: consensus.MainNet}
	source := "embedded snapshot " + snap.AsOf.Format("2006-01-02")
	switch {
	case flagWasSet(m.fs, "difficulty") && flagWasSet(m.fs, "bits"):
		return in, "", usagef("give --difficulty or --bits, not both")
	case flagWasSet(m.fs, "difficulty"):
		if !(m.difficulty > 0) || math.IsInf(m.difficulty, 0) {
			return in, "", usagef("--difficulty %v is out of range (allowed: > 0)", m.difficulty)
		}
		in.Difficulty = m.difficulty
		source = "flags"
	case flagWasSet(m.fs, "bits"):
		bits, err := validBits("bits", m.bits, consensus.MainNet)
		if err != nil {
			return in, "", err
		}
		in.Difficulty = consensus.Difficulty(consensus.Bits(bits))
		m.resolvedBits = bits
		source = "flags"
	default:
		in.Difficulty = snap.Difficulty()
		m.resolvedBits = snap.Bits()
	}
	if m.height < 0 {
		return in, "", usagef("--height %d is negative (allowed: >= 0)", m.height)
	}
	if !(m.feesBTC >= 0) || m.feesBTC > 21e6 {
		return in, "", usagef("--fees-btc %v is out of range (allowed: 0 to 21,000,000 BTC)", m.feesBTC)
	}
	if !(m.price >= 0) || math.IsInf(m.price, 0) {
		return in, "", usagef("--price %v is out of range (allowed: >= 0 USD)", m.price)
	}
	in.FeesPerBlock = consensus.Sats(math.Round(m.feesBTC * consensus.SatsPerBTC))
	if flagWasSet(m.fs, "height") || flagWasSet(m.fs, "fees-btc") || flagWasSet(m.fs, "price") {
		if source != "flags" {
			source += " + flags"
		}
	}
	return in, source, nil
}

// compute resolves the flags and computes hashprice; bad values are usage
// errors.
func (m *marketFlags) compute() (hashprice.Inputs, hashprice.Result, string, error) {
	in, source, err := m.inputs()
	if err != nil {
		return in, hashprice.Result{}, "", err
	}
	r, err := hashprice.Compute(in)
	if err != nil {
		return in, r, "", usagef("%v", err)
	}
	return in, r, source, nil
}

// networkParams parses a --network value.
func networkParams(name string) (*consensus.Params, error) {
	p, err := consensus.ParamsByName(name)
	if err != nil {
		return nil, usagef("--network %q is unknown (allowed: mainnet, testnet3, testnet4, signet, regtest)", name)
	}
	return p, nil
}

// human formatting helpers.

// siHashrate formats H/s with an SI prefix.
func siHashrate(hs float64) string {
	units := []string{"H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s", "ZH/s"}
	i := 0
	for hs >= 1000 && i < len(units)-1 {
		hs /= 1000
		i++
	}
	return fmt.Sprintf("%.2f %s", hs, units[i])
}

// siNumber formats a large number with a k/M/G/T/P suffix.
func siNumber(v float64) string {
	units := []string{"", "k", "M", "G", "T", "P", "E"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.2f%s", v, units[i])
}

// usd formats dollars with thousands separators and cents.
func usd(v float64) string {
	neg := v < 0
	v = math.Abs(v)
	whole := int64(v)
	cents := int64(math.Round((v - float64(whole)) * 100))
	if cents == 100 {
		whole++
		cents = 0
	}
	s := fmt.Sprintf("$%s.%02d", commas(whole), cents)
	if neg {
		return "-" + s
	}
	return s
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// snapshotInputs returns hashprice inputs from the embedded snapshot only.
func (m *marketFlags) snapshotInputs() (hashprice.Inputs, string, error) {
	snap := snapshot.Default()
	return hashprice.Inputs{Difficulty: snap.Difficulty(), Height: snap.Height, FeesPerBlock: snap.FeesPerBlock(), PriceUSD: snap.PriceUSD, Params: consensus.MainNet}, "embedded snapshot", nil
}
