package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/ingest"
	"github.com/hashlab/hashlab/store"
)

func init() {
	register(command{Name: "ingest", Summary: "copy blocks from a Bitcoin Core/Knots/btcd node into the database (resumable, reorg-safe, --follow)", Run: runIngest, Streams: true})
}

// Environment variables read by ingest (flags win over them).
const (
	envRPCURL      = "BITCOIN_RPC_URL"
	envRPCUser     = "BITCOIN_RPC_USER"
	envRPCPassword = "BITCOIN_RPC_PASSWORD"
	envRPCCookie   = "BITCOIN_RPC_COOKIE"
)

const defaultRPCURL = "http://127.0.0.1:8332"

func runIngest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "ingest", "ingest [--rpc URL] [--rpc-user U --rpc-pass P | --rpc-cookie FILE] [--db FILE] [--workers N] [--batch N] [--from-height N] [--follow [--poll D]] [--wait-lock] [--pools FILE] [--miner-flow] [--getblock-verbosity 0|2] [--json]")
	rpcURL := fs.String("rpc", "", "node JSON-RPC URL (env "+envRPCURL+"; default "+defaultRPCURL+")")
	rpcUser := fs.String("rpc-user", "", "RPC user (env "+envRPCUser+")")
	rpcPass := fs.String("rpc-pass", "", "RPC password (env "+envRPCPassword+")")
	rpcCookie := fs.String("rpc-cookie", "", "Bitcoin Core .cookie file (env "+envRPCCookie+"; default without user/password: the node's datadir cookie, ~/.bitcoin[/<network>]/.cookie, network guessed from the URL's port)")
	rpcTimeout := fs.Duration("rpc-timeout", noderpc.DefaultRPCTimeout, "timeout of one RPC request")
	dbPath := fs.String("db", "", "database file (default "+store.DefaultPath(env.Getenv)+")")
	workers := fs.Int("workers", ingest.DefaultWorkers, "blocks fetched concurrently (1-64)")
	batch := fs.Int("batch", ingest.DefaultBatchSize, "blocks written per database transaction (1-100000)")
	from := fs.Int64("from-height", 0, "first height to ingest into an empty database (ignored when resuming)")
	follow := fs.Bool("follow", false, "keep following the tip until interrupted (Ctrl-C), then print the summary")
	waitLock := fs.Bool("wait-lock", false, "wait while another ingester writes the database (default: exit naming it)")
	poll := fs.Duration("poll", ingest.DefaultPollInterval, "with --follow: how often to ask the node for new blocks")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	verbosity := fs.Int("getblock-verbosity", 0, "0: fetch serialized blocks and decode them here (default; least work for the node); 2: let the node decode every transaction")
	minerFlow := fs.Bool("miner-flow", false, "also track miners' coins: coinbase outputs, their spends, one hop to pools' payout addresses (history miners); stays on for this database once used")
	poolsFile := fs.String("pools", "", "pools definition file for attribution (mempool mining-pools pools-v2 JSON: coinbase tag regexes and payout addresses; default: the embedded list)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (ingest takes only flags)", pos[0])
	}
	if *workers < 1 || *workers > 64 {
		return usagef("--workers %d is out of range (allowed: 1-64)", *workers)
	}
	if *batch < 1 || *batch > 100000 {
		return usagef("--batch %d is out of range (allowed: 1-100000)", *batch)
	}
	if *from < 0 {
		return usagef("--from-height %d is negative (allowed: >= 0)", *from)
	}
	if *verbosity != 0 && *verbosity != 2 {
		return usagef("--getblock-verbosity %d (allowed: 0, 2)", *verbosity)
	}
	if *poll <= 0 {
		return usagef("--poll %s must be positive", *poll)
	}
	if *rpcTimeout <= 0 {
		return usagef("--rpc-timeout %s must be positive", *rpcTimeout)
	}

	pools, err := loadPools(*poolsFile)
	if err != nil {
		return err
	}

	cfg, err := ingestRPCConfig(env, *rpcURL, *rpcUser, *rpcPass, *rpcCookie)
	if err != nil {
		return err
	}
	cfg.Timeout = *rpcTimeout
	cfg.MaxConns = *workers + 2
	client, err := noderpc.NewClient(cfg)
	if err != nil {
		return usagef("--rpc: %v", err)
	}
	defer client.CloseIdleConnections()

	// Talk to the node before touching the database: wrong credentials
	// or an unreachable node must not create or change anything.
	if _, err := client.ChainInfo(ctx); err != nil {
		return ingestRPCError(err)
	}

	path := *dbPath
	if path == "" {
		path = store.DefaultPath(env.Getenv)
	}
	db, err := store.Open(ctx, path)
	if ie, ok := hashlab.AsInput(err); ok {
		ie.Field = "--db" // an existing file that is not a database
		return ie
	}
	if err != nil {
		return err
	}
	defer db.Close()
	path = shownDB(path) // a PostgreSQL URL without its password

	var prog *progress
	var shown int64
	opt := ingest.Options{
		Workers:      *workers,
		BatchSize:    *batch,
		FromHeight:   *from,
		Follow:       *follow,
		WaitForLock:  *waitLock,
		PollInterval: *poll,
		Attribute:    pools.Attribute,
		Verbosity:    *verbosity,
		Now:          env.Now,
		Logger:       env.Logger,
		OnProgress: func(written, total int64) {
			if prog == nil {
				prog = newProgress(env, "ingest", total)
			}
			prog.SetTotal(total)
			prog.Add(written - shown)
			shown = written
		},
	}
	if opt.MinerFlow, err = ingestMinerFlow(ctx, db, *minerFlow, *verbosity, pools); err != nil {
		return err
	}
	sum, runErr := ingest.Run(ctx, client, db, opt)
	if prog != nil {
		prog.Done()
	}
	if runErr != nil && !errors.Is(runErr, ingest.ErrInterrupted) {
		if errors.Is(runErr, ingest.ErrNetworkMismatch) {
			return fmt.Errorf("node at %s vs database %s: %w", client.URL(), path, runErr)
		}
		return ingestRPCError(runErr)
	}
	if err := printIngestSummary(env, sum, client.URL(), path, *asJSON); err != nil {
		return err
	}
	return runErr
}

// ingestRPCConfig resolves the connection settings: flags, then the
// environment, then Bitcoin Core's defaults (URL and datadir cookie).
func ingestRPCConfig(env *Env, rpcURL, user, pass, cookie string) (noderpc.Config, error) {
	if rpcURL == "" {
		rpcURL = env.Getenv(envRPCURL)
	}
	if rpcURL == "" {
		rpcURL = defaultRPCURL
	}
	if user == "" {
		user = env.Getenv(envRPCUser)
	}
	if pass == "" {
		pass = env.Getenv(envRPCPassword)
	}
	if cookie == "" {
		cookie = env.Getenv(envRPCCookie)
	}
	if (user == "") != (pass == "") {
		return noderpc.Config{}, usagef("--rpc-user and --rpc-pass (%s, %s) go together: got only one", envRPCUser, envRPCPassword)
	}
	cfg := noderpc.Config{URL: rpcURL, User: user, Password: pass}
	if user != "" || ingestURLHasUser(rpcURL) {
		return cfg, nil
	}
	if cookie == "" {
		def := ingestDefaultCookie(env, rpcURL)
		if _, err := os.Stat(def); err != nil {
			return noderpc.Config{}, usagef("no RPC credentials: give --rpc-user and --rpc-pass (or %s and %s), or --rpc-cookie FILE (%s); no cookie file at %s", envRPCUser, envRPCPassword, envRPCCookie, def)
		}
		cookie = def
	}
	cfg.CookieFile = cookie
	return cfg, nil
}

func ingestURLHasUser(raw string) bool {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	return err == nil && u.User != nil && u.User.Username() != ""
}

// ingestDefaultCookie is where Bitcoin Core writes its cookie for the
// network whose default RPC port the URL uses: <datadir>/.cookie on
// mainnet, <datadir>/<testnet3|testnet4|signet|regtest>/.cookie otherwise.
// The datadir is ~/.bitcoin on Linux and BSD, ~/Library/Application
// Support/Bitcoin on macOS and %APPDATA%\Bitcoin on Windows.
func ingestDefaultCookie(env *Env, rpcURL string) string {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = filepath.Join(env.Getenv("APPDATA"), "Bitcoin")
	case "darwin":
		dir = filepath.Join(env.Getenv("HOME"), "Library", "Application Support", "Bitcoin")
	default:
		dir = filepath.Join(env.Getenv("HOME"), ".bitcoin")
	}
	if !strings.Contains(rpcURL, "://") {
		rpcURL = "http://" + rpcURL
	}
	if u, err := url.Parse(rpcURL); err == nil {
		if _, portStr, err := net.SplitHostPort(u.Host); err == nil {
			port, _ := strconv.Atoi(portStr)
			for _, p := range consensus.Networks() {
				if p.DefaultRPCPort == port && p.Name != "mainnet" {
					dir = filepath.Join(dir, p.Name)
				}
			}
		}
	}
	return filepath.Join(dir, ".cookie")
}

// ingestRPCError adds what the user can do about a node error.
func ingestRPCError(err error) error {
	if errors.Is(err, noderpc.ErrUnreachable) {
		return fmt.Errorf("%w (is the node running, and is --rpc/%s right?)", err, envRPCURL)
	}
	return err
}

func printIngestSummary(env *Env, s ingest.Summary, nodeURL, dbPath string, asJSON bool) error {
	if asJSON {
		return writeJSON(env.Stdout, struct {
			Node     string `json:"node"`
			Database string `json:"database"`
			ingest.Summary
		}{nodeURL, dbPath, s})
	}
	w := newTable(env.Stdout)
	fmt.Fprintf(w, "network\t%s\n", s.Network)
	fmt.Fprintf(w, "node\t%s (height %d, best %s)\n", nodeURL, s.NodeHeight, s.NodeBestHash)
	fmt.Fprintf(w, "database\t%s\n", dbPath)
	start := "new database"
	if s.Resumed {
		start = "resumed after the database tip"
	}
	fmt.Fprintf(w, "start height\t%d (%s)\n", s.StartHeight, start)
	fmt.Fprintf(w, "written\t%d blocks in %d batches, %.2f s, %.0f blocks/s\n", s.BlocksWritten, s.Batches, s.Seconds, s.BlocksPerSec)
	if s.TipHeight >= 0 {
		fmt.Fprintf(w, "tip\t%d %s\n", s.TipHeight, s.TipHash)
	} else {
		fmt.Fprintf(w, "tip\t(database empty)\n")
	}
	fmt.Fprintf(w, "under-claimed\t%d blocks (coinbase below the subsidy: flagged, fees 0)\n", s.UnderClaimed)
	fmt.Fprintf(w, "reorgs\t%d\n", len(s.Reorgs))
	for _, r := range s.Reorgs {
		fmt.Fprintf(w, "  reorg\tfork at %d, depth %d, old tip %d %s, new best %s\n", r.ForkHeight, r.Depth, r.OldTipHeight, r.OldTipHash, r.NewTipHash)
	}
	if m := s.MinerFlow; m != nil {
		fmt.Fprintf(w, "miner flow\t%d coins, %d spends, %d destinations written (hashlab history miners)\n", m.Coins, m.Spends, m.Dests)
	}
	if s.Interrupted {
		fmt.Fprintf(w, "interrupted\tyes\n")
	}
	return w.Flush()
}
