package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/security"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/source/mempool"
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
		if len(args) == 0 {
			return usagef("a subcommand is required (run 'hashlab security -h')")
		}
		fmt.Fprintln(env.Stdout, "Usage: hashlab "+securityUsage)
		return errHelp
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "double-spend":
		return secDoubleSpend(env, rest)
	case "confirmations":
		return secConfirmations(env, rest)
	case "selfish":
		return secSelfish(ctx, env, rest)
	case "attack-cost":
		return secAttackCost(ctx, env, rest)
	case "concentration":
		return secConcentration(ctx, env, rest)
	case "report":
		return secReport(ctx, env, rest)
	}
	return usagef("unknown subcommand %q (allowed: double-spend, confirmations, selfish, attack-cost, concentration, report)", sub)
}

// parseZList reads "6", "0-10" or "1,2,6" (service.ParseZList: the API's
// rule) for the --z flag.
func parseZList(s string) ([]int, error) {
	z, err := service.ParseZList("z", s)
	return z, cliErr(err)
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
	res, err := service.New(nil, env.Now).DoubleSpend(*q, list, m)
	if err != nil {
		return cliErr(err)
	}
	if *asJSON {
		return writeJSON(env.Stdout, res)
	}
	fmt.Fprintf(env.Stdout, "Double-spend success probability, attacker share q=%g, method %s\n", *q, m)
	w := newTable(env.Stdout)
	fmt.Fprintln(w, "z\tP")
	for _, e := range res.Entries {
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
	c, err := service.New(nil, env.Now).Confirmations(*q, *risk, m)
	if err != nil {
		return cliErr(err)
	}
	if *asJSON {
		return writeJSON(env.Stdout, c)
	}
	fmt.Fprintf(env.Stdout, "%d confirmations keep the double-spend risk below %g against q=%g (P=%.3g, method %s; about %.0f minutes)\n", c.Z, c.Risk, c.Q, c.P, c.Method, c.Minutes)
	return nil
}

func secSelfish(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "security selfish", "security selfish --alpha A --gamma G [--accuracy 1e-4] [--best-effort] [--json] | --threshold --gamma G [--tolerance 1e-5]")
	alpha := fs.Float64("alpha", 1.0/3, "attacker's share of hashrate, 0 <= alpha < 0.5")
	gamma := fs.Float64("gamma", 0, "share of honest miners that mine on the attacker's block in a tie, 0..1")
	acc := fs.Float64("accuracy", security.DefaultSelfishAccuracy, "largest accepted width (upper - lower) of the proven bracket on the optimal revenue, "+security.SelfishAccuracyAllowed)
	bestEffort := fs.Bool("best-effort", false, "print the bracket reached when the accuracy cannot be met within the solver's limits (exit 0, with a warning) instead of failing")
	threshold := fs.Bool("threshold", false, "find the smallest profitable alpha for gamma instead")
	tol := fs.Float64("tolerance", 1e-5, "width of the threshold's bracket on alpha, 1e-7 to 0.01 (with --threshold)")
	asJSON := fs.Bool("json", false, "print JSON (fields honest, sm1, optimal, lower, upper, error_bound, converged)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *threshold {
		sm1, err := security.SM1Threshold(*gamma)
		if err != nil {
			return asFlag(fs, cliErr(err), selfishFlags)
		}
		opt, err := security.OptimalThreshold(ctx, *gamma, *tol, security.DefaultSelfishLimits())
		if err != nil {
			return asFlag(fs, cliErr(err), selfishFlags)
		}
		if !opt.Converged && !*bestEffort {
			return fmt.Errorf("security selfish: the optimal threshold's revenue solves did not all converge (bracket [%.6f, %.6f]); rerun with --best-effort to accept it", opt.Lower, opt.Upper)
		}
		if *asJSON {
			return writeJSON(env.Stdout, struct {
				security.SelfishThreshold
				SM1  float64 `json:"sm1_threshold"`
				Note string  `json:"note"`
			}{opt, sm1, "sm1 is Eyal-Sirer's closed form (1-γ)/(3-2γ); optimal is the smallest α at which the optimal MDP strategy beats honest mining, bracketed by bisection on α with proven revenue bounds"})
		}
		fmt.Fprintf(env.Stdout, "γ=%g: SM1 profitable above α=%.4f (Eyal–Sirer), the optimal policy above α=%.5f (MDP, in [%.6f, %.6f])\n", *gamma, sm1, opt.Alpha, opt.Lower, opt.Upper)
		return nil
	}
	if err := security.ValidSelfishAccuracy(*acc); err != nil {
		return asFlag(fs, cliErr(err), selfishFlags)
	}
	c, err := security.CompareSelfish(ctx, *alpha, *gamma, *acc)
	if err != nil {
		return asFlag(fs, cliErr(err), selfishFlags)
	}
	if !c.Converged {
		msg := fmt.Sprintf("the optimal revenue is only known to lie in [%.6f, %.6f] (error bound %.2g > accuracy %g at the solver's limit, truncation %d)", c.Lower, c.Upper, c.ErrorBound, c.Accuracy, c.Truncation)
		if !*bestEffort {
			return fmt.Errorf("security selfish: %s; rerun with --best-effort to print it anyway or ask for a coarser --accuracy", msg)
		}
		fmt.Fprintln(env.Stderr, "warning: "+msg)
	}
	if *asJSON {
		return writeJSON(env.Stdout, c)
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "relative revenue at α=%g, γ=%g\t\n", c.Alpha, c.Gamma)
	fmt.Fprintf(w, "  honest mining\t%.5f\n", c.Honest)
	fmt.Fprintf(w, "  SM1 (Eyal–Sirer)\t%.5f\n", c.SM1)
	fmt.Fprintf(w, "  optimal policy (MDP)\t%.5f  (proven in [%.6f, %.6f], error bound %.1g, truncation %d)\n", c.Optimal, c.Lower, c.Upper, c.ErrorBound, c.Truncation)
	return w.Flush()
}

func secAttackCost(ctx context.Context, env *Env, args []string) error {
	def := security.DefaultAttackInputs(0, 0)
	fs := newFlags(env, "security attack-cost", "security attack-cost [--source S] [--network-ehs N] [--exodus F] [--z 1,2,3,6] [price flags] [--json]")
	source := addSourceFlag(fs)
	netEH := fs.Float64("network-ehs", 0, "network hashrate before the exodus, EH/s (default: implied by the source's difficulty)")
	exodus := fs.Float64("exodus", 0, "fraction of hashrate that left for AI, 0 <= f < 1")
	share := fs.Float64("share", def.TargetShare, "attacker's target share of hashrate")
	zs := fs.String("z", service.DefaultAttackZ, "confirmation depths")
	hpf := fs.Float64("hashprice", 0, "hashprice USD/PH/day (sets the rental price; default: the source's)")
	power := fs.Float64("power-price", def.PowerUSDPerKWh, "attacker's power price, USD/kWh")
	newTH := fs.Float64("new-usd-per-th", def.NewUSDPerTH, "price of new S21-class machines, USD per TH/s")
	rentMult := fs.Float64("rent-premium", service.DefaultRentPremium, "rental price as a multiple of hashprice")
	depth := fs.Float64("rent-depth-ehs", def.RentDepthHs/1e18, "hashrate the rental market can supply, EH/s")
	idleTH := fs.Float64("idle-usd-per-th", def.IdleUSDPerTH, "price of second-hand idled machines, USD per TH/s")
	idleAvail := fs.Float64("idle-available", def.IdleAvailableFraction, "fraction of the exodus hashrate for sale")
	budget := fs.Float64("budget-hours", def.TimeBudgetHours, "attacker's time budget in hours (P(success within) is reported)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	list, err := parseZList(*zs)
	if err != nil {
		return err
	}
	q := service.AttackQuery{ExodusFraction: *exodus, TargetShare: share, PowerUSDPerKWh: power, NewUSDPerTH: newTH, RentPremium: rentMult,
		IdleUSDPerTH: idleTH, IdleAvailableFraction: idleAvail, TimeBudgetHours: budget, Z: list}
	if flagWasSet(fs, "network-ehs") {
		v := *netEH * 1e18
		q.NetworkHs = &v
	}
	if flagWasSet(fs, "hashprice") {
		q.HashpriceUSDPerPHDay = hpf
	}
	d := *depth * 1e18
	q.RentDepthHs = &d
	svc, err := openService(env, source)
	if err != nil {
		return err
	}
	res, err := svc.AttackCost(ctx, q)
	if err != nil {
		return cliErr(err)
	}
	noteFreshness(env, res.Freshness)
	if *asJSON {
		return writeJSON(env.Stdout, res)
	}
	out := res.Results
	c0 := out[0]
	fmt.Fprintf(env.Stdout, "Network state: %s\n", res.Label())
	fmt.Fprintf(env.Stdout, "Honest hashrate %s after a %.0f%% exodus; the attacker needs %s for a %.0f%% share.\n\n", siHashrate(c0.HonestHs), 100**exodus, siHashrate(c0.AttackerHs), 100**share)
	w := newTable(env.Stdout)
	fmt.Fprintln(w, "SOURCE\tFEASIBLE\tCAPEX\tPER HOUR\tDEPLOY\tAVAILABLE")
	for _, s := range c0.Sources {
		feas := "yes"
		if !s.Feasible {
			feas = "no (short " + siHashrate(s.ShortfallHs) + ")"
		}
		avail, capex, perHour := "unlimited", usd0(s.CapexUSD), usd0(s.PerHourUSD)
		if !s.Unlimited {
			avail = siHashrate(float64(s.AvailableHs))
			if !(s.AvailableHs > 0) {
				// Nothing to buy or rent: no capex or running cost.
				capex, perHour = "n/a", "n/a"
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.0f days\t%s\n", s.Source, feas, capex, perHour, s.DeployDays, avail)
	}
	w.Flush()
	fmt.Fprintln(env.Stdout)
	w = newTable(env.Stdout)
	fmt.Fprintf(w, "Z\tMEAN DURATION\tP50\tP90\tP(WIN)\tP(WIN IN %.0f h)\tCHEAPEST\tATTACK COST\tLARGEST SAFE PAYMENT\n", *budget)
	for _, c := range out {
		fmt.Fprintf(w, "%d\t%.1f h\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Z, c.DurationHours, hoursOpt(c.Duration.P50Hours), hoursOpt(c.Duration.P90Hours),
			pct(c.Duration.PSuccess), pctOpt(c.Duration.PSuccessWithinBudget), c.CheapestSource, usd0(c.CheapestUSD), usdOpt(c.MaxSafeValueUSD))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nDuration: the exact double-spend race (%s). Running costs are paid over the mean duration.\n", security.RaceConvention)
	return nil
}

// parseShares reads "a=0.3,b=0.2" or a file with name,share lines (CSV) or
// a JSON object {"name": share}.
func parseShares(spec string) ([]security.Share, error) {
	text := spec
	if !strings.Contains(spec, "=") {
		b, err := readInput("--shares", spec)
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
	fs := newFlags(env, "security concentration", `security concentration --shares "foundry=0.30,antpool=0.18,..." | --shares FILE | --db FILE | --source db|mempool [--window 1w | --from DATE --to DATE] [--json]`)
	spec := fs.String("shares", "", `entity shares: "name=share,..." or a CSV (name,share) / JSON object file; any scale, normalised`)
	var cf ConfigFlags
	fs.StringVar(&cf.Source, "source", "", "take the pool shares now from: db (the chain store, as --db) or mempool (its pools over --window: "+strings.Join(mempool.PoolPeriods, ", ")+")")
	fs.StringVar(&cf.MempoolURL, "mempool-url", "", "with --source mempool: the API root (env "+envMempoolURL+"; default "+mempool.DefaultBaseURL+")")
	asJSON := fs.Bool("json", false, "print JSON")
	includeUnknown := fs.Bool("include-unknown", false, "count the unknown and other buckets as one entity each (default: reported apart, not entities)")
	by := fs.String("by", "pool", "pool: one entity per pool name; template: pools known to mine on one block template as one entity (sources in docs/pool.md)")
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
	var fromSource *mempool.PoolShares
	if cf.Source != "" {
		if *spec != "" {
			return usagef("--shares and --source: choose one")
		}
		switch cf.Source {
		case "db":
			if !fromDB {
				cfg, err := LoadConfig(env, ConfigFlags{})
				if err != nil {
					return cliErr(err)
				}
				*df.db = cfg.DB
				fromDB = true
			}
		case "mempool":
			if fromDB {
				return usagef("--db and --source mempool: choose one")
			}
			cfg, err := LoadConfig(env, cf)
			if err != nil {
				return cliErr(err)
			}
			m, err := mempool.New(mempool.Config{BaseURL: cfg.MempoolURL, NoPrice: true})
			if err != nil {
				return cliErr(err)
			}
			window := *pf.window
			if fromSource, err = m.PoolShares(ctx, window); err != nil {
				return cliErr(err)
			}
			for _, p := range fromSource.Pools {
				shares = append(shares, security.Share{Name: p.Name, Share: float64(p.Blocks) / float64(fromSource.Blocks)})
			}
			if !*asJSON {
				fmt.Fprintf(env.Stdout, "Pool shares of %s blocks over the last %s (mempool %s, as of %s)\n", commas(fromSource.Blocks), window,
					fromSource.Detail, fromSource.AsOf.UTC().Format("2006-01-02 15:04 UTC"))
			}
		default:
			return hashlab.Invalid("--source", cf.Source, "db or mempool (the embedded snapshot and a node hold no pool shares)")
		}
	}
	switch {
	case fromSource != nil:
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
		return usagef("--shares, --db or --source is required")
	}
	if *by != "pool" && *by != "template" {
		return hashlab.Invalid("--by", *by, "pool or template")
	}
	if *by == "template" {
		tc, err := service.New(nil, env.Now).ConcentrationByTemplate(shares, security.ConcentrationOptions{IncludeUnknown: *includeUnknown})
		if err != nil {
			return cliErr(err)
		}
		if *asJSON {
			return writeJSON(env.Stdout, tc)
		}
		for _, g := range tc.Groups {
			fmt.Fprintf(env.Stdout, "template group %s (%.1f%%): %s (as of %s; docs/pool.md)\n", g.Group, 100*g.Share, strings.Join(g.Pools, ", "), g.AsOf)
		}
		return renderConcentration(env, tc.ConcentrationReport)
	}
	rp, err := service.New(nil, env.Now).Concentration(shares, security.ConcentrationOptions{IncludeUnknown: *includeUnknown})
	if err != nil {
		return cliErr(err)
	}
	r := *rp
	if *asJSON {
		if fromSource != nil {
			return writeJSON(env.Stdout, struct {
				security.ConcentrationReport
				PoolShares *mempool.PoolShares `json:"pool_shares"`
			}{r, fromSource})
		}
		return writeJSON(env.Stdout, r)
	}
	return renderConcentration(env, r)
}

// renderConcentration prints a concentration report as a table.
func renderConcentration(env *Env, r security.ConcentrationReport) error {
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "entities\t%d\n", r.Entities)
	if len(r.Unattributed) > 0 {
		names := make([]string, len(r.Unattributed))
		for i, u := range r.Unattributed {
			names[i] = u.Name
		}
		how := "not counted as entities"
		if r.IncludeUnknown {
			how = "each counted as one entity: --include-unknown"
		}
		fmt.Fprintf(w, "unattributed\t%.1f%% (%s; %s)\n", 100*r.UnattributedShare, strings.Join(names, ", "), how)
	}
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

// hoursOpt prints hours, or "n/a" when the value is undefined.
func hoursOpt(h *float64) string {
	if h == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f h", *h)
}

// pctOpt prints a percentage, or "n/a" when the value is undefined.
func pctOpt(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return pct(*p)
}

// selfishFlags maps security's selfish-mining input fields to the flags.
var selfishFlags = map[string]string{
	"alpha (attacker hashrate share)":                                           "alpha",
	"gamma (share of honest miners that mine on the attacker's block in a tie)": "gamma",
	"accuracy": "accuracy",
}
