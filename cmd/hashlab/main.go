// Command hashlab answers Bitcoin mining-economics and network-security
// questions from one consistent model: exact consensus rules, hashprice,
// miner economics, an agent-based network simulator and security metrics.
//
// Every subcommand lives in its own file and registers itself with
// register() from an init function. main only wires the process: flags,
// standard streams, exit codes.
package main

import (
	"bytes"
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

	"github.com/hashlab/hashlab"
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
	// Return a *hashlab.InputError (or usagef) for bad usage or bad input:
	// exit code 2.
	Run func(ctx context.Context, env *Env, args []string) error
	// Streams marks a command whose standard output must reach the user
	// while it runs (a server, a follower). Every other command's output
	// is held until it returns, so bad input found late prints nothing but
	// the error.
	Streams bool
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

// isUsage reports whether err is (or wraps) a usage error or an input
// error: both exit with code 2.
func isUsage(err error) bool {
	var u *usageErr
	return errors.As(err, &u) || errors.Is(err, hashlab.ErrInput)
}

// interrupted is the cancellation cause main gives the command's context
// when a signal arrives. Code is the exit code: 128 + the signal number
// (130 for SIGINT, 143 for SIGTERM), as shells report it.
type interrupted struct {
	Signal os.Signal
	Code   int
}

func (e *interrupted) Error() string { return "interrupted by " + e.Signal.String() }

func newInterrupted(sig os.Signal) *interrupted {
	code := 130
	if s, ok := sig.(syscall.Signal); ok {
		code = 128 + int(s)
	}
	return &interrupted{Signal: sig, Code: code}
}

// interruptGrace is how long main lets a cancelled command clean up
// (close a database, remove a temporary file) before it exits anyway:
// the CLI must stop within 200 ms of SIGINT or SIGTERM.
const interruptGrace = 50 * time.Millisecond

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	env := &Env{
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Stdin:      os.Stdin,
		IsTerminal: isTerminal(os.Stderr),
		Logger:     slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:        time.Now,
		Getenv:     os.Getenv,
	}
	done := make(chan int, 1)
	go func() { done <- run(ctx, env, os.Args[1:]) }()
	select {
	case code := <-done:
		os.Exit(code)
	case sig := <-sigs:
		in := newInterrupted(sig)
		cancel(in)
		select {
		case <-done: // run saw the cause and returns in.Code
		case <-time.After(interruptGrace):
		case <-sigs: // a second signal: stop now
		}
		fmt.Fprintln(os.Stderr, "hashlab: interrupted")
		os.Exit(in.Code)
	}
}

// run dispatches to a subcommand and maps errors to exit codes:
// 0 success, 1 failure, 2 bad usage or bad input (*hashlab.InputError or
// usagef), 128+n when the context was cancelled by signal n (see
// interrupted). Every error is printed as one line on stderr, prefixed
// "hashlab <command>: ".
func run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		printUsage(env.Stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			if _, ok := commands[args[1]]; ok {
				return run(ctx, env, []string{args[1], "--help"})
			}
		}
		printUsage(env.Stdout)
		return 0
	}
	if args[0] == "version" || args[0] == "--version" {
		fmt.Fprintln(env.Stdout, "hashlab", version)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "hashlab: unknown command %q (allowed: %s; run 'hashlab help')\n", args[0], strings.Join(commandNames(), ", "))
		return 2
	}
	cenv := *env
	var held bytes.Buffer
	if !c.Streams {
		cenv.Stdout = &held
	}
	err := c.Run(ctx, &cenv, args[1:])
	if in := interruptedBy(ctx); in != nil {
		// main prints the one line "hashlab: interrupted"; what the
		// cancelled command printed or returned is dropped.
		return in.Code
	}
	switch {
	case err == nil || errors.Is(err, errHelp):
		_, werr := held.WriteTo(env.Stdout)
		if werr != nil {
			fmt.Fprintf(env.Stderr, "hashlab %s: writing output: %v\n", c.Name, werr)
			return 1
		}
		return 0
	case isUsage(err):
		// Nothing of a refused run reaches stdout.
		fmt.Fprintf(env.Stderr, "hashlab %s: %s\n", c.Name, strings.TrimPrefix(oneLine(err), c.Name+": "))
		return 2
	default:
		held.WriteTo(env.Stdout)
		fmt.Fprintf(env.Stderr, "hashlab %s: %s\n", c.Name, strings.TrimPrefix(oneLine(err), c.Name+": "))
		return 1
	}
}

// interruptedBy returns the signal that cancelled ctx, if one did.
func interruptedBy(ctx context.Context) *interrupted {
	if ctx.Err() == nil {
		return nil
	}
	var in *interrupted
	if errors.As(context.Cause(ctx), &in) {
		return in
	}
	return nil
}

// oneLine prints err on one line: the lines of a multi-line message (a
// joined error, a usage hint) are separated by "; ".
func oneLine(err error) string {
	var parts []string
	for _, l := range strings.Split(strings.TrimSpace(err.Error()), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// commandNames lists the registered commands, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "hashlab: Bitcoin mining economics and network security")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: hashlab <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := commandNames()
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
