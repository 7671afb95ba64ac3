// Command benchrun is hashlab's benchmark runner (issue 16): it builds the
// baselines itself and runs them interleaved with hashlab's own work in
// one run, then prints one table of ratios and the machine. README's
// performance section is its output. Run it with scripts/bench.sh.
//
// Each comparison runs hashlab's side and the baseline's side alternately
// for -rounds rounds and keeps the minimum of each (the least disturbed
// run), so a noisy neighbour moves both sides alike. CPU time is user +
// system time from getrusage (of this process for in-process work, of the
// child for a command); wall time where the goal is wall time.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

type env struct {
	root    string // repository root
	data    string // ../shared/data
	tmp     string // scratch directory, removed at the end
	hashlab string // the built binary
	rounds  int
	out     io.Writer
}

// row is one line of the ratio table.
type row struct {
	work     string
	hashlab  string
	baseline string
	ratio    float64
	goal     string
	met      bool
	note     string
}

// comparison is one interleaved pair.
type comparison struct {
	name string
	run  func(ctx context.Context, e *env) ([]row, error)
}

var comparisons []comparison

func register(name string, run func(ctx context.Context, e *env) ([]row, error)) {
	comparisons = append(comparisons, comparison{name, run})
}

func main() {
	rounds := flag.Int("rounds", 5, "interleaved rounds per comparison (the minimum of each side is kept)")
	only := flag.String("only", "", "run only comparisons whose name contains this (or one of these, comma-separated: -only headers,http,sim)")
	flag.Parse()
	if *rounds < 1 || *rounds > 100 {
		fmt.Fprintf(os.Stderr, "benchrun: -rounds = %d (allowed: 1 to 100)\n", *rounds)
		os.Exit(2)
	}
	ctx := context.Background()
	e, err := setup(ctx, *rounds)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(e.tmp)
	var rows []row
	failed := false
	for _, c := range comparisons {
		if *only != "" && !slices.ContainsFunc(strings.Split(*only, ","), func(o string) bool { return o != "" && strings.Contains(c.name, o) }) {
			continue
		}
		fmt.Fprintf(os.Stderr, "benchrun: %s ...\n", c.name)
		rs, err := c.run(ctx, e)
		if err != nil {
			fmt.Fprintf(os.Stderr, "benchrun: %s: %v\n", c.name, err)
			failed = true
			continue
		}
		rows = append(rows, rs...)
	}
	printTable(os.Stdout, rows)
	if failed {
		os.Exit(1)
	}
}

func setup(ctx context.Context, rounds int) (*env, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(root, "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "README.md")); err != nil {
		return nil, fmt.Errorf("reference data not found at %s: %w", data, err)
	}
	tmp, err := os.MkdirTemp("", "hashlab-bench-")
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "hashlab")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/hashlab")
	build.Dir, build.Stderr = root, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("building hashlab: %w", err)
	}
	return &env{root: root, data: data, tmp: tmp, hashlab: bin, rounds: rounds, out: os.Stdout}, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// cpuSelf returns this process's user+system CPU time.
func cpuSelf() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured is one timed run.
type measured struct {
	wall, cpu time.Duration
	maxRSSKB  int64
}

// runCmd runs a command to completion and returns its wall and CPU time
// (user+system of the child and its children) and peak RSS.
func runCmd(ctx context.Context, dir string, stdin io.Reader, stdout io.Writer, name string, args ...string) (measured, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	if stdout == nil {
		stdout = io.Discard
	}
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	if err != nil {
		return measured{}, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, lastLines(stderr.String(), 5))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return measured{wall: wall, cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSSKB: ru.Maxrss}, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// interleave runs a and b alternately rounds times and returns the
// minimum of each (by the key the caller chooses).
func interleave(rounds int, a, b func() (measured, error), key func(measured) time.Duration) (ma, mb measured, err error) {
	for i := 0; i < rounds; i++ {
		for side, f := range []func() (measured, error){a, b} {
			m, err := f()
			if err != nil {
				return ma, mb, err
			}
			best := &ma
			if side == 1 {
				best = &mb
			}
			if i == 0 || key(m) < key(*best) {
				*best = m
			}
		}
	}
	return ma, mb, nil
}

func cpuKey(m measured) time.Duration  { return m.cpu }
func wallKey(m measured) time.Duration { return m.wall }

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, machine())
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORK\tHASHLAB\tBASELINE\tRATIO\tGOAL\tMET")
	for _, r := range rows {
		met := "yes"
		if !r.met {
			met = "NO"
		}
		if r.goal == "" {
			met = "-"
		}
		ratio := "-"
		if r.ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", r.ratio)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.work, r.hashlab, r.baseline, ratio, r.goal, met)
	}
	tw.Flush()
	for _, r := range rows {
		if r.note != "" {
			fmt.Fprintf(w, "- %s: %s\n", r.work, r.note)
		}
	}
}

// machine describes the machine the way README reports it.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if i := strings.Index(l, ":"); i >= 0 {
					model = strings.TrimSpace(l[i+1:])
				}
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb); err == nil {
			mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
		}
	}
	return fmt.Sprintf("machine: %s, %d cores%s, %s %s/%s, %s", model, runtime.NumCPU(), mem, runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02"))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
