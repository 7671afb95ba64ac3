package main

import (
	"context"
	"fmt"

	"github.com/hashlab/hashlab/service"
)

func init() {
	register(command{Name: "overview", Summary: "the main job: hashprice now, next adjustment, next halving, which machines still pay", Run: runOverview})
}

// runOverview renders service.Overview: the four sections from one read
// of the state. It is what README's first command runs: from the embedded
// snapshot by default, no node, no network.
func runOverview(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "overview", "overview [market flags] [--power-price USD/kWh] [--json]")
	m := addMarketFlags(fs)
	power := fs.Float64("power-price", service.DefaultPowerUSDPerKWh, "electricity price for the machine table, USD per kWh")
	asJSON := fs.Bool("json", false, "print JSON (the API's /api/v1/overview)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	o, err := m.overrides()
	if err != nil {
		return err
	}
	q := service.OverviewQuery{Market: o, PowerUSDPerKWh: *power, Window: m.source.window}
	if err := service.CheckOverviewQuery(q); err != nil {
		return cliErr(err)
	}
	svc, err := openService(env, m.source)
	if err != nil {
		return err
	}
	ov, err := svc.Overview(ctx, q)
	if err != nil {
		return cliErr(err)
	}
	noteFreshness(env, ov.Freshness)
	if *asJSON {
		return writeJSON(env.Stdout, ov)
	}
	sections := []struct {
		title string
		print func() error
	}{
		{"What 1 PH/s earns now", func() error { return printHashprice(env.Stdout, ov.Hashprice) }},
		{"Next difficulty adjustment", func() error { return printNextAdjustment(env.Stdout, ov.NextAdjustment) }},
		{"Next halving", func() error { return printHalving(env.Stdout, ov.Halving) }},
		{"Which machines still earn their power", func() error { return printMiners(env.Stdout, ov.Miners) }},
	}
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		fmt.Fprintf(env.Stdout, "== %s ==\n", s.title)
		if err := s.print(); err != nil {
			return err
		}
	}
	return nil
}
