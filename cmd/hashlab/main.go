// Command hashlab answers Bitcoin mining-economics and network-security
// questions from one consistent model: exact consensus rules, hashprice,
// miner economics, an agent-based network simulator and security metrics.
//
// Every subcommand lives in its own file and registers itself with
// register() from an init function. main only wires the process: flags,
// standard streams, exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Env is what a subcommand may touch of the process. Tests build one with
// buffers instead of the real streams.
type Env struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	// IsTerminal reports whether Stderr is a terminal; progress bars are
	// drawn only then.
	IsTerminal bool
	Logger     *slog.Logger
	Now        func() time.Time
	// Getenv reads the environment; only cmd/ reads configuration.
	Getenv func(string) string
}

// command is one subcommand, e.g. "hashprice" or "security".
type command struct {
	Name    string
	Summary string
	// Run executes the subcommand. args excludes the subcommand name.
	// Return usageErr (via usagef) for bad usage: exit code 2.
	Run func(ctx context.Context, env *Env, args []string) error
}

var commands = map[string]command{}

// register adds a subcommand; called from init functions.
func register(c command) {
	if _, dup := commands[c.Name]; dup {
		panic("hashlab: duplicate command " + c.Name)
	}
	commands[c.Name] = c
}

// usageErr marks an error as bad usage (exit code 2).
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

// usagef returns a usage error: the user gave a bad flag or value.
func usagef(format string, args ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, args...)}
}

// isUsage reports whether err is (or wraps) a usage error.
func isUsage(err error) bool {
	var u *usageErr
	return errors.As(err, &u)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	env := &Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Stdin:      os.Stdin,
		IsTerminal: isTerminal(os.Stderr),
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:        time.Now,
		Getenv:     os.Getenv,
	}
	code := run(ctx, env, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and maps errors to exit codes:
// 0 success, 1 failure, 2 bad usage.
func run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(env.Stdout, "hashlab", version)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "hashlab: unknown command %q (run 'hashlab help' for the list)\n", args[0])
		return 2
	}
	err := c.Run(ctx, env, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errHelp):
		return 0
	case isUsage(err):
		fmt.Fprintf(env.Stderr, "hashlab %s: %v\n", c.Name, err)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "hashlab %s: %v\n", c.Name, err)
		return 1
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "hashlab: Bitcoin mining economics and network security")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: hashlab <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].Summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'hashlab <command> -h' for a command's flags. Every command takes --json.")
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0 && !strings.EqualFold(os.Getenv("TERM"), "dumb")
}
