package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/internal/webreplay"
	"github.com/hashlab/hashlab/security"
)

// runAt runs the CLI in-process with the clock at now.
func runAt(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Now: func() time.Time { return now }, Getenv: func(string) string { return "" }}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

// issueDay is the day issue 14 was filed: 222 days after the embedded
// snapshot's block 946,236 (2026-04-22 21:50:03 UTC).
var issueDay = time.Date(2026, 11, 30, 21, 50, 3, 0, time.UTC)

// Issue 14: every human output that uses "now" says the source and its
// age, JSON carries source, as_of and age_seconds, and stderr warns when
// the state is older than 7 days.
func TestNowSaysSourceAndAge(t *testing.T) {
	code, out, stderr := runAt(t, issueDay, "overview")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "embedded snapshot of 2026-04-22, 222 days old") || !strings.Contains(out, "946,236") {
		t.Errorf("overview does not name its source and age:\n%s", out)
	}
	if !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "222 days old") {
		t.Errorf("no staleness warning on stderr: %q", stderr)
	}
	// A fresh state gives no warning.
	if _, _, stderr := runAt(t, time.Unix(1776894603+3600, 0), "hashprice"); stderr != "" {
		t.Errorf("warning on a one-hour-old state: %q", stderr)
	}
	for _, args := range [][]string{{"hashprice"}, {"miners"}, {"next-adjustment"}, {"halving"}, {"overview"}, {"fleet", "../../examples/fleet.yaml"}, {"security", "attack-cost"}} {
		code, out, stderr := runAt(t, issueDay, append(args, "--json")...)
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); code != 0 || err != nil {
			t.Fatalf("%v: exit %d, %v: %s", args, code, err, stderr)
		}
		if m["source"] != "snapshot" || m["as_of"] != "2026-04-22T21:50:03Z" || m["age_seconds"] != float64(222*86400) {
			t.Errorf("%v --json: source %v, as_of %v, age_seconds %v", args, m["source"], m["as_of"], m["age_seconds"])
		}
	}
}

// Issue 13: overview --json works (it exited 2).
func TestOverviewJSON(t *testing.T) {
	code, out, stderr := fndRun(t, "overview", "--json", "--power-price", "0.05")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var o struct {
		Hashprice      map[string]any `json:"hashprice"`
		NextAdjustment map[string]any `json:"next_adjustment"`
		Halving        map[string]any `json:"halving"`
		Miners         struct {
			Conditions map[string]any `json:"conditions"`
		} `json:"miners"`
	}
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatal(err)
	}
	if o.Hashprice["height"] != float64(946236) || o.NextAdjustment["retarget_height"] != float64(947520) || o.Halving["next_halving_height"] != float64(1050000) || o.Miners.Conditions["power_usd_per_kwh"] != 0.05 {
		t.Fatalf("%s", out)
	}
	// Bad input is refused before any output.
	code, out, stderr = fndRun(t, "overview", "--power-price", "abc")
	if code != 2 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// Issue 14 item 7: --tip-height 788255 without --tip-time paired the
// 2023 epoch with the snapshot's time and reported -75.00%; the real
// change locked in at that block was -1.45% (0x1705c739 -> 0x1705dd01).
func TestNextAdjustmentPastEpoch(t *testing.T) {
	code, out, stderr := fndRun(t, "next-adjustment", "--tip-height", "788255")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "expected change      -1.45%") || !strings.Contains(out, "from the epoch table") {
		t.Fatalf("%s", out)
	}
	// A height whose time is unknown is refused, naming --tip-time.
	code, out, stderr = fndRun(t, "next-adjustment", "--tip-height", "788000")
	if code != 2 || out != "" || !strings.Contains(stderr, "--tip-time") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, _, stderr = fndRun(t, "next-adjustment", "--tip-height", "788000", "--tip-time", "1683060000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// Issue 14 item 7: halving --height 839999 --json printed an expected
// date of the snapshot's day; the block's time is unknown, so the date is
// null (the API answers the same struct).
func TestHalvingHeightOverride(t *testing.T) {
	code, out, stderr := fndRun(t, "halving", "--height", "839999", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var h map[string]any
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	if d, ok := h["expected_date"]; !ok || d != nil || h["blocks_to_go"] != float64(1) {
		t.Fatalf("%s", out)
	}
	code, out, _ = fndRun(t, "halving", "--json")
	if err := json.Unmarshal([]byte(out), &h); code != 0 || err != nil || h["expected_date"] != "2028-04-12" {
		t.Fatalf("%s", out)
	}
}

func TestSourceFlag(t *testing.T) {
	code, _, stderr := fndRun(t, "hashprice", "--source", "nosuch")
	if code != 2 || !strings.Contains(stderr, "--source = nosuch") || !strings.Contains(stderr, "snapshot") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, out, stderr := fndRun(t, "hashprice", "--source", "snapshot", "--price", "100000", "--json")
	var h map[string]any
	if err := json.Unmarshal([]byte(out), &h); code != 0 || err != nil || h["price_usd"] != 100000.0 || h["overridden"].([]any)[0] != "price" {
		t.Fatalf("exit %d: %s %s", code, out, stderr)
	}
}

// Issue 14: an explicit source that fails is an error (exit 1) naming the
// source, the URL and why; nothing is printed and nothing falls back to
// the snapshot. (Both URLs are a closed local port: no network.)
func TestExplicitSourceFailsLoudly(t *testing.T) {
	code, out, stderr := fndRun(t, "overview", "--source", "mempool", "--mempool-url", "http://127.0.0.1:1/api", "--exchanges", "kraken", "--exchange-urls", "kraken=http://127.0.0.1:1")
	if code != 1 || out != "" || !strings.Contains(stderr, "source mempool") || !strings.Contains(stderr, "http://127.0.0.1:1/api") || !strings.Contains(stderr, "refused") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// Issue 14 "Must show": against replay servers (the recorded answers of
// source/mempool and source/exchange, no network), `hashprice --source
// mempool --json` equals the hashprice computed by hand from the recorded
// tip, bits and 144-block fees, at the median of the three exchanges'
// prices; the JSON names the source and its age.
func TestHashpriceFromMempoolReplay(t *testing.T) {
	mp := webreplay.New(t, filepath.Join("..", "..", "source", "mempool", "testdata", "api"), webreplay.Options{Prefix: "/api"})
	var urls []string
	for _, x := range []string{"kraken", "coinbase", "bitstamp"} {
		srv := webreplay.New(t, filepath.Join("..", "..", "source", "exchange", "testdata", x), webreplay.Options{Date: webreplay.ExchangeDate})
		urls = append(urls, x+"="+srv.URL)
	}
	now := time.Date(2026, 4, 22, 22, 0, 30, 0, time.UTC)
	code, out, stderr := runAt(t, now, "hashprice", "--source", "mempool", "--mempool-url", mp.URL+"/api", "--exchanges", "kraken,coinbase,bitstamp", "--exchange-urls", strings.Join(urls, ","), "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var h struct {
		hashprice.Result
		Source     string `json:"source"`
		AsOf       string `json:"as_of"`
		AgeSeconds int64  `json:"age_seconds"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil {
		t.Fatal(err)
	}
	// Tip 946,236 at 1776894603 with bits 0x17021369; mean fees of the
	// recorded 144 blocks 1,961,398 sats; prices 78,415 (Kraken), 78,420
	// (Coinbase), 78,430 (Bitstamp): the median is 78,420.
	want, _ := hashprice.Compute(hashprice.Inputs{Difficulty: consensus.Difficulty(0x17021369), Height: 946236, FeesPerBlock: 1961398, PriceUSD: 78420})
	if h.Result != want {
		t.Fatalf("got %+v\nwant %+v", h.Result, want)
	}
	if h.Source != "mempool" || h.AsOf != "2026-04-22T21:50:03Z" || h.AgeSeconds != 627 || stderr != "" {
		t.Fatalf("source %q as_of %q age %d stderr %q", h.Source, h.AsOf, h.AgeSeconds, stderr)
	}
}

// security concentration --source mempool takes the pool shares now from
// mempool's pools endpoint (the replay holds the real counts of the week
// before block 946,236: 1,003 blocks, Foundry USA 297), and computes the
// same report as the shares given by hand.
func TestConcentrationFromMempoolReplay(t *testing.T) {
	mp := webreplay.New(t, filepath.Join("..", "..", "source", "mempool", "testdata", "api"), webreplay.Options{Prefix: "/api"})
	now := time.Date(2026, 4, 22, 22, 0, 30, 0, time.UTC)
	code, out, stderr := runAt(t, now, "security", "concentration", "--source", "mempool", "--mempool-url", mp.URL+"/api", "--window", "1w", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		security.ConcentrationReport
		PoolShares struct {
			Blocks int64  `json:"blocks"`
			Source string `json:"source"`
			Pools  []struct {
				Name   string `json:"name"`
				Blocks int64  `json:"blocks"`
			} `json:"pools"`
		} `json:"pool_shares"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.PoolShares.Blocks != 1003 || got.PoolShares.Source != "mempool" || got.PoolShares.Pools[0].Blocks != 297 {
		t.Fatalf("%+v", got.PoolShares)
	}
	var shares []security.Share
	for _, p := range got.PoolShares.Pools {
		shares = append(shares, security.Share{Name: p.Name, Share: float64(p.Blocks) / 1003})
	}
	want, err := security.ConcentrationWith(shares, security.ConcentrationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.HHI10000 != want.HHI10000 || got.Nakamoto50 != want.Nakamoto50 || math.Abs(got.Top1Share-297.0/1003) > 1e-12 {
		t.Fatalf("HHI %v/%v Nakamoto %d/%d top1 %v", got.HHI10000, want.HHI10000, got.Nakamoto50, want.Nakamoto50, got.Top1Share)
	}
	// A source without pool shares, and a window mempool does not serve,
	// are input errors.
	if code, _, stderr := runAt(t, now, "security", "concentration", "--source", "snapshot"); code != 2 || !strings.Contains(stderr, "--source") {
		t.Fatalf("snapshot: exit %d %s", code, stderr)
	}
	if code, _, stderr := runAt(t, now, "security", "concentration", "--source", "mempool", "--mempool-url", mp.URL+"/api", "--window", "5w"); code != 2 || !strings.Contains(stderr, "window") {
		t.Fatalf("5w: exit %d %s", code, stderr)
	}
}
