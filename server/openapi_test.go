package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
	Comps   struct {
		Parameters map[string]openAPIParam `json:"parameters"`
	} `json:"components"`
}

type openAPIOperation struct {
	Summary    string           `json:"summary"`
	Parameters []openAPIParam   `json:"parameters"`
	Responses  map[string]any   `json:"responses"`
	Security   []map[string]any `json:"security"`
}

type openAPIParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

// TestOpenAPIMatchesRoutes checks the hand-written OpenAPI document against
// the registered routes in both directions: every API route is documented
// and every documented operation is routed; each operation's query
// parameters are exactly those its handler accepts (asked by sending an
// unknown parameter: the 400 lists the accepted ones); heavy routes declare
// the bearer token.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s, ts := newTest(t, Config{})
	r := do(t, "GET", ts.URL+"/api/v1/openapi.json", "")
	if r.status != 200 {
		t.Fatal(r.status)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]openAPIOperation{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op
		}
	}
	routed := map[string]route{}
	for _, rt := range s.routes {
		if rt.API {
			routed[rt.Method+" "+rt.Path] = rt
		}
	}
	for k := range routed {
		if _, ok := documented[k]; !ok {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for k := range documented {
		if _, ok := routed[k]; !ok {
			t.Errorf("openapi.json documents %s, which is not routed", k)
		}
	}
	if len(routed) < 20 {
		t.Errorf("only %d API routes", len(routed))
	}
	for k, rt := range routed {
		op, ok := documented[k]
		if !ok {
			continue
		}
		if op.Summary == "" || op.Responses["200"] == nil {
			t.Errorf("%s: no summary or 200 response", k)
		}
		if rt.Heavy != (len(op.Security) > 0) {
			t.Errorf("%s: heavy=%v but documented security %v", k, rt.Heavy, op.Security)
		}
		var docParams []string
		for _, p := range op.Parameters {
			if p.Ref != "" {
				p = doc.Comps.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				if p.Name == "" {
					t.Errorf("%s: dangling $ref", k)
				}
			}
			if p.In == "query" {
				docParams = append(docParams, p.Name)
			}
		}
		sort.Strings(docParams)
		path := strings.ReplaceAll(rt.Path, "{id}", "nosuchjob")
		probe := do(t, rt.Method, ts.URL+path+"?__probe=1", "x: 1")
		var accepted []string
		switch probe.status {
		case http.StatusBadRequest:
			m := probe.json(t)
			if m["field"] != "__probe" {
				t.Errorf("%s: probe answered %s", k, probe.body)
				continue
			}
			if a := m["allowed"].(string); a != "no parameters" {
				accepted = strings.Split(a, ", ")
			}
		case http.StatusOK:
			// Plain handlers (healthz, metrics, the document) take no
			// parameters.
		default:
			t.Errorf("%s: probe status %d: %s", k, probe.status, probe.body)
			continue
		}
		if strings.Join(accepted, ",") != strings.Join(docParams, ",") {
			t.Errorf("%s: handler accepts %v, openapi.json documents %v", k, accepted, docParams)
		}
	}
}

// TestOpenAPIValidates loads the served document with kin-openapi's
// OpenAPI 3.0 loader and validates it (schemas, $refs, parameter forms;
// the 3.1 numeric exclusiveMinimum that 3.0 validators reject fails
// here), and checks that the error schema declares field, value and
// allowed.
func TestOpenAPIValidates(t *testing.T) {
	_, ts := newTest(t, Config{})
	r := do(t, "GET", ts.URL+"/api/v1/openapi.json", "")
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(r.body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json does not validate: %v", err)
	}
	e := doc.Components.Schemas["Error"]
	if e == nil || e.Value == nil {
		t.Fatal("no Error schema")
	}
	for _, f := range []string{"error", "field", "value", "allowed"} {
		if e.Value.Properties[f] == nil {
			t.Errorf("Error schema has no %q", f)
		}
	}
	// A 3.1-style number where 3.0 wants a boolean is refused.
	bad := strings.Replace(string(r.body), `"exclusiveMinimum": true`, `"exclusiveMinimum": 0`, 1)
	if bad == string(r.body) {
		t.Fatal("no exclusiveMinimum in the document")
	}
	if d, err := openapi3.NewLoader().LoadFromData([]byte(bad)); err == nil && d.Validate(context.Background()) == nil {
		t.Fatal("the validator accepts a numeric exclusiveMinimum in a 3.0 document")
	}
}
