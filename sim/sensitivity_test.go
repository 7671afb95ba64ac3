package sim

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/hashlab/hashlab"
)

// The tornado moves each behavioural parameter on common random numbers:
// a parameter the scenario does not use (AI demand in a scenario without
// it) moves nothing, one that matters (the level of the power-cost curve)
// moves the horizon's hashrate the expected way (dearer power, less
// hashrate), the rows are sorted by swing, and the JSON encodes.
func TestSensitivityTornado(t *testing.T) {
	sc, err := ParseScenario([]byte("name: sens\nyears: 1\nprice: {model: gbm, volatility: 0.5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := RunSensitivity(context.Background(), sc, Options{Paths: 40, Seed: 1}, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != len(SensitivityParams) {
		t.Fatalf("%d rows", len(s.Rows))
	}
	for i, r := range s.Rows {
		t.Logf("%-32s %g..%g swing %.3f hashrate %.4g..%.4g %s", r.Field, r.Low, r.High, r.Swing, r.OutLow[0], r.OutHigh[0], r.Note)
		if i > 0 && r.Swing > s.Rows[i-1].Swing {
			t.Errorf("rows not sorted by swing")
		}
		switch r.Field {
		case "ai_demand.mw_per_year", "ai_demand.lease_usd_per_kw_month", "ai_demand.min_ratio":
			if r.Swing != 0 {
				t.Errorf("%s swings %.4f without AI demand", r.Field, r.Swing)
			}
		case "population.power_scale":
			if !(r.OutHigh[0] < r.OutLow[0]) {
				t.Errorf("dearer power: hashrate %v, cheaper: %v", r.OutHigh[0], r.OutLow[0])
			}
		}
	}
	if _, err := json.Marshal(s); err != nil {
		t.Fatal(err)
	}
	if _, err := RunSensitivity(context.Background(), sc, Options{Paths: 1, Seed: 1}, 0); !errors.Is(err, hashlab.ErrInput) {
		t.Errorf("delta 0: %v", err)
	}
}
