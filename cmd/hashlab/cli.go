package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// errHelp is returned when the user asked for -h; exit code 0.
var errHelp = errors.New("help requested")

// newFlags returns a flag set that reports errors instead of exiting.
// Call parseFlags to parse it.
func newFlags(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("hashlab "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: hashlab %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors (exit 2)
// and -h into errHelp (exit 0). Flags may come before or after positional
// arguments; the positional arguments are returned.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, errHelp
			}
			return nil, usagef("%v", err)
		}
		rest = fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if rest[0] == "--" {
			return append(pos, rest[1:]...), nil
		}
		pos = append(pos, rest[0])
		rest = rest[1:]
	}
}

// flagWasSet reports whether the named flag was given on the command line.
func flagWasSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// jsonUnmarshal is json.Unmarshal (kept here so commands share one import).
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// newTable returns a tabwriter for human tables; columns separated by \t.
// Call Flush when done.
func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
}

// progress draws a one-line progress bar on a terminal. On a
// non-terminal it stays silent so that piped output is clean. It is safe
// for concurrent use.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	enabled bool
	label   string
	total   int64
	done    int64
	start   time.Time
	last    time.Time
	now     func() time.Time
}

func newProgress(env *Env, label string, total int64) *progress {
	return &progress{w: env.Stderr, enabled: env.IsTerminal, label: label, total: total, start: env.Now(), now: env.Now}
}

// Add advances the bar by n units.
func (p *progress) Add(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if !p.enabled {
		return
	}
	t := p.now()
	if t.Sub(p.last) < 100*time.Millisecond && p.done < p.total {
		return
	}
	p.last = t
	elapsed := t.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.done) / elapsed
	}
	var b strings.Builder
	if p.total > 0 {
		frac := min(float64(p.done)/float64(p.total), 1)
		const width = 30
		fill := int(frac * width)
		eta := "?"
		if rate > 0 {
			eta = (time.Duration(float64(p.total-p.done)/rate) * time.Second).Round(time.Second).String()
		}
		fmt.Fprintf(&b, "\r%s [%s%s] %d/%d %.0f/s ETA %s ", p.label, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.done, p.total, rate, eta)
	} else {
		fmt.Fprintf(&b, "\r%s %d %.0f/s ", p.label, p.done, rate)
	}
	io.WriteString(p.w, b.String())
}

// SetTotal changes the expected total (e.g. once the node reports its tip).
func (p *progress) SetTotal(total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
}

// Done ends the bar's line.
func (p *progress) Done() {
	if p == nil || !p.enabled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, "\n")
}

// subcommand returns args[0] when it is one of kinds. -h or --help prints
// usage (errHelp); anything else is a usage error naming what was given,
// e.g. `import: what to import is "x" (allowed: headers, blocks, prices)`.
func subcommand(env *Env, cmd, what string, kinds []string, usage string, args []string) (string, error) {
	if len(args) > 0 && slices.Contains(kinds, args[0]) {
		return args[0], nil
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintf(env.Stderr, "Usage: hashlab %s\n", usage)
		return "", errHelp
	}
	got := ""
	if len(args) > 0 {
		got = args[0]
	}
	return "", usagef("%s: what to %s is %q (allowed: %s)\nUsage: hashlab %s", cmd, what, got, strings.Join(kinds, ", "), usage)
}
