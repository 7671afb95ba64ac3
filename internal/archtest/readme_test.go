package archtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/sharedtest"
)

// TestReadmeLayoutNamesEveryPackage keeps README's layout table in step
// with the packages: every package of the module is named in it (as
// `path/`, or by its name in the internal/ row), and every `path/` the
// table names exists.
func TestReadmeLayoutNamesEveryPackage(t *testing.T) {
	root := sharedtest.RepoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(b), "\n## Layout\n")
	if !ok {
		t.Fatal("README has no ## Layout section")
	}
	if i := strings.Index(layout, "\n## "); i >= 0 {
		layout = layout[:i]
	}
	cmd := exec.Command("go", "list", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/hashlab/hashlab"
	n := 0
	for _, pkg := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
		n++
		switch {
		case rel == "":
			if !strings.Contains(layout, "`hashlab` (module root)") {
				t.Errorf("README's layout does not name the root package")
			}
		case strings.HasPrefix(rel, "internal/"):
			name := strings.TrimPrefix(rel, "internal/")
			if !strings.Contains(layout, "`"+name+"`") {
				t.Errorf("README's layout does not name internal package %s", rel)
			}
		default:
			if !strings.Contains(layout, "`"+rel+"/`") {
				t.Errorf("README's layout does not name package %s/", rel)
			}
		}
	}
	if n < 20 {
		t.Fatalf("go list gave only %d packages", n)
	}
	// Every `dir/` the table names is a directory of the module.
	for _, f := range strings.Split(layout, "`") {
		if strings.HasSuffix(f, "/") && !strings.Contains(f, " ") && f != "internal/" {
			if st, err := os.Stat(filepath.Join(root, f)); err != nil || !st.IsDir() {
				t.Errorf("README's layout names %s, which is not a directory", f)
			}
		}
	}
}
