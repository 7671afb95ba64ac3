package poolfile_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/internal/sharedtest"
	"github.com/hashlab/hashlab/pool/poolfile"
)

func TestReportedHashrateRealFile(t *testing.T) {
	f, err := os.Open(sharedtest.Path(t, "pools", "foundryusa_reported_hashrate_2023-12-01_2025-01-31.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	days, key, err := poolfile.ReportedHashrate(f, "")
	if err != nil {
		t.Fatal(err)
	}
	// 428 rows, 2023-12-01 .. 2025-01-31 (shared/data README).
	if key != "foundryusa" || len(days) != 428 || days[0].Date != "2023-12-01" || days[0].HashrateHs != 131455136401851744256 {
		t.Errorf("key %q, %d days, first %+v", key, len(days), days[0])
	}
}

func TestAccountExport(t *testing.T) {
	days, err := poolfile.AccountExport(strings.NewReader("\ufeffDate,Hashrate_THs,Payout_BTC,note\n2025-01-01,100000,0.00049,x\n2025-01-02T00:00:00Z,90000,0.00044,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].HashrateHs != 1e17 || days[0].PayoutSats != 49000 || days[1].Date != "2025-01-02" || days[0].Blocks != -1 {
		t.Errorf("%+v", days)
	}
	days, err = poolfile.AccountExport(strings.NewReader("date,hashrate_phs,payout_sats,blocks\n2025-01-01,1.5,0,0\n"))
	if err != nil || days[0].HashrateHs != 1.5e15 || days[0].Blocks != 0 {
		t.Errorf("%+v %v", days, err)
	}
	for _, bad := range []string{
		"", "date,payout_btc\n", "date,hashrate_ths\n", "date,hashrate_ths,hashrate_phs,payout_btc\n2025-01-01,1,1,1\n",
		"date,hashrate_ths,payout_btc\n2025-13-01,1,1\n", "date,hashrate_ths,payout_btc\n2025-01-01,-1,1\n",
		"date,hashrate_ths,payout_btc\n2025-01-01,NaN,1\n", "date,hashrate_ths,payout_btc\n2025-01-01,1,1\n2025-01-01,1,1\n",
		"date,hashrate_ths,payout_btc\n", "date,hashrate_ths,payout_sats\n2025-01-01,1,0.5\n", "date,hashrate_ths,payout_btc\n2025-01-01,1\n",
	} {
		if _, err := poolfile.AccountExport(strings.NewReader(bad)); !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("%q: %v, want an input error", bad, err)
		}
	}
}

func TestBlocksCSV(t *testing.T) {
	read := poolfile.BlocksCSV(strings.NewReader("height,time,pool_slug\n1,1300000000,a\n2,1300000600,b\n3,1300001200,a\n"))
	var got []int64
	err := read(context.Background(), 1300000600, 1300001201, func(b chain.BlockRecord) error {
		got = append(got, b.Height)
		return nil
	})
	if err != nil || len(got) != 2 || got[0] != 2 {
		t.Errorf("%v %v", got, err)
	}
}

// FuzzAccountExport: any input either parses into valid days or fails
// with an input error naming a field; it never panics.
func FuzzAccountExport(f *testing.F) {
	f.Add([]byte("date,hashrate_ths,payout_btc,blocks\n2025-01-01,100000,0.00049,0\n"))
	f.Add([]byte("date,hashrate_hs,payout_sats\n2025-01-01,1e20,100\n2025-01-02,0,0\n"))
	f.Add([]byte("date,pool_key,hashrate\n2023-12-01,foundryusa,131455136401851744256\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		days, err := poolfile.AccountExport(strings.NewReader(string(b)))
		if err != nil {
			if _, ok := hashlab.AsInput(err); !ok {
				t.Fatalf("not an input error: %v", err)
			}
		} else {
			for _, d := range days {
				if !(d.HashrateHs >= 0) || d.PayoutSats < 0 || len(d.Date) != 10 {
					t.Fatalf("bad day %+v", d)
				}
			}
		}
		if _, _, err := poolfile.ReportedHashrate(strings.NewReader(string(b)), ""); err != nil {
			if _, ok := hashlab.AsInput(err); !ok {
				t.Fatalf("reported hashrate: not an input error: %v", err)
			}
		}
	})
}
