package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/internal/pgtest"
)

// TestDBMigrateAndCopy: db migrate creates the schema of a new
// PostgreSQL database and says so; db copy takes an imported SQLite file
// to PostgreSQL and back with identical row counts and checksums per
// table; a copy into a database with rows, or from one that does not
// exist, is bad input (exit 2) and a failed copy to a new file leaves none.
func TestDBMigrateAndCopy(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "chain.db")
	if code, _, stderr := fndRun(t, "import", "blocks", smallBlocksCSV(t, dir), "--db", src); code != 0 {
		t.Fatalf("import: exit %d: %s", code, stderr)
	}
	pg := pgtest.Start(t)

	code, out, stderr := fndRun(t, "db", "migrate", "--db", pg, "--json")
	var mig migrateReport
	if code != 0 || json.Unmarshal([]byte(out), &mig) != nil || mig.Backend != "postgresql" || mig.FromVersion != 0 || mig.Applied != mig.SchemaVersion || mig.SchemaVersion < 4 {
		t.Fatalf("db migrate: exit %d, %q, %s", code, out, stderr)
	}
	if code, out, _ := fndRun(t, "db", "migrate", "--db", pg); code != 0 || !strings.Contains(out, "nothing to migrate") {
		t.Errorf("second db migrate: exit %d, %q", code, out)
	}

	there := dbCopyJSON(t, src, pg)
	back := dbCopyJSON(t, pg, filepath.Join(dir, "back.db"))
	blocks := int64(0)
	for i, tc := range there.Tables {
		if tc.FromChecksum != back.Tables[i].ToChecksum || tc.FromRows != back.Tables[i].ToRows || tc.ToChecksum != tc.FromChecksum {
			t.Errorf("%s: %d rows %s in the source, %d rows %s after the round trip", tc.Table, tc.FromRows, tc.FromChecksum, back.Tables[i].ToRows, back.Tables[i].ToChecksum)
		}
		if tc.Table == "blocks" {
			blocks = tc.ToRows
		}
	}
	if blocks != 2500 {
		t.Errorf("blocks copied: %d, want 2500", blocks)
	}
	// The table form names every table and says it read back identical.
	code, out, _ = fndRun(t, "db", "copy", src, pg, "--replace")
	if code != 0 || !strings.Contains(out, "every table read back identical") || !strings.Contains(out, "blocks") {
		t.Errorf("db copy --replace: exit %d\n%s", code, out)
	}
	if code, out, stderr := fndRun(t, "db", "copy", src, pg); code != 2 || out != "" || !strings.Contains(stderr, "--replace") {
		t.Errorf("copy into a database with rows: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	missing, newFile := filepath.Join(dir, "missing.db"), filepath.Join(dir, "new.db")
	if code, _, stderr := fndRun(t, "db", "copy", missing, newFile); code != 2 || !strings.Contains(stderr, "FROM") {
		t.Errorf("copy from a missing file: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(newFile); !os.IsNotExist(err) {
		t.Errorf("a failed copy created %s", newFile)
	}
	// The config shows a PostgreSQL URL without its password.
	withPass := strings.Replace(pg, "hashlab@", "hashlab:s3cret@", 1)
	if code, out, _ := fndRun(t, "config", "--db", withPass); code != 0 || strings.Contains(out, "s3cret") {
		t.Errorf("config --db with a password: exit %d\n%s", code, out)
	}
}

// TestDBCopySameDatabase: db copy refuses to copy a database onto itself
// however the two names spell it (exit 2 naming TO, nothing on stdout,
// the file untouched), and an extra argument prints db copy's usage.
func TestDBCopySameDatabase(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "self.db")
	if code, _, stderr := runEnv(t, nil, "db", "migrate", "--db", self); code != 0 {
		t.Fatalf("db migrate: exit %d: %s", code, stderr)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{self, filepath.Join(dir, ".", "sub", "..", "self.db"), link} {
		code, out, stderr := runEnv(t, nil, "db", "copy", self, to, "--replace")
		if code != 2 || out != "" || !strings.HasPrefix(strings.TrimPrefix(stderr, "hashlab db: "), "TO = "+to+" (allowed: a database other than FROM") {
			t.Errorf("copy %s onto %s: exit %d, stdout %q, stderr %q", self, to, code, out, stderr)
		}
	}
	code, out, stderr := runEnv(t, nil, "db", "copy", "a", "b", "c")
	if code != 2 || out != "" || !strings.Contains(stderr, "usage: hashlab db copy FROM TO") || strings.Contains(stderr, "migrate") {
		t.Errorf("db copy a b c: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"postgres://u:p@db.example:5432/chain", "postgresql://v@DB.example/chain?sslmode=disable", true},
		{"postgres://u@localhost/chain", "postgres://u@127.0.0.1:5432/chain", true},
		{"postgres://u@host/chain", "postgres://u@host:5433/chain", false},
		{"postgres://u@host/chain", "postgres://u@host/other", false},
		{"postgres://u@host/chain", filepath.Join(dir, "chain"), false},
		{"a.db", "b.db", false},
	} {
		if got := sameDatabase(c.a, c.b); got != c.same {
			t.Errorf("sameDatabase(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// TestDBMigrateDefaultSaysWhich: db migrate without --db says on stderr
// which database it created or migrated, by its full path; with --db it
// adds nothing.
func TestDBMigrateDefaultSaysWhich(t *testing.T) {
	home := t.TempDir()
	vars := map[string]string{"HOME": home, "XDG_DATA_HOME": "", "XDG_CONFIG_HOME": "", "HASHLAB_DB": ""}
	code, _, stderr := runEnv(t, vars, "db", "migrate", "--json")
	want := filepath.Join(home, ".local", "share", "hashlab", "hashlab.db")
	if _, err := os.Stat(want); code != 0 || err != nil || !strings.Contains(stderr, "created "+want+" (the default") {
		t.Errorf("first db migrate: exit %d, stderr %q, %v", code, stderr, err)
	}
	if code, _, stderr := runEnv(t, vars, "db", "migrate"); code != 0 || !strings.Contains(stderr, "checked "+want) {
		t.Errorf("second db migrate: exit %d, stderr %q", code, stderr)
	}
	vars["HASHLAB_DB"] = filepath.Join(home, "env.db")
	if code, _, stderr := runEnv(t, vars, "db", "migrate"); code != 0 || !strings.Contains(stderr, "created "+vars["HASHLAB_DB"]+" (from HASHLAB_DB)") {
		t.Errorf("HASHLAB_DB: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runEnv(t, vars, "db", "migrate", "--db", filepath.Join(home, "flag.db")); code != 0 || stderr != "" {
		t.Errorf("--db: exit %d, stderr %q", code, stderr)
	}
}

// copyReport is the part of `db copy --json` the tests read.
type copyReport struct {
	Identical bool `json:"identical"`
	Tables    []struct {
		Table        string `json:"table"`
		FromRows     int64  `json:"from_rows"`
		ToRows       int64  `json:"to_rows"`
		FromChecksum string `json:"from_checksum"`
		ToChecksum   string `json:"to_checksum"`
	} `json:"tables"`
}

// dbCopyJSON runs `db copy ARGS --json` and fails the test unless it exits
// 0 with every table read back identical.
func dbCopyJSON(t *testing.T, args ...string) copyReport {
	t.Helper()
	code, out, stderr := fndRun(t, append([]string{"db", "copy"}, append(args, "--json")...)...)
	var r copyReport
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || !r.Identical {
		t.Fatalf("db copy %v: exit %d, %s %s", args, code, out, stderr)
	}
	return r
}
