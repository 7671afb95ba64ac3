package store

// migrations are applied in order; the schema_version table holds the
// number applied. Append new migrations, never edit old ones.
var migrations = []string{
	// 1: the initial schema.
	`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);
	CREATE TABLE blocks (
		height            INTEGER PRIMARY KEY,
		hash              TEXT    NOT NULL DEFAULT '',
		prev_hash         TEXT    NOT NULL DEFAULT '',
		time              INTEGER NOT NULL,
		median_time       INTEGER NOT NULL DEFAULT 0,
		bits              INTEGER NOT NULL DEFAULT 0,
		version           INTEGER NOT NULL DEFAULT 0,
		nonce             INTEGER NOT NULL DEFAULT 0,
		tx_count          INTEGER NOT NULL DEFAULT 0,
		size_bytes        INTEGER NOT NULL DEFAULT 0,
		weight_wu         INTEGER NOT NULL DEFAULT 0,
		coinbase_out_sats INTEGER NOT NULL DEFAULT 0,
		subsidy_sats      INTEGER NOT NULL DEFAULT 0,
		fees_sats         INTEGER NOT NULL DEFAULT 0,
		under_claimed     INTEGER NOT NULL DEFAULT 0,
		coinbase_tag      TEXT    NOT NULL DEFAULT '',
		payout_addresses  TEXT    NOT NULL DEFAULT '[]',
		pool              TEXT    NOT NULL DEFAULT '',
		source            TEXT    NOT NULL DEFAULT ''
	);
	CREATE INDEX blocks_time ON blocks(time);
	CREATE TABLE prices (
		date TEXT PRIMARY KEY,
		usd  REAL NOT NULL
	);
	CREATE TABLE reorgs (
		id             INTEGER PRIMARY KEY,
		detected_at    INTEGER NOT NULL,
		fork_height    INTEGER NOT NULL,
		old_tip_height INTEGER NOT NULL,
		old_tip_hash   TEXT    NOT NULL,
		new_tip_hash   TEXT    NOT NULL,
		depth          INTEGER NOT NULL
	);`,
	// 2: daily mean fees per block (import fees, or a fee column of a
	// price CSV) for days whose blocks carry no fees (imported headers),
	// with the number of blocks behind the mean (0: not known) and the
	// source that gave it.
	`CREATE TABLE daily_fees (
		date           TEXT    PRIMARY KEY,
		per_block_sats INTEGER NOT NULL,
		blocks         INTEGER NOT NULL,
		source         TEXT    NOT NULL DEFAULT ''
	);`,
}
