package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/internal/webreplay"
)

// cfgRun runs hashlab with the given environment (a map read through
// Env.Getenv, so HOME and XDG_CONFIG_HOME point at temp dirs).
func cfgRun(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Now: func() time.Time { return time.Unix(1776894603, 0) },
		Getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

func writeConfig(t *testing.T, dir, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, "hashlab", "config.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

const testConfigFile = `source: db
mempool_url: http://file.example:3006/api
exchanges: [kraken, gemini]
rpc:
  url: http://file-node:8332
  user: alice
  password: file-secret-pw
  cookie: ~/node/.cookie
`

// Precedence flag > env > file > default, each value's origin, and
// secrets masked in both outputs.
func TestConfigPrecedence(t *testing.T) {
	home := t.TempDir()
	xdg := filepath.Join(home, "xdg")
	path := writeConfig(t, xdg, testConfigFile, 0o600)
	vars := map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": xdg, "XDG_DATA_HOME": filepath.Join(home, "data"),
		"HASHLAB_SOURCE":       "node",                   // env beats the file's "db"
		"BITCOIN_RPC_PASSWORD": "env-secret-pw",          // env beats the file's password
		"HASHLAB_MEMPOOL_URL":  "http://env.example/api", // the flag beats this
		"BITCOIN_RPC_URL":      "http://bob:url-secret-pw@env-node:8332",
	}
	code, out, errOut := cfgRun(t, vars, "config", "--json", "--mempool-url", "http://flag.example/api/")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		File      string `json:"file"`
		FileFound bool   `json:"file_found"`
		Values    []configValue
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err, out)
	}
	if got.File != path || !got.FileFound {
		t.Errorf("file = %q found %v, want %q", got.File, got.FileFound, path)
	}
	want := map[string]configValue{
		"source":        {Value: "node", From: FromEnv, Name: "HASHLAB_SOURCE"},
		"db":            {Value: filepath.Join(home, "data", "hashlab", "hashlab.db"), From: FromDefault},
		"mempool_url":   {Value: "http://flag.example/api", From: FromFlag, Name: "--mempool-url"},
		"exchanges":     {Value: "kraken,gemini", From: FromFile, Name: path + ": exchanges"},
		"exchange_urls": {Value: "(the public APIs)", From: FromDefault},
		"rpc.url":       {Value: "http://bob:********@env-node:8332", From: FromEnv, Name: "BITCOIN_RPC_URL"},
		"rpc.user":      {Value: "alice", From: FromFile, Name: path + ": rpc.user"},
		"rpc.password":  {Value: "********", From: FromEnv, Name: "BITCOIN_RPC_PASSWORD"},
		"rpc.cookie":    {Value: filepath.Join(home, "node", ".cookie"), From: FromFile, Name: path + ": rpc.cookie"},
	}
	if len(got.Values) != len(want) {
		t.Fatalf("%d values, want %d: %s", len(got.Values), len(want), out)
	}
	for _, v := range got.Values {
		w := want[v.Key]
		w.Key = v.Key
		if v != w {
			t.Errorf("%s = %+v, want %+v", v.Key, v, w)
		}
	}
	code, human, _ := cfgRun(t, vars, "config", "--rpc-user", "carol")
	if code != 0 {
		t.Fatal(human)
	}
	if !strings.Contains(human, "config file  "+path+"\n") {
		t.Errorf("output lacks the file:\n%s", human)
	}
	for key, want := range map[string]string{
		"source":       "node env HASHLAB_SOURCE",
		"rpc.user":     "carol flag --rpc-user",
		"rpc.password": "******** env BITCOIN_RPC_PASSWORD",
		"exchanges":    "kraken,gemini file",
	} {
		if got := row(human, key); got != want {
			t.Errorf("row %s = %q, want %q", key, got, want)
		}
	}
	for _, o := range []string{out, human} {
		for _, secret := range []string{"file-secret-pw", "env-secret-pw", "url-secret-pw"} {
			if strings.Contains(o, secret) {
				t.Errorf("output shows the secret %q:\n%s", secret, o)
			}
		}
	}

	// The loader the --source plumbing uses gives the real values.
	c, err := LoadConfig(&Env{Getenv: func(k string) string { return vars[k] }}, ConfigFlags{Source: "mempool"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "mempool" || c.From["source"] != FromFlag || c.RPC.Password != "env-secret-pw" || c.RPC.User != "alice" || c.MempoolURL != "http://env.example/api" {
		t.Errorf("LoadConfig = %+v", c)
	}
	if src, err := c.OpenMempool(); err != nil || src.Name() != "mempool" {
		t.Errorf("OpenMempool: %v, %v", src, err)
	}
	if ix, err := c.OpenPriceIndex(); err != nil || ix.Name() != "exchanges" {
		t.Errorf("OpenPriceIndex: %v, %v", ix, err)
	}
}

// Without XDG_CONFIG_HOME the file is ~/.config/hashlab/config.yaml; with
// no file at all every value is a default.
func TestConfigDefaultsAndHomeConfig(t *testing.T) {
	home := t.TempDir()
	vars := map[string]string{"HOME": home}
	code, out, errOut := cfgRun(t, vars, "config", "--json")
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, `"file": "`+filepath.Join(home, ".config", "hashlab", "config.yaml")+`"`) || !strings.Contains(out, `"file_found": false`) {
		t.Errorf("no file: %s", out)
	}
	if strings.Count(out, `"from": "default"`) != 9 || !strings.Contains(out, `"value": "https://mempool.space/api"`) || !strings.Contains(out, `"value": "bitstamp,coinbase,kraken"`) || !strings.Contains(out, `"value": "snapshot"`) {
		t.Errorf("defaults: %s", out)
	}
	writeConfig(t, filepath.Join(home, ".config"), "source: snapshot\n", 0o644)
	code, out, _ = cfgRun(t, vars, "config")
	if code != 0 || row(out, "source") != "snapshot file" {
		t.Errorf("~/.config file not read (exit %d):\n%s", code, out)
	}
}

func TestConfigErrors(t *testing.T) {
	home := t.TempDir()
	cases := []struct {
		name, file string
		vars       map[string]string
		args       []string
		want       []string
	}{
		{"unknown key", "source: auto\nmempool: x\n", nil, nil, []string{"config.yaml line 2 = mempool (allowed: the keys source, db, mempool_url, exchanges, exchange_urls, rpc.url, rpc.user, rpc.password, rpc.cookie)"}},
		{"bad YAML", "source: [auto\n", nil, nil, []string{`config.yaml = "line 1: did not find expected ',' or ']'" (allowed: YAML with the keys`}},
		{"wrong type", "exchanges: kraken\n", nil, nil, []string{"config.yaml = \"line 1: cannot unmarshal !!str `kraken` into []string\" (allowed: the keys"}},
		{"bad source in the file", "source: cloud\n", nil, nil, []string{"config.yaml: source = cloud", "allowed: auto, snapshot, db, node, mempool"}},
		{"bad source in env", "", map[string]string{"HASHLAB_SOURCE": "nodes"}, nil, []string{"HASHLAB_SOURCE = nodes (allowed: auto, snapshot, db, node, mempool)"}},
		{"bad mempool URL flag", "", nil, []string{"--mempool-url", "mempool.space/api"}, []string{"--mempool-url = mempool.space/api", "an http or https API root"}},
		{"unknown exchange", "exchanges: [kraken, binance]\n", nil, nil, []string{"config.yaml: exchanges = kraken,binance", "bitstamp, coinbase, gemini, kraken"}},
		{"missing HASHLAB_CONFIG file", "", map[string]string{"HASHLAB_CONFIG": filepath.Join(home, "nope.yaml")}, nil, []string{"HASHLAB_CONFIG = " + filepath.Join(home, "nope.yaml")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			xdg := t.TempDir()
			writeConfig(t, xdg, c.file, 0o600)
			vars := map[string]string{"HOME": home, "XDG_CONFIG_HOME": xdg}
			for k, v := range c.vars {
				vars[k] = v
			}
			code, _, errOut := cfgRun(t, vars, append([]string{"config"}, c.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (bad input): %s", code, errOut)
			}
			for _, s := range c.want {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr %q lacks %q", errOut, s)
				}
			}
		})
	}
}

func TestConfigWarnsOnReadablePassword(t *testing.T) {
	home := t.TempDir()
	xdg := filepath.Join(home, "xdg")
	path := writeConfig(t, xdg, testConfigFile, 0o644)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cfgRun(t, map[string]string{"HOME": home, "XDG_CONFIG_HOME": xdg}, "config")
	if code != 0 || !strings.Contains(errOut, "holds rpc.password and others may read it (mode 0644); run: chmod 600 "+path) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(out+errOut, "file-secret-pw") {
		t.Error("secret printed")
	}
}

func TestConfigExample(t *testing.T) {
	// The example parses with KnownFields and gives valid values.
	home := t.TempDir()
	code, ex, _ := cfgRun(t, nil, "config", "--example")
	if code != 0 {
		t.Fatal(code)
	}
	writeConfig(t, home, ex, 0o600)
	code, out, errOut := cfgRun(t, map[string]string{"HOME": home, "XDG_CONFIG_HOME": home}, "config")
	if code != 0 || row(out, "mempool_url") != "https://mempool.space/api file" || row(out, "exchanges") != "bitstamp,coinbase,kraken file" {
		t.Errorf("exit %d: %s %s", code, out, errOut)
	}
}

// row returns the fields after key in the table line for key, joined by
// one space.
func row(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == key {
			return strings.Join(f[1:], " ")
		}
	}
	return ""
}

// The configured mempool source against replay servers (hand-made answers
// in the documented shapes, internal/webreplay): the state of block
// 946,236 with the median of the three exchanges' recorded prices.
func TestConfigOpensWebSources(t *testing.T) {
	mp := webreplay.New(t, webreplay.MempoolDir(t), webreplay.Options{Prefix: "/api"})
	urls := []string{}
	for _, n := range []string{"bitstamp", "coinbase", "kraken"} {
		srv := webreplay.New(t, webreplay.ExchangeDir(t, n), webreplay.Options{Date: webreplay.ExchangeDate})
		urls = append(urls, n+"="+srv.URL)
	}
	vars := map[string]string{"HOME": t.TempDir(), "HASHLAB_MEMPOOL_URL": mp.URL + "/api", "HASHLAB_EXCHANGE_URLS": strings.Join(urls, ",")}
	c, err := LoadConfig(&Env{Getenv: func(k string) string { return vars[k] }}, ConfigFlags{})
	if err != nil {
		t.Fatal(err)
	}
	src, err := c.OpenMempool()
	if err != nil {
		t.Fatal(err)
	}
	st, err := src.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != "mempool" || st.Tip.Height != 946236 || st.Tip.Source != "mempool" || st.Fees.Blocks != 144 {
		t.Errorf("state = %+v", st)
	}
	// coinbase 78420, kraken 78415, bitstamp 78430 (source/exchange/testdata/README.md).
	if st.Price == nil || st.Price.USD != 78420 || len(st.Price.Quotes) != 3 || st.Price.Source != "exchanges" {
		t.Errorf("price = %+v, want the median 78420 of three quotes", st.Price)
	}
	dc, err := c.OpenDailyCloser("kraken")
	if err != nil {
		t.Fatal(err)
	}
	closes, err := dc.DailyCloses(context.Background(), time.Date(2026, 4, 21, 0, 0, 0, 0, time.UTC))
	if err != nil || len(closes) != 2 || closes[0].Day != "2026-04-21" || closes[0].USD != 78295 {
		t.Errorf("kraken closes = %v, %v", closes, err)
	}
	if _, err := c.OpenDailyCloser("binance"); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("OpenDailyCloser(binance) = %v, want an input error", err)
	}
	vars["HASHLAB_EXCHANGE_URLS"] = "binance=http://x"
	if _, err := LoadConfig(&Env{Getenv: func(k string) string { return vars[k] }}, ConfigFlags{}); err == nil || !strings.Contains(err.Error(), "HASHLAB_EXCHANGE_URLS = binance=http://x") {
		t.Errorf("bad exchange_urls: %v", err)
	}
}
