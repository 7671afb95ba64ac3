package mempool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashlab/hashlab"
	"github.com/hashlab/hashlab/consensus"
	"github.com/hashlab/hashlab/internal/webreplay"
	"github.com/hashlab/hashlab/source"
)

// The replay server answers from testdata/api, hand-made answers in the
// mempool.space REST API's documented shapes (see testdata/README.md),
// mounted under /api like the public instance. No test uses the network.
// override replaces the answer of one path (without /api/).
func replay(t *testing.T, override map[string]http.HandlerFunc) *httptest.Server {
	t.Helper()
	return webreplay.New(t, filepath.Join("testdata", "api"), webreplay.Options{Prefix: "/api", Override: override})
}

var text = webreplay.Text

func newSource(t *testing.T, srv *httptest.Server, cfg Config) *Source {
	t.Helper()
	cfg.BaseURL = srv.URL + "/api"
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Date(2026, 4, 22, 22, 0, 0, 0, time.UTC) }
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const (
	tipHeight  = 946236
	tipTime    = 1776894603 // real header time of 946236
	epochFirst = 945504
	epochTime  = 1776448537 // real header time of 945504
	epochBits  = consensus.Bits(0x17021369)
	meanFees   = 1961398 // sats: mean of the made-up totalFees of 946093..946236 (testdata/README.md)
)

func TestState(t *testing.T) {
	srv := replay(t, nil)
	s := newSource(t, srv, Config{})
	st, err := s.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/api"
	if st.Network != "mainnet" || st.Tip.Height != tipHeight || !st.Tip.Time.Equal(time.Unix(tipTime, 0)) {
		t.Errorf("tip = %+v", st.Tip)
	}
	if st.Tip.Source != "mempool" || st.Tip.Detail != base || !st.Tip.AsOf.Equal(time.Unix(tipTime, 0)) {
		t.Errorf("tip provenance = %+v", st.Tip.Provenance)
	}
	if st.Epoch.FirstHeight != epochFirst || !st.Epoch.FirstTime.Equal(time.Unix(epochTime, 0)) || st.Epoch.Bits != epochBits {
		t.Errorf("epoch = %+v", st.Epoch)
	}
	if st.Fees.PerBlock != meanFees || st.Fees.Blocks != 144 || st.Fees.FromHeight != tipHeight-143 || st.Fees.ToHeight != tipHeight {
		t.Errorf("fees = %+v", st.Fees)
	}
	if st.Price == nil || st.Price.USD != 78412 || !st.Price.AsOf.Equal(time.Unix(1776894600, 0)) || st.Price.Source != "mempool" {
		t.Fatalf("price = %+v", st.Price)
	}
	if len(st.Price.Quotes) != 1 || st.Price.Quotes[0].Exchange != "mempool" || st.Price.Quotes[0].USD != 78412 {
		t.Errorf("quotes = %+v", st.Price.Quotes)
	}
}

func TestStateNoPriceAndShortWindow(t *testing.T) {
	srv := replay(t, map[string]http.HandlerFunc{"v1/prices": func(w http.ResponseWriter, r *http.Request) {
		t.Error("NoPrice asked /v1/prices")
	}})
	st, err := newSource(t, srv, Config{NoPrice: true, FeeWindowBlocks: 3}).State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := (int64(1500000+(946236*7919)%1000000) + 1500000 + (946235*7919)%1000000 + 1500000 + (946234*7919)%1000000 + 1) / 3
	if st.Price != nil || st.Fees.Blocks != 3 || int64(st.Fees.PerBlock) != want {
		t.Errorf("price %v, fees %+v (want %d)", st.Price, st.Fees, want)
	}
}

// The next block opens epoch 469: the bits in force are computed as Core's
// retarget from epoch 468's real first and last header times and bits
// (difficulty_epochs.csv: 17020684, 1775208520..1776448209 -> 17021369).
func TestEpochAtRetarget(t *testing.T) {
	const h = 945503
	hash := strings.Repeat("ab", 32)
	first := strings.Repeat("cd", 32)
	blk := func(id string, height, ts int64, bits uint32) http.HandlerFunc {
		return text(fmt.Sprintf(`{"id":%q,"height":%d,"timestamp":%d,"bits":%d,"difficulty":%v}`, id, height, ts, bits, consensus.Difficulty(consensus.Bits(bits))))
	}
	srv := replay(t, map[string]http.HandlerFunc{
		"blocks/tip/height":        text(fmt.Sprint(h)),
		"blocks/tip/hash":          text(hash),
		"block/" + hash:            blk(hash, h, 1776448209, 0x17020684),
		"block-height/943488":      text(first),
		"block/" + first:           blk(first, 943488, 1775208520, 0x17020684),
		"v1/difficulty-adjustment": text(`{"nextRetargetHeight":945504,"remainingBlocks":1}`),
		"v1/blocks/945503":         text(fmt.Sprintf(`[{"id":%q,"height":945503,"timestamp":1776448209,"bits":%d,"difficulty":1,"extras":{"totalFees":2500000}}]`, hash, 0x17020684)),
	})
	st, err := newSource(t, srv, Config{FeeWindowBlocks: 1, NoPrice: true}).State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Epoch.FirstHeight != 945504 || !st.Epoch.FirstTime.IsZero() || st.Epoch.Bits != 0x17021369 {
		t.Errorf("epoch = %+v, want first 945504, no time yet, bits 0x17021369", st.Epoch)
	}
	if st.Fees.PerBlock != 2500000 {
		t.Errorf("fees = %+v", st.Fees)
	}
}

func TestDailyCloses(t *testing.T) {
	srv := replay(t, nil)
	s := newSource(t, srv, Config{})
	got, err := s.DailyCloses(context.Background(), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// 2026-04-22 is today on the test clock: not over, so left out.
	want := []source.DailyClose{{Day: "2026-04-20", USD: 77500, Source: "mempool"}, {Day: "2026-04-21", USD: 78300, Source: "mempool"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("closes = %v, want %v", got, want)
	}
	got, err = s.DailyCloses(context.Background(), time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC))
	if err != nil || len(got) != 1 || got[0].Day != "2026-04-21" {
		t.Errorf("since 2026-04-21: %v, %v", got, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []Config{{BaseURL: "ftp://x/api"}, {BaseURL: "mempool.space"}, {FeeWindowBlocks: -1}, {FeeWindowBlocks: 5000}} {
		_, err := New(c)
		if !errors.Is(err, hashlab.ErrInput) {
			t.Errorf("New(%+v) = %v, want an input error", c, err)
		}
	}
	if _, err := New(Config{BaseURL: "http://user:secret@host/api"}); err != nil {
		t.Fatal(err)
	}
	s, _ := New(Config{BaseURL: "http://user:secret@host/api/"})
	if strings.Contains(s.BaseURL(), "secret") || s.BaseURL() != "http://host/api" {
		t.Errorf("BaseURL() = %q, want credentials removed", s.BaseURL())
	}
}

// Each fault gives an error naming the source, the URL and why, of the
// kind callers test with errors.Is.
func TestFaults(t *testing.T) {
	tipHash := strings.TrimSpace(mustRead(t, "testdata/api/blocks/tip/hash"))
	tipBlock := mustRead(t, "testdata/api/block/"+tipHash)
	status := func(code int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if code == 429 {
				w.Header().Set("Retry-After", "30")
			}
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		}
	}
	cases := []struct {
		name     string
		override map[string]http.HandlerFunc
		kind     error
		path     string // in the message
		why      string // in the message
	}{
		{"429", map[string]http.HandlerFunc{"v1/difficulty-adjustment": status(429, "Too Many Requests")}, source.ErrRateLimited, "/api/v1/difficulty-adjustment", "retry after 30s"},
		{"500", map[string]http.HandlerFunc{"blocks/tip/height": status(500, "Internal Server Error")}, source.ErrServer, "/api/blocks/tip/height", "HTTP 500"},
		{"503", map[string]http.HandlerFunc{"v1/blocks/946101": status(503, "")}, source.ErrServer, "/api/v1/blocks/946101", "HTTP 503"},
		{"404 endpoint missing", map[string]http.HandlerFunc{"v1/blocks/946236": status(404, "Not Found")}, source.ErrStatus, "/api/v1/blocks/946236", "HTTP 404"},
		{"malformed JSON", map[string]http.HandlerFunc{"block/" + tipHash: text(`{"id":"` + tipHash + `","height":`)}, source.ErrMalformed, "/api/block/" + tipHash, "not the documented JSON"},
		{"missing field", map[string]http.HandlerFunc{"v1/prices": text(`{"EUR":70000}`)}, source.ErrMalformed, "/api/v1/prices", "no USD or time"},
		{"height not a number", map[string]http.HandlerFunc{"blocks/tip/height": text("<html>")}, source.ErrMalformed, "/api/blocks/tip/height", "not a non-negative integer"},
		{"price zero", map[string]http.HandlerFunc{"v1/prices": text(`{"time":1776894600,"USD":0}`)}, source.ErrImplausible, "/api/v1/prices", "USD price is 0 USD"},
		{"price negative", map[string]http.HandlerFunc{"v1/prices": text(`{"time":1776894600,"USD":-5}`)}, source.ErrImplausible, "/api/v1/prices", "is -5 USD"},
		{"difficulty disagrees with bits", map[string]http.HandlerFunc{"block/" + tipHash: text(strings.Replace(tipBlock, `"difficulty": 135594876535256.58`, `"difficulty": 149301205959699.88`, 1))}, source.ErrImplausible, "/api/block/" + tipHash, "difficulty 1.4930120595969988e+14 but its bits 0x17021369 give"},
		{"no fee extras", map[string]http.HandlerFunc{"v1/blocks/946236": text(`[{"id":"` + tipHash + `","height":946236,"timestamp":1,"bits":1,"difficulty":1}]`)}, source.ErrMalformed, "/api/v1/blocks/946236", "no extras.totalFees"},
		{"fees above all bitcoin", map[string]http.HandlerFunc{"v1/blocks/946236": text(`[{"id":"` + tipHash + `","height":946236,"extras":{"totalFees":2100000000000001}}]`)}, source.ErrImplausible, "/api/v1/blocks/946236", "block 946236 has totalFees 2100000000000001 sats (allowed: 0 to 21,000,000 BTC)"},
		{"retarget height disagrees", map[string]http.HandlerFunc{"v1/difficulty-adjustment": text(`{"nextRetargetHeight":949536}`)}, source.ErrImplausible, "/api/v1/difficulty-adjustment", "nextRetargetHeight 949536 disagrees with tip 946236"},
		{"tip endpoints disagree", map[string]http.HandlerFunc{"blocks/tip/height": text("946300")}, source.ErrImplausible, "/api/block/" + tipHash, "at height 946236 but /blocks/tip/height said 946300"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := replay(t, c.override)
			_, err := newSource(t, srv, Config{}).State(context.Background())
			checkErr(t, err, c.kind, srv.URL+c.path, c.why)
		})
	}
	if !strings.Contains(tipBlock, `"difficulty": 135594876535256.58`) {
		t.Fatal("testdata changed: the difficulty case no longer edits the tip block")
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := replay(t, map[string]http.HandlerFunc{"v1/prices": func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := newSource(t, srv, Config{}).Price(ctx)
	checkErr(t, err, source.ErrTimeout, srv.URL+"/api/v1/prices", "no answer before the deadline")
}

func TestHeightBackwards(t *testing.T) {
	var back atomic.Bool
	tipHash := strings.TrimSpace(mustRead(t, "testdata/api/blocks/tip/hash"))
	older := strings.Repeat("ef", 32)
	srv := replay(t, map[string]http.HandlerFunc{
		"blocks/tip/height": func(w http.ResponseWriter, r *http.Request) {
			if back.Load() {
				fmt.Fprint(w, "946230")
				return
			}
			fmt.Fprint(w, "946236")
		},
		"blocks/tip/hash": func(w http.ResponseWriter, r *http.Request) {
			if back.Load() {
				fmt.Fprint(w, older)
				return
			}
			fmt.Fprint(w, tipHash)
		},
		"block/" + older: text(fmt.Sprintf(`{"id":%q,"height":946230,"timestamp":1776890000,"bits":%d,"difficulty":%v}`, older, uint32(epochBits), consensus.Difficulty(epochBits))),
	})
	s := newSource(t, srv, Config{})
	if _, err := s.Tip(context.Background()); err != nil {
		t.Fatal(err)
	}
	back.Store(true)
	_, err := s.Tip(context.Background())
	checkErr(t, err, source.ErrImplausible, srv.URL+"/api/blocks/tip/height", "tip height went backwards from 946236 to 946230")
}

func TestCredentialsNeverPrinted(t *testing.T) {
	srv := replay(t, map[string]http.HandlerFunc{"v1/prices": text("not json")})
	s, err := New(Config{BaseURL: strings.Replace(srv.URL, "http://", "http://alice:hunter2@", 1) + "/api"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Price(context.Background())
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "alice") {
		t.Errorf("err = %v: want an error without the credentials", err)
	}
}

func checkErr(t *testing.T, err error, kind error, url, why string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, kind) {
		t.Errorf("err = %v, want kind %v", err, kind)
	}
	var se *source.Error
	if !errors.As(err, &se) || se.Source != "mempool" {
		t.Errorf("err = %v, want a *source.Error from mempool", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "mempool: GET "+url) || !strings.Contains(msg, why) {
		t.Errorf("err = %q\nwant prefix %q and %q", msg, "mempool: GET "+url, why)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
