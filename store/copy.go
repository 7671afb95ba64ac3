package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
)

// TableSum is one table's row count and content checksum: the sum, modulo
// 2^256, of the SHA-256 of every row's canonical text (each value as
// decimal integer, shortest float, or text; NULL apart). The sum does not
// depend on row order, so both backends give the same checksum for the
// same rows whatever their collation.
type TableSum struct {
	Table    string `json:"table"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

// CopyReport is what Copy did: each table's rows and checksum as read
// from FROM and as read back from TO.
type CopyReport struct {
	From string `json:"from"`
	To   string `json:"to"`
	// SchemaVersion is the migration count of both databases.
	SchemaVersion int         `json:"schema_version"`
	Tables        []TableCopy `json:"tables"`
	// Identical is true when every table's count and checksum agree.
	Identical bool `json:"identical"`
}

// TableCopy is one table of a copy.
type TableCopy struct {
	Table        string `json:"table"`
	FromRows     int64  `json:"from_rows"`
	ToRows       int64  `json:"to_rows"`
	FromChecksum string `json:"from_checksum"`
	ToChecksum   string `json:"to_checksum"`
	Match        bool   `json:"match"`
}

// ErrCopyMismatch is returned (with the report) when TO does not read back
// what was copied.
var ErrCopyMismatch = errors.New("store: the copy does not match its source")

// tables lists the database's tables but schema_version, sorted.
func (d *DB) tables(ctx context.Context, q queryRows) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if d.pg {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	names, err := strings1(ctx, q, query)
	if err != nil {
		return nil, fmt.Errorf("store: listing tables: %w", err)
	}
	names = slices.DeleteFunc(names, func(s string) bool { return s == "schema_version" })
	slices.Sort(names)
	return names, nil
}

// columns lists a table's columns in their declared order.
func (d *DB) columns(ctx context.Context, q queryRows, table string) ([]string, error) {
	query := `SELECT name FROM pragma_table_info(?) ORDER BY cid`
	if d.pg {
		query = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
	}
	cols, err := strings1(ctx, q, query, table)
	if err != nil {
		return nil, fmt.Errorf("store: columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("store: table %s has no columns", table)
	}
	return cols, nil
}

type queryRows interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func strings1(ctx context.Context, q queryRows, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// rowSum accumulates a table checksum.
type rowSum struct {
	n   int64
	sum big.Int
	buf []byte
	h   big.Int
}

var mod256 = new(big.Int).Lsh(big.NewInt(1), 256)

func (s *rowSum) add(vals []any) {
	s.buf = s.buf[:0]
	for i, v := range vals {
		if i > 0 {
			s.buf = append(s.buf, 0x1f)
		}
		s.buf = appendCanonical(s.buf, v)
	}
	h := sha256.Sum256(s.buf)
	s.h.SetBytes(h[:])
	s.sum.Add(&s.sum, &s.h)
	if s.sum.Cmp(mod256) >= 0 {
		s.sum.Sub(&s.sum, mod256)
	}
	s.n++
}

func (s *rowSum) hex() string {
	var b [32]byte
	s.sum.FillBytes(b[:])
	return hex.EncodeToString(b[:])
}

// appendCanonical writes a value the same way whichever backend read it.
func appendCanonical(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 0x00, 'N')
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		if x == float64(int64(x)) {
			return strconv.AppendInt(b, int64(x), 10)
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case bool:
		if x {
			return append(b, '1')
		}
		return append(b, '0')
	case string:
		return append(b, x...)
	case []byte:
		return append(b, x...)
	default:
		return fmt.Append(b, x)
	}
}

// Checksums gives every table's row count and checksum (not
// schema_version), sorted by table.
func (d *DB) Checksums(ctx context.Context) ([]TableSum, error) {
	names, err := d.tables(ctx, d.db)
	if err != nil {
		return nil, err
	}
	out := make([]TableSum, 0, len(names))
	for _, t := range names {
		cols, err := d.columns(ctx, d.db, t)
		if err != nil {
			return nil, err
		}
		var s rowSum
		if err := eachRow(ctx, d.db, t, cols, func(vals []any) error { s.add(vals); return nil }); err != nil {
			return nil, err
		}
		out = append(out, TableSum{Table: t, Rows: s.n, Checksum: s.hex()})
	}
	return out, nil
}

func eachRow(ctx context.Context, q queryRows, table string, cols []string, fn func([]any) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM `+table)
	if err != nil {
		return fmt.Errorf("store: reading %s: %w", table, err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("store: reading %s: %w", table, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b) // the driver may reuse the buffer
			}
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: reading %s: %w", table, err)
	}
	return nil
}

// copyBatchRows is how many rows one INSERT of a copy carries (at most
// 2,048 values, well under both engines' limits).
func copyBatchRows(cols int) int { return max(1, 2048/cols) }

// Copy copies every table of from into to in one transaction of to, then
// reads to back and compares each table's row count and checksum with
// what it read from from (in one read transaction of from). Both must be
// at the same schema version (Open migrates). to must hold no rows unless
// replace, which deletes its rows first. It returns ErrCopyMismatch with
// the report when a table differs.
func Copy(ctx context.Context, from, to *DB, replace bool) (CopyReport, error) {
	rep := CopyReport{From: from.Path(), To: to.Path(), SchemaVersion: SchemaVersion()}
	if from.Path() == to.Path() && from.pg == to.pg {
		return rep, hashlab.Invalid("TO", to.Path(), "another database than FROM")
	}
	rtx, err := from.db.BeginTx(ctx, &sql.TxOptions{Isolation: readIsolation(from), ReadOnly: from.pg})
	if err != nil {
		return rep, fmt.Errorf("store: %w", err)
	}
	defer rtx.Rollback()
	names, err := from.tables(ctx, rtx)
	if err != nil {
		return rep, err
	}
	toNames, err := to.tables(ctx, to.db)
	if err != nil {
		return rep, err
	}
	if !slices.Equal(names, toNames) {
		return rep, fmt.Errorf("store: FROM has tables %v, TO has %v (both should be at schema version %d)", names, toNames, SchemaVersion())
	}
	sums := map[string]*rowSum{}
	err = to.write(ctx, func(tx *sql.Tx) error {
		for _, t := range names {
			cols, err := from.columns(ctx, rtx, t)
			if err != nil {
				return err
			}
			toCols, err := to.columns(ctx, tx, t)
			if err != nil {
				return err
			}
			if !slices.Equal(cols, toCols) {
				return fmt.Errorf("store: table %s has columns %v in FROM, %v in TO", t, cols, toCols)
			}
			if replace {
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
					return fmt.Errorf("store: emptying %s: %w", t, err)
				}
			} else {
				var n int64
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t).Scan(&n); err != nil {
					return fmt.Errorf("store: %w", err)
				}
				if n > 0 && !(t == "meta" && onlyGeneration(ctx, tx)) {
					return hashlab.Invalid("TO", to.Path(), fmt.Sprintf("an empty hashlab database (its table %s holds %d rows; give --replace to overwrite it)", t, n))
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
					return fmt.Errorf("store: emptying %s: %w", t, err)
				}
			}
			s := &rowSum{}
			sums[t] = s
			if err := copyTable(ctx, rtx, tx, t, cols, s); err != nil {
				return err
			}
		}
		if to.pg {
			return resetIdentities(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	rtx.Rollback()
	back, err := to.Checksums(ctx)
	if err != nil {
		return rep, err
	}
	rep.Identical = true
	for _, b := range back {
		s := sums[b.Table]
		if s == nil {
			s = &rowSum{}
		}
		tc := TableCopy{Table: b.Table, FromRows: s.n, ToRows: b.Rows, FromChecksum: s.hex(), ToChecksum: b.Checksum}
		tc.Match = tc.FromRows == tc.ToRows && tc.FromChecksum == tc.ToChecksum
		rep.Identical = rep.Identical && tc.Match
		rep.Tables = append(rep.Tables, tc)
	}
	if !rep.Identical {
		return rep, ErrCopyMismatch
	}
	return rep, nil
}

// readIsolation reads FROM as one snapshot: repeatable read on
// PostgreSQL; SQLite's transactions are serializable.
func readIsolation(d *DB) sql.IsolationLevel {
	if d.pg {
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}

// onlyGeneration reports whether TO's meta holds nothing but bookkeeping
// rows a new database may have (the generation, the ingest holder).
func onlyGeneration(ctx context.Context, tx *sql.Tx) bool {
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM meta WHERE key NOT IN (?, ?)`, metaGeneration, metaIngestHolder).Scan(&n)
	return err == nil && n == 0
}

func copyTable(ctx context.Context, from queryRows, tx *sql.Tx, table string, cols []string, s *rowSum) error {
	per := copyBatchRows(len(cols))
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	full, err := tx.PrepareContext(ctx, head+strings.TrimSuffix(strings.Repeat(one+",", per), ","))
	if err != nil {
		return fmt.Errorf("store: copying %s: %w", table, err)
	}
	defer full.Close()
	args := make([]any, 0, per*len(cols))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		var err error
		if len(args) == per*len(cols) {
			_, err = full.ExecContext(ctx, args...)
		} else {
			n := len(args) / len(cols)
			_, err = tx.ExecContext(ctx, head+strings.TrimSuffix(strings.Repeat(one+",", n), ","), args...)
		}
		args = args[:0]
		if err != nil {
			return fmt.Errorf("store: copying %s: %w", table, err)
		}
		return nil
	}
	err = eachRow(ctx, from, table, cols, func(vals []any) error {
		s.add(vals)
		args = append(args, vals...)
		if len(args) == per*len(cols) {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// resetIdentities moves every identity column's sequence past the
// largest copied value, so rows inserted later without it (reorgs) get
// new numbers.
func resetIdentities(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	var ids [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return fmt.Errorf("store: %w", err)
		}
		ids = append(ids, [2]string{t, c})
	}
	rows.Close()
	for _, id := range ids {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, false) FROM %s`, id[0], id[1], id[1], id[0])
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: resetting %s.%s: %w", id[0], id[1], err)
		}
	}
	return nil
}
