package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashlab/hashlab/sim"
)

// sim run --sensitivity prints the tornado as JSON and as a table, and
// refuses the outputs it cannot produce (exit 2).
func TestSimRunSensitivity(t *testing.T) {
	code, out, errOut := fndRun(t, "sim", "run", "baseline", "--sensitivity", "--paths", "8", "--years", "0.25", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s sim.Sensitivity
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != len(sim.SensitivityParams) || len(s.Base) != 4 || s.Delta != 0.2 {
		t.Fatalf("sensitivity %+v", s)
	}
	code, out, errOut = fndRun(t, "sim", "run", "baseline", "--sensitivity", "--paths", "8", "--years", "0.25", "--delta", "0.5")
	if code != 0 || !strings.Contains(out, "population.power_scale") || !strings.Contains(out, "HASHRATE") {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut := fndRun(t, "sim", "run", "baseline", "--sensitivity", "--csv"); code != 2 {
		t.Errorf("--sensitivity --csv: exit %d (%s)", code, errOut)
	}
	if code, _, errOut := fndRun(t, "sim", "run", "baseline", "--sensitivity", "--delta", "2", "--paths", "2", "--years", "0.1"); code != 2 || !strings.Contains(errOut, "delta") {
		t.Errorf("--delta 2: exit %d (%s)", code, errOut)
	}
}
