package chain

import (
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCoinbaseTag(t *testing.T) {
	tests := []struct {
		name   string
		hex    string
		height int64
		want   string
	}{
		{
			// Mainnet genesis coinbase (Bitcoin Core chainparams.cpp,
			// CreateGenesisBlock). Its first push is nBits, not a
			// height; the text is a 69-byte push whose length byte
			// 0x45 is the printable "E".
			name:   "genesis",
			hex:    "04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73",
			height: 0,
			want:   "The Times 03/Jan/2009 Chancellor on brink of second bailout for banks",
		},
		{
			// Mainnet block 620175 (AntPool), coinbase as printed by a
			// node's getblock (copied in wkibbler/PlusBit
			// app/utilPages/exampleTxs.js); the height push 038f7609
			// is 620175. The merged-mining commitment after the tag
			// ("fabe6d6d...") leaves only short chance runs.
			name:   "antpool 620175",
			hex:    "038f76091b4d696e656420627920416e74506f6f6c3932ab00c90020effb4c1cfabe6d6dbc79fac7620f3abbfcaa6a482cbc07bd39d1c579af61a286fd3f10f814291afa040000000000000088e201004e7f0100",
			height: 620175,
			want:   "Mined by AntPool92",
		},
		{
			name:   "height push as OP_1",
			hex:    "51" + hex.EncodeToString([]byte("\x0b/btcdtest/")) + "04deadbeef",
			height: 1,
			want:   "/btcdtest/",
		},
		{
			// A 4-byte push whose value is not this block's
			// height is kept (it is then just bytes).
			name:   "first push is not the height",
			hex:    "0441424344" + "1c" + hex.EncodeToString([]byte("/Foundry USA Pool #dropgold/")),
			height: 7,
			want:   "ABCD /Foundry USA Pool #dropgold/",
		},
		{
			name:   "utf8 tags",
			hex:    "0101" + "0f" + hex.EncodeToString([]byte("七彩神仙鱼")) + "00" + hex.EncodeToString([]byte("🐟")),
			height: 1,
			want:   "七彩神仙鱼 🐟",
		},
		{
			name:   "short runs dropped, spaces collapsed",
			hex:    hex.EncodeToString([]byte("\x01\x05ab\x00mm\x01  Kano   pool \x02")),
			height: 5,
			want:   "Kano pool",
		},
		{name: "empty", hex: "", height: 0, want: ""},
	}
	for _, tt := range tests {
		b, err := hex.DecodeString(tt.hex)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := CoinbaseTag(b, tt.height); got != tt.want {
			t.Errorf("%s: CoinbaseTag = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzCoinbaseTag(f *testing.F) {
	f.Add([]byte("\x03\x8f\x76\x09\x1bMined by AntPool"), int64(620175))
	f.Add([]byte{0x51, 0xff, 0xfe}, int64(1))
	f.Fuzz(func(t *testing.T, b []byte, height int64) {
		tag := CoinbaseTag(b, height)
		if !utf8.ValidString(tag) {
			t.Fatalf("tag %q is not UTF-8", tag)
		}
		if tag != strings.Join(strings.Fields(tag), " ") {
			t.Fatalf("tag %q has untrimmed or repeated spaces", tag)
		}
		for _, part := range strings.Split(tag, " ") {
			if part != "" && !strings.Contains(string(b), part) {
				t.Fatalf("tag piece %q is not in the scriptSig", part)
			}
		}
	})
}

func TestFirstPushNumber(t *testing.T) {
	tests := []struct {
		hex  string
		want int64
		ok   bool
	}{
		{"00", 0, true},
		{"51", 1, true},
		{"60", 16, true},
		{"0111", 17, true},
		{"028000", 128, true},      // 0x80 needs a second byte: the sign bit
		{"038f7609", 620175, true}, // mainnet block 620175
		{"0340d10c", 840000, true}, // the fourth halving block
		{"0181", -1, true},         // sign-magnitude
		{"04ffff001d", 486604799, true},
		{"09000000000000000000", 0, false}, // a 9-byte push is not a number
		{"03ffff", 0, false},               // truncated
		{"", 0, false},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		got, _, ok := firstPushNumber(b)
		if ok != tt.ok || got != tt.want {
			t.Errorf("firstPushNumber(%s) = %d, %v; want %d, %v", tt.hex, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMedianTimePast(t *testing.T) {
	tests := []struct {
		times []int64
		want  int64
	}{
		{nil, 0},
		{[]int64{100}, 100},
		{[]int64{100, 200}, 200}, // Core takes index n/2 of the sorted list
		{[]int64{5, 1, 3}, 3},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6},
		{[]int64{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 6},
		// Only the last 11 count.
		{[]int64{1000, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 6},
	}
	for _, tt := range tests {
		if got := MedianTimePast(tt.times); got != tt.want {
			t.Errorf("MedianTimePast(%v) = %d, want %d", tt.times, got, tt.want)
		}
	}
}
