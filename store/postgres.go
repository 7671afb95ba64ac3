package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hashlab/hashlab"
)

// A PostgreSQL database is reached through pgx's database/sql driver
// (github.com/jackc/pgx/v5/stdlib), wrapped so that every statement is
// rewritten from the store's SQLite spelling (pgSQL) and booleans are
// bound as the 0/1 integers both schemas store.

const allowedPG = "a reachable PostgreSQL database holding hashlab's schema (create the schema with hashlab db migrate --db URL, hashlab import or hashlab ingest)"

// migrateLockKey serialises schema migrations of one PostgreSQL database
// across processes (pg_advisory_xact_lock); "hlmigrat" in ASCII.
const migrateLockKey int64 = 0x686c6d6967726174

// redactURL is a URL without its password (in the user part or a
// password= parameter), for messages and Path.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// openPostgres connects to the database at rawURL and migrates it. When
// mustBeHashlab, a database without the schema_version table is refused
// (queries never create a schema).
func openPostgres(ctx context.Context, rawURL string, mustBeHashlab bool) (*DB, error) {
	name := redactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, hashlab.Invalidf("database", name, "a PostgreSQL URL postgres://user[:password]@host[:port]/dbname[?sslmode=…]", err)
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "hashlab"
	}
	sdb := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(4)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", name, err)
	}
	if mustBeHashlab {
		var ok bool
		if err := sdb.QueryRowContext(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&ok); err != nil {
			sdb.Close()
			return nil, fmt.Errorf("store: %s: %w", name, err)
		}
		if !ok {
			sdb.Close()
			return nil, hashlab.Invalid("database", name, allowedPG+"; this database has no hashlab schema")
		}
	}
	d := &DB{db: sdb, path: name, pg: true}
	if err := d.migrate(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: %s: %w", name, err)
	}
	return d, nil
}

// pgConnector hands out pgConns.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pgConn{conn.(*stdlib.Conn)}, nil
}

// pgConn is a pgx connection whose statements are rewritten by pgSQL.
type pgConn struct{ c *stdlib.Conn }

var (
	_ driver.ConnPrepareContext = pgConn{}
	_ driver.ConnBeginTx        = pgConn{}
	_ driver.ExecerContext      = pgConn{}
	_ driver.QueryerContext     = pgConn{}
	_ driver.Pinger             = pgConn{}
	_ driver.SessionResetter    = pgConn{}
	_ driver.NamedValueChecker  = pgConn{}
)

func (p pgConn) Prepare(q string) (driver.Stmt, error) { return p.c.Prepare(pgSQL(q)) }
func (p pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return p.c.PrepareContext(ctx, pgSQL(q))
}
func (p pgConn) Close() error              { return p.c.Close() }
func (p pgConn) Begin() (driver.Tx, error) { return p.c.Begin() }
func (p pgConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return p.c.BeginTx(ctx, o)
}
func (p pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return p.c.ExecContext(ctx, pgSQL(q), args)
}
func (p pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return p.c.QueryContext(ctx, pgSQL(q), args)
}
func (p pgConn) Ping(ctx context.Context) error              { return p.c.Ping(ctx) }
func (p pgConn) ResetSession(ctx context.Context) error      { return p.c.ResetSession(ctx) }
func (p pgConn) IsValid() bool                               { return !p.c.Conn().IsClosed() }
func (p pgConn) CheckNamedValue(nv *driver.NamedValue) error { return checkPGValue(nv) }

// checkPGValue binds a bool as the 0/1 integer the schema stores (both
// schemas keep flags in INTEGER columns, as SQLite does); every other value
// goes to pgx as it is.
func checkPGValue(nv *driver.NamedValue) error {
	switch v := nv.Value.(type) {
	case bool:
		if v {
			nv.Value = int64(1)
		} else {
			nv.Value = int64(0)
		}
	case *bool:
		if v != nil {
			nv.Value = map[bool]int64{false: 0, true: 1}[*v]
		}
	}
	return nil
}
