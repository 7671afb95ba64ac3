package server

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
)

// web holds the dashboard: HTML pages, hand-written JS (charts drawn as SVG
// in the browser) and CSS. Nothing is fetched from elsewhere.
//
//go:embed web
var webFS embed.FS

// page is one dashboard page: its file under web/ defines "main", which
// web/layout.html wraps in the shared head, navigation and footer.
type page struct {
	File  string
	Title string
	Page  string // the nav entry marked current (body data-page)
}

// pages maps dashboard paths to their pages.
var pages = map[string]page{
	"/{$}":       {"web/index.html", "Overview", "overview"},
	"/fleet":     {"web/fleet.html", "Fleet & pivot", "fleet"},
	"/simulator": {"web/simulator.html", "Simulator", "simulator"},
	"/security":  {"web/security.html", "Security", "security"},
	"/pools":     {"web/pools.html", "Pools", "pools"},
	"/hedge":     {"web/hedge.html", "Hedge", "hedge"},
}

// renderPage executes a page in the layout; pages are rendered once, at
// start-up.
func renderPage(pg page) ([]byte, error) {
	t, err := template.ParseFS(webFS, "web/layout.html", pg.File)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", pg); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (s *Server) registerWeb() {
	s.handle("GET", "/favicon.ico", false, false, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for path, pg := range pages {
		body, err := renderPage(pg)
		if err != nil {
			panic("server: embedded page " + pg.File + ": " + err.Error())
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
