package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hashlab/hashlab"
)

// errHelp is returned when the user asked for -h; exit code 0.
var errHelp = errors.New("help requested")

// flagUsage holds each flag set's usage printer; newFlags fills it and
// parseFlags calls it on -h, writing to stdout. (flag.FlagSet has no slot
// for it: its own Usage is also called on errors, which must not touch
// stdout.)
var flagUsage sync.Map // *flag.FlagSet -> *flagMeta

type flagMeta struct {
	print func()
	usage string
	// maxArgs is how many positional arguments the usage line declares;
	// -1 for any number (a placeholder ending in "...").
	maxArgs int
	// nonFinite names the float flags that accept NaN or ±Inf.
	nonFinite map[string]bool
}

// newFlags returns a flag set that reports errors instead of exiting.
// Call parseFlags to parse it.
//
// The usage line is the contract for positional arguments: an upper-case
// placeholder that does not follow a flag (FILE in "fleet FILE [--json]",
// SCENARIO in "sim run SCENARIO [--paths N]") declares one, a trailing
// "..." (FILE...) any number. parseFlags refuses more arguments than the
// usage line declares, so "hashprice foo" is an error, not ignored.
func newFlags(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("hashlab "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	meta := &flagMeta{usage: usage, maxArgs: declaredArgs(name, usage)}
	meta.print = func() {
		fmt.Fprintf(env.Stdout, "Usage: hashlab %s\n\nFlags:\n", usage)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	flagUsage.Store(fs, meta)
	return fs
}

// allowNonFinite lets the named float flags of fs take NaN and ±Inf, which
// parseFlags refuses by default.
func allowNonFinite(fs *flag.FlagSet, names ...string) {
	m, ok := flagUsage.Load(fs)
	if !ok {
		return
	}
	meta := m.(*flagMeta)
	if meta.nonFinite == nil {
		meta.nonFinite = map[string]bool{}
	}
	for _, n := range names {
		meta.nonFinite[n] = true
	}
}

// placeholder matches a positional placeholder of a usage line: FILE,
// SITE_FILE, FILE..., [FILE], DIR|FILES.
var placeholder = regexp.MustCompile(`^\[?([A-Z][A-Z0-9_]*(\|[A-Z][A-Z0-9_]*)*)(\.\.\.)?\]?$`)

// declaredArgs counts the positional placeholders of the usage lines of
// the command called name (the largest count of any of its lines; -1 for
// "any number"). A usage text shared by several subcommands has one line
// per subcommand, each starting with its name ("import fees --from ...");
// without such a line, every line counts.
func declaredArgs(name, usage string) int {
	lines := strings.Split(usage, "\n")
	var own []string
	for _, line := range lines {
		l := strings.TrimPrefix(strings.TrimSpace(line), "hashlab ")
		if l == name || strings.HasPrefix(l, name+" ") {
			own = append(own, l[len(name):])
		}
	}
	if len(own) > 0 {
		lines = own
	}
	most := 0
	for _, line := range lines {
		n := 0
		prev := ""
		for _, tok := range strings.Fields(line) {
			flagValue := strings.HasPrefix(strings.TrimLeft(prev, "[("), "-")
			prev = tok
			m := placeholder.FindStringSubmatch(tok)
			if m == nil || flagValue {
				continue
			}
			if m[3] != "" {
				return -1
			}
			n++
		}
		most = max(most, n)
	}
	return most
}

// checkedValue wraps a flag's value while parsing: a value that does not
// parse, or a float that is NaN or ±Inf where the command does not allow
// it, becomes a *hashlab.InputError naming the flag.
type checkedValue struct {
	flag.Value
	name      string
	nonFinite bool
	err       *error
}

func (v *checkedValue) Set(s string) error {
	if err := v.Value.Set(s); err != nil {
		if _, ok := hashlab.AsInput(err); ok {
			*v.err = err // a flag.Value that validates says it best
		} else {
			*v.err = hashlab.Invalidf("--"+v.name, s, allowedFor(v.Value), err)
		}
		return *v.err
	}
	if g, ok := v.Value.(flag.Getter); ok && !v.nonFinite {
		if f, ok := g.Get().(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			*v.err = hashlab.Invalid("--"+v.name, f, "a finite number")
			return *v.err
		}
	}
	return nil
}

// checkedBool is checkedValue for boolean flags (which take no argument).
type checkedBool struct{ checkedValue }

func (v *checkedBool) IsBoolFlag() bool { return true }

// allowedFor says what a flag of v's type accepts.
func allowedFor(v flag.Value) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return "see -h"
	}
	switch g.Get().(type) {
	case float64:
		return "a finite number"
	case int, int64:
		return "an integer"
	case uint, uint64:
		return "a non-negative integer"
	case bool:
		return "true or false"
	case time.Duration:
		return "a duration such as 30s, 5m or 1h"
	}
	return "see -h"
}

// parseFlags parses args, turning flag errors into input errors (exit 2)
// and -h or --help into usage on stdout and errHelp (exit 0). Flags may
// come before or after positional arguments; the positional arguments are
// returned, and more of them than the usage line declares (see newFlags)
// are refused. Every float flag is refused NaN and ±Inf unless
// allowNonFinite names it.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	meta := &flagMeta{maxArgs: -1}
	if m, ok := flagUsage.Load(fs); ok {
		meta = m.(*flagMeta)
		defer flagUsage.Delete(fs)
	}
	pos, err := parseChecked(fs, meta, args)
	if errors.Is(err, errHelp) && meta.print != nil {
		meta.print()
	}
	if err != nil {
		return nil, err
	}
	if meta.maxArgs >= 0 && len(pos) > meta.maxArgs {
		extra := pos[meta.maxArgs:]
		if meta.maxArgs == 0 {
			return nil, usagef("unexpected argument %q (%s takes no arguments, only flags; run '%s -h')", extra[0], fs.Name(), fs.Name())
		}
		return nil, usagef("unexpected argument %q (%s takes %d; usage: hashlab %s)", extra[0], fs.Name(), meta.maxArgs, firstLine(meta.usage))
	}
	return pos, nil
}

// parseChecked parses args with every flag's value wrapped in a
// checkedValue (restored before it returns, so -h prints the plain
// defaults) and collects the positional arguments.
func parseChecked(fs *flag.FlagSet, meta *flagMeta, args []string) ([]string, error) {
	var valueErr error
	var orig []*flag.Flag
	var saved []flag.Value
	fs.VisitAll(func(f *flag.Flag) {
		cv := checkedValue{Value: f.Value, name: f.Name, nonFinite: meta.nonFinite[f.Name], err: &valueErr}
		orig, saved = append(orig, f), append(saved, f.Value)
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			f.Value = &checkedBool{cv}
		} else {
			f.Value = &cv
		}
	})
	defer func() {
		for i, f := range orig {
			f.Value = saved[i]
		}
	}()
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			switch {
			case errors.Is(err, flag.ErrHelp):
				return nil, errHelp
			case valueErr != nil:
				return nil, valueErr
			}
			return nil, usagef("%v (run '%s -h' for the flags)", err, fs.Name())
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

// asFlag names an input error's field as the command-line flag: a domain
// check says "paths", the user typed --paths. rename maps a field to a
// flag of another name ("shards" is given by --shard). Other errors, and
// fields that are no flag of fs, are returned as they are.
func asFlag(fs *flag.FlagSet, err error, rename map[string]string) error {
	ie, ok := hashlab.AsInput(err)
	if !ok || strings.HasPrefix(ie.Field, "-") {
		return err
	}
	name := ie.Field
	if r, ok := rename[name]; ok {
		name = r
	}
	if fs.Lookup(name) == nil {
		return err
	}
	c := *ie
	c.Field = "--" + name
	return &c
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
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
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(env.Stdout, "Usage: hashlab %s\n", usage)
		return "", errHelp
	}
	got := ""
	if len(args) > 0 {
		got = args[0]
	}
	return "", usagef("%s: what to %s is %q (allowed: %s)\nUsage: hashlab %s", cmd, what, got, strings.Join(kinds, ", "), usage)
}
