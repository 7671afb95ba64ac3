package chain

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/snapshot"
)

// miniNet returns testnet rules (minimum-difficulty blocks, BIP94 or not)
// at a scale a test can mine: regtest's proof-of-work limit and 20-block
// epochs of 600 s blocks. Parameters are data, so nothing else changes.
func miniNet(bip94 bool) *consensus.Params {
	return &consensus.Params{Name: "mini-testnet", PowLimit: consensus.RegTest.PowLimit, PowLimitBits: consensus.RegTest.PowLimitBits,
		TargetTimespanSec: 20 * 600, TargetSpacingSec: 600, SubsidyHalvingInterval: 210000,
		AllowMinDifficultyBlocks: true, EnforceBIP94: bip94}
}

// stubChain is a HeaderCtx over the headers mined so far.
type stubChain struct{ hs []*stubHdr }
type stubHdr struct {
	c    *stubChain
	h    int64
	bits consensus.Bits
	ts   int64
}

func (s *stubHdr) Height() int64        { return s.h }
func (s *stubHdr) Bits() consensus.Bits { return s.bits }
func (s *stubHdr) Timestamp() int64     { return s.ts }
func (s *stubHdr) Ancestor(h int64) consensus.HeaderCtx {
	if h < 0 || h >= int64(len(s.c.hs)) {
		return nil
	}
	return s.c.hs[h]
}

// mineTestnet mines n headers under p. Blocks come every 300 s except at
// the heights in late, which come 1,500 s after their parent (more than
// twice the spacing: they may, and here do, use the minimum difficulty).
// tamper, when set, may replace the bits consensus requires at a height;
// the header is then mined validly with the replaced bits, so only the
// difficulty rule can catch it.
func mineTestnet(t testing.TB, p *consensus.Params, n int64, late map[int64]bool, tamper func(h int64, c *stubChain, want consensus.Bits) consensus.Bits) []byte {
	t.Helper()
	var out bytes.Buffer
	c := &stubChain{}
	var prev consensus.Hash
	ts := int64(1_714_777_860) // testnet4's genesis time
	for h := int64(0); h < n; h++ {
		var bits consensus.Bits
		if h > 0 {
			if late[h] {
				ts += 1500
			} else {
				ts += 300
			}
			var err error
			if bits, err = consensus.NextWorkRequired(c.hs[h-1], ts, p); err != nil {
				t.Fatal(err)
			}
		} else {
			bits = p.PowLimitBits
		}
		if tamper != nil {
			bits = tamper(h, c, bits)
		}
		target, err := consensus.TargetFromBits(bits, p.PowLimit)
		if err != nil {
			t.Fatal(err)
		}
		tg := consensus.NewTarget32(target)
		hdr := wire.BlockHeader{Version: 0x20000000, PrevBlock: prev, Timestamp: time.Unix(ts, 0), Bits: uint32(bits)}
		for nonce := uint32(0); ; nonce++ {
			hdr.Nonce = nonce
			if hash := hdr.BlockHash(); tg.HashMeets(&hash) {
				prev = hash
				break
			}
		}
		if err := hdr.Serialize(&out); err != nil {
			t.Fatal(err)
		}
		c.hs = append(c.hs, &stubHdr{c: c, h: h, bits: bits, ts: ts})
	}
	return out.Bytes()
}

func verifyWith(t testing.TB, p *consensus.Params, data []byte, opt VerifyOptions) VerifyReport {
	t.Helper()
	hr, err := chainfile.NewHeaderReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(p, opt)
	if err := v.Run(context.Background(), hr, nil); err != nil {
		t.Fatal(err)
	}
	return v.Report()
}

// The Verifier checks every header's bits with consensus.NextWorkRequired
// on testnet rules: the 20-minute minimum-difficulty blocks (here the last
// block of epochs 0 and 1, and one inside epoch 2), the walk back over
// them to the epoch's real bits, and the BIP94 retarget from the epoch's
// first block. The old verifier checked none of these on testnet.
func TestVerifyTestnetRules(t *testing.T) {
	const n = 65
	late := map[int64]bool{19: true, 39: true, 45: true}
	for _, bip94 := range []bool{true, false} {
		p := miniNet(bip94)
		honest := mineTestnet(t, p, n, late, nil)
		rep := verifyWith(t, p, honest, VerifyOptions{})
		// 3 retargets (20, 40, 60) and 61 in-epoch headers, all checked.
		if rep.MismatchCount != 0 || rep.Retargets != 3 || rep.BitsUnchanged != n-1-3 || rep.BitsSkipped != 0 || rep.RetargetsSkipped != 0 {
			t.Fatalf("bip94=%v honest chain: %+v", bip94, rep)
		}
		// The same chain under the other retarget rule fails at 40, the
		// first retarget whose epoch ended with a min-difficulty block
		// whose bits differ from the epoch's (epoch 0's real bits are
		// the pow limit, so 20 agrees under both rules).
		other := verifyWith(t, miniNet(!bip94), honest, VerifyOptions{})
		if other.MismatchCount == 0 || other.Mismatches[0].Check != "retarget" || other.Mismatches[0].Height != 40 {
			t.Fatalf("bip94=%v chain verified under bip94=%v: %+v", bip94, !bip94, other)
		}
	}

	p := miniNet(true)
	for _, tc := range []struct {
		name   string
		height int64
		check  string
		tamper func(h int64, c *stubChain, want consensus.Bits) consensus.Bits
	}{
		{"late block keeps the epoch's bits", 45, "bits", func(h int64, c *stubChain, want consensus.Bits) consensus.Bits {
			if h == 45 {
				return c.hs[44].bits
			}
			return want
		}},
		{"on-time block after a min-difficulty block keeps the minimum", 46, "bits", func(h int64, c *stubChain, want consensus.Bits) consensus.Bits {
			if h == 46 {
				return p.PowLimitBits
			}
			return want
		}},
		{"retarget from the last (min-difficulty) block, testnet3's rule", 40, "retarget", func(h int64, c *stubChain, want consensus.Bits) consensus.Bits {
			if h == 40 {
				b, _ := consensus.NextBits(c.hs[39].bits, c.hs[20].ts, c.hs[39].ts, p)
				return b
			}
			return want
		}},
	} {
		rep := verifyWith(t, p, mineTestnet(t, p, n, late, tc.tamper), VerifyOptions{})
		if rep.MismatchCount == 0 || rep.Mismatches[0].Height != tc.height || rep.Mismatches[0].Check != tc.check {
			t.Errorf("%s: %+v, want the first mismatch a %s check at %d", tc.name, rep, tc.check, tc.height)
		}
	}

	// A file starting inside an epoch at a min-difficulty block cannot
	// walk back to the epoch's bits: the check is counted as unchecked,
	// not guessed.
	honest := mineTestnet(t, p, n, late, nil)
	rep := verifyWith(t, p, honest[45*80:], VerifyOptions{StartHeight: 45})
	if rep.MismatchCount != 0 || rep.BitsSkipped == 0 {
		t.Fatalf("file from 45: %+v", rep)
	}
}

// Four Verifiers in parallel share no state (the chainwork scratch used to
// be a package variable): run with go test -race.
func TestVerifiersInParallel(t *testing.T) {
	data := readShared(t, "headers_586657-589289.bin")
	want := verifyWith(t, consensus.MainNet, data, VerifyOptions{StartHeight: 586657, Epochs: snapshot.Epochs()})
	var wg sync.WaitGroup
	reps := make([]VerifyReport, 4)
	for i := range reps {
		wg.Go(func() {
			hr, err := chainfile.NewHeaderReader(bytes.NewReader(data))
			if err != nil {
				t.Error(err)
				return
			}
			v := NewVerifier(consensus.MainNet, VerifyOptions{StartHeight: 586657, Epochs: snapshot.Epochs()})
			if err := v.Run(context.Background(), hr, nil); err != nil {
				t.Error(err)
			}
			reps[i] = v.Report()
		})
	}
	wg.Wait()
	for i, r := range reps {
		if r.TipChainwork != want.TipChainwork || r.Headers != 2633 || r.MismatchCount != 0 {
			t.Errorf("verifier %d: %+v, want %+v", i, r, want)
		}
	}
}

// An empty header source is bad input, not "0 mismatches".
func TestRunEmpty(t *testing.T) {
	hr, _ := chainfile.NewHeaderReader(bytes.NewReader(nil))
	err := NewVerifier(consensus.MainNet, VerifyOptions{}).Run(context.Background(), hr, nil)
	if err == nil || !strings.Contains(err.Error(), "at least one 80-byte block header") {
		t.Fatalf("empty: %v", err)
	}
}
