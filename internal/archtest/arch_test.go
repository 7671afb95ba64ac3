package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

// Domain packages: pure computation on values.
var domain = []string{"consensus", "hashprice", "mining", "pivot", "sim", "security", "snapshot"}

// What a domain package must not import directly.
var forbidden = []string{
	"os", "os/exec", "os/signal", "net", "net/http", "database/sql", "io/ioutil", "syscall",
	"github.com/hashlab/hashlab/chain", "github.com/hashlab/hashlab/store", "github.com/hashlab/hashlab/server",
	"github.com/hashlab/hashlab/ingest", "github.com/hashlab/hashlab/history", "github.com/hashlab/hashlab/internal/sharedtest",
	"github.com/hashlab/hashlab/cmd/hashlab",
}

// Calls that read the clock or global randomness.
var forbiddenCalls = []string{"time.Now(", "time.Since(", "rand.Seed(", "rand.Intn(", "rand.Float64(", "rand.Int(", "rand.NormFloat64("}

func TestDomainPackagesDoNoIO(t *testing.T) {
	root := sharedtest.RepoRoot(t)
	checked := 0
	for _, pkg := range domain {
		dir := filepath.Join(root, pkg)
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range forbidden {
					if path == bad || strings.HasPrefix(path, bad+"/") {
						t.Errorf("%s imports %s: domain packages do no I/O and never import adapters", rel(root, f), path)
					}
				}
			}
			for _, call := range forbiddenCalls {
				if strings.Contains(string(src), call) {
					t.Errorf("%s calls %s: inject the clock / seed instead", rel(root, f), call)
				}
			}
			checked++
		}
		if _, err := os.Stat(filepath.Join(dir, "doc.go")); err != nil && len(files) > 0 {
			t.Errorf("%s has no doc.go", pkg)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d files checked: is the layout right?", checked)
	}
}

func rel(root, p string) string {
	r, _ := filepath.Rel(root, p)
	return r
}
