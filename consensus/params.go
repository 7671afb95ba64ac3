package consensus

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/v2"
)

// Params are the consensus parameters hashlab needs for one network. They
// are plain data, so a custom network is just another value.
type Params struct {
	// Name is the short network name: mainnet, testnet3, testnet4, signet,
	// regtest.
	Name string
	// PowLimit is the highest (easiest) allowed target.
	PowLimit *big.Int
	// PowLimitBits is PowLimit in compact form.
	PowLimitBits Bits
	// TargetTimespanSec is the intended duration of one retarget period
	// (Core: nPowTargetTimespan), in seconds.
	TargetTimespanSec int64
	// TargetSpacingSec is the intended block interval (nPowTargetSpacing), in
	// seconds.
	TargetSpacingSec int64
	// SubsidyHalvingInterval is the number of blocks between subsidy halvings.
	SubsidyHalvingInterval int64
	// AllowMinDifficultyBlocks enables the testnet rule that a block more
	// than twice the target spacing after its parent may use PowLimitBits.
	AllowMinDifficultyBlocks bool
	// NoRetargeting keeps the difficulty constant (regtest).
	NoRetargeting bool
	// EnforceBIP94 bases the retarget on the first block of the period
	// rather than the last (testnet4's timewarp fix).
	EnforceBIP94 bool
	// GenesisHash is the display-order hex hash of block 0.
	GenesisHash string
	// DefaultRPCPort is the node's conventional JSON-RPC port (Bitcoin Core).
	DefaultRPCPort int
}

// RetargetInterval is the number of blocks in one difficulty period (2016 on
// every public network).
func (p *Params) RetargetInterval() int64 {
	return p.TargetTimespanSec / p.TargetSpacingSec
}

func fromChaincfg(name string, c *chaincfg.Params, rpcPort int) *Params {
	return &Params{
		Name:                     name,
		PowLimit:                 new(big.Int).Set(c.PowLimit),
		PowLimitBits:             Bits(c.PowLimitBits),
		TargetTimespanSec:        int64(c.TargetTimespan.Seconds()),
		TargetSpacingSec:         int64(c.TargetTimePerBlock.Seconds()),
		SubsidyHalvingInterval:   int64(c.SubsidyReductionInterval),
		AllowMinDifficultyBlocks: c.ReduceMinDifficulty,
		NoRetargeting:            c.PoWNoRetargeting,
		EnforceBIP94:             c.EnforceBIP94,
		GenesisHash:              c.GenesisHash.String(),
		DefaultRPCPort:           rpcPort,
	}
}

// The public networks. Values come from btcd's chaincfg, which mirrors
// Bitcoin Core's chainparams.cpp; the one difference is corrected below.
var (
	MainNet  = fromChaincfg("mainnet", &chaincfg.MainNetParams, 8332)
	TestNet3 = fromChaincfg("testnet3", &chaincfg.TestNet3Params, 18332)
	TestNet4 = fromChaincfg("testnet4", &chaincfg.TestNet4Params, 48332)
	SigNet   = fromChaincfg("signet", &chaincfg.SigNetParams, 38332)
	RegTest  = func() *Params {
		p := fromChaincfg("regtest", &chaincfg.RegressionNetParams, 18443)
		// Bitcoin Core's regtest powLimit is
		// 7fffff0000000000000000000000000000000000000000000000000000000000
		// (chainparams.cpp), whereas btcd uses 2^255-1. Both compact to
		// 0x207fffff; we keep Core's exact value.
		p.PowLimit = new(big.Int).Lsh(big.NewInt(0x7fffff), 232)
		p.SubsidyHalvingInterval = 150
		return p
	}()
)

// Networks lists the built-in networks.
func Networks() []*Params { return []*Params{MainNet, TestNet3, TestNet4, SigNet, RegTest} }

// ParamsByName returns the built-in network with the given name. "main",
// "test", "testnet" and "regression" are accepted as aliases, matching what
// nodes report in getblockchaininfo's "chain" field.
func ParamsByName(name string) (*Params, error) {
	switch strings.ToLower(name) {
	case "mainnet", "main", "bitcoin":
		return MainNet, nil
	case "testnet3", "test", "testnet":
		return TestNet3, nil
	case "testnet4":
		return TestNet4, nil
	case "signet":
		return SigNet, nil
	case "regtest", "regression", "simnet":
		return RegTest, nil
	}
	return nil, fmt.Errorf("consensus: unknown network %q (allowed: mainnet, testnet3, testnet4, signet, regtest)", name)
}
