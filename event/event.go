// Package event defines the record every decoder produces and every SPL stage
// consumes: an ordered list of named fields, each a list of string values,
// in the way Splunk treats every field as a (possibly multivalue) string.
package event

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// Field is one named field. A field with no values does not exist (null).
type Field struct {
	Name   string
	Values []string
}

// Event is one record: a raw event from a decoder or a result row of a
// pipeline stage. The zero value is an empty event.
//
// Reading an event (Values, Value, Has, Time, Clone) is safe from several
// goroutines at once, including the first read of a lazy field; changing
// it (Set, Add, Remove, Rename, Materialize) is not.
type Event struct {
	Fields []Field
	// lazy holds fields computed on first read, so decoders that do not
	// keep the raw text (EVTX) pay for _raw only when a query reads it.
	lazy []*lazyField
}

// lazyField is a field whose values are computed once, on first read.
type lazyField struct {
	name    string
	compute func() []string
	once    sync.Once
	values  []string
}

func (l *lazyField) get() []string {
	l.once.Do(func() {
		l.values = l.compute()
		l.compute = nil
	})
	return l.values
}

// SetLazy defines a field whose values compute returns on first read.
// A field of that name already in Fields takes precedence.
func (e *Event) SetLazy(name string, compute func() []string) {
	e.dropLazy(name)
	e.lazy = append(e.lazy, &lazyField{name: name, compute: compute})
}

func (e *Event) dropLazy(name string) {
	for i, l := range e.lazy {
		if l.name == name {
			e.lazy = append(e.lazy[:i:i], e.lazy[i+1:]...)
			return
		}
	}
}

// Materialize computes every lazy field and moves it into Fields, for
// code that iterates Fields (output, wildcard field lists).
func (e *Event) Materialize() {
	for _, l := range e.lazy {
		if e.index(l.name) < 0 {
			if v := l.get(); len(v) > 0 {
				e.Fields = append(e.Fields, Field{Name: l.name, Values: v})
			}
		}
	}
	e.lazy = nil
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
	for _, l := range e.lazy {
		if l.name == name {
			return l.get()
		}
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
	e.dropLazy(name)
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
	e.dropLazy(name)
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
	if i < 0 {
		// A lazy field: store its computed values under the new name.
		e.dropLazy(from)
		e.Fields = append(e.Fields, Field{Name: to, Values: values})
		return
	}
	e.Fields[i].Name = to
}

// Clone returns a deep copy of the field list. The values slices are
// copied, so the clone can be changed without touching the original, and
// lazy fields stay lazy (their computation is shared).
func (e *Event) Clone() *Event {
	c := &Event{Fields: make([]Field, len(e.Fields), len(e.Fields)+4)}
	for i, f := range e.Fields {
		c.Fields[i] = Field{Name: f.Name, Values: append([]string(nil), f.Values...)}
	}
	if len(e.lazy) > 0 {
		c.lazy = append([]*lazyField(nil), e.lazy...)
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
	return ParseEpoch(v)
}

// ParseEpoch parses epoch seconds written in decimal ("1504121104.1743494")
// without going through a float, which cannot hold 17 significant digits.
func ParseEpoch(s string) (time.Time, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	secs, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return time.Time{}, false
		}
		return EpochTime(f), true
	}
	if len(frac) > 9 {
		frac = frac[:9]
	}
	ns := int64(0)
	if frac != "" {
		n, err := strconv.ParseInt(frac, 10, 64)
		if err != nil || n < 0 {
			return time.Time{}, false
		}
		ns = n
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
	}
	if strings.HasPrefix(whole, "-") && ns > 0 {
		return time.Unix(secs-1, 1e9-ns).UTC(), true
	}
	return time.Unix(secs, ns).UTC(), true
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
