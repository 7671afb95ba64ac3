package main

import (
	"context"
	"fmt"
	"time"

	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/snapshot"
)

func init() {
	register(command{Name: "hashprice", Summary: "what 1 PH/s earns per day (hashvalue, hashprice, implied hashrate)", Run: runHashprice})
	register(command{Name: "next-bits", Summary: "the new nBits at a retarget, exactly as Bitcoin Core computes it", Run: runNextBits})
	register(command{Name: "next-adjustment", Summary: "project the current epoch's difficulty adjustment (size, date, interval)", Run: runNextAdjustment})
	register(command{Name: "halving", Summary: "the next halving: height, expected date, hashprice after it", Run: runHalving})
}

// hashpriceOutput is the JSON of `hashlab hashprice`.
type hashpriceOutput struct {
	hashprice.Result
	Bits                 string             `json:"bits"`
	Source               string             `json:"source"`
	AsOf                 string             `json:"as_of,omitempty"`
	BreakevenUSDPerKWhAt map[string]float64 `json:"breakeven_usd_per_kwh_at_jth"`
}

var breakevenEfficiencies = []float64{12, 15, 17.5, 21.5, 30, 38}

func runHashprice(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "hashprice", "hashprice [--difficulty D | --bits 0x...] [--height H] [--fees-btc F] [--price USD] [--json]")
	m := addMarketFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	in, r, source, err := m.compute()
	if err != nil {
		return err
	}
	out := hashpriceOutput{Result: r, Source: source, BreakevenUSDPerKWhAt: map[string]float64{}}
	bitsNote := "bits"
	if m.resolvedBits != 0 {
		out.Bits = fmt.Sprintf("0x%08x", m.resolvedBits)
	} else if tg, err := consensus.TargetFromDifficulty(in.Difficulty); err == nil {
		// A difficulty given as a decimal number has no exact nBits; this
		// is the nearest compact target at or below it.
		out.Bits = consensus.BitsFromTarget(tg).String()
		bitsNote = "nearest bits"
	}
	if source == "embedded snapshot "+snapshot.Default().AsOf.Format("2006-01-02") {
		out.AsOf = snapshot.Default().AsOf.Format(time.RFC3339)
	}
	for _, j := range breakevenEfficiencies {
		out.BreakevenUSDPerKWhAt[fmt.Sprint(j)] = hashprice.BreakevenUSDPerKWh(r.USDPerPHDay, j)
	}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "Hashprice (%s)\n", source)
	fmt.Fprintf(w, "  height\t%s\t(subsidy %.8g BTC; next halving at %s)\n", commas(r.Height), r.SubsidySats.BTC(), commas(consensus.NextHalvingHeight(r.Height, consensus.MainNet)))
	fmt.Fprintf(w, "  difficulty\t%s\t(%s %s)\n", siNumber(r.Difficulty), bitsNote, out.Bits)
	fmt.Fprintf(w, "  network hashrate\t%s\t(implied by difficulty)\n", siHashrate(r.NetworkHashrateHs))
	fmt.Fprintf(w, "  fees per block\t%.8g BTC\t(%.2f%% of miner revenue)\n", r.FeesPerBlockSats.BTC(), 100*r.FeeShare)
	fmt.Fprintf(w, "  BTC price\t%s\t\n", usd(r.PriceUSD))
	fmt.Fprintf(w, "  hashvalue\t%.8f BTC/PH/day\t(%s sats/PH/day)\n", r.BTCPerPHDay, commas(int64(r.SatsPerPHDay+0.5)))
	fmt.Fprintf(w, "  hashprice\t%s /PH/day\t(%s /TH/day)\n", usd(r.USDPerPHDay), fmt.Sprintf("$%.4f", r.USDPerTHDay))
	fmt.Fprintf(w, "  security budget\t%s /day\t(paid to all miners at 144 blocks/day)\n", usd(r.SecurityBudgetUSDPerDay))
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "  breakeven power price by efficiency:")
	w = newTable(env.Stdout)
	for _, j := range breakevenEfficiencies {
		fmt.Fprintf(w, "    %.1f J/TH\t$%.4f /kWh\n", j, out.BreakevenUSDPerKWhAt[fmt.Sprint(j)])
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
	prevBits, err := validBits("prev-bits", *prev, p)
	if err != nil {
		return err
	}
	if *first < 0 || *first > 1<<32 {
		return usagef("--first-time %d is out of range (allowed: 0 to 4294967296, Unix seconds)", *first)
	}
	if *last < 0 || *last > 1<<32 {
		return usagef("--last-time %d is out of range (allowed: 0 to 4294967296, Unix seconds)", *last)
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
	}{bits.String(), fmt.Sprintf("0x%08x", prevBits), consensus.Difficulty(bits), consensus.Difficulty(consensus.Bits(prevBits)), 100 * change, actual, clamped, p.TargetTimespanSec, clamped != actual, p.Name}
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
	snap := snapshot.Default()
	fs := newFlags(env, "next-adjustment", "next-adjustment [--tip-height H --tip-time UNIX --epoch-first-time UNIX] [--confidence 0.9] [--json]")
	tipHeight := fs.Int64("tip-height", snap.Height, "height of the chain tip")
	tipTime := fs.Int64("tip-time", snap.AsOf.Unix(), "timestamp of the tip, Unix seconds")
	firstTime := fs.Int64("epoch-first-time", 0, "timestamp of the current epoch's first block (default: from the embedded epoch table)")
	conf := fs.Float64("confidence", 0.9, "coverage of the interval, 0 < c < 1")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tipHeight < 0 {
		return usagef("--tip-height %d is negative (allowed: >= 0)", *tipHeight)
	}
	if !(*conf > 0 && *conf < 1) {
		return usagef("--confidence %v is out of range (allowed: 0 < c < 1)", *conf)
	}
	p := consensus.MainNet
	interval := p.RetargetInterval()
	start := *tipHeight / interval * interval
	bits := uint32(0)
	if !flagWasSet(fs, "epoch-first-time") {
		for _, e := range snapshot.Epochs() {
			if e.FirstHeight == start {
				*firstTime, bits = e.FirstTime, e.Bits
			}
		}
		if *firstTime == 0 {
			return usagef("the embedded epoch table has no first-block time for the epoch starting at %d; give --epoch-first-time", start)
		}
	}
	if *tipTime < *firstTime {
		return usagef("--tip-time %d is before the epoch's first block time %d", *tipTime, *firstTime)
	}
	pr, err := hashprice.ProjectRetarget(hashprice.RetargetInputs{EpochStartHeight: start, EpochFirstTimeUnix: *firstTime, TipHeight: *tipHeight, TipTimeUnix: *tipTime, Confidence: *conf, Params: p})
	if err != nil {
		return usagef("%v", err)
	}
	out := struct {
		hashprice.Projection
		CurrentBits  string `json:"current_bits,omitempty"`
		ExpectedDate string `json:"expected_date"`
		EarliestDate string `json:"earliest_date"`
		LatestDate   string `json:"latest_date"`
		NextHalving  int64  `json:"next_halving_height"`
	}{Projection: pr, ExpectedDate: unixDate(pr.ExpectedRetargetUnix), EarliestDate: unixDate(pr.EarliestUnix), LatestDate: unixDate(pr.LatestUnix), NextHalving: consensus.NextHalvingHeight(*tipHeight, p)}
	if bits != 0 {
		out.CurrentBits = fmt.Sprintf("0x%08x", bits)
	}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "epoch\t%s..%s (tip %s, %s blocks to go)\n", commas(start), commas(start+interval-1), commas(*tipHeight), commas(pr.BlocksRemaining))
	fmt.Fprintf(w, "mean block interval\t%.1f s (target %d s)\n", pr.MeanIntervalSec, p.TargetSpacingSec)
	fmt.Fprintf(w, "expected change\t%+.2f%% (%.0f%% interval %+.2f%% .. %+.2f%%)\n", 100*pr.ExpectedChange, 100*pr.Confidence, 100*pr.LowChange, 100*pr.HighChange)
	fmt.Fprintf(w, "retarget at height\t%s\n", commas(pr.RetargetHeight))
	fmt.Fprintf(w, "expected date\t%s (between %s and %s)\n", out.ExpectedDate, out.EarliestDate, out.LatestDate)
	return w.Flush()
}

func unixDate(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02 15:04 UTC") }

func runHalving(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "halving", "halving [market flags] [--block-interval 600] [--json]")
	m := addMarketFlags(fs)
	interval := fs.Float64("block-interval", 600, "assumed mean seconds per block until the halving")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if !(*interval > 0) {
		return usagef("--block-interval %v is out of range (allowed: > 0 seconds)", *interval)
	}
	in, _, source, err := m.compute()
	if err != nil {
		return err
	}
	out, err := hashprice.NextHalving(in)
	if err != nil {
		return err
	}
	asOf := snapshot.Default().AsOf
	if source == "flags" {
		asOf = time.Time{}
	}
	if !asOf.IsZero() {
		out.ExpectedDate = asOf.Add(time.Duration(float64(out.BlocksToGo)**interval) * time.Second).UTC().Format("2006-01-02")
	}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "next halving\theight %s, %s blocks from %s", commas(out.Height), commas(out.BlocksToGo), commas(in.Height))
	if out.ExpectedDate != "" {
		fmt.Fprintf(w, " (expected %s at %.0f s/block)", out.ExpectedDate, *interval)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "subsidy\t%.8g -> %.8g BTC\n", consensus.Sats(out.SubsidyBeforeSats).BTC(), consensus.Sats(out.SubsidyAfterSats).BTC())
	fmt.Fprintf(w, "hashprice\t%s -> %s /PH/day (%s)\n", usd(out.HashpriceNow), usd(out.HashpriceAfter), out.Assumption)
	for _, b := range out.Breakeven {
		fmt.Fprintf(w, "breakeven at %.1f J/TH\t$%.4f -> $%.4f /kWh\n", b.JoulesPerTH, b.NowUSDPerKWh, b.AfterUSDPerKWh)
	}
	keep := "n/a (no reward after the halving)"
	if out.PriceToKeepHashUSD != nil {
		keep = usd(*out.PriceToKeepHashUSD)
	}
	fmt.Fprintf(w, "BTC price to keep hashprice\t%s\n", keep)
	return w.Flush()
}
