package consensus

import "fmt"

// Sats is an amount of bitcoin in satoshis.
type Sats int64

// SatsPerBTC is the number of satoshis in one bitcoin (COIN).
const SatsPerBTC = 100_000_000

// BTC returns the amount in bitcoin as a float64.
func (s Sats) BTC() float64 { return float64(s) / SatsPerBTC }

// BlockSubsidy returns the new coins a block at height may create, as
// Bitcoin Core's GetBlockSubsidy: 50 BTC halved every
// SubsidyHalvingInterval blocks, and zero from the 64th halving on (where
// the right shift would be undefined). Negative heights have no subsidy.
func BlockSubsidy(height int64, p *Params) Sats {
	if height < 0 {
		return 0
	}
	halvings := height / p.SubsidyHalvingInterval
	if halvings >= 64 {
		return 0
	}
	return Sats((50 * SatsPerBTC) >> uint(halvings))
}

// TotalSubsidy returns the sum of block subsidies for heights 0..height
// inclusive. Note that the genesis block's 50 BTC is included although
// Bitcoin Core cannot spend it; subtract 50 BTC for the spendable supply.
// Miners that claim less than the subsidy also make the real supply smaller.
func TotalSubsidy(height int64, p *Params) Sats {
	if height < 0 {
		return 0
	}
	var total Sats
	n := height + 1 // blocks 0..height
	for era := int64(0); era < 64 && n > 0; era++ {
		blocks := min(n, p.SubsidyHalvingInterval)
		total += Sats(blocks) * BlockSubsidy(era*p.SubsidyHalvingInterval, p)
		n -= blocks
	}
	return total
}

// NextHalvingHeight returns the first height after height at which the
// subsidy halves.
func NextHalvingHeight(height int64, p *Params) int64 {
	if height < 0 {
		return 0
	}
	return (height/p.SubsidyHalvingInterval + 1) * p.SubsidyHalvingInterval
}

// String prints an amount in BTC with eight decimals ("3.12500000 BTC");
// negative amounts keep their sign. It is exact: no float is involved.
func (s Sats) String() string {
	neg := s < 0
	u := uint64(s)
	if neg {
		u = uint64(-s)
	}
	str := fmt.Sprintf("%d.%08d BTC", u/SatsPerBTC, u%SatsPerBTC)
	if neg {
		return "-" + str
	}
	return str
}
