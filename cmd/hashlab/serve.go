package main

import (
	"context"
	"fmt"
	"net"

	"github.com/hashlab/hashlab/server"
)

func init() {
	register(command{Name: "serve", Summary: "HTTP API, web dashboard and Prometheus metrics (loopback by default)", Run: runServe})
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "serve [--addr 127.0.0.1:8080] [--token T] [--db FILE]")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address; anything but loopback needs --token")
	token := fs.String("token", "", "bearer token required on endpoints that write or start heavy work (default: $HASHLAB_TOKEN)")
	plugSources := addServeSources(env, fs)
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("serve takes no arguments, got %q", pos)
	}
	if *token == "" && env.Getenv != nil {
		*token = env.Getenv("HASHLAB_TOKEN")
	}
	cfg := server.Config{Addr: *addr, Token: *token, Logger: env.Logger, Now: env.Now}
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
	fmt.Fprintf(env.Stderr, "hashlab: serving on http://%s (dashboard /, API /api/v1/, metrics /metrics)\n", ln.Addr())
	return srv.Serve(ctx, ln)
}
