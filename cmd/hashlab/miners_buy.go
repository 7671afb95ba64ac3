package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/mining"
	"github.com/hashlab/hashlab/service"
)

// printBuy renders service.Buy as text: one row per model, best ROI
// first, then the price index.
func printBuy(out io.Writer, res *service.Buy) error {
	c := res.Conditions
	fmt.Fprintf(out, "Buying a machine at hashprice %s/PH/day (%s); power $%.4f/kWh, pool fee %.1f%%, uptime %.0f%%\n", usd(res.HashpriceUSDPerPHDay), res.Label(), c.PowerUSDPerKWh, 100*c.PoolFee, 100*c.Uptime)
	curtail := ""
	if res.Curtail {
		curtail = "; curtailed on days of negative margin"
	}
	fmt.Fprintf(out, "Life %g years (%d days); path %s: %s%s\n", res.LifeYears, res.LifeDays, res.Path, res.PathAssumption, curtail)
	if res.Path == "montecarlo" {
		fmt.Fprintf(out, "%d paths, seed %d, from %s\n", res.Paths, *res.Seed, res.StartDate)
	}
	fmt.Fprintln(out)
	w := newTable(out)
	if res.Path == "montecarlo" {
		fmt.Fprintln(w, "MODEL\tJ/TH\t$/TH\tPRICE\tP(PAYBACK IN LIFE)\tPAYBACK DAYS p5/p50/p95\tROI p5/p50/p95\tIRR/yr p50 (NO IRR)\tPRICE FROM")
	} else {
		fmt.Fprintln(w, "MODEL\tJ/TH\t$/TH\tPRICE\tMARGIN/day\tPAYBACK\tROI\tIRR/yr\tPRICE FROM")
	}
	for _, r := range res.Models {
		from := shortPriceSource(r.MachinePriceSource)
		if !r.MachinePriceUSD.Defined() {
			fmt.Fprintf(w, "%s\t%.1f\tn/a\tn/a\tn/a\tn/a\tn/a\tn/a\t%s\n", r.Spec.Name, r.JoulesPerTH, from)
			continue
		}
		if mc := r.MonteCarlo; mc != nil {
			fmt.Fprintf(w, "%s\t%.1f\t%.2f\t%s\t%s\t%s / %s / %s\t%s / %s / %s\t%s\t%s\n", r.Spec.Name, r.JoulesPerTH, float64(r.MachinePriceUSDPerTH), usd0(float64(r.MachinePriceUSD)),
				numPct(mc.ProbPaybackWithinLife), days(mc.PaybackDays.P5), days(mc.PaybackDays.P50), days(mc.PaybackDays.P95),
				numPct(mc.ROI.P5), numPct(mc.ROI.P50), numPct(mc.ROI.P95), irrBand(mc), from)
			continue
		}
		p := r.Purchase
		pay := "never"
		if p.PaybackDays != nil {
			pay = fmt.Sprintf("%d days", *p.PaybackDays)
		}
		fmt.Fprintf(w, "%s\t%.1f\t%.2f\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Spec.Name, r.JoulesPerTH, float64(r.MachinePriceUSDPerTH), usd0(float64(r.MachinePriceUSD)),
			usd(p.FirstDayMarginUSD), pay, pct(p.ROI), numPct(p.IRRAnnual), from)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nPayback: the first day whose cumulative margin covers the price; ROI: (lifetime margin - price) / price; IRR: daily flows (price at day 0, margins at days 1..%d), annualised over 365.25 days, no salvage value.\n", res.LifeDays)
	if res.Path == "montecarlo" {
		fmt.Fprintln(out, "IRR quantiles are over the paths with an IRR (n/a when too few have one); NO IRR is the share of paths where no rate solves it.")
	}
	for _, n := range res.Notes {
		fmt.Fprintf(out, "Note: %s\n", n)
	}
	fmt.Fprintf(out, "\nASIC price index (median USD/TH by efficiency tier over the %d days up to each tier's newest quote; quotes: %s)\n", mining.IndexWindowDays, res.PriceIndex.Source)
	w = newTable(out)
	fmt.Fprintln(w, "TIER J/TH\tQUOTES\tOLDER (LEFT OUT)\tMEDIAN $/TH\tFROM\tTO\tMODELS")
	for _, t := range res.PriceIndex.Tiers {
		med := "n/a"
		if t.MedianUSDPerTH.Defined() {
			med = fmt.Sprintf("%.2f", float64(t.MedianUSDPerTH))
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t%s\n", t.Name, t.Quotes, t.Older, med, dash(t.From), dash(t.To), dash(strings.Join(t.Models, ", ")))
	}
	return w.Flush()
}

// irrBand is the Monte Carlo IRR p50 over the paths with an IRR and the
// share of paths without one.
func irrBand(mc *mining.PurchaseBands) string {
	return fmt.Sprintf("%s (%s)", numPct(mc.IRRAnnual.P50), numPct(mc.IRRUndefinedShare))
}

func shortPriceSource(s string) string {
	switch {
	case strings.HasPrefix(s, "catalogue ("):
		d, _, _ := strings.Cut(strings.TrimPrefix(s, "catalogue ("), ",")
		return "catalogue " + d
	case strings.HasPrefix(s, "price index"):
		t := strings.TrimPrefix(s, "price index: median of tier ")
		t, _, _ = strings.Cut(t, " ")
		return "index tier " + t
	}
	return s
}

func numPct(n hashlab.Num) string {
	if !n.Defined() {
		return "n/a"
	}
	return pct(float64(n))
}

func days(n hashlab.Num) string {
	if !n.Defined() {
		return "never"
	}
	return fmt.Sprintf("%.0f", float64(n))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
