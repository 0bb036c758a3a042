package cim

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Channels of the Windows event sources the mappings read.
const (
	sysmonChannel   = "Microsoft-Windows-Sysmon/Operational"
	securityChannel = "Security"
	systemChannel   = "System"
)

// Vendor names the add-ons write into vendor_product.
const (
	sysmonVendor  = "Microsoft Sysmon"
	windowsVendor = "Microsoft Windows"
)

// unknown is the CIM default for required fields that no source fills.
const unknown = "unknown"

// metadataFields are copied from the raw event into every record, under
// their own names: tstats reads them without a dataset prefix.
var metadataFields = []string{event.TimeField, event.HostField, event.SourceField, event.SourcetypeField}

// rule derives one field of a record from the raw event. The first rule
// that yields a value for a field wins, so later rules for the same field
// are fallbacks.
type rule struct {
	field string
	// from names a raw field copied with all its values, used when calc is nil.
	from string
	// calc computes a single value; "" gives no value.
	calc func(e *event.Event) string
}

// copyOf is the rule that copies a raw field unchanged.
func copyOf(field, from string) rule { return rule{field: field, from: from} }

// calc is the rule that computes a field.
func calc(field string, fn func(e *event.Event) string) rule { return rule{field: field, calc: fn} }

// source maps one kind of raw event, a channel and its event codes, onto
// a dataset.
type source struct {
	channel string
	codes   []string
	// when, if set, must accept the event as well.
	when  func(e *event.Event) bool
	rules []rule
}

// mapping describes how one dataset is built from raw events.
type mapping struct {
	sources []*source
	// finish adds the data model's calculated fields; it runs after the
	// source rules and before the defaults.
	finish func(r *record, e *event.Event)
	// defaults are the fields set to "unknown" when still missing.
	defaults []string
	// byCode indexes the sources by event code.
	byCode map[string][]*source
}

// register indexes the mapping and registers its dataset.
func (m *mapping) register(model, name string) {
	m.byCode = map[string][]*source{}
	for _, s := range m.sources {
		for _, c := range s.codes {
			m.byCode[c] = append(m.byCode[c], s)
		}
	}
	Register(&Dataset{Model: model, Name: name, Map: m.mapEvent})
}

// mapEvent returns the records of the sources that accept e.
func (m *mapping) mapEvent(e *event.Event) []*event.Event {
	code, ok := e.Value("EventCode")
	if !ok {
		return nil
	}
	candidates := m.byCode[code]
	if len(candidates) == 0 {
		return nil
	}
	channel := channelOf(e)
	var out []*event.Event
	for _, s := range candidates {
		if s.channel != channel || s.when != nil && !s.when(e) {
			continue
		}
		out = append(out, m.build(e, s))
	}
	return out
}

func (m *mapping) build(e *event.Event, s *source) *event.Event {
	r := newRecord(e, len(s.rules)+len(m.defaults))
	for i := range s.rules {
		ru := &s.rules[i]
		if r.has(ru.field) {
			continue
		}
		if ru.calc == nil {
			r.setAll(ru.field, e.Values(ru.from))
			continue
		}
		r.set(ru.field, ru.calc(e))
	}
	if m.finish != nil {
		m.finish(r, e)
	}
	for _, f := range m.defaults {
		if !r.has(f) {
			r.set(f, unknown)
		}
	}
	return r.ev
}

// channelOf returns the event's channel: the Channel field, else the part
// of source after "XmlWinEventLog:" or "WinEventLog:".
func channelOf(e *event.Event) string {
	if ch, ok := e.Value("Channel"); ok {
		return ch
	}
	src, _ := e.Value(event.SourceField)
	if _, rest, ok := strings.Cut(src, ":"); ok {
		return rest
	}
	return ""
}

// record builds one dataset record. Single values are carved from one
// shared buffer so a record costs few allocations.
type record struct {
	ev  *event.Event
	buf []string
}

func newRecord(e *event.Event, size int) *record {
	r := &record{
		ev:  &event.Event{Fields: make([]event.Field, 0, size+len(metadataFields))},
		buf: make([]string, 0, size),
	}
	for _, name := range metadataFields {
		if v := e.Values(name); len(v) > 0 {
			r.ev.Fields = append(r.ev.Fields, event.Field{Name: name, Values: v})
		}
	}
	return r
}

func (r *record) has(name string) bool {
	for i := range r.ev.Fields {
		if r.ev.Fields[i].Name == name {
			return true
		}
	}
	return false
}

// value returns the first value of a record field, or "".
func (r *record) value(name string) string {
	v, _ := r.ev.Value(name)
	return v
}

// set adds a single-valued field; an empty value adds nothing.
func (r *record) set(name, v string) {
	if v == "" {
		return
	}
	r.buf = append(r.buf, v)
	n := len(r.buf)
	r.ev.Fields = append(r.ev.Fields, event.Field{Name: name, Values: r.buf[n-1 : n : n]})
}

// setAll adds a field with the given values, shared with their owner.
func (r *record) setAll(name string, values []string) {
	if len(values) == 0 || len(values) == 1 && values[0] == "" {
		return
	}
	r.ev.Fields = append(r.ev.Fields, event.Field{Name: name, Values: values})
}

// ---- value helpers used by the source tables ----

// field returns the first value of a raw field.
func field(e *event.Event, name string) string {
	v, _ := e.Value(name)
	return v
}

// fixed returns a calc that always yields v.
func fixed(v string) func(*event.Event) string {
	return func(*event.Event) string { return v }
}

// baseName returns a calc yielding the last path component of a raw
// field: the text after the last backslash or slash.
func baseName(from string) func(*event.Event) string {
	return func(e *event.Event) string { return lastPathElement(field(e, from)) }
}

func lastPathElement(path string) string {
	if i := strings.LastIndexAny(path, `\/`); i >= 0 {
		return path[i+1:]
	}
	return path
}

// present returns a calc that copies a raw field unless it holds one of
// the placeholders Windows writes for "none" ("-" and empty).
func present(from string) func(*event.Event) string {
	return func(e *event.Event) string {
		v := field(e, from)
		if v == "-" {
			return ""
		}
		return v
	}
}

// accountName returns a calc yielding the name part of a DOMAIN\name
// account; "-" yields nothing. A name@domain account is kept whole.
func accountName(from string) func(*event.Event) string {
	return func(e *event.Event) string { return stripDomain(field(e, from)) }
}

func stripDomain(account string) string {
	if account == "-" {
		return ""
	}
	if i := strings.LastIndexByte(account, '\\'); i >= 0 {
		return account[i+1:]
	}
	return account
}

// firstToken returns the first token of a command line: a double-quoted
// string (without its quotes) or a run of non-space characters.
func firstToken(cmd string) string {
	s := strings.TrimLeft(cmd, " \t")
	if strings.HasPrefix(s, `"`) {
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			return s[1 : end+1]
		}
	}
	if end := strings.IndexAny(s, " \t"); end >= 0 {
		return s[:end]
	}
	return s
}

// byCode returns a calc that looks the event code up in a table.
func byCode(table map[string]string) func(*event.Event) string {
	return func(e *event.Event) string { return table[field(e, "EventCode")] }
}
