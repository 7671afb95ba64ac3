package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/netstate"
	"github.com/hashlab/hashlab/source"
	"github.com/hashlab/hashlab/source/exchange"
	"github.com/hashlab/hashlab/source/mempool"
	"github.com/hashlab/hashlab/store"
)

func init() {
	register(command{Name: "config", Summary: "print the effective configuration (config file, environment, defaults), secrets masked, and where each value came from", Run: runConfig})
}

// Environment variables of the configuration (the BITCOIN_RPC_* ones are
// shared with ingest, see ingest.go).
const (
	envConfigFile = "HASHLAB_CONFIG"
	envSource     = "HASHLAB_SOURCE"
	envMempoolURL = "HASHLAB_MEMPOOL_URL"
	envDB         = "HASHLAB_DB"
	envExchanges  = "HASHLAB_EXCHANGES"
	envExchURLs   = "HASHLAB_EXCHANGE_URLS"
)

// sourceNames are the values of source / --source / HASHLAB_SOURCE.
var sourceNames = []string{"auto", "snapshot", "db", "node", "mempool"}

// Origin says where a configuration value came from.
type Origin string

const (
	FromFlag    Origin = "flag"
	FromEnv     Origin = "env"
	FromFile    Origin = "file"
	FromDefault Origin = "default"
)

// RPCSettings are a node's JSON-RPC connection settings, as ingest's
// flags (--rpc, --rpc-user, --rpc-pass, --rpc-cookie) take them. Empty
// User/Password/Cookie mean "not configured": the node's datadir cookie is
// then looked up when the node is used (ingestRPCConfig).
type RPCSettings struct {
	URL      string
	User     string
	Password string // secret: never printed
	Cookie   string // a file path, not a secret
}

// Config is hashlab's effective configuration: every value set once in
// the config file, the environment or a flag, with precedence
// flag > env > file > default. Load it with LoadConfig.
type Config struct {
	// Source is the network-state source: auto, snapshot (the default:
	// offline), db, node or mempool.
	Source string
	// DB is the chain-store path.
	DB string
	// MempoolURL is a mempool.space-compatible API root.
	MempoolURL string
	// Exchanges are the exchanges of the price index, by name.
	Exchanges []string
	// ExchangeURLs replaces some exchanges' public API roots (a proxy, a
	// replay server in tests), by name.
	ExchangeURLs map[string]string
	RPC          RPCSettings

	// File is the config file consulted ("" when no config directory is
	// known); FileFound reports whether it exists.
	File      string
	FileFound bool
	// From says where each key's value came from; Name the flag or
	// environment variable that gave it.
	From map[string]Origin
	Name map[string]string
	// Warnings are problems worth a word that do not stop hashlab (a
	// config file with a password that others may read).
	Warnings []string
}

// ConfigFlags are the configuration values given as flags; "" means the
// flag was not given. Commands fill the ones they define.
type ConfigFlags struct {
	Source, DB, MempoolURL, Exchanges string
	ExchangeURLs                      string // name=url,name=url
	RPCURL, RPCUser, RPCPassword      string
	RPCCookie                         string
}

// configKeys are the keys in the order they print, with the flag and
// environment variable that set each.
var configKeys = []struct{ key, flag, env string }{
	{"source", "--source", envSource},
	{"db", "--db", envDB},
	{"mempool_url", "--mempool-url", envMempoolURL},
	{"exchanges", "--exchanges", envExchanges},
	{"exchange_urls", "--exchange-urls", envExchURLs},
	{"rpc.url", "--rpc", envRPCURL},
	{"rpc.user", "--rpc-user", envRPCUser},
	{"rpc.password", "--rpc-pass", envRPCPassword},
	{"rpc.cookie", "--rpc-cookie", envRPCCookie},
}

// fileConfig is the config file's shape (YAML); unknown keys are errors.
type fileConfig struct {
	Source     *string           `yaml:"source"`
	DB         *string           `yaml:"db"`
	MempoolURL *string           `yaml:"mempool_url"`
	Exchanges  []string          `yaml:"exchanges"`
	ExchURLs   map[string]string `yaml:"exchange_urls"`
	RPC        *struct {
		URL      *string `yaml:"url"`
		User     *string `yaml:"user"`
		Password *string `yaml:"password"`
		Cookie   *string `yaml:"cookie"`
	} `yaml:"rpc"`
}

// configExample is printed by `hashlab config --example`.
const configExample = `# hashlab configuration (every key is optional).
# Precedence: command-line flag > environment variable > this file > default.
source: auto                          # auto | snapshot (default, offline) | db | node | mempool (HASHLAB_SOURCE)
# db: ~/.local/share/hashlab/hashlab.db                                      (HASHLAB_DB)
mempool_url: https://mempool.space/api  # or your own, e.g. http://umbrel.local:3006/api (HASHLAB_MEMPOOL_URL)
exchanges: [bitstamp, coinbase, kraken] # the price index's exchanges; also gemini (HASHLAB_EXCHANGES)
# exchange_urls: {kraken: http://proxy.local/kraken}  # replace public API roots (HASHLAB_EXCHANGE_URLS=kraken=URL,...)
rpc:
  url: http://127.0.0.1:8332          # BITCOIN_RPC_URL
  # user: alice                       # BITCOIN_RPC_USER
  # password: ...                     # BITCOIN_RPC_PASSWORD (keep this file chmod 600)
  # cookie: ~/.bitcoin/.cookie        # BITCOIN_RPC_COOKIE (default: the node's datadir cookie)
`

// ConfigPath returns the config file's path: $HASHLAB_CONFIG, else
// <user config dir>/hashlab/config.yaml, where the user config dir is the
// OS convention (os.UserConfigDir's rules, read through getenv):
// $XDG_CONFIG_HOME or ~/.config on Linux and BSD, ~/Library/Application
// Support on macOS, %AppData% on Windows. It returns "" when none is
// known.
func ConfigPath(getenv func(string) string) (path string, fromEnv bool) {
	if p := getenv(envConfigFile); p != "" {
		return p, true
	}
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = getenv("AppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			dir = filepath.Join(h, "Library", "Application Support")
		}
	case "plan9":
		if h := getenv("home"); h != "" {
			dir = filepath.Join(h, "lib")
		}
	default:
		dir = getenv("XDG_CONFIG_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			dir = ""
			if h := getenv("HOME"); h != "" {
				dir = filepath.Join(h, ".config")
			}
		}
	}
	if dir == "" {
		return "", false
	}
	return filepath.Join(dir, "hashlab", "config.yaml"), false
}

// LoadConfig returns the effective configuration: each key from its
// flag if given, else its environment variable, else the config file,
// else the default. A malformed or unknown-key file and a bad value are
// *hashlab.InputError naming where the value came from (the flag, the
// variable, or the file and key); an unreadable file is an error naming
// it. A missing file is not an error.
func LoadConfig(env *Env, flags ConfigFlags) (*Config, error) {
	c := &Config{From: map[string]Origin{}, Name: map[string]string{}}
	path, pathFromEnv := ConfigPath(env.Getenv)
	c.File = path
	var fc fileConfig
	if path != "" {
		raw, err := os.ReadFile(path)
		switch {
		case err == nil:
			c.FileFound = true
			dec := yaml.NewDecoder(bytes.NewReader(raw))
			dec.KnownFields(true)
			if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
				return nil, yamlError(path, err)
			}
			if fc.RPC != nil && fc.RPC.Password != nil && *fc.RPC.Password != "" {
				if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
					c.Warnings = append(c.Warnings, fmt.Sprintf("%s holds rpc.password and others may read it (mode %04o); run: chmod 600 %s", path, fi.Mode().Perm(), path))
				}
			}
		case errors.Is(err, fs.ErrNotExist):
			if pathFromEnv {
				return nil, hashlab.Invalidf(envConfigFile, path, "an existing config file", err)
			}
		default:
			return nil, fmt.Errorf("config: cannot read %s: %w", path, err)
		}
	}
	home := env.Getenv("HOME")
	fileVal := map[string]*string{"source": fc.Source, "db": fc.DB, "mempool_url": fc.MempoolURL}
	if fc.Exchanges != nil {
		s := strings.Join(fc.Exchanges, ",")
		fileVal["exchanges"] = &s
	}
	if fc.ExchURLs != nil {
		var parts []string
		for _, n := range slices.Sorted(maps.Keys(fc.ExchURLs)) {
			parts = append(parts, n+"="+fc.ExchURLs[n])
		}
		s := strings.Join(parts, ",")
		fileVal["exchange_urls"] = &s
	}
	if fc.RPC != nil {
		fileVal["rpc.url"], fileVal["rpc.user"], fileVal["rpc.password"], fileVal["rpc.cookie"] = fc.RPC.URL, fc.RPC.User, fc.RPC.Password, fc.RPC.Cookie
	}
	flagVal := map[string]string{"source": flags.Source, "db": flags.DB, "mempool_url": flags.MempoolURL, "exchanges": flags.Exchanges, "exchange_urls": flags.ExchangeURLs,
		"rpc.url": flags.RPCURL, "rpc.user": flags.RPCUser, "rpc.password": flags.RPCPassword, "rpc.cookie": flags.RPCCookie}
	// The default source is the embedded snapshot, so that hashlab stays
	// offline until a source is chosen; "auto" goes live first.
	defaults := map[string]string{"source": "snapshot", "db": store.DefaultPath(env.Getenv), "mempool_url": mempool.DefaultBaseURL,
		"exchanges": strings.Join(exchange.DefaultNames, ","), "rpc.url": defaultRPCURL}
	val := map[string]string{}
	for _, k := range configKeys {
		switch {
		case flagVal[k.key] != "":
			val[k.key], c.From[k.key], c.Name[k.key] = flagVal[k.key], FromFlag, k.flag
		case env.Getenv(k.env) != "":
			val[k.key], c.From[k.key], c.Name[k.key] = env.Getenv(k.env), FromEnv, k.env
		case fileVal[k.key] != nil:
			val[k.key], c.From[k.key], c.Name[k.key] = *fileVal[k.key], FromFile, path+": "+k.key
			if k.key == "db" || k.key == "rpc.cookie" {
				val[k.key] = expandHome(val[k.key], home)
			}
		default:
			val[k.key], c.From[k.key] = defaults[k.key], FromDefault
		}
	}
	// field names the setting as the user wrote it, for errors.
	field := func(key string) string {
		if c.From[key] == FromDefault {
			return key
		}
		return c.Name[key]
	}
	c.Source = strings.ToLower(strings.TrimSpace(val["source"]))
	if !slices.Contains(sourceNames, c.Source) {
		return nil, hashlab.Invalid(field("source"), val["source"], strings.Join(sourceNames, ", "))
	}
	c.DB = val["db"]
	if strings.TrimSpace(c.DB) == "" {
		return nil, hashlab.Invalid(field("db"), c.DB, "a file path")
	}
	mu, err := source.ParseBaseURL(val["mempool_url"])
	if err != nil {
		return nil, hashlab.Invalidf(field("mempool_url"), source.Redact(val["mempool_url"]), "an http or https API root such as "+mempool.DefaultBaseURL, err)
	}
	c.MempoolURL = mu
	for _, n := range strings.Split(val["exchanges"], ",") {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			c.Exchanges = append(c.Exchanges, n)
		}
	}
	if _, err := exchange.NewAll(c.Exchanges, exchange.Config{}); err != nil || len(c.Exchanges) == 0 {
		return nil, hashlab.Invalid(field("exchanges"), val["exchanges"], "a comma-separated list of distinct names from "+strings.Join(exchange.Names(), ", "))
	}
	c.ExchangeURLs = map[string]string{}
	for _, kv := range strings.Split(val["exchange_urls"], ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		n, u, ok := strings.Cut(kv, "=")
		n = strings.ToLower(strings.TrimSpace(n))
		if !ok || !slices.Contains(exchange.Names(), n) {
			return nil, hashlab.Invalid(field("exchange_urls"), strings.TrimSpace(n)+"="+source.Redact(u), "name=URL pairs, comma-separated, names from "+strings.Join(exchange.Names(), ", "))
		}
		if _, err := exchange.New(n, exchange.Config{BaseURL: strings.TrimSpace(u)}); err != nil {
			return nil, hashlab.Invalidf(field("exchange_urls"), source.Redact(u), "an http or https API root", err)
		}
		c.ExchangeURLs[n] = strings.TrimSpace(u)
	}
	c.RPC = RPCSettings{URL: val["rpc.url"], User: val["rpc.user"], Password: val["rpc.password"], Cookie: val["rpc.cookie"]}
	return c, nil
}

var unknownKeyRe = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)

// yamlError turns a YAML decoding error into an input error naming the
// file, the line and the key when it is an unknown key.
func yamlError(path string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		if m := unknownKeyRe.FindStringSubmatch(te.Errors[0]); m != nil {
			return hashlab.Invalid(path+" line "+m[1], m[2], "the keys "+keyList())
		}
		return hashlab.Invalid(path, strings.Join(te.Errors, "; "), "the keys "+keyList()+" with their documented types (see 'hashlab config --example')")
	}
	return hashlab.Invalid(path, strings.TrimPrefix(err.Error(), "yaml: "), "YAML with the keys "+keyList())
}

func keyList() string {
	ks := make([]string, len(configKeys))
	for i, k := range configKeys {
		ks[i] = k.key
	}
	return strings.Join(ks, ", ")
}

func expandHome(p, home string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return filepath.Join(home, strings.TrimPrefix(p, "~"))
	}
	return p
}

// OpenMempool returns the configured mempool source, its price the
// exchanges' median (OpenPriceIndex) rather than the instance's own; it
// is a service.Registry opener: reg.Register("mempool", cfg.OpenMempool).
func (c *Config) OpenMempool() (netstate.Source, error) {
	m, err := mempool.New(mempool.Config{BaseURL: c.MempoolURL, NoPrice: true})
	if err != nil {
		return nil, err
	}
	ix, err := c.OpenPriceIndex()
	if err != nil {
		return nil, err
	}
	return source.WithPrice(m, ix), nil
}

// OpenPriceIndex returns the median price index over the configured
// exchanges (for a source without a price of its own, such as a node:
// source.WithPrice(node, ix)).
func (c *Config) OpenPriceIndex() (netstate.PriceSource, error) {
	ps := make([]netstate.PriceSource, len(c.Exchanges))
	for i, n := range c.Exchanges {
		x, err := exchange.New(n, exchange.Config{BaseURL: c.ExchangeURLs[n]})
		if err != nil {
			return nil, err
		}
		ps[i] = x
	}
	return exchange.NewIndex(0, ps...), nil
}

// OpenDailyCloser returns the source of daily closes named by `import
// prices --from NAME`: "mempool" (the configured instance) or an
// exchange. An unknown name is an input error for field "--from".
func (c *Config) OpenDailyCloser(name string) (source.DailyCloser, error) {
	if name == mempool.Name {
		return mempool.New(mempool.Config{BaseURL: c.MempoolURL})
	}
	if !slices.Contains(exchange.Names(), name) {
		return nil, hashlab.Invalid("--from", name, "mempool, "+strings.Join(exchange.Names(), ", "))
	}
	return exchange.New(name, exchange.Config{BaseURL: c.ExchangeURLs[name]})
}

// configValue is one line of `hashlab config`.
type configValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	From  Origin `json:"from"`
	// Name is the flag, environment variable or "file: key" that gave the
	// value; empty for a default.
	Name string `json:"name,omitempty"`
}

// Values returns every key with its value as printed (secrets masked:
// rpc.password, and a password in a URL) and where it came from.
func (c *Config) Values() []configValue {
	shown := map[string]string{
		"source":        c.Source,
		"db":            shownDB(c.DB),
		"mempool_url":   maskURL(c.MempoolURL),
		"exchanges":     strings.Join(c.Exchanges, ","),
		"exchange_urls": c.exchangeURLsShown(),
		"rpc.url":       maskURL(c.RPC.URL),
		"rpc.user":      c.RPC.User,
		"rpc.password":  maskSecret(c.RPC.Password),
		"rpc.cookie":    c.RPC.Cookie,
	}
	if c.RPC.User == "" && c.RPC.Cookie == "" {
		shown["rpc.cookie"] = "(the node's datadir .cookie, looked up when used)"
	}
	out := make([]configValue, len(configKeys))
	for i, k := range configKeys {
		out[i] = configValue{Key: k.key, Value: shown[k.key], From: c.From[k.key], Name: c.Name[k.key]}
	}
	return out
}

func (c *Config) exchangeURLsShown() string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(c.ExchangeURLs)) {
		parts = append(parts, n+"="+maskURL(c.ExchangeURLs[n]))
	}
	if len(parts) == 0 {
		return "(the public APIs)"
	}
	return strings.Join(parts, ",")
}

const mask = "********"

func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	return mask
}

// maskURL replaces a password in a URL's user information by asterisks.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), mask)
			return strings.Replace(u.String(), url.QueryEscape(mask), mask, 1)
		}
	}
	return raw
}

func runConfig(ctx context.Context, env *Env, args []string) error {
	fset := newFlags(env, "config", "config [--json] [--example] [--source S] [--db FILE] [--mempool-url URL] [--exchanges a,b,c] [--exchange-urls name=URL,...] [--rpc URL] [--rpc-user U] [--rpc-pass P] [--rpc-cookie FILE]")
	var fl ConfigFlags
	asJSON := fset.Bool("json", false, "print as JSON")
	example := fset.Bool("example", false, "print an example config file and exit")
	addConfigFlags(fset, &fl)
	pos, err := parseFlags(fset, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (config takes only flags)", pos[0])
	}
	if *example {
		_, err := io.WriteString(env.Stdout, configExample)
		return err
	}
	c, err := LoadConfig(env, fl)
	if err != nil {
		return err
	}
	for _, w := range c.Warnings {
		fmt.Fprintln(env.Stderr, "hashlab config: warning:", w)
	}
	if *asJSON {
		return writeJSON(env.Stdout, struct {
			File      string        `json:"file"`
			FileFound bool          `json:"file_found"`
			Values    []configValue `json:"values"`
			Warnings  []string      `json:"warnings,omitempty"`
		}{c.File, c.FileFound, c.Values(), c.Warnings})
	}
	switch {
	case c.File == "":
		fmt.Fprintln(env.Stdout, "config file  (none: no config directory; set HASHLAB_CONFIG)")
	case c.FileFound:
		fmt.Fprintf(env.Stdout, "config file  %s\n", c.File)
	default:
		fmt.Fprintf(env.Stdout, "config file  %s (not found; 'hashlab config --example' prints one)\n", c.File)
	}
	fmt.Fprintln(env.Stdout)
	tw := newTable(env.Stdout)
	fmt.Fprintln(tw, "KEY\tVALUE\tFROM")
	for _, v := range c.Values() {
		from := string(v.From)
		if v.From == FromFlag || v.From == FromEnv {
			from += " " + v.Name
		}
		val := v.Value
		if val == "" {
			val = "(not set)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Key, val, from)
	}
	return tw.Flush()
}

// addConfigFlags registers the configuration flags on fs, filling fl.
func addConfigFlags(fs *flag.FlagSet, fl *ConfigFlags) {
	fs.StringVar(&fl.Source, "source", "", "network-state source: "+strings.Join(sourceNames, ", ")+" (env "+envSource+")")
	fs.StringVar(&fl.DB, "db", "", "database file (env "+envDB+")")
	fs.StringVar(&fl.MempoolURL, "mempool-url", "", "mempool.space-compatible API root (env "+envMempoolURL+"; default "+mempool.DefaultBaseURL+")")
	fs.StringVar(&fl.Exchanges, "exchanges", "", "price index exchanges, comma-separated, from "+strings.Join(exchange.Names(), ", ")+" (env "+envExchanges+")")
	fs.StringVar(&fl.ExchangeURLs, "exchange-urls", "", "replace exchanges' API roots: name=URL,... (env "+envExchURLs+")")
	fs.StringVar(&fl.RPCURL, "rpc", "", "node JSON-RPC URL (env "+envRPCURL+"; default "+defaultRPCURL+")")
	fs.StringVar(&fl.RPCUser, "rpc-user", "", "RPC user (env "+envRPCUser+")")
	fs.StringVar(&fl.RPCPassword, "rpc-pass", "", "RPC password (env "+envRPCPassword+")")
	fs.StringVar(&fl.RPCCookie, "rpc-cookie", "", "Bitcoin Core .cookie file (env "+envRPCCookie+")")
}
