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
	// 3: miner flow (ingest --miner-flow; store/minerflow.go): watched
	// outputs (coinbase outputs, and one hop further the outputs paid to
	// pools' payout addresses) keyed by outpoint and pool, their spends,
	// and the largest outputs of the transactions that spend them. Every
	// row carries the height of the block that made it, so a rollback is
	// a height-range delete.
	`CREATE TABLE minerflow_coins (
		txid       TEXT    NOT NULL,
		vout       INTEGER NOT NULL,
		pool       TEXT    NOT NULL,
		kind       TEXT    NOT NULL,
		value_sats INTEGER NOT NULL,
		height     INTEGER NOT NULL,
		time       INTEGER NOT NULL,
		mined_time INTEGER NOT NULL,
		address    TEXT    NOT NULL DEFAULT '',
		script     TEXT    NOT NULL DEFAULT '',
		PRIMARY KEY (txid, vout, pool)
	);
	CREATE INDEX minerflow_coins_height ON minerflow_coins(height);
	CREATE TABLE minerflow_spends (
		txid       TEXT    NOT NULL,
		vout       INTEGER NOT NULL,
		pool       TEXT    NOT NULL,
		height     INTEGER NOT NULL,
		time       INTEGER NOT NULL,
		spend_txid TEXT    NOT NULL,
		PRIMARY KEY (txid, vout, pool)
	);
	CREATE INDEX minerflow_spends_height ON minerflow_spends(height);
	CREATE TABLE minerflow_dests (
		spend_txid TEXT    NOT NULL,
		n          INTEGER NOT NULL,
		height     INTEGER NOT NULL,
		time       INTEGER NOT NULL,
		address    TEXT    NOT NULL DEFAULT '',
		value_sats INTEGER NOT NULL,
		PRIMARY KEY (spend_txid, n)
	);
	CREATE INDEX minerflow_dests_height ON minerflow_dests(height);`,
	// 4: history rollups (store/rollup.go), kept in the transaction that
	// changes the blocks: per UTC day, epoch of 2016, bits and subsidy
	// the blocks with their first and last height and the node-ingested
	// ones with their fees; and the runs of consecutive stored heights.
	// Built here from the blocks a database already holds.
	`CREATE TABLE block_days (
		day           INTEGER NOT NULL,
		epoch         INTEGER NOT NULL,
		bits          INTEGER NOT NULL,
		subsidy_sats  INTEGER NOT NULL,
		blocks        INTEGER NOT NULL,
		first_height  INTEGER NOT NULL,
		last_height   INTEGER NOT NULL,
		rpc_blocks    INTEGER NOT NULL,
		rpc_fees_sats INTEGER NOT NULL,
		PRIMARY KEY (day, epoch, bits, subsidy_sats)
	) WITHOUT ROWID;
	CREATE TABLE height_runs (
		first_height INTEGER NOT NULL PRIMARY KEY,
		last_height  INTEGER NOT NULL
	);
	INSERT INTO block_days (day, epoch, bits, subsidy_sats, blocks, first_height, last_height, rpc_blocks, rpc_fees_sats)
		SELECT time / 86400, height / 2016, bits, subsidy_sats, COUNT(*), MIN(height), MAX(height),
			SUM(CASE WHEN source = 'rpc' THEN 1 ELSE 0 END), SUM(CASE WHEN source = 'rpc' THEN fees_sats ELSE 0 END)
		FROM blocks GROUP BY time / 86400, height / 2016, bits, subsidy_sats;
	INSERT INTO height_runs (first_height, last_height)
		SELECT MIN(height), MAX(height) FROM (SELECT height, height - ROW_NUMBER() OVER (ORDER BY height) AS run FROM blocks) AS numbered GROUP BY run;`,
}
