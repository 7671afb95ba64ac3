package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/chain/noderpc"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/service"
	"github.com/hashlab/hashlab/snapshot"
	"github.com/hashlab/hashlab/source"
	"github.com/hashlab/hashlab/source/chainstore"
	"github.com/hashlab/hashlab/source/mempool"
	"github.com/hashlab/hashlab/source/node"
	"github.com/hashlab/hashlab/store"
)

// marketFlags are the --source and the market overrides shared by every
// command that needs a hashprice. Unset overrides keep the source's value.
type marketFlags struct {
	fs         *flag.FlagSet
	source     *sourceFlags
	difficulty float64
	bits       string
	height     int64
	feesBTC    float64
	price      float64
}

func addMarketFlags(fs *flag.FlagSet) *marketFlags {
	m := &marketFlags{fs: fs, source: addSourceFlag(fs)}
	fs.Float64Var(&m.difficulty, "difficulty", 0, "network difficulty (default: the source's bits)")
	fs.StringVar(&m.bits, "bits", "", "compact target nBits, hex, e.g. 0x17021369 (alternative to --difficulty; default: the source's)")
	fs.Int64Var(&m.height, "height", 0, "block height, sets the subsidy (default: the source's tip)")
	fs.Float64Var(&m.feesBTC, "fees-btc", 0, "average transaction fees per block, BTC (default: the source's)")
	fs.Float64Var(&m.price, "price", 0, "BTC price, USD (default: the source's)")
	fs.Func("fee-window", "fees: mean of the last N blocks (default 144, the Hashrate Index convention) or of a time window before the tip, e.g. 24h", func(v string) error {
		w, err := service.ParseFeeWindow(v)
		if err != nil {
			return cliErr(err)
		}
		m.source.window = w
		return nil
	})
	return m
}

// sourceFlags are --source and the configuration flags of the sources
// (--mempool-url, --exchanges, ...; config.go), on every command that
// uses "now".
type sourceFlags struct {
	fl ConfigFlags
	// window is the fee window the sources are opened with (--fee-window
	// of the market commands; the default elsewhere).
	window service.FeeWindow
	// noPrice is set when the user gave --price: a source without a
	// price of its own (node) then asks no exchange.
	noPrice bool
}

// addSourceFlag registers --source and the source configuration flags.
func addSourceFlag(fs *flag.FlagSet) *sourceFlags {
	sf := &sourceFlags{window: service.FeeWindow{Blocks: service.DefaultFeeWindowBlocks}}
	addConfigFlags(fs, &sf.fl)
	return sf
}

// autoDBMaxAge is how old the chain store's tip may be for "auto" to
// take it.
const autoDBMaxAge = time.Hour

// stateSources is the registry of network-state sources the CLI offers,
// built from the effective configuration. "auto" tries them in this
// order, each within service.Registry.AutoTimeout: the chain store when
// configured and its tip is under an hour old, the node when configured,
// mempool, then the embedded snapshot.
func stateSources(env *Env, cfg *Config, sf *sourceFlags) *service.Registry {
	r := service.Registry{Now: env.Now, AutoTimeout: 5 * time.Second,
		OnSkip: func(why string) { fmt.Fprintln(env.Stderr, "hashlab: --source auto passed over "+why) }}
	auto := cfg.Source == "auto"
	dbSet := cfg.From["db"] != FromDefault
	if !auto || dbSet || fileExists(cfg.DB) {
		r.RegisterAuto("db", func() (netstate.Source, error) { return openDBSource(cfg, sf.window) }, autoDBMaxAge)
	}
	if !auto || nodeConfigured(cfg) {
		r.Register("node", func() (netstate.Source, error) { return openNodeSource(env, cfg, sf) })
	}
	r.Register("mempool", func() (netstate.Source, error) { return openMempoolSource(cfg, sf) })
	r.Register(snapshot.SourceName, func() (netstate.Source, error) { return snapshot.NewSource(), nil })
	return &r
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// nodeConfigured reports whether any RPC setting was given (flag, env or
// file): "auto" asks a node only then.
func nodeConfigured(cfg *Config) bool {
	for _, k := range []string{"rpc.url", "rpc.user", "rpc.cookie"} {
		if cfg.From[k] != FromDefault && cfg.From[k] != "" {
			return true
		}
	}
	return false
}

// openDBSource opens the chain store (store.OpenExisting: never creates
// a file) as the db source.
func openDBSource(cfg *Config, w service.FeeWindow) (netstate.Source, error) {
	db, err := store.OpenExisting(context.Background(), cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.DB, err)
	}
	return chainstore.New(chainstore.Config{DB: db, FeeWindowBlocks: w.Blocks, FeeWindow: w.Duration})
}

// openNodeSource opens the node's JSON-RPC with ingest's settings (flags,
// BITCOIN_RPC_* env, the config file, the datadir cookie), priced by the
// exchanges' index unless --price was given.
func openNodeSource(env *Env, cfg *Config, sf *sourceFlags) (netstate.Source, error) {
	rc, err := ingestRPCConfig(env, cfg.RPC.URL, cfg.RPC.User, cfg.RPC.Password, cfg.RPC.Cookie)
	if err != nil {
		return nil, err
	}
	rc.Timeout = 30 * time.Second
	c, err := noderpc.NewClient(rc)
	if err != nil {
		return nil, err
	}
	nc := node.Config{Client: c, FeeWindowBlocks: sf.window.Blocks, FeeWindow: sf.window.Duration}
	if !sf.noPrice {
		if nc.Price, err = cfg.OpenPriceIndex(); err != nil {
			return nil, err
		}
	}
	return node.New(nc)
}

// openMempoolSource opens the mempool source with the fee window (in
// blocks: mempool pages blocks by height, not by time).
func openMempoolSource(cfg *Config, sf *sourceFlags) (netstate.Source, error) {
	if sf.window.Duration > 0 {
		return nil, hashlab.Invalid("--fee-window", sf.window.String(), "a number of blocks with --source mempool (it reads blocks by height)")
	}
	if sf.window.Blocks == service.DefaultFeeWindowBlocks || sf.window.Blocks == 0 {
		return cfg.OpenMempool()
	}
	m, err := mempool.New(mempool.Config{BaseURL: cfg.MempoolURL, NoPrice: true, FeeWindowBlocks: int(sf.window.Blocks)})
	if err != nil {
		return nil, err
	}
	ix, err := cfg.OpenPriceIndex()
	if err != nil {
		return nil, err
	}
	return source.WithPrice(m, ix), nil
}

// openService opens the source chosen by --source, HASHLAB_SOURCE or the
// config file and returns the use cases over it with the process clock.
// With none of them set the source is the embedded snapshot, so that the
// default stays offline; "auto" (set explicitly) goes live first. An
// explicit source that fails is an error naming it, never a fallback.
func openService(env *Env, sf *sourceFlags) (*service.Service, error) {
	cfg, err := LoadConfig(env, sf.fl)
	if err != nil {
		return nil, cliErr(err)
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(env.Stderr, "hashlab: warning: "+w)
	}
	name := cfg.Source
	if cfg.From["source"] == FromDefault {
		name = snapshot.SourceName
	}
	src, err := stateSources(env, cfg, sf).Open(name)
	if err != nil {
		return nil, cliErr(err)
	}
	return service.New(src, env.Now), nil
}

// overrides turns the set market flags into service overrides; values
// are checked by the service.
func (m *marketFlags) overrides() (service.Overrides, error) {
	var o service.Overrides
	if flagWasSet(m.fs, "difficulty") {
		o.Difficulty = &m.difficulty
	}
	if flagWasSet(m.fs, "bits") {
		b, err := consensus.ParseBits(m.bits)
		if err != nil {
			return o, cliErr(err)
		}
		o.Bits = &b
	}
	if flagWasSet(m.fs, "height") {
		o.Height = &m.height
	}
	if flagWasSet(m.fs, "fees-btc") {
		if !(m.feesBTC >= 0) || m.feesBTC > 21e6 {
			return o, cliErr(hashlab.Invalid("fees_btc", m.feesBTC, "0 to 21,000,000 BTC per block"))
		}
		f := consensus.Sats(math.Round(m.feesBTC * consensus.SatsPerBTC))
		o.FeesPerBlock = &f
	}
	if flagWasSet(m.fs, "price") {
		o.PriceUSD = &m.price
		m.source.noPrice = true
	}
	return o, cliErr(service.CheckOverrides(o))
}

// cliErr renames an input error's field from the service's parameter
// name to the CLI's flag ("tip_time" -> "--tip-time"), so that the
// message names what the user typed. Other errors pass unchanged.
func cliErr(err error) error {
	ie, ok := hashlab.AsInput(err)
	if !ok || strings.HasPrefix(ie.Field, "--") || strings.ContainsAny(ie.Field, " .[") {
		return err
	}
	c := *ie
	c.Field = "--" + strings.ReplaceAll(ie.Field, "_", "-")
	return &c
}

// noteFreshness warns on stderr when the state is older than
// service.StaleAfter, naming its source and age.
func noteFreshness(env *Env, f service.Freshness) {
	given := map[string]bool{}
	for _, o := range f.Overridden {
		given[o] = true
	}
	// Every "now" value given by the user: nothing stale is used.
	if (given["difficulty"] || given["bits"]) && given["price"] && given["fees_btc"] {
		return
	}
	if f.Stale() {
		fmt.Fprintf(env.Stderr, "hashlab: warning: the network state is older than %s (%s); give --price, --fees-btc and --bits for current values, or use a live source (--source mempool)\n",
			service.AgeString(service.StaleAfter), f.Label())
	}
}

// networkParams parses a --network value.
func networkParams(name string) (*consensus.Params, error) {
	p, err := consensus.ParamsByName(name)
	if err != nil {
		return nil, usagef("--network %q is unknown (allowed: mainnet, testnet3, testnet4, signet, regtest)", name)
	}
	return p, nil
}

// human formatting helpers.

// siHashrate formats H/s with an SI prefix.
func siHashrate(hs float64) string {
	units := []string{"H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s", "ZH/s"}
	i := 0
	for hs >= 1000 && i < len(units)-1 {
		hs /= 1000
		i++
	}
	return fmt.Sprintf("%.2f %s", hs, units[i])
}

// siNumber formats a large number with a k/M/G/T/P suffix.
func siNumber(v float64) string {
	units := []string{"", "k", "M", "G", "T", "P", "E"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	return fmt.Sprintf("%.2f%s", v, units[i])
}

// usd formats dollars with thousands separators and cents.
func usd(v float64) string {
	neg := v < 0
	v = math.Abs(v)
	if v >= 1e15 {
		// Beyond int64 cents (a regtest node's difficulty): no commas.
		s := fmt.Sprintf("$%.4g", v)
		if neg {
			return "-" + s
		}
		return s
	}
	whole := int64(v)
	cents := int64(math.Round((v - float64(whole)) * 100))
	if cents == 100 {
		whole++
		cents = 0
	}
	s := fmt.Sprintf("$%s.%02d", commas(whole), cents)
	if neg {
		return "-" + s
	}
	return s
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
