package engine

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the type of an eval value.
type Kind uint8

// Eval value kinds. Field values enter as Str (or Multi); a Str that
// looks like a number acts as a number in arithmetic and comparisons.
const (
	Null Kind = iota
	Str
	Num
	Bool
	Multi
)

// Value is the result of an eval expression.
type Value struct {
	K Kind
	S string
	N float64
	B bool
	M []string
}

var nullValue = Value{}

func strValue(s string) Value  { return Value{K: Str, S: s} }
func numValue(n float64) Value { return Value{K: Num, N: n} }
func boolValue(b bool) Value   { return Value{K: Bool, B: b} }
func multiValue(m []string) Value {
	switch len(m) {
	case 0:
		return nullValue
	case 1:
		return strValue(m[0])
	}
	return Value{K: Multi, M: m}
}

// fieldValue converts a field's values to an eval value.
func fieldValue(values []string) Value { return multiValue(values) }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.K == Null }

// Number returns v as a number when it is one or looks like one.
func (v Value) Number() (float64, bool) {
	switch v.K {
	case Num:
		return v.N, true
	case Str:
		return parseNumber(v.S)
	case Bool:
		return 0, false
	case Multi:
		if len(v.M) > 0 {
			return parseNumber(v.M[0])
		}
	}
	return 0, false
}

// parseNumber parses decimal numbers as Splunk recognises them in field
// values: optional sign, digits, fraction, exponent, surrounding spaces.
// Hex ("0x1f") is not a number here; tonumber(x, 16) converts it.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	c := s[0]
	if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
		return 0, false
	}
	if len(s) > 1 && (s[1] == 'x' || s[1] == 'X') {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// FormatNumber renders a number as Splunk prints eval results: integers
// without a fraction, others with the shortest exact representation.
func FormatNumber(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e15 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// String renders v as field text; for Multi it joins with newlines.
func (v Value) String() string {
	switch v.K {
	case Str:
		return v.S
	case Num:
		return FormatNumber(v.N)
	case Bool:
		if v.B {
			return "True"
		}
		return "False"
	case Multi:
		return strings.Join(v.M, "\n")
	}
	return ""
}

// Strings returns v as field values: nil for null, one value for a
// scalar, all values for a multivalue.
func (v Value) Strings() []string {
	switch v.K {
	case Null:
		return nil
	case Multi:
		return v.M
	}
	return []string{v.String()}
}

// Truth reports whether v counts as true in a filter (where, if, case).
// Only a Bool true is true; strings and numbers are not conditions.
func (v Value) Truth() bool { return v.K == Bool && v.B }
