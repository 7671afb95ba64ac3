package noderpc

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
)

func TestParseBTC(t *testing.T) {
	tests := []struct {
		in   string
		want consensus.Sats
		err  bool
	}{
		{"50", 50 * consensus.SatsPerBTC, false},          // btcd prints whole BTC without decimals
		{"50.00000000", 50 * consensus.SatsPerBTC, false}, // Core always prints 8 decimals
		{"6.25000000", 625_000_000, false},
		{"3.12500000", 312_500_000, false},
		{"0.00000001", 1, false},
		{"1e-08", 1, false}, // Go's encoding/json (btcd) switches to exponent form below 1e-6
		{"1.2345e-04", 12_345, false},
		{"1.2345e-05", 0, true}, // 1234.5 sats
		{"0", 0, false},
		{"-0.5", -50_000_000, false},
		{"12.64821036", 1_264_821_036, false},
		{"20999999.97690000", 2_099_999_997_690_000, false},
		{"0.000000001", 0, true}, // below one satoshi
		{"21000000.00000001", 0, true},
		{"1e+30", 0, true},
		{"abc", 0, true},
		{"", 0, true},
		{".", 0, true},
		{"1.2.3", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseBTC(json.Number(tt.in))
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseBTC(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestParseBTCRoundTrip: whatever a node prints for an amount of sats,
// Core's fixed 8 decimals or btcd's float64 through encoding/json
// (btcutil.Amount.ToBTC), parses back to the same sats.
func TestParseBTCRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Up to 10 million BTC: 15 significant digits, which a float64
		// carries exactly; real coinbases are far below.
		sats := rapid.Int64Range(0, 10_000_000*consensus.SatsPerBTC).Draw(t, "sats")
		core := fmt.Sprintf("%d.%08d", sats/consensus.SatsPerBTC, sats%consensus.SatsPerBTC)
		btcd, err := json.Marshal(float64(sats) / 1e8)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{core, string(btcd)} {
			got, err := ParseBTC(json.Number(s))
			if err != nil || got != consensus.Sats(sats) {
				t.Fatalf("ParseBTC(%q) = %d, %v; want %d", s, got, err, sats)
			}
		}
	})
}

func FuzzParseBTC(f *testing.F) {
	for _, s := range []string{"50", "0.00000001", "1e-08", "6.25000000", "-1", "1.5E+2", "0.000000015"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseBTC(json.Number(s))
		if err != nil {
			return
		}
		// Whatever parses must equal the exact decimal value * 1e8.
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("ParseBTC accepted %q, which is not a number", s)
		}
		r.Mul(r, big.NewRat(consensus.SatsPerBTC, 1))
		if !r.IsInt() || r.Num().Int64() != int64(got) {
			t.Fatalf("ParseBTC(%q) = %d, exact value is %s sats", s, got, r.RatString())
		}
	})
}
func TestNetworkName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"main", "mainnet"}, {"mainnet", "mainnet"},
		{"test", "testnet3"}, {"testnet3", "testnet3"},
		{"testnet4", "testnet4"}, {"signet", "signet"}, {"regtest", "regtest"},
	}
	for _, tt := range tests {
		got, err := NetworkName(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NetworkName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"simnet", "liquid", ""} {
		if _, err := NetworkName(bad); err == nil {
			t.Errorf("NetworkName(%q): no error", bad)
		}
	}
}

// TestBlockFromRPCCoreAndBtcdShapes decodes the same block in Bitcoin
// Core's shape and in btcd's (testdata/getblock_*.json) and checks that
// both give the same record.
func TestBlockFromRPCCoreAndBtcdShapes(t *testing.T) {
	var recs []chain.BlockRecord
	for _, name := range []string{"getblock_core.json", "getblock_btcd.json"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var b Block
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, err := BlockFromRPC(&b, consensus.RegTest)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		recs = append(recs, r)
	}
	core, btcd := recs[0], recs[1]
	// Core gives mediantime; btcd does not (the ingester computes it).
	if core.MedianTime == 0 || btcd.MedianTime != 0 {
		t.Errorf("median time: core %d, btcd %d", core.MedianTime, btcd.MedianTime)
	}
	btcd.MedianTime = core.MedianTime
	if fmt.Sprint(core) != fmt.Sprint(btcd) {
		t.Errorf("records differ:\ncore %+v\nbtcd %+v", core, btcd)
	}
	if core.TxCount != 2 || core.FeesSats != 12345 || core.UnderClaimed {
		t.Errorf("core record %+v", core)
	}
	if !slices.Equal(core.PayoutAddresses, []string{"bcrt1qqwcpvk0spmhy0km0jsggeeqpazymz3tvdz0ewd", "mfrTGPbBt9CAtTwdZTpuRWxB5LSUofv481"}) {
		t.Errorf("payouts %v", core.PayoutAddresses)
	}
	if core.CoinbaseTag != "/Foundry USA Pool #dropgold/" || core.Bits != 0x207fffff || core.Source != "rpc" {
		t.Errorf("tag %q bits %s source %q", core.CoinbaseTag, core.Bits, core.Source)
	}
	if core.Hash.String() != "69f0325696955ed518856e00efff99c035a115ec39a7ce226bed6249554208c9" || core.Height != 102 ||
		core.CoinbaseOutSats != 50*consensus.SatsPerBTC+12345 || core.SizeBytes != 425 || core.WeightWU != 1700 {
		t.Errorf("core record %+v", core)
	}
}

func TestBlockFromRPCErrors(t *testing.T) {
	cbTx := `{"txid":"aa","vin":[{"coinbase":"0101"}],"vout":[{"value":50,"n":0,"scriptPubKey":{"type":"nulldata"}}]}`
	tests := []struct {
		name string
		json string
		want string
	}{
		{"no hash", `{"bits":"207fffff"}`, "no hash"},
		{"short hash", `{"hash":"ab","bits":"207fffff"}`, "want 64 hex digits"},
		{"bad bits", `{"hash":"abababababababababababababababababababababababababababababababab","bits":"xyz"}`, "bits"},
		{"verbosity 1 answer", `{"hash":"abababababababababababababababababababababababababababababababab","bits":"207fffff","tx":["aa"]}`, "decoding coinbase"},
		{"no transactions", `{"hash":"abababababababababababababababababababababababababababababababab","bits":"207fffff"}`, "no transactions"},
		{"not a coinbase", `{"hash":"abababababababababababababababababababababababababababababababab","bits":"207fffff","tx":[{"txid":"aa","vin":[{"txid":"bb"}]}]}`, "not a coinbase"},
		{"nTx mismatch", `{"hash":"abababababababababababababababababababababababababababababababab","bits":"207fffff","nTx":3,"tx":[` + cbTx + `]}`, "nTx 3"},
		{"bad value", `{"hash":"abababababababababababababababababababababababababababababababab","bits":"207fffff","tx":[{"txid":"aa","vin":[{"coinbase":"0101"}],"vout":[{"value":1e-9,"n":0,"scriptPubKey":{}}]}]}`, "more than 8 decimals"},
	}
	for _, tt := range tests {
		var b Block
		if err := json.Unmarshal([]byte(tt.json), &b); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		_, err := BlockFromRPC(&b, consensus.RegTest)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to mention %q", tt.name, err, tt.want)
		}
	}
}

func TestPayoutAddressesP2PK(t *testing.T) {
	// The regtest genesis coinbase pays to a bare public key (Core's
	// chainparams.cpp genesis output script). btcd prints it as the
	// P2PKH address mpXwg4jMtRhuSpVq4xS3HFHmCmWp9NyGKt; Core prints no
	// address. Both must give btcd's address.
	const spk = "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac"
	var core, btcd Vout
	core.ScriptPubKey.Hex, core.ScriptPubKey.Type = spk, "pubkey"
	btcd = core
	btcd.ScriptPubKey.Address = "mpXwg4jMtRhuSpVq4xS3HFHmCmWp9NyGKt"
	btcd.ScriptPubKey.Addresses = []string{btcd.ScriptPubKey.Address}
	for _, v := range []Vout{core, btcd} {
		got := PayoutAddresses([]Vout{v}, "regtest")
		if !slices.Equal(got, []string{"mpXwg4jMtRhuSpVq4xS3HFHmCmWp9NyGKt"}) {
			t.Errorf("PayoutAddresses = %v", got)
		}
	}
	// The same key on mainnet is the genesis address 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.
	if got := PayoutAddresses([]Vout{core}, "mainnet"); !slices.Equal(got, []string{"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"}) {
		t.Errorf("mainnet: %v", got)
	}
}
