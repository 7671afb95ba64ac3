package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

const module = "github.com/hashlab/hashlab"

// Domain packages: pure computation on values. chain is its core only;
// its adapters are chain/noderpc and chain/chainfile.
var domain = []string{"consensus", "hashprice", "mining", "pivot", "hedge", "sim", "sim/secreport", "security", "history", "netstate", "snapshot", "chain", "minerflow", "pool"}

// What no domain package may depend on, directly or through any chain of
// imports: network, process and SQL I/O. (os and net themselves are
// reached through the standard library's crypto/rand and btcd's wire
// message types, which do no I/O on our behalf, so they are refused only
// as direct imports: directOnly.)
var forbiddenDeps = []string{"net/http", "net/rpc", "net/smtp", "os/exec", "os/signal", "database/sql", "plugin"}

// What a domain package must not import itself.
var directOnly = []string{"os", "net", "net/url", "syscall", "io/ioutil", "log"}

// Extra rules for single packages: history reads a store through small
// interfaces and must not pull in the simulator or the economics of
// machines and sites (it used to, through security/report.go).
var extraForbidden = map[string][]string{
	"history": {module + "/sim", module + "/pivot", module + "/mining", "gopkg.in/yaml.v3"},
	// security depends on consensus alone; its probes over simulator
	// paths live in sim/secreport.
	"security": {module + "/sim", module + "/pivot", module + "/mining", module + "/hashprice", "gopkg.in/yaml.v3"},
}

// Calls that read the clock or global randomness.
var forbiddenCalls = []string{"time.Now(", "time.Since(", "time.Until(", "rand.Seed(", "rand.Intn(", "rand.Float64(", "rand.Int(", "rand.NormFloat64(", "rand.ExpFloat64("}

// pkg is the part of `go list -json` the test reads.
type pkg struct {
	ImportPath string
	Doc        string
	Dir        string
	GoFiles    []string
	Imports    []string
	Deps       []string
}

// goList runs `go list -json` on import paths (relative to the module
// root) and decodes its stream of packages.
func goList(t *testing.T, root string, paths ...string) map[string]pkg {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list transitive imports: %v", err)
	}
	args := []string{"list", "-json=ImportPath,Doc,Dir,GoFiles,Imports,Deps"}
	for _, p := range paths {
		args = append(args, "./"+p)
	}
	cmd := exec.Command(goTool, args...)
	cmd.Dir = root
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	return pkgs
}

// isDomain reports whether an import path is the module root (the
// InputError type) or a domain package.
func isDomain(path string) bool {
	if path == module {
		return true
	}
	rest, ok := strings.CutPrefix(path, module+"/")
	return ok && slices.Contains(domain, rest)
}

// violations lists why p breaks the rules for a domain package named
// name.
func violations(name string, p pkg) []string {
	var out []string
	for _, d := range p.Deps {
		for _, bad := range forbiddenDeps {
			if d == bad {
				out = append(out, "depends on "+d+" (through "+via(p, d)+")")
			}
		}
		if strings.HasPrefix(d, module+"/") && !isDomain(d) {
			out = append(out, "depends on the adapter "+d)
		}
		if slices.Contains(extraForbidden[name], d) {
			out = append(out, "depends on "+d)
		}
	}
	for _, imp := range p.Imports {
		if slices.Contains(directOnly, imp) {
			out = append(out, "imports "+imp)
		}
	}
	return out
}

// via names the direct imports of p that lead to dep (only direct ones are
// known without listing every package; enough to start looking).
func via(p pkg, dep string) string {
	if slices.Contains(p.Imports, dep) {
		return "a direct import"
	}
	var hashlab []string
	for _, imp := range p.Imports {
		if strings.HasPrefix(imp, module) {
			hashlab = append(hashlab, imp)
		}
	}
	if len(hashlab) == 0 {
		return "a third-party import"
	}
	return "one of " + strings.Join(hashlab, ", ")
}

func TestDomainPackagesDoNoIO(t *testing.T) {
	root := sharedtest.RepoRoot(t)
	pkgs := goList(t, root, domain...)
	checked := 0
	for _, name := range domain {
		p, ok := pkgs[name]
		if !ok {
			t.Errorf("%s: not listed by go list", name)
			continue
		}
		for _, v := range violations(name, p) {
			t.Errorf("%s %s: domain packages do no I/O and never depend on adapters", name, v)
		}
		for _, f := range p.GoFiles {
			src, err := os.ReadFile(filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			for _, call := range forbiddenCalls {
				if bytes.Contains(src, []byte(call)) {
					t.Errorf("%s/%s calls %s: inject the clock / seed instead", name, f, call)
				}
			}
			checked++
		}
		// A package comment saying what the package is for; in doc.go
		// once the package has more than one file.
		if p.Doc == "" || (len(p.GoFiles) > 1 && !slices.Contains(p.GoFiles, "doc.go")) {
			t.Errorf("%s has no doc.go", name)
		}
	}
	if checked < 30 {
		t.Fatalf("only %d files checked: is the layout right?", checked)
	}
}

// The rules catch what they are meant to catch: the adapters break them
// (store through database/sql, the RPC client through net/http, the file
// readers by importing os or an adapter path), so a domain package that
// did the same would fail TestDomainPackagesDoNoIO.
func TestRulesCatchAdapters(t *testing.T) {
	root := sharedtest.RepoRoot(t)
	pkgs := goList(t, root, "store", "chain/noderpc", "ingest")
	for name, want := range map[string]string{
		"store":         "depends on database/sql",
		"chain/noderpc": "depends on net/http",
		"ingest":        "depends on the adapter " + module + "/store",
	} {
		vs := violations(name, pkgs[name])
		if !slices.ContainsFunc(vs, func(v string) bool { return strings.HasPrefix(v, want) }) {
			t.Errorf("%s: violations %q, want one starting %q", name, vs, want)
		}
	}
	// history's extra rule: sim is a domain package, but not one history
	// may depend on.
	was := pkg{ImportPath: module + "/history", Deps: []string{module + "/consensus", module + "/sim", "gopkg.in/yaml.v3"}}
	if vs := violations("history", was); len(vs) != 2 {
		t.Errorf("history depending on sim and yaml: %q, want 2 violations", vs)
	}
}
