package pgtest

import (
	"context"
	"database/sql"
	"os"
	"testing"
)

// TestStartServesQueriesAndStops: a started cluster answers, and its
// directory is gone after the cleanup.
func TestStartServesQueriesAndStops(t *testing.T) {
	var dir string
	t.Run("cluster", func(t *testing.T) {
		url := Start(t)
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v string
		if err := db.QueryRowContext(context.Background(), `SELECT current_database() || ' ' || current_user`).Scan(&v); err != nil || v != "hashlab hashlab" {
			t.Fatalf("got %q, %v", v, err)
		}
		if err := db.QueryRowContext(context.Background(), `SELECT current_setting('data_directory')`).Scan(&dir); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's directory %s survived: %v", dir, err)
	}
}
