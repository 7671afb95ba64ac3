package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"

	"github.com/hashlab/hashlab"

	"github.com/hashlab/hashlab/server"
)

func init() {
	register(command{Name: "serve", Summary: "HTTP API, web dashboard and Prometheus metrics (loopback by default)", Run: runServe, Streams: true})
}

// minTokenLen is the shortest bearer token serve accepts: a guessable
// token protects nothing.
const minTokenLen = 16

// checkListenAddr refuses an --addr that is not host:port with a port
// from 0 to 65535 (the host may be empty, a name or an IP).
func checkListenAddr(addr string) error {
	const allowed = "host:port with a port from 0 to 65535, e.g. 127.0.0.1:8080 or [::1]:8080"
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return hashlab.Invalidf("--addr", addr, allowed, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		return hashlab.Invalid("--addr", addr, allowed)
	}
	return nil
}

// checkToken refuses a token shorter than minTokenLen. The error gives
// the length, never the token.
func checkToken(field, token string) error {
	if token != "" && len(token) < minTokenLen {
		return &hashlab.InputError{Field: field, Value: fmt.Sprintf("%d characters", len(token)), Allowed: fmt.Sprintf("at least %d characters, e.g. from 'openssl rand -hex 16'", minTokenLen)}
	}
	return nil
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "serve [--addr 127.0.0.1:8080] [--token T] [--db FILE] [--json]")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address; anything but loopback needs --token")
	token := fs.String("token", "", "bearer token required on endpoints that write or start heavy work (default: $HASHLAB_TOKEN)")
	asJSON := fs.Bool("json", false, "print the address served on as one JSON line on stdout and log JSON lines on stderr")
	plugSources := addServeSources(env, fs)
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos)
	}
	if err := checkListenAddr(*addr); err != nil {
		return err
	}
	tokenField := "--token"
	if *token == "" && env.Getenv != nil {
		*token = env.Getenv("HASHLAB_TOKEN")
		tokenField = "HASHLAB_TOKEN"
	}
	if err := checkToken(tokenField, *token); err != nil {
		return err
	}
	logger := env.Logger
	if *asJSON {
		logger = slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	cfg := server.Config{Addr: *addr, Token: *token, Logger: logger, Now: env.Now}
	closeSources, err := plugSources(ctx, &cfg)
	if err != nil {
		return err
	}
	defer closeSources()
	srv, err := server.New(cfg)
	if err != nil {
		return usagef("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *addr, err)
	}
	if *asJSON {
		if err := writeJSONLine(env.Stdout, map[string]string{"url": "http://" + ln.Addr().String(), "dashboard": "/", "api": "/api/v1/", "metrics": "/metrics"}); err != nil {
			ln.Close()
			return err
		}
	} else {
		fmt.Fprintf(env.Stderr, "hashlab: serving on http://%s (dashboard /, API /api/v1/, metrics /metrics)\n", ln.Addr())
	}
	return srv.Serve(ctx, ln)
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
