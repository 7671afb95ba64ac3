package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/service"
)

func init() {
	register(command{Name: "hashprice", Summary: "what 1 PH/s earns per day (hashvalue, hashprice, implied hashrate)", Run: runHashprice})
	register(command{Name: "next-bits", Summary: "the new nBits at a retarget, exactly as Bitcoin Core computes it", Run: runNextBits})
	register(command{Name: "next-adjustment", Summary: "project the current epoch's difficulty adjustment (size, date, interval)", Run: runNextAdjustment})
	register(command{Name: "halving", Summary: "the next halving: height, expected date, hashprice after it", Run: runHalving})
}

func runHashprice(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "hashprice", "hashprice [--source S] [--fee-window 144|24h] [--difficulty-method in-force|realised] [--difficulty D | --bits 0x...] [--height H] [--fees-btc F] [--price USD] [--json]")
	m := addMarketFlags(fs)
	method := fs.String("difficulty-method", "in-force", "in-force (the difficulty of the next block) or realised (revenue actually paid per hash over the fee window, from the observed block rate; needs --source node or db)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	dm, err := service.ParseDifficultyMethod(*method)
	if err != nil {
		return cliErr(err)
	}
	o, err := m.overrides()
	if err != nil {
		return err
	}
	svc, err := openService(env, m.source)
	if err != nil {
		return err
	}
	h, err := svc.HashpriceWith(ctx, service.HashpriceQuery{Market: o, Window: m.source.window, Difficulty: dm})
	if err != nil {
		return cliErr(err)
	}
	noteFreshness(env, h.Freshness)
	if *asJSON {
		return writeJSON(env.Stdout, h)
	}
	return printHashprice(env.Stdout, h)
}

// printHashprice renders service.Hashprice as text.
func printHashprice(out io.Writer, h *service.Hashprice) error {
	r := h.Result
	bitsNote := "bits"
	if !h.BitsExact {
		bitsNote = "nearest bits"
	}
	w := newTable(out)
	fmt.Fprintf(w, "Hashprice (%s)\n", h.Label())
	fmt.Fprintf(w, "  height\t%s\t(subsidy %.8g BTC; next halving at %s)\n", commas(r.Height), r.SubsidySats.BTC(), commas(h.NextHalvingHeight))
	fmt.Fprintf(w, "  difficulty\t%s\t(%s %s)\n", siNumber(r.Difficulty), bitsNote, h.Bits)
	fmt.Fprintf(w, "  network hashrate\t%s\t(implied by difficulty)\n", siHashrate(r.NetworkHashrateHs))
	feeNote := h.Method.Fees
	if h.FeeWindowBlocks != nil {
		feeNote += fmt.Sprintf(", blocks %s..%s", commas(*h.FeeWindowFromHeight), commas(*h.FeeWindowToHeight))
	}
	fmt.Fprintf(w, "  fees per block\t%.8g BTC\t(%s; %.2f%% of miner revenue)\n", r.FeesPerBlockSats.BTC(), feeNote, 100*r.FeeShare)
	fmt.Fprintf(w, "  BTC price\t%s\t\n", usd(r.PriceUSD))
	if re := h.Realised; re != nil {
		rate := "n/a"
		if re.MeanBlockIntervalSec != nil {
			rate = fmt.Sprintf("%.0f s per block, %s", *re.MeanBlockIntervalSec, siHashrate(*re.HashrateHs))
		}
		fmt.Fprintf(w, "  realised\t%d blocks %s..%s\t(paid %.8g BTC for %s hashes; %s)\n", re.Blocks, commas(re.FromHeight), commas(re.ToHeight), re.RewardSats.BTC(), siNumber(re.WorkHashes), rate)
	}
	fmt.Fprintf(w, "  method\t%s difficulty\t(fee window %s)\n", h.Method.Difficulty, h.Method.FeeWindow)
	fmt.Fprintf(w, "  hashvalue\t%.8f BTC/PH/day\t(%s sats/PH/day)\n", r.BTCPerPHDay, satsString(r.SatsPerPHDay))
	fmt.Fprintf(w, "  hashprice\t%s /PH/day\t(%s /TH/day)\n", usd(r.USDPerPHDay), fmt.Sprintf("$%.4f", r.USDPerTHDay))
	fmt.Fprintf(w, "  security budget\t%s /day\t(paid to all miners at 144 blocks/day)\n", usd(r.SecurityBudgetUSDPerDay))
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "  breakeven power price by efficiency:")
	w = newTable(out)
	for _, j := range service.BreakevenEfficienciesJPerTH {
		fmt.Fprintf(w, "    %.1f J/TH\t$%.4f /kWh\n", j, h.BreakevenUSDPerKWhAt[strconv.FormatFloat(j, 'g', -1, 64)])
	}
	return w.Flush()
}

func runNextBits(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "next-bits", "next-bits --prev-bits 0x... --first-time UNIX --last-time UNIX [--network mainnet] [--json]")
	prev := fs.String("prev-bits", "", "nBits of the epoch that just ended (hex)")
	first := fs.Int64("first-time", -1, "timestamp of the epoch's first block, Unix seconds")
	last := fs.Int64("last-time", -1, "timestamp of the epoch's last block, Unix seconds")
	netName := fs.String("network", "mainnet", "network: mainnet, testnet3, testnet4, signet, regtest")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := networkParams(*netName)
	if err != nil {
		return err
	}
	if *prev == "" {
		return usagef("--prev-bits is required (hex nBits, e.g. 0x170e1ef9)")
	}
	prevBits, err := consensus.ParseBits(*prev)
	if err == nil {
		err = consensus.CheckBits("prev_bits", prevBits, p)
	}
	if err != nil {
		if ie, ok := hashlab.AsInput(err); ok {
			ie.Field = "prev_bits"
		}
		return cliErr(err)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"first-time", *first}, {"last-time", *last}} {
		if !flagWasSet(fs, f.name) {
			return usagef("--%s is required (Unix seconds of the epoch's %s block)", f.name, strings.TrimSuffix(f.name, "-time"))
		}
		if f.v < 0 || f.v > math.MaxUint32 {
			return hashlab.Invalid("--"+f.name, f.v, "0 to 4294967295 (Unix seconds; nTime is 32-bit)")
		}
	}
	bits, err := consensus.NextBits(consensus.Bits(prevBits), *first, *last, p)
	if err != nil {
		return usagef("%v", err)
	}
	actual := *last - *first
	clamped := consensus.ClampTimespan(actual, p)
	change := consensus.Difficulty(bits)/consensus.Difficulty(consensus.Bits(prevBits)) - 1
	out := struct {
		Bits              string  `json:"bits"`
		PrevBits          string  `json:"prev_bits"`
		Difficulty        float64 `json:"difficulty"`
		PrevDifficulty    float64 `json:"prev_difficulty"`
		ChangePct         float64 `json:"change_pct"`
		TimespanSec       int64   `json:"timespan_sec"`
		ClampedTimespan   int64   `json:"clamped_timespan_sec"`
		TargetTimespanSec int64   `json:"target_timespan_sec"`
		Clamped           bool    `json:"clamped"`
		Network           string  `json:"network"`
	}{bits.String(), consensus.Bits(prevBits).String(), consensus.Difficulty(bits), consensus.Difficulty(consensus.Bits(prevBits)), 100 * change, actual, clamped, p.TargetTimespanSec, clamped != actual, p.Name}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "new bits\t%s\n", out.Bits)
	fmt.Fprintf(w, "difficulty\t%s -> %s (%+.2f%%)\n", siNumber(out.PrevDifficulty), siNumber(out.Difficulty), out.ChangePct)
	fmt.Fprintf(w, "timespan\t%s of %s target", time.Duration(actual)*time.Second, time.Duration(p.TargetTimespanSec)*time.Second)
	if out.Clamped {
		fmt.Fprintf(w, " (clamped to %s)", time.Duration(clamped)*time.Second)
	}
	fmt.Fprintln(w)
	return w.Flush()
}

func runNextAdjustment(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "next-adjustment", "next-adjustment [--source S] [--tip-height H [--tip-time UNIX] [--epoch-first-time UNIX]] [--confidence 0.9] [--json]")
	source := addSourceFlag(fs)
	tipHeight := fs.Int64("tip-height", 0, "height of the chain tip (default: the source's tip)")
	tipTime := fs.Int64("tip-time", 0, "timestamp of the tip, Unix seconds (default: the source's, or the epoch table's for the first or last block of a past epoch)")
	firstTime := fs.Int64("epoch-first-time", 0, "timestamp of the current epoch's first block (default: the source's or the embedded epoch table's)")
	conf := fs.Float64("confidence", service.DefaultConfidence, "coverage of the interval, 0 < c < 1")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	q := service.AdjustmentQuery{Confidence: *conf}
	if flagWasSet(fs, "tip-height") {
		q.TipHeight = tipHeight
	}
	if flagWasSet(fs, "tip-time") {
		q.TipTime = tipTime
	}
	if flagWasSet(fs, "epoch-first-time") {
		q.EpochFirstTime = firstTime
	}
	svc, err := openService(env, source)
	if err != nil {
		return err
	}
	a, err := svc.NextAdjustment(ctx, q)
	if err != nil {
		return cliErr(err)
	}
	if q.TipHeight == nil {
		noteFreshness(env, a.Freshness)
	}
	if *asJSON {
		return writeJSON(env.Stdout, a)
	}
	return printNextAdjustment(env.Stdout, a)
}

// printNextAdjustment renders service.NextAdjustment as text.
func printNextAdjustment(out io.Writer, a *service.NextAdjustment) error {
	w := newTable(out)
	fmt.Fprintf(w, "state\t%s\n", a.Label())
	fmt.Fprintf(w, "epoch\t%s..%s (tip %s at %s from the %s, %s blocks to go)\n", commas(a.EpochStartHeight), commas(a.RetargetHeight-1), commas(a.TipHeight),
		a.TipTime.Format("2006-01-02 15:04 UTC"), a.TipTimeFrom, commas(a.BlocksRemaining))
	fmt.Fprintf(w, "mean block interval\t%.1f s (target 600 s)\n", a.MeanIntervalSec)
	fmt.Fprintf(w, "expected change\t%+.2f%% (%.0f%% interval %+.2f%% .. %+.2f%%)\n", a.ExpectedChangePct, 100*a.Confidence, 100*a.LowChange, 100*a.HighChange)
	fmt.Fprintf(w, "retarget at height\t%s\n", commas(a.RetargetHeight))
	fmt.Fprintf(w, "expected date\t%s (between %s and %s)\n", a.ExpectedDate, a.EarliestDate, a.LatestDate)
	return w.Flush()
}

func runHalving(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "halving", "halving [market flags] [--block-interval 600] [--json]")
	m := addMarketFlags(fs)
	interval := fs.Float64("block-interval", service.DefaultBlockIntervalSec, "assumed mean seconds per block until the halving")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	o, err := m.overrides()
	if err != nil {
		return err
	}
	svc, err := openService(env, m.source)
	if err != nil {
		return err
	}
	h, err := svc.Halving(ctx, service.HalvingQuery{Market: o, BlockIntervalSec: *interval})
	if err != nil {
		return cliErr(err)
	}
	noteFreshness(env, h.Freshness)
	if *asJSON {
		return writeJSON(env.Stdout, h)
	}
	return printHalving(env.Stdout, h)
}

// printHalving renders service.Halving as text.
func printHalving(out io.Writer, h *service.Halving) error {
	w := newTable(out)
	fmt.Fprintf(w, "next halving\theight %s, %s blocks from %s", commas(h.Height), commas(h.BlocksToGo), commas(h.FromHeight))
	if h.ExpectedDate != nil {
		fmt.Fprintf(w, " (expected %s at %.0f s/block)", *h.ExpectedDate, h.BlockIntervalSec)
	} else {
		fmt.Fprintf(w, " (date n/a: %s)", h.DateBasis)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "subsidy\t%.8g -> %.8g BTC\n", consensus.Sats(h.SubsidyBeforeSats).BTC(), consensus.Sats(h.SubsidyAfterSats).BTC())
	fmt.Fprintf(w, "hashprice\t%s -> %s /PH/day (%s)\n", usd(h.HashpriceNow), usd(h.HashpriceAfter), h.Assumption)
	for _, b := range h.Breakeven {
		fmt.Fprintf(w, "breakeven at %.1f J/TH\t$%.4f -> $%.4f /kWh\n", b.JoulesPerTH, b.NowUSDPerKWh, b.AfterUSDPerKWh)
	}
	keep := "n/a (no reward after the halving)"
	if h.PriceToKeepHashUSD != nil {
		keep = usd(*h.PriceToKeepHashUSD)
	}
	fmt.Fprintf(w, "BTC price to keep hashprice\t%s\n", keep)
	return w.Flush()
}

// satsString prints a sats amount with commas, or in e-notation beyond
// what an int64 holds (a regtest node's difficulty).
func satsString(v float64) string {
	if math.Abs(v) >= 1e18 {
		return fmt.Sprintf("%.4g", v)
	}
	return commas(int64(math.Round(v)))
}
