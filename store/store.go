package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/chainhash/v2"
	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver (cgo)

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain"
	"github.com/hashlab/hashlab/consensus"
)

// Reorg is one reorganisation an ingest run found: the database's chain
// from ForkHeight+1 to OldTipHeight was no longer the node's and was
// rolled back.
type Reorg struct {
	// DetectedAt is when the run noticed it, Unix seconds.
	DetectedAt   int64  `json:"detected_at"`
	ForkHeight   int64  `json:"fork_height"`
	OldTipHeight int64  `json:"old_tip_height"`
	OldTipHash   string `json:"old_tip_hash"`
	NewTipHash   string `json:"new_tip_hash"`
	// Depth is the number of blocks rolled back.
	Depth int64 `json:"depth"`
}

// ChainWriter is what the ingester needs of a database. Tip and BlockHash
// see only blocks that came from a node (Source "rpc"), so blocks imported
// from files never look like a chain the node has to agree with.
type ChainWriter interface {
	// Network returns the database's network ("" when not set yet).
	Network(ctx context.Context) (string, error)
	// SetNetwork records the network of an empty database; it fails with
	// ErrNetworkMismatch when another network is already recorded.
	SetNetwork(ctx context.Context, network string) error
	// Tip returns the highest block ingested from a node.
	Tip(ctx context.Context) (height int64, hash string, ok bool, err error)
	// BlockHash returns the hash of the node-ingested block at height.
	BlockHash(ctx context.Context, height int64) (hash string, ok bool, err error)
	// PutBlocks writes blocks (replacing any row at the same height) in
	// one transaction.
	PutBlocks(ctx context.Context, blocks []chain.BlockRecord) error
	// Rollback deletes the node-ingested blocks above forkHeight and
	// records ev, in one transaction.
	Rollback(ctx context.Context, forkHeight int64, ev Reorg) error
}

// ErrNetworkMismatch is wrapped when data of one network is written to a
// database that holds another.
var ErrNetworkMismatch = errors.New("store: network mismatch")

// DB is a hashlab database: one SQLite file, or a PostgreSQL database
// (Open and OpenExisting choose by the name: a postgres:// or
// postgresql:// URL, else a file path). Both hold the same schema, migrated
// by the same versioned migrations, and behave the same. It is safe for
// concurrent use; writes are serialised within the process.
type DB struct {
	db   *sql.DB
	path string // the file, or the URL without its password
	pg   bool   // PostgreSQL, else SQLite
	// migratedFrom is the schema version the database had when opened.
	migratedFrom int
	// lockPID is the PostgreSQL backend holding this handle's ingest
	// lock, 0 when it holds none (lock.go).
	lockPID atomic.Int64
	wmu     sync.Mutex // one writer at a time within the process
}

var _ ChainWriter = (*DB)(nil)

// DefaultPath is the per-user database file: $XDG_DATA_HOME/hashlab/hashlab.db,
// else ~/.local/share/hashlab/hashlab.db (HOME from getenv). On systems
// without either it falls back to ./hashlab.db.
func DefaultPath(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "hashlab", "hashlab.db")
	}
	home := getenv("HOME")
	if home == "" {
		home = getenv("USERPROFILE")
	}
	if home == "" {
		return "hashlab.db"
	}
	return filepath.Join(home, ".local", "share", "hashlab", "hashlab.db")
}

// Open opens (creating it and its directory if needed) the database at
// path and brings its schema up to date. Commands that write (import,
// ingest) use it; queries use OpenExisting.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: database path is empty")
	}
	if IsPostgresURL(path) {
		return openPostgres(ctx, path, false)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: creating the database directory: %w", err)
		}
	}
	if err := checkSQLiteHeader(path, true); err != nil {
		return nil, err
	}
	return openDB(ctx, path, "rwc", false)
}

// sqliteMagic is the first 16 bytes of every SQLite 3 database file
// (https://www.sqlite.org/fileformat.html, "The Database Header").
const sqliteMagic = "SQLite format 3\x00"

const allowedDB = "an existing hashlab database file (create one with hashlab import or hashlab ingest)"

// checkSQLiteHeader refuses a file that exists but is not an SQLite
// database: an empty file or any other content. A missing file is fine
// when mayCreate.
func checkSQLiteHeader(path string, mayCreate bool) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist) && mayCreate:
		return nil
	case errors.Is(err, os.ErrNotExist):
		return hashlab.Invalidf("database", path, allowedDB, os.ErrNotExist)
	case err != nil:
		return fmt.Errorf("store: %w", err)
	case st.IsDir():
		return hashlab.Invalid("database", path, "a database file, not a directory (e.g. "+filepath.Join(path, "hashlab.db")+")")
	case st.Size() == 0:
		return hashlab.Invalid("database", path, allowedDB+"; this file is empty")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	var head [len(sqliteMagic)]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:]) != sqliteMagic {
		return hashlab.Invalid("database", path, allowedDB+"; this file is not an SQLite database")
	}
	return nil
}

// OpenExisting opens the hashlab database at path for queries (history,
// pools, serve --db). It never creates or converts a file: a path that
// does not exist, a directory, an empty file, a file that is not SQLite,
// or an SQLite file without hashlab's schema is a *hashlab.InputError
// (field "database", value path). An older hashlab schema is migrated.
func OpenExisting(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, hashlab.Invalid("database", path, allowedDB)
	}
	if IsPostgresURL(path) {
		return openPostgres(ctx, path, true)
	}
	if err := checkSQLiteHeader(path, false); err != nil {
		return nil, err
	}
	return openDB(ctx, path, "rw", true)
}

func openDB(ctx context.Context, path, mode string, mustBeHashlab bool) (*DB, error) {
	if mustBeHashlab {
		// Look before the pragmas below touch the file (WAL mode
		// rewrites its header).
		if err := checkSchemaTable(ctx, path); err != nil {
			return nil, err
		}
	}
	// Every connection runs PRAGMA journal_mode = WAL, synchronous =
	// NORMAL, busy_timeout = 10000, foreign_keys = 1 and cache_size =
	// -65536 (the driver's DSN parameters), and begins its transactions
	// IMMEDIATE.
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "1")
	q.Set("_cache_size", "-65536")
	q.Set("_txlock", "immediate")
	q.Set("mode", mode)
	sdb, err := sql.Open(sqliteDriver, dsn(path, q))
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", path, err)
	}
	sdb.SetMaxOpenConns(4)
	d := &DB{db: sdb, path: path}
	if err := d.migrate(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return d, nil
}

// sqliteDriver is the database/sql driver of SQLite files:
// github.com/mattn/go-sqlite3, SQLite's own C code built with cgo.
const sqliteDriver = "sqlite3"

// dsn is a file: URI of path; SQLite reads mode, the driver the
// parameters that start with "_".
func dsn(path string, q url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// checkSchemaTable refuses an SQLite file without hashlab's schema_version
// table, reading it read-only.
func checkSchemaTable(ctx context.Context, path string) error {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", "10000")
	sdb, err := sql.Open(sqliteDriver, dsn(path, q))
	if err != nil {
		return fmt.Errorf("store: opening %s: %w", path, err)
	}
	defer sdb.Close()
	var n int
	if err := sdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&n); err != nil {
		return hashlab.Invalidf("database", path, allowedDB+"; this file cannot be read as SQLite", err)
	}
	if n == 0 {
		return hashlab.Invalid("database", path, allowedDB+"; this SQLite file has no hashlab schema")
	}
	return nil
}

// Path returns the database file's path, or its PostgreSQL URL without
// the password.
func (d *DB) Path() string { return d.path }

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// MigratedFrom is the schema version the database had before Open or
// OpenExisting migrated it (0: a new database).
func (d *DB) MigratedFrom() int { return d.migratedFrom }

// IsPostgres reports whether the database is PostgreSQL (else SQLite).
func (d *DB) IsPostgres() bool { return d.pg }

// SchemaVersion is the number of migrations this build applies.
func SchemaVersion() int { return len(migrations) }

func (d *DB) migrate(ctx context.Context) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.pg {
		// Two processes opening one new database migrate one after
		// the other (SQLite's immediate transaction does the same).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, migrateLockKey); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var v int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	d.migratedFrom = v
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this hashlab knows (%d): use a newer hashlab", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		stmts := []string{migrations[i]}
		if d.pg {
			stmts = splitStatements(migrations[i])
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
	}
	if v < len(migrations) {
		if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, len(migrations)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// write runs fn in one write transaction.
func (d *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := d.checkIngestLock(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// Network returns the database's network, "" when none is recorded.
func (d *DB) Network(ctx context.Context) (string, error) {
	return networkOf(ctx, d.db)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func networkOf(ctx context.Context, q queryer) (string, error) {
	var n string
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'network'`).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: reading the network: %w", err)
	}
	return n, nil
}

// SetNetwork records network for a database that has none; the same
// network again is a no-op; another fails with ErrNetworkMismatch.
func (d *DB) SetNetwork(ctx context.Context, network string) error {
	if network == "" {
		return errors.New("store: network name is empty")
	}
	return d.write(ctx, func(tx *sql.Tx) error { return setNetwork(ctx, tx, network) })
}

func setNetwork(ctx context.Context, tx *sql.Tx, network string) error {
	have, err := networkOf(ctx, tx)
	if err != nil {
		return err
	}
	if have == network {
		return nil
	}
	if have != "" {
		return fmt.Errorf("%w: the database holds %s data, not %s (use another --db for %s)", ErrNetworkMismatch, have, network, network)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('network', ?)`, network); err != nil {
		return fmt.Errorf("store: recording the network: %w", err)
	}
	return nil
}

// Tip returns the highest block ingested from a node.
func (d *DB) Tip(ctx context.Context) (int64, string, bool, error) {
	var h int64
	var hash string
	err := d.db.QueryRowContext(ctx, `SELECT height, hash FROM blocks WHERE source = 'rpc' ORDER BY height DESC LIMIT 1`).Scan(&h, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("store: reading the tip: %w", err)
	}
	return h, hash, true, nil
}

// BlockHash returns the hash of the node-ingested block at height.
func (d *DB) BlockHash(ctx context.Context, height int64) (string, bool, error) {
	var hash string
	err := d.db.QueryRowContext(ctx, `SELECT hash FROM blocks WHERE height = ? AND source = 'rpc'`, height).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: reading block %d: %w", height, err)
	}
	return hash, true, nil
}

const blockColumns = `height, hash, prev_hash, time, median_time, bits, version, nonce, tx_count, size_bytes, weight_wu,
	coinbase_out_sats, subsidy_sats, fees_sats, under_claimed, coinbase_tag, payout_addresses, pool, source`

// putBlock writes a whole row, replacing any at the same height (SQLite's
// INSERT OR REPLACE, spelled so that PostgreSQL runs it too).
var putBlock = `INSERT INTO blocks (` + blockColumns + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT(height) DO UPDATE SET ` + setExcluded(blockColumns, "height")

// setExcluded is "a = excluded.a, b = excluded.b, …" for the columns of a
// comma-separated list but skip.
func setExcluded(columns, skip string) string {
	var sets []string
	for _, c := range strings.Split(columns, ",") {
		if c = strings.TrimSpace(c); c != skip {
			sets = append(sets, c+" = excluded."+c)
		}
	}
	return strings.Join(sets, ", ")
}

// PutBlocks writes complete block records, replacing rows at the same
// heights, in one transaction.
func (d *DB) PutBlocks(ctx context.Context, blocks []chain.BlockRecord) error {
	if len(blocks) == 0 {
		return nil
	}
	return d.write(ctx, func(tx *sql.Tx) error { return putBlocks(ctx, tx, blocks) })
}

// putBlocks is PutBlocks in the transaction tx (PutBlocksFlow shares it).
func putBlocks(ctx context.Context, tx *sql.Tx, blocks []chain.BlockRecord) error {
	{
		ru, err := beginPutRollup(ctx, tx, blocks)
		if err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, putBlock)
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		defer st.Close()
		for _, b := range blocks {
			addrs := "[]"
			if len(b.PayoutAddresses) > 0 {
				j, err := json.Marshal(b.PayoutAddresses)
				if err != nil {
					return fmt.Errorf("store: block %d: %w", b.Height, err)
				}
				addrs = string(j)
			}
			if _, err := st.ExecContext(ctx, b.Height, hashText(b.Hash), prevText(b.PrevHash, b.Height), b.Time, b.MedianTime, int64(b.Bits), int64(b.Version), int64(b.Nonce),
				b.TxCount, b.SizeBytes, b.WeightWU, int64(b.CoinbaseOutSats), int64(b.SubsidySats), int64(b.FeesSats), b.UnderClaimed,
				b.CoinbaseTag, addrs, b.Pool, b.Source); err != nil {
				return fmt.Errorf("store: writing block %d: %w", b.Height, err)
			}
		}
		if err := ru.finish(ctx, tx); err != nil {
			return err
		}
		return bumpGeneration(ctx, tx)
	}
}

// Rollback deletes node-ingested blocks above forkHeight and records ev,
// in one transaction.
func (d *DB) Rollback(ctx context.Context, forkHeight int64, ev Reorg) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		ru, err := beginRollbackRollup(ctx, tx, forkHeight)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocks WHERE height > ? AND source = 'rpc'`, forkHeight); err != nil {
			return fmt.Errorf("store: rolling back above %d: %w", forkHeight, err)
		}
		if err := ru.finish(ctx, tx); err != nil {
			return err
		}
		if err := rollbackMinerFlow(ctx, tx, forkHeight); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reorgs (detected_at, fork_height, old_tip_height, old_tip_hash, new_tip_hash, depth) VALUES (?,?,?,?,?,?)`,
			ev.DetectedAt, ev.ForkHeight, ev.OldTipHeight, ev.OldTipHash, ev.NewTipHash, ev.Depth); err != nil {
			return fmt.Errorf("store: recording the reorg: %w", err)
		}
		return bumpGeneration(ctx, tx)
	})
}

// Reorgs returns the recorded reorgs, oldest first.
func (d *DB) Reorgs(ctx context.Context) ([]Reorg, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT detected_at, fork_height, old_tip_height, old_tip_hash, new_tip_hash, depth FROM reorgs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []Reorg
	for rows.Next() {
		var r Reorg
		if err := rows.Scan(&r.DetectedAt, &r.ForkHeight, &r.OldTipHeight, &r.OldTipHash, &r.NewTipHash, &r.Depth); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

// hashText is the stored spelling of a block hash: display-order hex, or
// ” for the zero hash (a block known only from the blocks CSV).
func hashText(h consensus.Hash) string {
	if h == chain.ZeroHash {
		return ""
	}
	return h.String()
}

// prevText is hashText for a previous-block hash; a genesis block's is
// stored as 64 zeros, as a node prints it.
func prevText(h consensus.Hash, height int64) string {
	if height == 0 {
		return h.String()
	}
	return hashText(h)
}

// parseHash reads a stored hash; ” is the zero hash.
func parseHash(s string) (consensus.Hash, error) {
	if s == "" {
		return chain.ZeroHash, nil
	}
	h, err := chainhash.NewHashFromStr(s)
	if err != nil || len(s) != 64 {
		return chain.ZeroHash, fmt.Errorf("store: hash %q is not 64 hex digits", s)
	}
	return *h, nil
}

func scanBlock(s scanner) (chain.BlockRecord, error) {
	var b chain.BlockRecord
	var bits, version, nonce, cbOut, subsidy, fees int64
	var addrs, hash, prev string
	if err := s.Scan(&b.Height, &hash, &prev, &b.Time, &b.MedianTime, &bits, &version, &nonce, &b.TxCount, &b.SizeBytes, &b.WeightWU,
		&cbOut, &subsidy, &fees, &b.UnderClaimed, &b.CoinbaseTag, &addrs, &b.Pool, &b.Source); err != nil {
		return b, fmt.Errorf("store: %w", err)
	}
	b.Bits, b.Version, b.Nonce = consensus.Bits(bits), int32(version), uint32(nonce)
	b.CoinbaseOutSats, b.SubsidySats, b.FeesSats = consensus.Sats(cbOut), consensus.Sats(subsidy), consensus.Sats(fees)
	var err error
	if b.Hash, err = parseHash(hash); err != nil {
		return b, fmt.Errorf("%w (block %d)", err, b.Height)
	}
	if b.PrevHash, err = parseHash(prev); err != nil {
		return b, fmt.Errorf("%w (block %d's prev_hash)", err, b.Height)
	}
	if addrs != "" && addrs != "[]" {
		if err := json.Unmarshal([]byte(addrs), &b.PayoutAddresses); err != nil {
			return b, fmt.Errorf("store: block %d: payout_addresses %q is not a JSON array of strings: %w", b.Height, addrs, err)
		}
	}
	return b, nil
}

// Block returns the stored block at height (from any source).
func (d *DB) Block(ctx context.Context, height int64) (chain.BlockRecord, bool, error) {
	b, err := scanBlock(d.db.QueryRowContext(ctx, `SELECT `+blockColumns+` FROM blocks WHERE height = ?`, height))
	if errors.Is(err, sql.ErrNoRows) {
		return chain.BlockRecord{}, false, nil
	}
	if err != nil {
		return chain.BlockRecord{}, false, err
	}
	return b, true, nil
}

// LastBlock returns the highest stored block of any source.
func (d *DB) LastBlock(ctx context.Context) (chain.BlockRecord, bool, error) {
	b, err := scanBlock(d.db.QueryRowContext(ctx, `SELECT `+blockColumns+` FROM blocks ORDER BY height DESC LIMIT 1`))
	if errors.Is(err, sql.ErrNoRows) {
		return chain.BlockRecord{}, false, nil
	}
	if err != nil {
		return chain.BlockRecord{}, false, err
	}
	return b, true, nil
}

func (d *DB) scan(ctx context.Context, fn func(chain.BlockRecord) error, query string, args ...any) error {
	rows, err := d.db.QueryContext(ctx, `SELECT `+blockColumns+` FROM blocks `+query, args...)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBlock(rows)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// BlocksByHeight calls fn for every stored block with from <= height <=
// to, ascending. fn must not write to the database.
func (d *DB) BlocksByHeight(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
	return d.scan(ctx, fn, `WHERE height BETWEEN ? AND ? ORDER BY height`, from, to)
}

// BlocksByTime calls fn for every stored block whose header time t has
// from <= t < to (Unix seconds), ascending by height. fn must not write
// to the database.
func (d *DB) BlocksByTime(ctx context.Context, from, to int64, fn func(chain.BlockRecord) error) error {
	return d.scan(ctx, fn, `WHERE time >= ? AND time < ? ORDER BY height`, from, to)
}

// EpochBoundaries calls fn for every stored block that starts or ends a
// difficulty epoch of interval blocks (height%interval is 0 or
// interval-1), ascending.
func (d *DB) EpochBoundaries(ctx context.Context, interval int64, fn func(chain.BlockRecord) error) error {
	if interval < 2 {
		return fmt.Errorf("store: epoch interval %d (allowed: >= 2)", interval)
	}
	// The boundary heights from the lowest stored epoch to the highest
	// stored height, each looked up by key: no scan of every block.
	return d.scan(ctx, fn, `WHERE height IN (WITH RECURSIVE e(h) AS (
			SELECT COALESCE((SELECT MIN(height) FROM blocks), 0) / ? * ?
			UNION ALL SELECT h + ? FROM e WHERE h < (SELECT MAX(height) FROM blocks))
		SELECT h FROM e UNION ALL SELECT h - 1 FROM e) ORDER BY height`, interval, interval, interval)
}

// Counts says how many rows the database holds.
type Counts struct {
	Blocks    int64            `json:"blocks"`
	BySource  map[string]int64 `json:"blocks_by_source"`
	Prices    int64            `json:"prices"`
	Reorgs    int64            `json:"reorgs"`
	MinHeight int64            `json:"min_height"`
	MaxHeight int64            `json:"max_height"`
}

// Count summarises the database's content.
func (d *DB) Count(ctx context.Context) (Counts, error) {
	c := Counts{BySource: map[string]int64{}}
	rows, err := d.db.QueryContext(ctx, `SELECT source, COUNT(*) FROM blocks GROUP BY source`)
	if err != nil {
		return c, fmt.Errorf("store: %w", err)
	}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return c, fmt.Errorf("store: %w", err)
		}
		c.BySource[s] = n
		c.Blocks += n
	}
	rows.Close()
	if err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MIN(height), -1), COALESCE(MAX(height), -1) FROM blocks`).Scan(&c.MinHeight, &c.MaxHeight); err != nil {
		return c, fmt.Errorf("store: %w", err)
	}
	if err := d.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM prices), (SELECT COUNT(*) FROM reorgs)`).Scan(&c.Prices, &c.Reorgs); err != nil {
		return c, fmt.Errorf("store: %w", err)
	}
	return c, nil
}

// Prices returns the stored daily BTC prices (USD) keyed by UTC date
// "2006-01-02".
func (d *DB) Prices(ctx context.Context) (map[string]float64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT date, usd FROM prices`)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var date string
		var usd float64
		if err := rows.Scan(&date, &usd); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out[date] = usd
	}
	return out, rows.Err()
}
