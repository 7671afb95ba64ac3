package hashlab

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrInput matches every [*InputError] with errors.Is: bad input from a
// user, a flag, a request or a file. The CLI maps it to exit code 2 and
// the HTTP API to status 400.
var ErrInput = errors.New("invalid input")

// InputError is the one error type for bad input, in every package. It
// names the field, the value that was given and what is allowed, so the
// CLI can print a useful message and the API can fill the "field",
// "value" and "allowed" members of its error body.
//
// Field is the user-facing name (a flag, a query parameter, a YAML key or
// a CSV column with its line). Value is the offending value as the user
// wrote it, or as Go prints it. Allowed says what would have been
// accepted. Err, when set, is the underlying cause (a parse error).
type InputError struct {
	Field   string
	Value   string
	Allowed string
	Err     error
}

// Invalid returns an *InputError for field with value v (formatted with
// [FormatValue]) and the allowed values or range.
func Invalid(field string, v any, allowed string) *InputError {
	return &InputError{Field: field, Value: FormatValue(v), Allowed: allowed}
}

// Invalidf is Invalid with a cause.
func Invalidf(field string, v any, allowed string, cause error) *InputError {
	return &InputError{Field: field, Value: FormatValue(v), Allowed: allowed, Err: cause}
}

// Error prints "field = value (allowed: ...)" with the cause, if any.
func (e *InputError) Error() string {
	s := e.Field
	if e.Value != "" || e.Field != "" {
		s += " = " + e.Value
	}
	if e.Allowed != "" {
		s += " (allowed: " + e.Allowed + ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrInput) true for every *InputError.
func (e *InputError) Is(target error) bool { return target == ErrInput }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// AsInput returns the *InputError in err's chain, if any.
func AsInput(err error) (*InputError, bool) {
	var ie *InputError
	if errors.As(err, &ie) {
		return ie, true
	}
	return nil, false
}

// InField puts err under an entry of a file or list (prefix such as
// "machines[2]"): an *InputError gets the qualified field name
// ("machines[2].count"), any other error the prefix.
func InField(prefix string, err error) error {
	if ie, ok := AsInput(err); ok {
		c := *ie
		c.Field = prefix + "." + c.Field
		return &c
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// FormatValue prints a value for an error message: strings quoted when
// empty or containing spaces, floats in the shortest form (NaN and ±Inf by
// name), everything else with %v.
func FormatValue(v any) string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return `""`
		}
		for _, r := range x {
			if r == ' ' || r == '\t' || r == '\n' {
				return strconv.Quote(x)
			}
		}
		return x
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "+Inf"
		case math.IsInf(x, -1):
			return "-Inf"
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case float32:
		return FormatValue(float64(x))
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
