package consensus

import (
	"encoding/csv"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"strconv"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
	"pgregory.net/rapid"
)

// Vectors from Bitcoin Core src/test/arith_uint256_tests.cpp, test case
// "bignum_SetCompact": input nBits, the decoded value (hex), the
// re-encoded compact (GetCompact(negative)), and the flags.
func TestCompactCoreVectors(t *testing.T) {
	tests := []struct {
		bits     Bits
		value    string
		compact  Bits
		negative bool
		overflow bool
	}{
		{0x00000000, "0", 0, false, false},
		{0x00123456, "0", 0, false, false},
		{0x01003456, "0", 0, false, false},
		{0x02000056, "0", 0, false, false},
		{0x03000000, "0", 0, false, false},
		{0x04000000, "0", 0, false, false},
		{0x00923456, "0", 0, false, false},
		{0x01803456, "0", 0, false, false},
		{0x02800056, "0", 0, false, false},
		{0x03800000, "0", 0, false, false},
		{0x04800000, "0", 0, false, false},
		{0x01123456, "12", 0x01120000, false, false},
		{0x01fedcba, "7e", 0x01fe0000, true, false},
		{0x02123456, "1234", 0x02123400, false, false},
		{0x03123456, "123456", 0x03123456, false, false},
		{0x04123456, "12345600", 0x04123456, false, false},
		{0x04923456, "12345600", 0x04923456, true, false},
		{0x05009234, "92340000", 0x05009234, false, false},
		{0x20123456, "1234560000000000000000000000000000000000000000000000000000000000", 0x20123456, false, false},
		{0xff123456, "", 0, false, true},
	}
	for _, tt := range tests {
		c := DecodeCompact(tt.bits)
		if c.Negative != tt.negative || c.Overflow != tt.overflow {
			t.Errorf("%v: negative=%v overflow=%v, want %v %v", tt.bits, c.Negative, c.Overflow, tt.negative, tt.overflow)
		}
		if tt.overflow {
			continue
		}
		want, _ := new(big.Int).SetString(tt.value, 16)
		if c.Target.Cmp(want) != 0 {
			t.Errorf("%v: value %x, want %s", tt.bits, c.Target, tt.value)
		}
		if got := EncodeCompact(c.Target, c.Negative); got != tt.compact {
			t.Errorf("%v: GetCompact %v, want %v", tt.bits, got, tt.compact)
		}
	}
	// Same file: 0x80 must encode with the sign bit avoided.
	if got := EncodeCompact(big.NewInt(0x80), false); got != 0x02008000 {
		t.Errorf("GetCompact(0x80) = %v, want 0x02008000", got)
	}
}

func TestTargetFromBitsErrors(t *testing.T) {
	// Bitcoin Core src/test/pow_tests.cpp CheckProofOfWork_test_*.
	tests := []struct {
		name string
		bits Bits
		want error
	}{
		{"negative target", 0x01fedcba, ErrNegativeTarget},
		{"overflow target", 0xff123456, ErrOverflowTarget},
		{"too easy target", BitsFromTarget(new(big.Int).Lsh(MainNet.PowLimit, 1)), ErrAbovePowLimit},
		{"zero target", 0x00000000, ErrZeroTarget},
	}
	for _, tt := range tests {
		if _, err := TargetFromBits(tt.bits, MainNet.PowLimit); !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
	// A hash one above the target fails; equal passes.
	target, _ := TargetFromBits(0x1d00ffff, MainNet.PowLimit)
	var h Hash
	b := new(big.Int).Add(target, bigOne).Bytes()
	for i := range b {
		h[i] = b[len(b)-1-i]
	}
	if err := CheckProofOfWork(&h, 0x1d00ffff, MainNet); !errors.Is(err, ErrHighHash) {
		t.Errorf("hash above target: err %v", err)
	}
}

// Bitcoin Core src/test/pow_tests.cpp, retarget vectors on real mainnet
// blocks (get_next_work, get_next_work_pow_limit,
// get_next_work_lower_limit_actual, get_next_work_upper_limit_actual).
func TestNextBitsCoreVectors(t *testing.T) {
	tests := []struct {
		name           string
		first, last    int64
		prevBits, want Bits
	}{
		{"get_next_work (block 32255)", 1261130161, 1262152739, 0x1d00ffff, 0x1d00d86a},
		{"get_next_work_pow_limit (block 2015)", 1231006505, 1233061996, 0x1d00ffff, 0x1d00ffff},
		{"get_next_work_lower_limit_actual (block 68543)", 1279008237, 1279297671, 0x1c05a3f4, 0x1c0168fd},
		{"get_next_work_upper_limit_actual (block 46367)", 1263163443, 1269211443, 0x1c387f6f, 0x1d00e1fd},
	}
	for _, tt := range tests {
		got, err := NextBits(tt.prevBits, tt.first, tt.last, MainNet)
		if err != nil || got != tt.want {
			t.Errorf("%s: %v %v, want %v", tt.name, got, err, tt.want)
		}
	}
}

// The July 2021 adjustment at height 689472: epoch 341's real first and
// last timestamps (shared/data/headers/difficulty_epochs.csv) give
// 0x171398ce, a -27.94% difficulty change.
func TestNextBitsChina2021(t *testing.T) {
	got, err := NextBits(0x170e1ef9, 1623614836, 1625293501, MainNet)
	if err != nil || got != 0x171398ce {
		t.Fatalf("got %v %v", got, err)
	}
	change := Difficulty(got)/Difficulty(0x170e1ef9) - 1
	if change > -0.279 || change < -0.2795 {
		t.Fatalf("change %.5f", change)
	}
}

func TestDifficulty(t *testing.T) {
	// Values printed in shared/data/README.md (height 689472), as RPC
	// getdifficulty would show them.
	if d := Difficulty(0x170e1ef9); strconv.FormatFloat(d, 'f', 2, 64) != "19932791027262.74" {
		t.Errorf("difficulty(0x170e1ef9) = %f", d)
	}
	if d := Difficulty(0x171398ce); strconv.FormatFloat(d, 'f', 2, 64) != "14363025673659.96" {
		t.Errorf("difficulty(0x171398ce) = %f", d)
	}
	if Difficulty(0x1d00ffff) != 1 {
		t.Error("difficulty 1")
	}
	r, _ := DifficultyRat(mustTarget(0x170e1ef9)).Float64()
	if rel := r/Difficulty(0x170e1ef9) - 1; rel > 1e-15 || rel < -1e-15 {
		t.Errorf("exact vs float difficulty differ by %g", rel)
	}
	tg, err := TargetFromDifficulty(Difficulty(0x170e1ef9))
	back, _ := DifficultyRat(tg).Float64()
	if err != nil || back/Difficulty(0x170e1ef9)-1 > 1e-12 || back/Difficulty(0x170e1ef9)-1 < -1e-12 {
		t.Errorf("target from difficulty: %g %v", back, err)
	}
	if _, err := TargetFromDifficulty(-1); err == nil {
		t.Error("negative difficulty accepted")
	}
}

func TestWork(t *testing.T) {
	// Genesis work: 2^256/(target+1) = 0x100010001 (4295032833).
	if w := WorkFromBits(0x1d00ffff); w.Cmp(big.NewInt(0x100010001)) != 0 {
		t.Errorf("work 0x1d00ffff = %x", w)
	}
	if WorkFromBits(0x01fedcba).Sign() != 0 || WorkFromBits(0).Sign() != 0 {
		t.Error("invalid bits should have zero work")
	}
}

// Subsidy schedule (Bitcoin Core validation_tests.cpp
// block_subsidy_test / subsidy_limit_test).
func TestSubsidy(t *testing.T) {
	tests := []struct {
		height int64
		want   Sats
	}{
		{0, 5_000_000_000}, {209_999, 5_000_000_000}, {210_000, 2_500_000_000},
		{420_000, 1_250_000_000}, {630_000, 625_000_000}, {840_000, 312_500_000},
		{1_049_999, 312_500_000}, {1_050_000, 156_250_000}, {1_260_000, 78_125_000},
		{32 * 210_000, 1}, {33 * 210_000, 0}, {64 * 210_000, 0}, {100 * 210_000, 0}, {-1, 0},
	}
	for _, tt := range tests {
		if got := BlockSubsidy(tt.height, MainNet); got != tt.want {
			t.Errorf("subsidy(%d) = %d, want %d", tt.height, got, tt.want)
		}
	}
	// block_subsidy_test: each halving exactly halves, up to 64 halvings.
	prev := Sats(50 * SatsPerBTC * 2)
	for h := int64(0); h < 64; h++ {
		s := BlockSubsidy(h*210_000, MainNet)
		if s > 50*SatsPerBTC || s != prev/2 {
			t.Fatalf("halving %d: %d after %d", h, s, prev)
		}
		prev = s
	}
	// subsidy_limit_test: the sum of all subsidies is 20999999.9769 BTC.
	var sum Sats
	for h := int64(0); h < 14_000_000; h += 1000 {
		sum += BlockSubsidy(h, MainNet) * 1000
	}
	if sum != 2_099_999_997_690_000 {
		t.Errorf("subsidy sum %d", sum)
	}
	if got := TotalSubsidy(100*210_000, MainNet); got != 2_099_999_997_690_000 {
		t.Errorf("TotalSubsidy = %d", got)
	}
	if got := TotalSubsidy(209_999, MainNet); got != 210_000*5_000_000_000 {
		t.Errorf("TotalSubsidy first era = %d", got)
	}
	if NextHalvingHeight(925_000, MainNet) != 1_050_000 {
		t.Error("next halving")
	}
}

func TestCompactRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := rapid.SliceOfN(rapid.Byte(), 1, 32).Draw(t, "bytes")
		n := new(big.Int).SetBytes(b)
		bits := BitsFromTarget(n)
		c := DecodeCompact(bits)
		if c.Negative || c.Overflow {
			t.Fatalf("encode(%x)=%v decodes negative/overflow", n, bits)
		}
		// The compact form keeps the top 3 significant bytes (at most 24
		// bits of mantissa, 23 usable): decoding never exceeds the value
		// and re-encoding is a fixed point.
		if c.Target.Cmp(n) > 0 {
			t.Fatalf("decode(encode(%x)) = %x > value", n, c.Target)
		}
		if BitsFromTarget(c.Target) != bits {
			t.Fatalf("re-encode not a fixed point for %x", n)
		}
		if n.BitLen() <= 16 && c.Target.Cmp(n) != 0 {
			t.Fatalf("small value %x not exact: %x", n, c.Target)
		}
	})
}

// Every retarget in the real epoch table reproduces bit for bit
// (shared/data/headers/difficulty_epochs.csv: 469 retargets, epochs 0-468).
func TestRealEpochTable(t *testing.T) {
	f, err := os.Open(sharedtest.Path(t, "headers", "difficulty_epochs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range rows[1:] {
		if r[4] == "" || r[5] == "" || r[6] == "" {
			continue
		}
		bits, _ := strconv.ParseUint(r[3], 16, 32)
		next, _ := strconv.ParseUint(r[6], 16, 32)
		first, _ := strconv.ParseInt(r[4], 10, 64)
		last, _ := strconv.ParseInt(r[5], 10, 64)
		got, err := NextBits(Bits(bits), first, last, MainNet)
		if err != nil || got != Bits(next) {
			t.Errorf("epoch %s: got %v %v, want %s", r[0], got, err, r[6])
		}
		checked++
	}
	if checked != 469 {
		t.Errorf("checked %d retargets, want 469", checked)
	}
}

func TestHeaderGenesis(t *testing.T) {
	raw, _ := hex.DecodeString("0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c")
	h, err := ParseHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	hash := HeaderHash(raw)
	if hash.String() != MainNet.GenesisHash || h.BlockHash() != hash {
		t.Fatalf("genesis hash %s", hash)
	}
	if h.Timestamp.Unix() != 1231006505 || h.Bits != 0x1d00ffff {
		t.Fatalf("fields %v %x", h.Timestamp, h.Bits)
	}
	if err := CheckProofOfWork(&hash, Bits(h.Bits), MainNet); err != nil {
		t.Fatal(err)
	}
	tg := NewTarget32(mustTarget(Bits(h.Bits)))
	if !tg.HashMeets(&hash) {
		t.Fatal("Target32 rejects genesis")
	}
	if _, err := ParseHeader(raw[:79]); err == nil {
		t.Fatal("short header accepted")
	}
}

// chainStub is a HeaderCtx over a map, for NextWorkRequired.
type chainStub struct {
	m map[int64]*stubHdr
}
type stubHdr struct {
	c    *chainStub
	h    int64
	bits Bits
	ts   int64
}

func (s *stubHdr) Height() int64    { return s.h }
func (s *stubHdr) Bits() Bits       { return s.bits }
func (s *stubHdr) Timestamp() int64 { return s.ts }
func (s *stubHdr) Ancestor(h int64) HeaderCtx {
	if v, ok := s.c.m[h]; ok {
		return v
	}
	return nil
}

func TestNextWorkRequired(t *testing.T) {
	c := &chainStub{m: map[int64]*stubHdr{}}
	add := func(h int64, bits Bits, ts int64) *stubHdr {
		s := &stubHdr{c: c, h: h, bits: bits, ts: ts}
		c.m[h] = s
		return s
	}
	add(30240, 0x1d00ffff, 1261130161)
	last := add(32255, 0x1d00ffff, 1262152739)
	got, err := NextWorkRequired(last, 1262153464, MainNet)
	if err != nil || got != 0x1d00d86a {
		t.Fatalf("mainnet retarget %v %v", got, err)
	}
	mid := add(32256, 0x1d00d86a, 1262153464)
	if got, _ := NextWorkRequired(mid, 1262154000, MainNet); got != 0x1d00d86a {
		t.Fatalf("inside epoch %v", got)
	}
	// testnet3: a block 20 minutes late may use the pow limit; otherwise
	// the last non-min-difficulty bits apply.
	if got, _ := NextWorkRequired(mid, mid.ts+1201, TestNet3); got != TestNet3.PowLimitBits {
		t.Fatalf("testnet min-difficulty %v", got)
	}
	minb := add(32257, TestNet3.PowLimitBits, mid.ts+1300)
	if got, _ := NextWorkRequired(minb, minb.ts+60, TestNet3); got != 0x1d00d86a {
		t.Fatalf("testnet walk-back %v", got)
	}
	// Missing first block of the epoch is an error, not a guess.
	delete(c.m, 30240)
	if _, err := NextWorkRequired(last, 0, MainNet); err == nil {
		t.Fatal("missing ancestor accepted")
	}
	// regtest never retargets.
	if got, _ := NextWorkRequired(last, 0, RegTest); got != 0x1d00ffff {
		t.Fatalf("regtest %v", got)
	}
}

func TestParamsByName(t *testing.T) {
	for _, n := range []string{"main", "test", "testnet4", "signet", "regtest"} {
		if _, err := ParamsByName(n); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParamsByName("dogecoin"); err == nil {
		t.Error("unknown network accepted")
	}
	if RegTest.PowLimitBits != 0x207fffff || BitsFromTarget(RegTest.PowLimit) != 0x207fffff {
		t.Errorf("regtest pow limit bits %v", BitsFromTarget(RegTest.PowLimit))
	}
	if MainNet.RetargetInterval() != 2016 || TestNet4.EnforceBIP94 != true {
		t.Error("params")
	}
}

func FuzzDecodeCompact(f *testing.F) {
	for _, s := range []uint32{0, 0x1d00ffff, 0x01fedcba, 0xff123456, 0x20123456, 0x04923456} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, bits uint32) {
		c := DecodeCompact(Bits(bits))
		if c.Overflow {
			return
		}
		re := EncodeCompact(c.Target, c.Negative)
		c2 := DecodeCompact(re)
		if c2.Target.Cmp(c.Target) != 0 || (c.Target.Sign() != 0 && c2.Negative != c.Negative) {
			t.Fatalf("%v -> %x -> %v -> %x", bits, c.Target, re, c2.Target)
		}
		_ = Difficulty(Bits(bits))
		_ = WorkFromBits(Bits(bits))
	})
}

func FuzzParseHeader(f *testing.F) {
	raw, _ := hex.DecodeString("0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c")
	f.Add(raw)
	f.Add(raw[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if len(b) != HeaderSize {
			if err == nil {
				t.Fatal("wrong length accepted")
			}
			return
		}
		hash := HeaderHash(b)
		if h.BlockHash() != hash {
			t.Fatalf("wire and raw hashes differ")
		}
		_ = CheckProofOfWork(&hash, Bits(h.Bits), MainNet)
	})
}

func BenchmarkHeaderHashAndCheck(b *testing.B) {
	raw, _ := hex.DecodeString("0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c")
	tg := NewTarget32(mustTarget(0x1d00ffff))
	for b.Loop() {
		h := HeaderHash(raw)
		if !tg.HashMeets(&h) {
			b.Fatal("pow")
		}
	}
}
