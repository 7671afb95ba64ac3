package main

// The CLI contract README promises, checked over every command and
// subcommand the binary lists (issue 13, item 5): -h and --help print
// usage on stdout and exit 0; an unknown flag exits 2 naming it; a stray
// argument exits 2; --json parses as JSON, with no NaN or Inf and no tiny
// stand-in for an undefined value; bad values exit 2 naming the field with
// nothing on stdout. The list of commands comes from the registry and each
// command's own help, so a new command or subcommand is covered (and must
// be given a row below) without editing the list.

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/internal/sharedtest"
)

// listedCommands returns every command path the binary lists: each
// registered command, and for a command whose help names subcommands
// ("hashlab sim run ...", or a "Subcommands:" block), each of those as
// well. A command is also listed on its own when it has no subcommands or
// its help shows it running without one (pivot SITE_FILE).
func listedCommands(t *testing.T) (all [][]string, parents map[string]bool) {
	t.Helper()
	parents = map[string]bool{}
	for _, name := range commandNames() {
		code, out, stderr := fndRun(t, name, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d, stderr %q", name, code, stderr)
		}
		subs := subcommandsIn(name, out)
		if len(subs) == 0 {
			all = append(all, []string{name})
			continue
		}
		parents[name] = true
		all = append(all, []string{name})
		for _, s := range subs {
			all = append(all, []string{name, s})
		}
	}
	return all, parents
}

// subcommandsIn reads the subcommands of name from its help text.
func subcommandsIn(name, help string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, m := range regexp.MustCompile(`hashlab `+regexp.QuoteMeta(name)+` ([a-z][a-z0-9-]*)`).FindAllStringSubmatch(help, -1) {
		add(m[1])
	}
	inBlock := false
	item := regexp.MustCompile(`^  ([a-z][a-z0-9-]*)(\s|$)`)
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "Subcommands:"):
			inBlock = true
		case strings.TrimSpace(line) == "":
			inBlock = false
		case inBlock:
			if m := item.FindStringSubmatch(line); m != nil {
				add(m[1])
			}
		}
	}
	return out
}

// runsAlone reports whether a parent command also runs without a
// subcommand: its help shows "hashlab NAME PLACEHOLDER".
func runsAlone(name, help string) bool {
	return regexp.MustCompile(`hashlab ` + regexp.QuoteMeta(name) + ` \[?[A-Z]`).MatchString(help)
}

// positional is how many arguments each command path takes (-1: any
// number); every other command takes none. Written out here, not derived,
// so that the parser's reading of the usage line is checked.
var positional = map[string]int{
	"fleet":           1,
	"pivot":           1,
	"pivot portfolio": 1,
	"sim run":         1,
	"sim show":        1,
	"sim merge":       -1,
	"security report": 1,
	"import headers":  1,
	"import blocks":   1,
	"import prices":   1,
	"db copy":         2,
	"pool audit":      1,
}

func TestContractHelp(t *testing.T) {
	all, _ := listedCommands(t)
	if len(all) < 25 {
		t.Fatalf("only %d commands listed: %v", len(all), all)
	}
	for _, path := range all {
		for _, h := range []string{"-h", "--help"} {
			code, out, stderr := fndRun(t, append(slices.Clone(path), h)...)
			if code != 0 || !strings.Contains(out, "Usage: hashlab "+path[0]) || !strings.Contains(out, strings.Join(path, " ")) || stderr != "" {
				t.Errorf("%v %s: exit %d, stdout %.80q, stderr %q (want 0, usage on stdout)", path, h, code, out, stderr)
			}
		}
	}
}

func TestContractUnknownFlag(t *testing.T) {
	all, _ := listedCommands(t)
	for _, path := range all {
		code, out, stderr := fndRun(t, append(slices.Clone(path), "--no-such-flag")...)
		if code != 2 || !strings.Contains(stderr, "no-such-flag") || out != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v --no-such-flag: exit %d, stdout %q, stderr %q (want 2 and one line naming the flag)", path, code, out, stderr)
		}
	}
}

func TestContractStrayArgument(t *testing.T) {
	all, parents := listedCommands(t)
	for _, path := range all {
		key := strings.Join(path, " ")
		n, ok := positional[key]
		if parents[key] && !ok {
			n = 0 // "sim stray" is an unknown subcommand
		}
		if n < 0 {
			continue // takes any number of files
		}
		args := slices.Clone(path)
		for i := range n {
			args = append(args, fmt.Sprintf("arg%d", i))
		}
		args = append(args, "stray-arg")
		code, out, stderr := fndRun(t, args...)
		if code != 2 || !strings.Contains(stderr, "stray-arg") || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q (want 2 naming stray-arg)", args, code, out, stderr)
		}
	}
}

// jsonRun is one offline run of a command with --json, or the reason it
// has none here.
type jsonRun struct {
	args []string
	skip string
}

// jsonRuns gives each command path a --json run that works offline on the
// embedded data and the shared test data. dir holds a chain store made by
// the import rows (they run first, in this order).
func jsonRuns(t *testing.T, dir string) map[string]jsonRun {
	db := filepath.Join(dir, "chain.db")
	blocks := smallBlocksCSV(t, dir)
	prices := filepath.Join(dir, "prices.csv")
	if err := os.WriteFile(prices, []byte("date,usd\n2020-01-01,7200\n2020-01-02,6965\n2020-01-03,7344\n2020-01-04,7356\n2020-01-05,7358\n2020-01-06,7759\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	shards := filepath.Join(dir, "shards")
	for _, s := range []string{"0/2", "1/2"} {
		if code, _, stderr := fndRun(t, "sim", "run", "china-2021-replay", "--paths", "4", "--shard", s, "--out", shards); code != 0 {
			t.Fatalf("sim run --shard %s: %s", s, stderr)
		}
	}
	headers := sharedtest.Path(t, "headers", "headers_586657-589289.bin")
	return map[string]jsonRun{
		"overview":               {args: []string{"overview"}},
		"hedge":                  {args: []string{"hedge", "--paths", "20"}},
		"config":                 {args: []string{"config"}},
		"hashprice":              {args: []string{"hashprice"}},
		"miners":                 {args: []string{"miners"}},
		"fleet":                  {args: []string{"fleet", "../../examples/fleet.yaml"}},
		"next-adjustment":        {args: []string{"next-adjustment"}},
		"halving":                {args: []string{"halving"}},
		"next-bits":              {args: []string{"next-bits", "--prev-bits", "0x170e1ef9", "--first-time", "1623614836", "--last-time", "1625293501"}},
		"security":               {skip: "dispatches to its subcommands"},
		"security double-spend":  {args: []string{"security", "double-spend", "--q", "0.1", "--z", "0-6"}},
		"security confirmations": {args: []string{"security", "confirmations", "--q", "0.1", "--risk", "0.001"}},
		"security selfish":       {args: []string{"security", "selfish", "--alpha", "0.3", "--gamma", "0.5"}},
		"security attack-cost":   {args: []string{"security", "attack-cost", "--exodus", "0.3"}},
		"security concentration": {args: []string{"security", "concentration", "--shares", "a=0.3,b=0.2,c=0.5"}},
		"security report":        {args: []string{"security", "report", "china-2021-replay", "--paths", "4"}},
		"pivot":                  {args: []string{"pivot", "../../examples/site-example.yaml", "--paths", "20"}},
		"pivot portfolio":        {args: []string{"pivot", "portfolio", "../../examples/portfolio-bitfarms.yaml"}},
		"sim":                    {skip: "dispatches to its subcommands"},
		"sim scenarios":          {args: []string{"sim", "scenarios"}},
		"sim show":               {args: []string{"sim", "show", "baseline"}},
		"sim run":                {args: []string{"sim", "run", "china-2021-replay", "--paths", "4"}},
		"sim merge":              {args: []string{"sim", "merge", shards}},
		"import":                 {skip: "dispatches to its subcommands"},
		"import blocks":          {args: []string{"import", "blocks", blocks, "--db", db}},
		"import headers":         {args: []string{"import", "headers", headers, "--start-height", "586657", "--db", db}},
		"import prices":          {args: []string{"import", "prices", prices, "--db", db}},
		"import fees":            {skip: "fetches from mempool; TestImportFromWeb runs it --json against a replay server"},
		"history":                {skip: "dispatches to its subcommands"},
		"history hashprice":      {args: []string{"history", "hashprice", "--db", db}},
		"history adjustments":    {args: []string{"history", "adjustments", "--db", db}},
		"history hashrate":       {args: []string{"history", "hashrate", "--db", db}},
		"history miners":         {skip: "needs a database ingested from a node with --miner-flow; TestHistoryMinersBtcd runs it --json against btcd in regtest"},
		"pools":                  {args: []string{"pools", "--db", db, "--from", "2019-12-31", "--to", "2020-01-20"}},
		"pool":                   {skip: "dispatches to its subcommands"},
		"pool luck":              {args: []string{"pool", "luck", "--hashrate", sharedtest.Path(t, "pools", "foundryusa_reported_hashrate_2023-12-01_2025-01-31.csv"), "--blocks", sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz"), "--from", "2024-01-01", "--to", "2024-01-31"}},
		"pool audit":             {args: []string{"pool", "audit", "../../examples/pool-export-example.csv", "--fees-btc", "0.03"}},
		"verify-chain":           {args: []string{"verify-chain", "--headers", headers, "--start-height", "586657"}},
		"ingest":                 {skip: "needs a node; ingest_test runs it against btcd in regtest"},
		"db":                     {skip: "dispatches to its subcommands"},
		"db migrate":             {args: []string{"db", "migrate", "--db", filepath.Join(dir, "migrated.db")}},
		"db copy":                {args: []string{"db", "copy", db, filepath.Join(dir, "copy.db"), "--replace"}},
		"serve":                  {skip: "runs until stopped; TestServeJSON reads its --json line"},
	}
}

// smallBlocksCSV writes the first 2,500 rows of the shared blocks file
// (heights 610683..613182, across the retarget at 612864).
func smallBlocksCSV(t *testing.T, dir string) string {
	t.Helper()
	f, err := os.Open(sharedtest.Path(t, "blocks", "blocks_610683-946236_time_pool.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(zr)
	for i := 0; i <= 2500 && sc.Scan(); i++ {
		b.WriteString(sc.Text() + "\n")
	}
	path := filepath.Join(dir, "blocks.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestContractJSON(t *testing.T) {
	all, parents := listedCommands(t)
	runs := jsonRuns(t, t.TempDir())
	// Imports first: the history rows read what they wrote.
	sort.SliceStable(all, func(i, j int) bool { return all[i][0] == "import" && all[j][0] != "import" })
	for _, path := range all {
		key := strings.Join(path, " ")
		r, ok := runs[key]
		if !ok {
			t.Errorf("%s: no --json row in jsonRuns (add one, or a skip with the reason)", key)
			continue
		}
		if _, help, _ := fndRun(t, append(slices.Clone(path), "--help")...); !parents[key] && !strings.Contains(help, "-json") {
			t.Errorf("%s --help lists no --json flag", key)
		}
		if r.skip != "" {
			continue
		}
		code, out, stderr := fndRun(t, append(slices.Clone(r.args), "--json")...)
		if code != 0 {
			t.Errorf("%v --json: exit %d: %s", r.args, code, stderr)
			continue
		}
		checkJSON(t, key, out)
		code, out, stderr = fndRun(t, r.args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", r.args, code, stderr)
			continue
		}
		if m := undefinedInTable.FindString(out); m != "" {
			t.Errorf("%v: the table prints %q; an undefined value is \"never\" or \"n/a\"", r.args, m)
		}
	}
}

// undefinedInTable matches what a table must not print for an undefined
// value: NaN, Inf, or a number like 3.94e-30 standing in for "none".
var undefinedInTable = regexp.MustCompile(`\bNaN\b|[+-]?\bInf\b|\d[eE]-[2-9]\d\b`)

// nonFinite matches what an encoder writes for NaN or ±Inf when it does
// not fail: a bare or quoted NaN, Inf or Infinity.
var nonFinite = regexp.MustCompile(`(?i)[":\s\[,-]\+?(NaN|Inf|Infinity)["\s,\]}]`)

// checkJSON fails unless out is JSON with no NaN or Inf and no number
// standing in for an undefined value (a magnitude below 1e-20, like the
// 3.94e-30 switch hashprice of issue 13: undefined is null).
func checkJSON(t *testing.T, name, out string) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Errorf("%s --json: not JSON: %v\n%.300s", name, err, out)
		return
	}
	if m := nonFinite.FindString(out); m != "" {
		t.Errorf("%s --json: non-finite number %q in output", name, m)
	}
	walkJSON(v, "", func(at string, n json.Number) {
		f, err := n.Float64()
		if err != nil || (f != 0 && math.Abs(f) < 1e-20) {
			t.Errorf("%s --json: %s = %s stands in for an undefined value (want null)", name, at, n)
		}
	})
}

func walkJSON(v any, at string, num func(string, json.Number)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			walkJSON(e, at+"."+k, num)
		}
	case []any:
		for i, e := range x {
			walkJSON(e, fmt.Sprintf("%s[%d]", at, i), num)
		}
	case json.Number:
		num(at, x)
	}
}

// TestContractBadInput: each row is bad input (a bad value, or one of the
// faults issue 13 lists); it must exit 2 with one line on stderr that
// names the field (want), and nothing on stdout.
func TestContractBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	site := "../../examples/site-example.yaml"
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	emptyBin, zeroDB := file("empty.bin", ""), file("zero.db", "")
	dupCSV := file("dup.csv", "height,time,pool_slug\n610683,1577833505,f2pool\n610683,1577833506,antpool\n")
	badCSV := file("bad.csv", "garbage\n")
	newDB := filepath.Join(dir, "new.db")
	for _, tt := range []struct {
		args []string
		want []string // each must appear in stderr
		not  string   // must not appear in stderr
	}{
		{[]string{"hashprice", "--price", "-1"}, []string{"--price", "-1"}, ""},
		{[]string{"hashprice", "--price", "NaN"}, []string{"--price", "NaN"}, ""},
		{[]string{"hashprice", "--fees-btc", "Inf"}, []string{"--fees-btc"}, ""},
		{[]string{"hashprice", "--bits", "0x01fedcba"}, []string{"--bits", "0x01fedcba"}, ""},
		{[]string{"hashprice", "--height", "99999999999999999999"}, []string{"--height", "99999999999999999999"}, ""},
		{[]string{"hashprice", "--price", "abc"}, []string{"--price", "abc"}, ""},
		{[]string{"hashprice", "foo"}, []string{"foo"}, ""},
		{[]string{"miners", "--power-price", "-0.1"}, []string{"power"}, ""},
		{[]string{"miners", "--uptime", "NaN"}, []string{"uptime"}, ""},
		{[]string{"halving", "--block-interval", "-Inf"}, []string{"--block-interval"}, ""},
		{[]string{"next-adjustment", "--confidence", "NaN"}, []string{"--confidence"}, ""},
		{[]string{"next-adjustment", "--tip-height", "1e3"}, []string{"--tip-height"}, ""},
		{[]string{"next-bits", "--prev-bits", "0x01fedcba", "--first-time", "1", "--last-time", "2"}, []string{"prev-bits"}, ""},
		{[]string{"next-bits", "--prev-bits", "0x170e1ef9"}, []string{"--first-time"}, "-1"},
		{[]string{"next-bits", "--prev-bits", "0x170e1ef9", "--first-time", "1623614836", "--last-time", "4294967296"}, []string{"--last-time", "4294967296"}, ""},
		{[]string{"security", "double-spend", "xyz", "--q", "0.1", "--z", "6"}, []string{"xyz"}, ""},
		{[]string{"security", "double-spend", "--q", "NaN", "--z", "6"}, []string{"q"}, ""},
		{[]string{"security", "double-spend", "--q", "0.1", "--z", "99999999999999999999"}, []string{"z"}, ""},
		{[]string{"security", "selfish", "--alpha", "0.6", "--gamma", "0"}, []string{"alpha"}, ""},
		{[]string{"security", "attack-cost", "--exodus", "-1"}, []string{"exodus"}, ""},
		{[]string{"security", "selfish", "--alpha", "0.3", "--gamma", "0.5", "--accuracy", "1e-300"}, []string{"--accuracy", "1e-300"}, ""},
		{[]string{"security", "nosuch"}, []string{"nosuch"}, ""},
		{[]string{"sim", "run", "baseline", "--workers", "-3"}, []string{"--workers", "-3"}, ""},
		{[]string{"sim", "run", "baseline", "--paths", "0"}, []string{"--paths"}, ""},
		{[]string{"sim", "run", "baseline", "--years", "NaN"}, []string{"--years"}, ""},
		{[]string{"sim", "run", "nosuch"}, []string{"nosuch"}, ""},
		{[]string{"sim", "nosuch"}, []string{"nosuch"}, ""},
		{[]string{"pivot", site, "--volatility", "NaN"}, []string{"volatility"}, ""},
		{[]string{"pivot", site, "--drift", "Inf"}, []string{"drift"}, ""},
		{[]string{"pivot", site, "--volatility", "-1"}, []string{"volatility"}, ""},
		{[]string{"pivot", site, "--hashprice", "-1"}, []string{"hashprice"}, ""},
		{[]string{"overview", "--power-price", "abc"}, []string{"power-price", "abc"}, ""},
		{[]string{"fleet", empty}, []string{empty, "empty"}, ""},
		{[]string{"serve", "--addr", "notanaddr"}, []string{"--addr", "notanaddr", "host:port"}, "loopback"},
		{[]string{"serve", "--addr", "127.0.0.1:99999"}, []string{"--addr", "host:port"}, ""},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--token", "short"}, []string{"--token", "16"}, "short"},
		{[]string{"serve", "--addr", "0.0.0.0:0"}, []string{"token"}, ""},
		{[]string{"nosuchcommand"}, []string{"nosuchcommand"}, ""},
		{[]string{"verify-chain", "--headers", emptyBin}, []string{"headers"}, ""},
		{[]string{"history", "adjustments", "--db", zeroDB}, []string{"--db", "empty"}, ""},
		{[]string{"pools", "--db", zeroDB}, []string{"--db", "empty"}, ""},
		{[]string{"serve", "--db", zeroDB}, []string{"--db", "empty"}, ""},
		{[]string{"import", "blocks", dupCSV, "--db", newDB}, []string{"height = 610683", "line 3"}, ""},
		{[]string{"import", "blocks", badCSV, "--db", newDB}, []string{"line 1", "garbage"}, ""},
		{[]string{"import", "prices", badCSV, "--db", newDB}, []string{"line 1", "garbage"}, ""},
		{[]string{"import", "headers", badCSV, "--db", newDB}, []string{"80-byte"}, ""},
		{[]string{"pool", "audit", "../../examples/pool-export-example.csv", "--scheme", "pps"}, []string{"--scheme", "pps"}, ""},
		{[]string{"pool", "audit", "../../examples/pool-export-example.csv", "--fee", "1.5"}, []string{"--fee", "1.5"}, ""},
		{[]string{"pool", "audit", badCSV}, []string{badCSV, "line 1"}, ""},
		{[]string{"pool", "luck", "--hashrate", badCSV, "--blocks", badCSV, "--every", "week"}, []string{"--every", "week"}, ""},
		{[]string{"security", "concentration", "--shares", "a=1", "--by", "owner"}, []string{"--by", "owner"}, ""},
	} {
		code, out, stderr := fndRun(t, tt.args...)
		ok := code == 2 && out == "" && strings.Count(stderr, "\n") == 1
		for _, w := range tt.want {
			ok = ok && strings.Contains(stderr, w)
		}
		if tt.not != "" && strings.Contains(stderr, tt.not) {
			ok = false
		}
		if !ok {
			t.Errorf("%v: exit %d, stdout %.80q, stderr %q (want exit 2, one line naming %q, nothing on stdout)", tt.args, code, out, stderr, tt.want)
		}
	}
	if st, err := os.Stat(zeroDB); err != nil || st.Size() != 0 {
		t.Errorf("a 0-byte --db file was written to: %v", err)
	}
}

// TestContractOutputHeldOnBadInput: a command that finds bad input after
// it has printed part of its report prints nothing but the error, and a
// command that fails keeps what it printed.
func TestContractOutputHeldOnBadInput(t *testing.T) {
	const name = "test-partial"
	register(command{Name: name, Summary: "test only", Run: func(ctx context.Context, env *Env, args []string) error {
		fmt.Fprintln(env.Stdout, "first section")
		if args[0] == "bad" {
			return usagef("--x = bad (allowed: good)")
		}
		return fmt.Errorf("disk full")
	}})
	defer delete(commands, name)
	if code, out, stderr := fndRun(t, name, "bad"); code != 2 || out != "" || stderr != "hashlab test-partial: --x = bad (allowed: good)\n" {
		t.Errorf("bad input: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	if code, out, stderr := fndRun(t, name, "fail"); code != 1 || out != "first section\n" || !strings.Contains(stderr, "disk full") {
		t.Errorf("failure: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestRunInterrupted: a context cancelled by a signal gives 128 + the
// signal's number, whatever the command returned, and drops its output;
// a plain cancellation (serve's tests stop it so) does not.
func TestRunInterrupted(t *testing.T) {
	for _, tt := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		ctx, cancel := context.WithCancelCause(context.Background())
		cancel(newInterrupted(tt.sig))
		if code, out, stderr := fndRunCtx(t, ctx, "sim", "run", "baseline", "--paths", "100000"); code != tt.want || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q (want %d)", tt.sig, code, out, stderr, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code, _, _ := fndRunCtx(t, ctx, "sim", "scenarios"); code != 0 {
		t.Errorf("plain cancellation: exit %d, want the command's own 0", code)
	}
}

// fndRunCtx is fndRun with a context.
func fndRunCtx(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errb strings.Builder
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Now: time.Now, Getenv: func(string) string { return "" }}
	code := run(ctx, env, args)
	return code, out.String(), errb.String()
}

// TestReadmeCLIReference: README's CLI reference table lists exactly the
// commands the binary lists.
func TestReadmeCLIReference(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := readmeCommands(string(b))
	if len(readme) < 20 {
		t.Fatalf("README's CLI reference gives only %d commands: %v", len(readme), readme)
	}
	all, parents := listedCommands(t)
	binary := map[string]bool{}
	for _, path := range all {
		key := strings.Join(path, " ")
		if parents[key] {
			if _, help, _ := fndRun(t, key, "--help"); !runsAlone(key, help) {
				continue
			}
		}
		binary[key] = true
	}
	for c := range binary {
		if !readme[c] {
			t.Errorf("the binary lists %q; README's CLI reference does not", c)
		}
	}
	for c := range readme {
		if !binary[c] {
			t.Errorf("README's CLI reference lists %q; the binary does not", c)
		}
	}
}

// readmeCommands reads the command paths of README's CLI reference: the
// first cell of each "| `command ...` |" row; within a code span the
// lower-case words before any placeholder or flag, with a|b|c expanded.
func readmeCommands(readme string) map[string]bool {
	_, ref, _ := strings.Cut(readme, "## CLI reference")
	if i := strings.Index(ref, "\n## "); i >= 0 {
		ref = ref[:i]
	}
	out := map[string]bool{}
	word := regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	for _, line := range strings.Split(ref, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cell := strings.SplitN(strings.ReplaceAll(line[1:], `\|`, "\x00"), "|", 2)[0]
		for _, span := range regexp.MustCompile("`([^`]*)`").FindAllStringSubmatch(cell, -1) {
			paths := []string{""}
			for _, tok := range strings.Fields(span[1]) {
				alts := strings.Split(tok, "\x00")
				if !word.MatchString(alts[0]) {
					break
				}
				var next []string
				for _, p := range paths {
					for _, a := range alts {
						next = append(next, strings.TrimSpace(p+" "+a))
					}
				}
				paths = next
			}
			for _, p := range paths {
				if p != "" {
					out[p] = true
				}
			}
		}
	}
	return out
}

// TestSignalsStopTheBinary builds hashlab, starts a run that would take
// minutes (100,000 simulator paths on one worker), signals it after
// 300 ms and checks that it stops with one line on stderr and exit 130
// for SIGINT, 143 for SIGTERM, well before a generous 5 s timeout.
func TestSignalsStopTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "hashlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tt := range []struct {
		sig  syscall.Signal
		want int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		var stdout, stderr strings.Builder
		cmd := exec.Command(bin, "sim", "run", "baseline", "--paths", "100000", "--workers", "1")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		time.Sleep(300 * time.Millisecond)
		sent := time.Now()
		if err := cmd.Process.Signal(tt.sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: still running 5 s after the signal", tt.sig)
		}
		t.Logf("%v: stopped %v after the signal", tt.sig, time.Since(sent).Round(time.Millisecond))
		if code := cmd.ProcessState.ExitCode(); code != tt.want || stderr.String() != "hashlab: interrupted\n" || stdout.String() != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q (want %d and one line)", tt.sig, code, stdout.String(), stderr.String(), tt.want)
		}
	}
}

// TestDeclaredArgs: how parseFlags reads a usage line's positional
// placeholders (a placeholder after a flag is that flag's value).
func TestDeclaredArgs(t *testing.T) {
	for _, tt := range []struct {
		name, usage string
		want        int
	}{
		{"hashprice", "hashprice [--difficulty D | --bits 0x...] [--height H] [--json]", 0},
		{"fleet", "fleet FILE [market flags] [--json]", 1},
		{"sim merge", "sim merge FILE... [--json|--csv] [--out DIR]", -1},
		{"pivot", "pivot SITE_FILE [--hashprice X]\n       hashlab pivot portfolio FILE [--json]", 1},
		{"ingest", "ingest [--rpc-user U --rpc-pass P | --rpc-cookie FILE] [--follow [--poll D]]", 0},
		{"security concentration", `security concentration --shares "a=0.3,..." | --shares FILE | --db FILE [--window 1w]`, 0},
		{"diff", "diff OLD NEW [--json]", 2},
		{"show", "show [SCENARIO]", 1},
		// A usage text shared by subcommands: only the named one's lines.
		{"import fees", "import prices FILE [--db FILE]\n       hashlab import fees --from mempool --since YYYY-MM-DD", 0},
		{"import prices", "import prices FILE [--db FILE]\n       hashlab import prices --from X\n       hashlab import fees --from mempool", 1},
	} {
		if got := declaredArgs(tt.name, tt.usage); got != tt.want {
			t.Errorf("declaredArgs(%q, %q) = %d, want %d", tt.name, tt.usage, got, tt.want)
		}
	}
}

// TestParseFlagsNonFinite: NaN and ±Inf are refused on every float flag
// unless the command allows them with allowNonFinite.
func TestParseFlagsNonFinite(t *testing.T) {
	env := &Env{Stdout: io.Discard, Stderr: io.Discard}
	fs := newFlags(env, "x", "x [--a A] [--b B]")
	fs.Float64("a", 0, "")
	b := fs.Float64("b", 0, "")
	allowNonFinite(fs, "b")
	if _, err := parseFlags(fs, []string{"--b", "+Inf"}); err != nil || !math.IsInf(*b, 1) {
		t.Errorf("--b +Inf: %v, %v", err, *b)
	}
	for _, v := range []string{"NaN", "Inf", "-inf", "nan"} {
		fs := newFlags(env, "x", "x [--a A]")
		fs.Float64("a", 0, "")
		_, err := parseFlags(fs, []string{"--a", v})
		if ie, ok := hashlab.AsInput(err); !ok || ie.Field != "--a" || ie.Allowed != "a finite number" {
			t.Errorf("--a %s: %v", v, err)
		}
	}
}
