// Package store keeps chain data — blocks, BTC prices and the reorgs an
// ingest run rolled back — in an embedded SQLite database (github.com/mattn/go-sqlite3:
// SQLite's C code built with cgo), or in PostgreSQL when the database
// is named by a postgres:// URL (pgx's database/sql driver; dialect.go
// rewrites the one SQLite-spelled SQL for it). Both backends hold the same
// schema through the same migrations and behave the same; the store's and
// the ingester's tests run on both. lock.go keeps one ingester per
// database; copy.go copies a database to the other backend and verifies it.
//
// Callers depend on small interfaces, not on *DB: ChainWriter is what the
// ingester needs, Importer what the file imports need, and the history
// package declares the readers it uses. A server database can implement the
// same interfaces later without touching the domain packages.
//
// The schema is versioned in code (migrations, recorded in the
// schema_version table); the database runs in WAL mode and every batch is
// one transaction, so a crash at any moment leaves the file consistent.
//
// Open (import, ingest) creates a database; OpenExisting (queries, serve
// --db) never creates one and never turns another file into one: an empty
// file, a file that is not SQLite or an SQLite file without hashlab's
// schema is a *hashlab.InputError.
//
// store is an adapter: it may do I/O. Domain packages (consensus, hashprice,
// mining, pivot, sim, security, history, netstate, snapshot, chain's core)
// must never import it.
package store
