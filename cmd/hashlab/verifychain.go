package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/chain/chainfile"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/snapshot"
)

func init() {
	register(command{Name: "verify-chain", Summary: "verify real header files or an epoch table against the exact consensus rules", Run: runVerifyChain})
}

func runVerifyChain(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "verify-chain", "verify-chain [--headers FILE [--layout contiguous|epoch-boundaries] [--start-height N]] [--epochs FILE] [--json]")
	headers := fs.String("headers", "", "raw concatenated 80-byte headers, plain or gzip")
	layoutName := fs.String("layout", "contiguous", "header file layout: contiguous or epoch-boundaries")
	start := fs.Int64("start-height", 0, "height of the first header (contiguous layout)")
	epochsFile := fs.String("epochs", "", "epoch table CSV (format of difficulty_epochs.csv): verify it, or with --headers, use it for retargets whose epoch starts before the file (default: the embedded table)")
	cwCSV := fs.String("chainwork-csv", "", "CSV with height and chainwork columns to compare cumulative chainwork against")
	baseCW := fs.String("base-chainwork", "", "chainwork (hex) of the block before the first header of a contiguous file")
	netName := fs.String("network", "mainnet", "network: mainnet, testnet3, testnet4, signet, regtest")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	p, err := networkParams(*netName)
	if err != nil {
		return err
	}
	layout, err := parseLayoutFlag(*layoutName)
	if err != nil {
		return err
	}
	if *start < 0 {
		return usagef("--start-height %d is negative (allowed: >= 0)", *start)
	}
	if layout == chain.LayoutEpochBoundaries && flagWasSet(fs, "start-height") && *start != 0 {
		return usagef("--start-height %d: the epoch-boundaries layout always starts at height 0", *start)
	}

	// The embedded table is mainnet's: another network's retargets whose
	// epoch starts before the file are left unchecked unless --epochs
	// gives that network's table.
	var epochs []snapshot.Epoch
	epochsSource := "no epoch table"
	if p == consensus.MainNet {
		epochs, epochsSource = snapshot.Epochs(), "embedded epoch table"
	}
	if *epochsFile != "" {
		f, err := openInput("--epochs", *epochsFile)
		if err != nil {
			return err
		}
		epochs, err = snapshot.ParseEpochs(f)
		f.Close()
		if err != nil {
			return inFile(*epochsFile, err)
		}
		epochsSource = *epochsFile
	}

	if *headers == "" {
		if len(epochs) == 0 {
			return hashlab.Invalid("--epochs", "", "an epoch table of the "+p.Name+" network (the embedded table is mainnet's), or --headers FILE")
		}
		r := chain.VerifyEpochTable(epochs, p)
		if *asJSON {
			if err := writeJSON(env.Stdout, struct {
				Source string `json:"source"`
				chain.EpochTableReport
			}{epochsSource, r}); err != nil {
				return err
			}
		} else {
			w := newTable(env.Stdout)
			fmt.Fprintf(w, "epoch table\t%s\n", epochsSource)
			fmt.Fprintf(w, "epochs\t%d\n", r.Rows)
			fmt.Fprintf(w, "retargets checked\t%d\n", r.Retargets)
			fmt.Fprintf(w, "next_bits links checked\t%d\n", r.Links)
			fmt.Fprintf(w, "mismatches\t%d\n", r.MismatchCount)
			for _, m := range r.Mismatches {
				fmt.Fprintf(w, "  %s\theight %d: %s\n", m.Check, m.Height, m.Detail)
			}
			w.Flush()
		}
		if r.MismatchCount > 0 {
			return fmt.Errorf("%d mismatches in %s; first at height %d: %s", r.MismatchCount, epochsSource, r.Mismatches[0].Height, r.Mismatches[0].Detail)
		}
		return nil
	}

	opt := chain.VerifyOptions{Layout: layout, StartHeight: *start, Epochs: epochs}
	if layout == chain.LayoutEpochBoundaries {
		opt.StartHeight = 0
	}
	if *baseCW != "" {
		v, ok := new(big.Int).SetString(*baseCW, 16)
		if !ok || v.Sign() < 0 {
			return usagef("--base-chainwork %q is not a hex number", *baseCW)
		}
		opt.BaseChainwork = v
	}
	var want map[int64]*big.Int
	if *cwCSV != "" {
		if want, err = readChainworkCSV(*cwCSV); err != nil {
			return err
		}
	}
	f, err := openInput("--headers", *headers)
	if err != nil {
		return err
	}
	defer f.Close()
	var total int64
	if st, err := f.Stat(); err == nil {
		total = st.Size() / consensus.HeaderSize
	}
	hr, err := chainfile.NewHeaderReader(f)
	if err != nil {
		return inFile(*headers, err)
	}
	v := chain.NewVerifier(p, opt)
	bar := newProgress(env, "verifying", total)
	err = v.Run(ctx, hr, func(info chain.HeaderInfo) error {
		if cw, ok := want[info.Height]; ok {
			v.CompareChainwork(info, cw)
		}
		if info.Height%1024 == 0 {
			bar.Add(1024)
		}
		return nil
	})
	bar.Done()
	if err != nil {
		// An empty or truncated file is bad input (exit 2); a read
		// failure is not.
		return inFile(*headers, err)
	}
	r := v.Report()
	if *asJSON {
		if err := writeJSON(env.Stdout, struct {
			File string `json:"file"`
			chain.VerifyReport
		}{*headers, r}); err != nil {
			return err
		}
	} else {
		w := newTable(env.Stdout)
		fmt.Fprintf(w, "file\t%s (%s layout, %s)\n", *headers, r.Layout, r.Network)
		fmt.Fprintf(w, "headers checked\t%d (heights %d..%d; proof of work of every header)\n", r.Headers, r.FirstHeight, r.TipHeight)
		fmt.Fprintf(w, "links checked\t%d\n", r.Links)
		fmt.Fprintf(w, "retargets checked\t%d", r.Retargets)
		if r.RetargetsFromTbl > 0 {
			fmt.Fprintf(w, " (%d using the first-block time from the %s)", r.RetargetsFromTbl, epochsSource)
		}
		if r.RetargetsSkipped > 0 {
			fmt.Fprintf(w, "; %d could not be checked (epoch's first block unknown)", r.RetargetsSkipped)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "in-epoch bits checked\t%d\n", r.BitsUnchanged)
		if r.ChainworkCompared > 0 {
			fmt.Fprintf(w, "chainwork compared\t%d\n", r.ChainworkCompared)
		}
		fmt.Fprintf(w, "mismatches\t%d\n", r.MismatchCount)
		for _, m := range r.Mismatches {
			fmt.Fprintf(w, "  %s\theight %d, byte offset %d: %s\n", m.Check, m.Height, m.Offset, m.Detail)
		}
		fmt.Fprintf(w, "tip height\t%d\n", r.TipHeight)
		fmt.Fprintf(w, "tip hash\t%s\n", r.TipHash)
		rel := ""
		if r.FirstHeight != 0 && opt.BaseChainwork == nil {
			rel = " (relative: work since the block before the first header)"
		}
		fmt.Fprintf(w, "tip chainwork\t%s%s\n", r.TipChainwork, rel)
		w.Flush()
	}
	return v.Err()
}

// readChainworkCSV reads a CSV with "height" and "chainwork" (hex)
// columns. Content errors are input errors naming the file and line.
func readChainworkCSV(path string) (map[int64]*big.Int, error) {
	data, err := readInput("--chainwork-csv", path)
	if err != nil {
		return nil, err
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) == 0 {
		return nil, hashlab.Invalidf(path, "not a CSV with a header row", "a CSV with columns height and chainwork", err)
	}
	hc, cc := -1, -1
	for i, h := range rows[0] {
		switch h {
		case "height":
			hc = i
		case "chainwork":
			cc = i
		}
	}
	if hc < 0 || cc < 0 {
		return nil, hashlab.Invalid("--chainwork-csv "+path+": line 1: header", strings.Join(rows[0], ","), "columns named height and chainwork")
	}
	out := map[int64]*big.Int{}
	for i, r := range rows[1:] {
		h, err := strconv.ParseInt(r[hc], 10, 64)
		if err != nil || h < 0 {
			return nil, hashlab.Invalid(fmt.Sprintf("%s: line %d: height", path, i+2), r[hc], "an integer >= 0")
		}
		cw, ok := new(big.Int).SetString(r[cc], 16)
		if !ok || cw.Sign() < 0 {
			return nil, hashlab.Invalid(fmt.Sprintf("%s: line %d: chainwork", path, i+2), r[cc], "a hex number")
		}
		out[h] = cw
	}
	return out, nil
}
