// Package event defines the record every decoder produces and every SPL stage
// consumes: an ordered list of named fields, each a list of string values,
// in the way Splunk treats every field as a (possibly multivalue) string.
package event

import (
	"strconv"
	"strings"
	"time"
)

// Field is one named field. A field with no values does not exist (null).
type Field struct {
	Name   string
	Values []string
}

// Event is one record: a raw event from a decoder or a result row of a
// pipeline stage. The zero value is an empty event.
type Event struct {
	Fields []Field
	// RenderRaw, when set, produces _raw on first use, so decoders that do
	// not keep the raw text (EVTX) pay for it only when a query reads _raw.
	RenderRaw func() string
}

// Special field names.
const (
	TimeField       = "_time"
	RawField        = "_raw"
	HostField       = "host"
	SourceField     = "source"
	SourcetypeField = "sourcetype"
)

func (e *Event) index(name string) int {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// Values returns the values of the named field, or nil when it is null.
// The returned slice must not be modified.
func (e *Event) Values(name string) []string {
	if i := e.index(name); i >= 0 {
		return e.Fields[i].Values
	}
	if name == RawField && e.RenderRaw != nil {
		raw := e.RenderRaw()
		e.RenderRaw = nil
		e.Fields = append(e.Fields, Field{Name: RawField, Values: []string{raw}})
		return e.Fields[len(e.Fields)-1].Values
	}
	return nil
}

// Value returns the first value of the named field and whether it exists.
func (e *Event) Value(name string) (string, bool) {
	v := e.Values(name)
	if len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// Has reports whether the named field exists.
func (e *Event) Has(name string) bool { return len(e.Values(name)) > 0 }

// Set replaces the values of a field, adding it at the end when new.
// Setting no values removes the field.
func (e *Event) Set(name string, values ...string) {
	if len(values) == 0 {
		e.Remove(name)
		return
	}
	if i := e.index(name); i >= 0 {
		e.Fields[i].Values = values
		return
	}
	if name == RawField {
		e.RenderRaw = nil
	}
	e.Fields = append(e.Fields, Field{Name: name, Values: values})
}

// Add appends one value to a field, creating it when absent; repeated
// names become multivalue, like Splunk's MV_ADD extractions.
func (e *Event) Add(name, value string) {
	if i := e.index(name); i >= 0 {
		e.Fields[i].Values = append(e.Fields[i].Values, value)
		return
	}
	e.Fields = append(e.Fields, Field{Name: name, Values: []string{value}})
}

// Remove deletes a field.
func (e *Event) Remove(name string) {
	if name == RawField {
		e.RenderRaw = nil
	}
	if i := e.index(name); i >= 0 {
		e.Fields = append(e.Fields[:i], e.Fields[i+1:]...)
	}
}

// Rename moves a field to a new name, replacing any field of that name.
// Renaming a missing field leaves the event unchanged.
func (e *Event) Rename(from, to string) {
	if from == to {
		return
	}
	values := e.Values(from)
	if values == nil {
		return
	}
	e.Remove(to)
	i := e.index(from)
	e.Fields[i].Name = to
}

// Clone returns a deep copy of the field list; the values slices are
// copied, so the clone can be changed without touching the original.
func (e *Event) Clone() *Event {
	c := &Event{Fields: make([]Field, len(e.Fields), len(e.Fields)+4), RenderRaw: e.RenderRaw}
	for i, f := range e.Fields {
		c.Fields[i] = Field{Name: f.Name, Values: append([]string(nil), f.Values...)}
	}
	return c
}

// Time returns _time as an instant; ok is false when _time is missing or
// not a number.
func (e *Event) Time() (t time.Time, ok bool) {
	v, found := e.Value(TimeField)
	if !found {
		return time.Time{}, false
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, false
	}
	return EpochTime(secs), true
}

// SetTime stores t as _time in epoch seconds with up to seven fractional
// digits (the 100 ns resolution of Windows timestamps).
func (e *Event) SetTime(t time.Time) { e.Set(TimeField, FormatEpoch(t)) }

// FormatEpoch renders t as epoch seconds, with the fraction trimmed of
// trailing zeros ("1597188765", "1597188765.1234567").
func FormatEpoch(t time.Time) string {
	secs := t.Unix()
	frac := t.Nanosecond() / 100
	s := strconv.FormatInt(secs, 10)
	if frac == 0 {
		return s
	}
	f := strconv.Itoa(frac + 10000000)[1:]
	return s + "." + strings.TrimRight(f, "0")
}

// EpochTime converts epoch seconds to a UTC instant, rounded to 100 ns.
func EpochTime(secs float64) time.Time {
	whole := int64(secs)
	if float64(whole) > secs {
		whole--
	}
	frac := secs - float64(whole)
	ns := int64(frac*1e7+0.5) * 100
	return time.Unix(whole, ns).UTC()
}
