package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab/hashprice"
	"github.com/hashlab/hashlab/security"
)

func init() {
	register(command{Name: "security", Summary: "double-spend risk, confirmations, attack cost, selfish mining, concentration", Run: runSecurity})
}

const securityUsage = `security <subcommand> [flags]

Subcommands:
  double-spend   probability an attacker with share q catches up from z confirmations
  confirmations  confirmations needed for a target risk
  selfish        selfish-mining revenue (honest, Eyal-Sirer SM1, optimal MDP policy) or --threshold
  attack-cost    cost of a majority double spend by buying, renting or re-activating idle machines
  concentration  HHI, Nakamoto coefficient, cartel and censorship probabilities from shares
  report         every metric above as Monte Carlo bands over a simulator scenario (hashlab sim)`

func runSecurity(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.Stderr, "Usage: hashlab "+securityUsage)
		if len(args) == 0 {
			return usagef("a subcommand is required")
		}
		return errHelp
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "double-spend":
		return secDoubleSpend(env, rest)
	case "confirmations":
		return secConfirmations(env, rest)
	case "selfish":
		return secSelfish(env, rest)
	case "attack-cost":
		return secAttackCost(env, rest)
	case "concentration":
		return secConcentration(ctx, env, rest)
	case "report":
		return secReport(ctx, env, rest)
	}
	return usagef("unknown subcommand %q (allowed: double-spend, confirmations, selfish, attack-cost, concentration, report)", sub)
}

// parseZList reads "6", "0-10" or "1,2,6".
func parseZList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if a, b, ok := strings.Cut(part, "-"); ok {
			lo, err1 := strconv.Atoi(a)
			hi, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi-lo > 100000 {
				return nil, usagef("--z %q: bad range %q (allowed: a-b with 0 <= a <= b)", s, part)
			}
			for z := lo; z <= hi; z++ {
				out = append(out, z)
			}
			continue
		}
		z, err := strconv.Atoi(part)
		if err != nil || z < 0 {
			return nil, usagef("--z %q: %q is not a non-negative integer", s, part)
		}
		out = append(out, z)
	}
	return out, nil
}

func secMethod(s string) (security.Method, error) {
	m, err := security.ParseMethod(s)
	if err != nil {
		return "", usagef("--method %q is unknown (allowed: nakamoto, exact)", s)
	}
	return m, nil
}

func secDoubleSpend(env *Env, args []string) error {
	fs := newFlags(env, "security double-spend", "security double-spend --q Q --z 0-10 [--method nakamoto|exact] [--json]")
	q := fs.Float64("q", 0.1, "attacker's share of hashrate, 0 <= q < 1")
	zs := fs.String("z", "0-10", "confirmations: a number, a range a-b, or a comma list")
	method := fs.String("method", "exact", "nakamoto (whitepaper §11) or exact (Grunspan & Pérez-Marco)")
	asJSON := fs.Bool("json", false, "print JSON: one entry per z with z and p")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := secMethod(*method)
	if err != nil {
		return err
	}
	list, err := parseZList(*zs)
	if err != nil {
		return err
	}
	type entry struct {
		Z int     `json:"z"`
		P float64 `json:"p"`
	}
	out := make([]entry, 0, len(list))
	for _, z := range list {
		p, err := security.DoubleSpendProbability(*q, z, m)
		if err != nil {
			return usagef("%v", err)
		}
		out = append(out, entry{z, p})
	}
	if *asJSON {
		return writeJSON(env.Stdout, out)
	}
	fmt.Fprintf(env.Stdout, "Double-spend success probability, attacker share q=%g, method %s\n", *q, m)
	w := newTable(env.Stdout)
	fmt.Fprintln(w, "z\tP")
	for _, e := range out {
		fmt.Fprintf(w, "%d\t%.7f\n", e.Z, e.P)
	}
	return w.Flush()
}

func secConfirmations(env *Env, args []string) error {
	fs := newFlags(env, "security confirmations", "security confirmations --q Q --risk R [--method nakamoto|exact] [--json]")
	q := fs.Float64("q", 0.1, "attacker's share of hashrate, 0 <= q < 0.5")
	risk := fs.Float64("risk", 0.001, "acceptable success probability, 0 < risk < 1")
	method := fs.String("method", "exact", "nakamoto or exact")
	asJSON := fs.Bool("json", false, "print JSON (field z)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := secMethod(*method)
	if err != nil {
		return err
	}
	z, err := security.ConfirmationsFor(*q, *risk, m)
	if err != nil {
		return usagef("%v", err)
	}
	p, _ := security.DoubleSpendProbability(*q, z, m)
	if *asJSON {
		return writeJSON(env.Stdout, struct {
			Q      float64 `json:"q"`
			Risk   float64 `json:"risk"`
			Method string  `json:"method"`
			Z      int     `json:"z"`
			P      float64 `json:"p"`
		}{*q, *risk, string(m), z, p})
	}
	fmt.Fprintf(env.Stdout, "%d confirmations keep the double-spend risk below %g against q=%g (P=%.3g, method %s)\n", z, *risk, *q, p, m)
	return nil
}

func secSelfish(env *Env, args []string) error {
	fs := newFlags(env, "security selfish", "security selfish --alpha A --gamma G [--accuracy 1e-4] [--json] | --threshold --gamma G")
	alpha := fs.Float64("alpha", 1.0/3, "attacker's share of hashrate, 0 <= alpha < 0.5")
	gamma := fs.Float64("gamma", 0, "share of honest miners that mine on the attacker's block in a tie, 0..1")
	acc := fs.Float64("accuracy", 1e-4, "target accuracy of the optimal revenue (grows the MDP truncation until met)")
	threshold := fs.Bool("threshold", false, "find the smallest profitable alpha for gamma instead")
	asJSON := fs.Bool("json", false, "print JSON (fields honest, sm1, optimal)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *threshold {
		sm1, err := security.SM1Threshold(*gamma)
		if err != nil {
			return usagef("%v", err)
		}
		opt, err := security.OptimalThreshold(*gamma, security.DefaultTruncation, 1e-3)
		if err != nil {
			return usagef("%v", err)
		}
		if *asJSON {
			return writeJSON(env.Stdout, struct {
				Gamma   float64 `json:"gamma"`
				SM1     float64 `json:"sm1_threshold"`
				Optimal float64 `json:"optimal_threshold"`
				Note    string  `json:"note"`
			}{*gamma, sm1, opt, "sm1 is Eyal-Sirer's closed form (1-γ)/(3-2γ); optimal is found numerically by bisection on α (±0.001) over the MDP"})
		}
		fmt.Fprintf(env.Stdout, "γ=%g: SM1 profitable above α=%.4f (Eyal–Sirer), the optimal policy above α≈%.3f (MDP, ±0.001)\n", *gamma, sm1, opt)
		return nil
	}
	c, err := security.CompareSelfish(*alpha, *gamma, *acc)
	if err != nil {
		return usagef("%v", err)
	}
	if *asJSON {
		return writeJSON(env.Stdout, c)
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "relative revenue at α=%g, γ=%g\t\n", c.Alpha, c.Gamma)
	fmt.Fprintf(w, "  honest mining\t%.5f\n", c.Honest)
	fmt.Fprintf(w, "  SM1 (Eyal–Sirer)\t%.5f\n", c.SM1)
	fmt.Fprintf(w, "  optimal policy (MDP)\t%.5f  (truncation %d, est. error %.1g)\n", c.Optimal, c.Truncation, c.TruncationError)
	return w.Flush()
}

// defaultNetworkHashrateHs comes from the embedded snapshot's difficulty.
func secSnapshotHashrate() (float64, float64) {
	in, _, _ := (&marketFlags{height: 0}).snapshotInputs()
	r, _ := hashprice.Compute(in)
	return r.NetworkHashrateHs, r.USDPerPHDay
}

func secAttackCost(env *Env, args []string) error {
	netHs, hp := secSnapshotHashrate()
	def := security.DefaultAttackInputs(netHs, hp)
	fs := newFlags(env, "security attack-cost", "security attack-cost [--network-ehs N] [--exodus F] [--z 1,2,3,6] [price flags] [--json]")
	netEH := fs.Float64("network-ehs", netHs/1e18, "network hashrate before the exodus, EH/s (default: implied by the snapshot difficulty)")
	exodus := fs.Float64("exodus", 0, "fraction of hashrate that left for AI, 0 <= f < 1")
	share := fs.Float64("share", def.TargetShare, "attacker's target share of hashrate")
	zs := fs.String("z", "1,2,3,6,12,24", "confirmation depths")
	hpf := fs.Float64("hashprice", hp, "hashprice USD/PH/day (sets the rental price default)")
	power := fs.Float64("power-price", def.PowerUSDPerKWh, "attacker's power price, USD/kWh")
	newTH := fs.Float64("new-usd-per-th", def.NewUSDPerTH, "price of new S21-class machines, USD per TH/s")
	rentMult := fs.Float64("rent-premium", 1.1, "rental price as a multiple of hashprice")
	depth := fs.Float64("rent-depth-ehs", def.RentDepthHs/1e18, "hashrate the rental market can supply, EH/s")
	idleTH := fs.Float64("idle-usd-per-th", def.IdleUSDPerTH, "price of second-hand idled machines, USD per TH/s")
	idleAvail := fs.Float64("idle-available", def.IdleAvailableFraction, "fraction of the exodus hashrate for sale")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	list, err := parseZList(*zs)
	if err != nil {
		return err
	}
	in := def
	in.NetworkHashrateHs, in.ExodusFraction, in.TargetShare = *netEH*1e18, *exodus, *share
	in.HashpriceUSDPerPHDay, in.PowerUSDPerKWh, in.NewUSDPerTH = *hpf, *power, *newTH
	in.RentUSDPerPHDay, in.RentDepthHs = *rentMult**hpf, *depth*1e18
	in.IdleUSDPerTH, in.IdleAvailableFraction = *idleTH, *idleAvail
	var out []security.AttackCost
	for _, z := range list {
		c, err := security.AttackCostFor(in, z)
		if err != nil {
			return usagef("%v", err)
		}
		out = append(out, c)
	}
	if *asJSON {
		return writeJSON(env.Stdout, struct {
			Inputs  security.AttackInputs `json:"inputs"`
			Results []security.AttackCost `json:"results"`
		}{in, out})
	}
	c0 := out[0]
	fmt.Fprintf(env.Stdout, "Honest hashrate %s after a %.0f%% exodus; the attacker needs %s for a %.0f%% share.\n\n", siHashrate(c0.HonestHs), 100**exodus, siHashrate(c0.AttackerHs), 100**share)
	w := newTable(env.Stdout)
	fmt.Fprintln(w, "SOURCE\tFEASIBLE\tCAPEX\tPER HOUR\tDEPLOY\tAVAILABLE")
	for _, s := range c0.Sources {
		feas := "yes"
		if !s.Feasible {
			feas = "no (short " + siHashrate(s.ShortfallHs) + ")"
		}
		avail := "unlimited"
		if s.Source != "buy-new" {
			avail = siHashrate(s.AvailableHs)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.0f days\t%s\n", s.Source, feas, usd0(s.CapexUSD), usd0(s.PerHourUSD), s.DeployDays, avail)
	}
	w.Flush()
	fmt.Fprintln(env.Stdout)
	w = newTable(env.Stdout)
	fmt.Fprintln(w, "Z\tDURATION\tCHEAPEST\tATTACK COST\tLARGEST SAFE PAYMENT")
	for _, c := range out {
		fmt.Fprintf(w, "%d\t%.1f h\t%s\t%s\t%s\n", c.Z, c.DurationHours, c.CheapestSource, usd0(c.CheapestUSD), usdOpt(c.MaxSafeValueUSD))
	}
	return w.Flush()
}

// parseShares reads "a=0.3,b=0.2" or a file with name,share lines (CSV) or
// a JSON object {"name": share}.
func parseShares(spec string) ([]security.Share, error) {
	text := spec
	if !strings.Contains(spec, "=") {
		b, err := os.ReadFile(spec)
		if err != nil {
			return nil, err
		}
		text = string(b)
	}
	var out []security.Share
	if strings.HasPrefix(strings.TrimSpace(text), "{") {
		var m map[string]float64
		if err := jsonUnmarshal([]byte(text), &m); err != nil {
			return nil, usagef("--shares %s: %v", spec, err)
		}
		for k, v := range m {
			out = append(out, security.Share{Name: k, Share: v})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	sep := ","
	lines := strings.Split(text, "\n")
	if strings.Contains(spec, "=") {
		lines = strings.Split(text, ",")
		sep = "="
	}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, val, ok := strings.Cut(line, sep)
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || err != nil {
			if i == 0 && sep == "," { // header row
				continue
			}
			return nil, usagef("--shares: entry %d %q is not name%sshare", i+1, line, sep)
		}
		out = append(out, security.Share{Name: strings.TrimSpace(name), Share: f})
	}
	return out, nil
}

func secConcentration(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "security concentration", `security concentration --shares "foundry=0.30,antpool=0.18,..." | --shares FILE | --db FILE [--window 1w | --from DATE --to DATE] [--json]`)
	spec := fs.String("shares", "", `entity shares: "name=share,..." or a CSV (name,share) / JSON object file; any scale, normalised`)
	asJSON := fs.Bool("json", false, "print JSON")
	df := &dbFlags{
		db:     fs.String("db", "", "take pool shares from this chain database (blocks per pool; see hashlab pools)"),
		from:   fs.String("from", "", "with --db: first UTC day, YYYY-MM-DD (inclusive)"),
		to:     fs.String("to", "", "with --db: last UTC day, YYYY-MM-DD (inclusive)"),
		asJSON: asJSON,
		asCSV:  new(bool),
	}
	pf := addPoolFlags(fs)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	fromDB := flagWasSet(fs, "db")
	var shares []security.Share
	switch {
	case *spec != "" && fromDB:
		return usagef("--shares and --db: choose one")
	case *spec != "":
		var err error
		if shares, err = parseShares(*spec); err != nil {
			return err
		}
	case fromDB:
		rep, err := pf.report(ctx, env, fs, df)
		if err != nil {
			return err
		}
		for _, p := range rep.Pools {
			shares = append(shares, security.Share{Name: p.Name, Share: p.Share})
		}
		if !*asJSON {
			fmt.Fprintf(env.Stdout, "Pool shares of %s blocks from %s to %s (%s)\n", commas(rep.Blocks),
				time.Unix(rep.From, 0).UTC().Format("2006-01-02 15:04"), time.Unix(rep.To, 0).UTC().Format("2006-01-02 15:04 UTC"), *df.db)
		}
	default:
		return usagef("--shares or --db is required")
	}
	r, err := security.Concentration(shares)
	if err != nil {
		return usagef("%v", err)
	}
	if *asJSON {
		return writeJSON(env.Stdout, r)
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "entities\t%d\n", r.Entities)
	fmt.Fprintf(w, "HHI\t%.0f (0-10,000)\n", r.HHI10000)
	fmt.Fprintf(w, "Nakamoto coefficient\t%d for >50%%, %d for >33%%\n", r.Nakamoto50, r.Nakamoto33)
	fmt.Fprintf(w, "top 1 / 2 / 3 share\t%.1f%% / %.1f%% / %.1f%%\n", 100*r.Top1Share, 100*r.Top2Share, 100*r.Top3Share)
	fmt.Fprintf(w, "P(top 2 mine >50%% of a day's 144 blocks)\t%.3g\n", r.ProbTop2Majority1Day)
	fmt.Fprintf(w, "P(top 3 mine >33%% of a day's 144 blocks)\t%.3g\n", r.ProbTop3Over33Day)
	fmt.Fprintf(w, "P(largest mines 6 in a row within a day)\t%.3g\n", r.ProbTop1Run6Day)
	fmt.Fprintf(w, "censored tx delay, largest censors\tmean %.1f min, p99 %.1f min\n", r.CensorTop1.MeanSec/60, r.CensorTop1.P99Sec/60)
	fmt.Fprintf(w, "censored tx delay, top 3 censor\tmean %.1f min, p99 %.1f min\n", r.CensorTop3.MeanSec/60, r.CensorTop3.P99Sec/60)
	return w.Flush()
}
