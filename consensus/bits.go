package consensus

import (
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
)

// Bits is a compact target, the header's nBits field (Core's
// arith_uint256::SetCompact/GetCompact form). It prints, marshals and
// parses in one spelling: "0x" and eight lowercase hex digits
// ("0x1701d936"). ParseBits also accepts the bare eight digits that RPC
// and CSV files use.
type Bits uint32

// String returns "0x" and eight lowercase hex digits.
func (b Bits) String() string {
	const hexd = "0123456789abcdef"
	var buf [10]byte
	buf[0], buf[1] = '0', 'x'
	for i := 0; i < 8; i++ {
		buf[9-i] = hexd[(uint32(b)>>(4*i))&0xf]
	}
	return string(buf[:])
}

// Hex returns the eight hex digits without the prefix, as Core's RPC
// prints the "bits" field.
func (b Bits) Hex() string { return b.String()[2:] }

// MarshalText implements encoding.TextMarshaler ("0x1701d936").
func (b Bits) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseBits.
func (b *Bits) UnmarshalText(text []byte) error {
	v, err := ParseBits(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// ParseBits parses nBits written as 1 to 8 hex digits with or without a
// "0x" prefix. It checks only the spelling; use CheckBits to check the
// value against a network's proof-of-work limit. Errors are
// *hashlab.InputError with field "bits".
func ParseBits(s string) (Bits, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X")
	if t == "" || len(t) > 8 {
		return 0, hashlab.Invalid("bits", s, "1 to 8 hex digits, with or without 0x (e.g. 0x1701d936)")
	}
	v, err := strconv.ParseUint(t, 16, 32)
	if err != nil {
		return 0, hashlab.Invalid("bits", s, "1 to 8 hex digits, with or without 0x (e.g. 0x1701d936)")
	}
	return Bits(v), nil
}

// CheckBits reports whether b decodes to a valid target on network p:
// not negative, not overflowing, not zero and not above the proof-of-work
// limit (Core's DeriveTarget). The error is a *hashlab.InputError naming
// field.
func CheckBits(field string, b Bits, p *Params) error {
	if _, err := TargetFromBits(b, p.PowLimit); err != nil {
		return hashlab.Invalidf(field, b, "a compact target that decodes to 0 < target <= the "+p.Name+" proof-of-work limit "+p.PowLimitBits.String(), err)
	}
	return nil
}
