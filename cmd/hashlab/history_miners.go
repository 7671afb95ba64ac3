package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/minerflow"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/sim"
)

// runHistoryMiners is `hashlab history miners`: miners' reserves and
// outflow per day and pool, from a database ingested with --miner-flow.
func runHistoryMiners(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "history miners", historyUsage)
	df := addDBFlags(fs, env)
	pool := fs.String("pool", "", "keep one pool's series (its slug, e.g. foundryusa); default: every pool")
	labels := fs.String("labels", "", "labels file: CSV lines address,entity naming addresses you know (exchange deposits, a miner's own wallets)")
	poolsFile := fs.String("pools", "", "pools definition file for the pools' names (default: the embedded list)")
	compareSim := fs.String("compare-sim", "", "also run simulator SCENARIO (a shipped name or a file) and put its 'BTC sold by miners' band beside the measured outflow on the days both cover")
	simPaths := fs.Int("sim-paths", 200, "with --compare-sim: simulator paths")
	simSeed := fs.Uint64("sim-seed", 1, "with --compare-sim: simulator seed")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("history miners takes no arguments, got %q", pos)
	}
	if err := df.check(); err != nil {
		return err
	}
	rg, err := df.rng()
	if err != nil {
		return err
	}
	pools, err := loadPools(*poolsFile)
	if err != nil {
		return err
	}
	// Every flag is checked before the database is opened: --sim-paths
	// and --sim-seed even without --compare-sim.
	var sc *sim.Scenario
	simOpt := sim.Options{Paths: *simPaths, Seed: *simSeed}
	if err := simOpt.Validate(); err != nil {
		return asFlag(fs, err, map[string]string{"paths": "sim-paths", "seed": "sim-seed"})
	}
	if *compareSim != "" {
		if sc, err = loadScenario(*compareSim); err != nil {
			return err
		}
	}
	q := service.MinersFlowQuery{From: rg.From, To: rg.To, Pool: *pool}
	if *labels != "" {
		f, err := os.Open(*labels)
		if err != nil {
			return hashlab.Invalidf("--labels", *labels, "a readable labels file (CSV address,entity)", err)
		}
		q.Labels, err = minerflow.ParseLabels(f)
		f.Close()
		if err != nil {
			return hashlab.InField("--labels "+*labels, err)
		}
	}
	db, _, err := df.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	ans, err := service.MinersFlow(ctx, db, pools.Name, q)
	if ie, ok := hashlab.AsInput(err); ok {
		switch ie.Field {
		case "database":
			// The service names no database: this one is the path.
			ie.Field, ie.Value = "--db", hashlab.FormatValue(dbPath(df, env))
		case "pool":
			ie.Field = "--pool"
		}
		return ie
	}
	if err != nil {
		return err
	}
	if sc != nil {
		res, err := sim.Run(ctx, sc, simOpt)
		if err != nil {
			return fmt.Errorf("--compare-sim %s: %w", *compareSim, err)
		}
		if ans.BesideSim, err = service.MinersBesideSim(ans, res); err != nil {
			return err
		}
	}
	return printMinersFlow(env.Stdout, df, ans)
}

func btcText(sats int64) string { return strconv.FormatFloat(float64(sats)/1e8, 'f', 8, 64) }

func numText(n *hashlab.Num, prec int) string {
	if n == nil {
		return ""
	}
	return ff(float64(*n), prec)
}

func printMinersFlow(w io.Writer, df *dbFlags, a service.MinersFlowAnswer) error {
	if *df.asJSON {
		return writeJSON(w, a)
	}
	series := append([]minerflow.PoolSeries{a.Total}, a.Pools...)
	if *df.asCSV {
		var rows [][]string
		for _, ps := range series {
			for _, d := range ps.Days {
				g := d.BalanceAge
				rows = append(rows, []string{d.Date, ps.Pool, i64(d.MinedSats), i64(d.FromCoinbaseSats), i64(d.ToPayoutSats), i64(d.FromPayoutSats),
					i64(d.OutflowSats), i64(d.BalanceSats), i64(g.Under7), i64(g.D7to30), i64(g.D30to180), i64(g.D180to365), i64(g.Over365),
					numText(d.PriceUSD, 2), numText(d.OutflowUSD, 2), numText(d.OutflowUSDMA365, 2), numText(d.MPI, 4)})
			}
		}
		return writeCSV(w, []string{"date", "pool", "mined_sats", "from_coinbase_sats", "to_payout_sats", "from_payout_sats", "outflow_sats", "balance_sats",
			"balance_0_7d_sats", "balance_7_30d_sats", "balance_30_180d_sats", "balance_180_365d_sats", "balance_365d_plus_sats",
			"price_usd", "outflow_usd", "outflow_usd_ma365", "mpi"}, rows)
	}
	fmt.Fprintf(w, "Miners' coins from height %d (first block scanned) to %d, %s to %s; amounts in BTC\n\n", a.TrackedFromHeight, a.TipHeight, a.FirstDay, a.LastDay)
	t := newTable(w)
	fmt.Fprintln(t, "DATE\tPOOL\tMINED\tOUT OF COINBASE\tTO PAYOUT ADDR\tOUT OF PAYOUT ADDR\tOUTFLOW\tBALANCE\tUNDER 7 DAYS\tOVER 365 DAYS\tOUTFLOW USD\tMPI")
	na := func(s string) string {
		if s == "" {
			return "n/a"
		}
		return s
	}
	for _, ps := range series {
		for _, d := range ps.Days {
			fmt.Fprintf(t, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Date, ps.Name, btcText(d.MinedSats), btcText(d.FromCoinbaseSats), btcText(d.ToPayoutSats),
				btcText(d.FromPayoutSats), btcText(d.OutflowSats), btcText(d.BalanceSats), btcText(d.BalanceAge.Under7), btcText(d.BalanceAge.Over365),
				na(numText(d.OutflowUSD, 2)), na(numText(d.MPI, 3)))
		}
	}
	if err := t.Flush(); err != nil {
		return err
	}
	labelled := map[string]float64{}
	for _, d := range a.Total.Days {
		for e, v := range d.ToLabelled {
			labelled[e] += v
		}
	}
	if len(labelled) > 0 {
		fmt.Fprintln(w, "\nOutflow to labelled addresses (all pools, the range shown):")
		for e, v := range labelled {
			fmt.Fprintf(w, "  %-20s %.8f BTC\n", e, v)
		}
	}
	if b := a.BesideSim; b != nil {
		fmt.Fprintf(w, "\nBeside the simulator (scenario %s, %d paths, seed %d, %s to %s): BTC per day\n", b.Scenario, b.Paths, b.Seed, b.SimFirstDay, b.SimLastDay)
		if len(b.Days) > 0 {
			t := newTable(w)
			fmt.Fprintln(t, "DATE\tMEASURED OUTFLOW\tSIMULATED SOLD p5\tp50\tp95")
			for _, d := range b.Days {
				fmt.Fprintf(t, "%s\t%.8f\t%s\t%s\t%s\n", d.Date, d.MeasuredOutflowBTC, numNA(d.SimSoldBTCP5), numNA(d.SimSoldBTCP50), numNA(d.SimSoldBTCP95))
			}
			if err := t.Flush(); err != nil {
				return err
			}
		}
		fmt.Fprintln(w, b.Note)
	}
	fmt.Fprintln(w, "\nMPI: "+a.MPIDefinition+".")
	fmt.Fprintln(w, "Limits:")
	for _, n := range a.Notes {
		fmt.Fprintln(w, "  - "+n)
	}
	return nil
}

func numNA(n hashlab.Num) string {
	if !n.Defined() {
		return "n/a"
	}
	return ff(float64(n), 4)
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }
