package mempool

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pageRT answers /v1/blocks/ pages with one body and everything else from
// testdata/api (no server, for fuzzing).
type pageRT []byte

func (b pageRT) RoundTrip(r *http.Request) (*http.Response, error) {
	p := strings.TrimPrefix(r.URL.Path, "/api/")
	body := []byte(b)
	if !strings.HasPrefix(p, "v1/blocks/") {
		var err error
		if body, err = os.ReadFile(filepath.Join("testdata", "api", filepath.FromSlash(p))); err != nil {
			return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		}
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

// Whatever the blocks pages say, State fails or gives 144 blocks' mean
// fees, not negative, with the tip's heights.
func FuzzFeesPage(f *testing.F) {
	b, err := os.ReadFile("testdata/api/v1/blocks/946236")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"height":946236,"extras":{"totalFees":-1}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := New(Config{BaseURL: "http://replay.invalid/api", HTTP: &http.Client{Transport: pageRT(body)}, NoPrice: true})
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.State(context.Background())
		if err != nil {
			return
		}
		if st.Fees.PerBlock < 0 || st.Fees.Blocks != 144 || st.Fees.ToHeight != 946236 || st.Fees.FromHeight != 946093 {
			t.Errorf("fees %+v from %q", st.Fees, body)
		}
	})
}
