// Package sharedtest locates the real-chain reference data in ../shared/data
// (beside the repository root) for tests. It is test plumbing only; product
// code must not import it.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot returns the directory holding go.mod, walking up from the
// working directory.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("sharedtest: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// DataDir returns ../shared/data next to the repository root. The data is
// part of the project's CI contract, so a missing directory fails the test
// unless HASHLAB_ALLOW_NO_SHARED_DATA=1 is set, in which case it skips.
func DataDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		if os.Getenv("HASHLAB_ALLOW_NO_SHARED_DATA") == "1" {
			tb.Skipf("sharedtest: %s not present", dir)
		}
		tb.Fatalf("sharedtest: reference data not found at %s: %v", dir, err)
	}
	return dir
}

// Path returns a file inside the shared data directory.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	return filepath.Join(append([]string{DataDir(tb)}, elem...)...)
}
