package hashlab

import (
	"encoding/json"
	"math"
)

// Num is a float64 whose undefined values (NaN, ±Inf) encode as JSON
// null and decode back from null as NaN, so an undefined value never
// reaches an output as a number. The simulator's bands and the hedge
// valuation use it.
type Num float64

// MarshalJSON implements json.Marshaler: null for NaN and ±Inf.
func (n Num) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON implements json.Unmarshaler: null decodes as NaN.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*n = Num(f)
	return nil
}

// Defined reports whether n is a finite number.
func (n Num) Defined() bool { return !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0) }
