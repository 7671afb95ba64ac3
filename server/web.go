package server

import (
	"embed"
	"io/fs"
	"net/http"
)

// web holds the dashboard: HTML pages, hand-written JS (charts drawn as SVG
// in the browser) and CSS. Nothing is fetched from elsewhere.
//
//go:embed web
var webFS embed.FS

// pages maps dashboard paths to their HTML files.
var pages = map[string]string{
	"/{$}":         "web/index.html",
	"/fleet":       "web/fleet.html",
	"/simulator":   "web/simulator.html",
	"/security":    "web/security.html",
	"/favicon.ico": "",
}

func (s *Server) registerWeb() {
	for path, file := range pages {
		if file == "" {
			s.handle("GET", path, false, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			continue
		}
		body, err := webFS.ReadFile(file)
		if err != nil {
			panic("server: embedded page missing: " + file)
		}
		s.handle("GET", path, false, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(body)
		}))
	}
	assets, err := fs.Sub(webFS, "web/assets")
	if err != nil {
		panic(err)
	}
	fileServer := http.StripPrefix("/assets/", http.FileServerFS(assets))
	s.handle("GET", "/assets/", false, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		fileServer.ServeHTTP(w, r)
	}))
}
