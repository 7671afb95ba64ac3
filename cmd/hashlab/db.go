package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/store"
)

func init() {
	register(command{Name: "db", Summary: "the database itself: migrate its schema, copy it between SQLite and PostgreSQL (verified per table)", Run: runDB})
}

// The usage of each db subcommand, and of db.
const (
	dbMigrateUsage = `db migrate [--db FILE|postgres://…] [--json]`
	dbCopyUsage    = `db copy FROM TO [--replace] [--json]`
	dbNote         = `A database is an SQLite file path or a PostgreSQL URL (postgres://user[:password]@host[:port]/dbname[?sslmode=…]).`
	dbUsage        = dbMigrateUsage + "\n       hashlab " + dbCopyUsage + "\n\n" + dbNote
)

func runDB(ctx context.Context, env *Env, args []string) error {
	kind, err := subcommand(env, "db", "do", []string{"migrate", "copy"}, dbUsage, args)
	if err != nil {
		return err
	}
	own := dbMigrateUsage
	if kind == "copy" {
		own = dbCopyUsage
	}
	fs := newFlags(env, "db "+kind, own+"\n\n"+dbNote)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var dbFlag *string
	var replace *bool
	if kind == "migrate" {
		dbFlag = fs.String("db", "", "database: a file or a postgres:// URL (env "+envDB+", or db: in the config file; default "+store.DefaultPath(env.Getenv)+")")
	} else {
		replace = fs.Bool("replace", false, "copy into a TO that holds rows, deleting them first (default: TO must be empty)")
	}
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if kind == "migrate" {
		if len(pos) != 0 {
			return usagef("db migrate takes no arguments, got %q", strings.Join(pos, " "))
		}
		return runDBMigrate(ctx, env, *dbFlag, *asJSON)
	}
	if len(pos) != 2 {
		return usagef("db copy takes FROM and TO, got %d arguments %q", len(pos), strings.Join(pos, " "))
	}
	return runDBCopy(ctx, env, pos[0], pos[1], *replace, *asJSON)
}

type migrateReport struct {
	DB            string `json:"db"`
	Backend       string `json:"backend"`
	FromVersion   int    `json:"from_version"`
	SchemaVersion int    `json:"schema_version"`
	Applied       int    `json:"migrations_applied"`
}

// shownDB is a database setting as printed: a PostgreSQL URL without its
// password, a file path as it is.
func shownDB(s string) string {
	if store.IsPostgresURL(s) {
		return maskURL(s)
	}
	return s
}

// dbName names an open database in answers: a file by its base name, a
// PostgreSQL database by its URL without the password.
func dbName(db *store.DB) string {
	if db.IsPostgres() {
		return db.Path()
	}
	return filepath.Base(db.Path())
}

func backendName(db *store.DB) string {
	if db.IsPostgres() {
		return "postgresql"
	}
	return "sqlite"
}

func runDBMigrate(ctx context.Context, env *Env, dbFlag string, asJSON bool) error {
	conf, err := LoadConfig(env, ConfigFlags{DB: dbFlag})
	if err != nil {
		return cliErr(err)
	}
	created := false
	if !store.IsPostgresURL(conf.DB) {
		_, statErr := os.Stat(conf.DB)
		created = errors.Is(statErr, os.ErrNotExist)
	}
	db, err := store.Open(ctx, conf.DB)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "--db"
		return ie
	}
	if err != nil {
		return err
	}
	defer db.Close()
	rep := migrateReport{DB: db.Path(), Backend: backendName(db), FromVersion: db.MigratedFrom(), SchemaVersion: store.SchemaVersion()}
	rep.Applied = rep.SchemaVersion - rep.FromVersion
	if conf.From["db"] != FromFlag {
		// Without --db, say which database this was, in full, whatever
		// the output format: it may be a file the user never named.
		shown := shownDB(conf.DB)
		if !store.IsPostgresURL(conf.DB) {
			if abs, err := filepath.Abs(conf.DB); err == nil {
				shown = abs
			}
		}
		verb := "checked"
		switch {
		case created:
			verb = "created"
		case rep.Applied > 0:
			verb = "migrated"
		}
		from := "the default; choose one with --db, " + envDB + " or db: in the config file"
		if conf.From["db"] != FromDefault {
			from = "from " + conf.Name["db"]
		}
		fmt.Fprintf(env.Stderr, "hashlab db migrate: %s %s (%s)\n", verb, shown, from)
	}
	if asJSON {
		return writeJSON(env.Stdout, rep)
	}
	if rep.Applied == 0 {
		fmt.Fprintf(env.Stdout, "%s (%s) is at schema version %d: nothing to migrate\n", rep.DB, rep.Backend, rep.SchemaVersion)
		return nil
	}
	fmt.Fprintf(env.Stdout, "%s (%s): schema version %d -> %d (%d migrations applied)\n", rep.DB, rep.Backend, rep.FromVersion, rep.SchemaVersion, rep.Applied)
	return nil
}

func runDBCopy(ctx context.Context, env *Env, fromName, toName string, replace, asJSON bool) error {
	if sameDatabase(fromName, toName) {
		return hashlab.Invalid("TO", shownDB(toName), "a database other than FROM "+shownDB(fromName)+" (the same file, or the same PostgreSQL host, port and database)")
	}
	from, err := store.OpenExisting(ctx, fromName)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "FROM"
		return ie
	}
	if err != nil {
		return fmt.Errorf("FROM %s: %w", fromName, err)
	}
	defer from.Close()
	created := false
	if !store.IsPostgresURL(toName) {
		_, statErr := os.Stat(toName)
		created = errors.Is(statErr, os.ErrNotExist)
	}
	to, err := store.Open(ctx, toName)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "TO"
		return ie
	}
	if err != nil {
		return fmt.Errorf("TO %s: %w", toName, err)
	}
	rep, err := store.Copy(ctx, from, to, replace)
	to.Close()
	if err != nil && created && rep.Tables == nil {
		// A copy that wrote nothing leaves no new file behind.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(toName + suffix)
		}
	}
	if ie, ok := hashlab.AsInput(err); ok {
		return ie
	}
	if errors.Is(err, store.ErrCopyMismatch) {
		var bad []string
		for _, t := range rep.Tables {
			if !t.Match {
				bad = append(bad, fmt.Sprintf("%s (%d rows %s read from FROM, %d rows %s read back)", t.Table, t.FromRows, t.FromChecksum[:16], t.ToRows, t.ToChecksum[:16]))
			}
		}
		return fmt.Errorf("db copy: TO does not read back what was copied: %s", strings.Join(bad, "; "))
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, rep)
	}
	fmt.Fprintf(env.Stdout, "copied %s (%s) to %s (%s), schema version %d; every table read back identical\n", rep.From, backendName(from), rep.To, backendName(to), rep.SchemaVersion)
	tw := newTable(env.Stdout)
	fmt.Fprintln(tw, "TABLE\tROWS\tCHECKSUM (sum of row SHA-256s mod 2^256)\tREAD BACK")
	for _, t := range rep.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", t.Table, t.ToRows, t.ToChecksum, map[bool]string{true: "identical", false: "DIFFERENT"}[t.Match])
	}
	return tw.Flush()
}

// sameDatabase reports whether two database settings name one database:
// SQLite files by their cleaned absolute paths, symlinks resolved (of the
// file when it exists, else of its directory); PostgreSQL URLs by host,
// port and database name (with libpq's defaults: localhost, 5432, the
// user's name).
func sameDatabase(a, b string) bool {
	pa, pb := store.IsPostgresURL(a), store.IsPostgresURL(b)
	if pa != pb {
		return false
	}
	if pa {
		ka, okA := pgIdentity(a)
		kb, okB := pgIdentity(b)
		return okA && okB && ka == kb
	}
	return sqliteIdentity(a) == sqliteIdentity(b)
}

func sqliteIdentity(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

func pgIdentity(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	q := u.Query()
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		host = strings.ToLower(q.Get("host"))
	}
	if host == "" || host == "127.0.0.1" || host == "::1" {
		host = "localhost"
	}
	if port == "" {
		port = q.Get("port")
	}
	if port == "" {
		port = "5432"
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		name = q.Get("dbname")
	}
	if name == "" && u.User != nil {
		name = u.User.Username()
	}
	return host + "\x00" + port + "\x00" + name, true
}
