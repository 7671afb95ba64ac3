package snapshot

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/sharedtest"
)

func TestDefault(t *testing.T) {
	n := Default()
	if n.Height != 946236 || n.Bits() != 0x17021369 || n.AsOf.Unix() != 1776894603 || n.PriceUSD != 86000 || n.FeesPerBlock() != 2_000_000 {
		t.Fatalf("%+v", n)
	}
	// The snapshot's bits are the real bits of the epoch holding its height.
	for _, e := range Epochs() {
		if n.Height >= e.FirstHeight && n.Height <= e.LastHeight {
			if e.Bits != n.Bits() {
				t.Fatalf("snapshot bits 0x%08x, epoch %d has 0x%08x", n.Bits(), e.Epoch, e.Bits)
			}
			if n.AsOf.Unix() < e.FirstTime || (e.LastTime != 0 && n.AsOf.Unix() > e.LastTime) {
				t.Fatalf("as_of %v outside epoch %d", n.AsOf, e.Epoch)
			}
		}
	}
	if d := n.Difficulty(); d < 1.35594e14 || d > 1.35595e14 {
		t.Fatalf("difficulty %g", d)
	}
	for _, k := range []string{"price_usd", "fees_per_block_btc"} {
		if n.Sources[k] == "" {
			t.Errorf("no source for %s", k)
		}
	}
}

func TestEpochsEmbeddedMatchesShared(t *testing.T) {
	shared, err := os.ReadFile(sharedtest.Path(t, "headers", "difficulty_epochs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, epochsCSV) {
		t.Fatal("embedded epochs.csv differs from shared/data/headers/difficulty_epochs.csv")
	}
	es := Epochs()
	if len(es) != 474 {
		t.Fatalf("%d epochs", len(es))
	}
	timed := 0
	for i, e := range es {
		if e.Epoch != int64(i) || e.FirstHeight != int64(i)*2016 || e.LastHeight != e.FirstHeight+2015 {
			t.Fatalf("row %d: %+v", i, e)
		}
		if e.HasTimes() {
			timed++
			if got, _ := consensus.NextBits(consensus.Bits(e.Bits), e.FirstTime, e.LastTime, consensus.MainNet); got != consensus.Bits(e.NextBits) {
				t.Fatalf("epoch %d retarget", i)
			}
		}
	}
	if timed != 469 {
		t.Fatalf("%d epochs with times", timed)
	}
}

func TestParseEpochsErrors(t *testing.T) {
	head := "epoch,first_height,last_height,bits,first_time,last_time,next_bits,last_block_hash\n"
	tests := []struct{ in, want string }{
		{"foo,bar\n", "header has 2 columns"},
		{strings.Replace(head, "bits", "nbits", 1), `column 4 is "nbits"`},
		{head + "0,0,2015,zz,1,2,1d00ffff,x\n", `line 2: bits = "zz"`},
		{head + "0,0,2015,1d00ffff,-5,2,1d00ffff,x\n", `line 2: first_time = "-5"`},
		{head + "0,2015,0,1d00ffff,1,2,1d00ffff,x\n", "last_height 0 < first_height 2015"},
	}
	for _, tt := range tests {
		_, err := ParseEpochs(strings.NewReader(tt.in))
		if !errors.Is(err, ErrEpochTable) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err %v, want %q", err, tt.want)
		}
	}
}

func FuzzParseEpochs(f *testing.F) {
	f.Add(epochsCSV[:2000])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseEpochs(bytes.NewReader(b))
	})
}
