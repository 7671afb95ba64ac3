// Package pgtest runs real PostgreSQL servers for integration tests: Start
// finds Debian's binaries (/usr/lib/postgresql/*/bin, newest version first,
// or initdb and postgres on PATH), initdb's a cluster in a temporary
// directory as an unprivileged user (the test process may run as root),
// starts it on a free loopback port and stops it when the test ends.
//
// Without the binaries it skips the test with a message saying how to get
// them, unless HASHLAB_REQUIRE_PG is set (scripts/test.sh sets it, so CI
// never skips): then the test fails.
//
// It is test plumbing: product code must not import it.
package pgtest
