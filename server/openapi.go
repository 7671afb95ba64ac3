package server

import (
	_ "embed"
	"net/http"
)

// openAPI is the API's OpenAPI 3 document. It is maintained by hand next
// to the routes; TestOpenAPIMatchesRoutes checks both directions (every
// route documented, every documented operation routed, and each
// operation's query parameters equal to those its handler accepts).
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPI)
}
