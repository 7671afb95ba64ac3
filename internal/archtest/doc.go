// Package archtest holds the architecture test: every domain package
// (consensus, hashprice, mining, pivot, sim, sim/secreport, security,
// history, netstate, snapshot and chain's core) is checked on its
// transitive imports, listed with `go list -json`: none may reach
// net/http, os/exec, database/sql or any hashlab adapter, none may import
// os or net itself, and none reads the clock or global randomness.
// history must not pull in sim, pivot, mining or YAML, and security
// depends on consensus alone. The arrows point inward.
package archtest
