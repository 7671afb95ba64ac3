package main

import (
	"context"
	"fmt"
)

func init() {
	register(command{Name: "overview", Summary: "the main job: hashprice now, next adjustment, next halving, which machines still pay", Run: runOverview})
}

// runOverview chains the foundation commands on the same inputs. It is
// what README's first command runs: everything from the embedded snapshot,
// no node, no network.
func runOverview(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "overview", "overview [--power-price USD/kWh]")
	power := fs.String("power-price", fmt.Sprint(defaultPowerUSDPerKWh), "electricity price for the machine table, USD per kWh")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	sections := []struct {
		title string
		run   func(context.Context, *Env, []string) error
		args  []string
	}{
		{"What 1 PH/s earns today", runHashprice, nil},
		{"Next difficulty adjustment", runNextAdjustment, nil},
		{"Next halving", runHalving, nil},
		{"Which machines still earn their power", runMiners, []string{"--power-price", *power}},
	}
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(env.Stdout)
		}
		fmt.Fprintf(env.Stdout, "== %s ==\n", s.title)
		if err := s.run(ctx, env, s.args); err != nil {
			return err
		}
	}
	return nil
}
