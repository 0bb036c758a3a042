package engine

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spelunk/spelunk/cim"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// tstats runs stats over data-model records built from the raw events:
//
//	| tstats [options] aggs from datamodel=Model.Dataset [where search] [by fields [span=t]]
//
// Each raw event is mapped through the dataset (package cim). The records
// carry the dataset's fields under the node prefix (Processes.dest), and
// _time, host, source, sourcetype and nodename without it. WHERE is the
// search language over those records, and the aggregations and by-fields
// behave as in stats. There are no summaries: every answer is computed
// from the events, which is what summariesonly=false gives in Splunk over
// a fully built data model, so summariesonly and allow_old_summaries
// change nothing.

func init() { registerStage("tstats", buildTstats) }

// spanTimeField is the by-field that holds _time floored to the span,
// because aggregations such as min(_time) still read the event's _time.
const spanTimeField = "\x00tstats_span_time"

// tstatsStage aggregates the data-model records of the pushed events.
type tstatsStage struct {
	view *datasetView // nil: aggregate the raw events themselves
	pred predicate
	// table groups rows by the by-fields, reading spanTimeField in place
	// of _time when a span applies; outBy names the output columns.
	table  *groupTable
	outBy  []string
	fill   *string  // fillnull_value: the text that replaces a null by-value
	span   timeSpan // zero when _time is not bucketed
	byTime bool     // _time is a by-field
}

func buildTstats(c *compiler, cmd spl.Command, first bool) (Stage, error) {
	s := cmd.(*spl.StatsCmd)
	if !first {
		return nil, c.x.Err(s.Start, s.End, "tstats must be the first command of a search")
	}
	st := &tstatsStage{outBy: s.By}
	if err := st.options(c, s); err != nil {
		return nil, err
	}
	if s.From != "" {
		ds := cim.Find(s.From)
		if ds == nil {
			return nil, c.x.Err(s.Start, s.End, "data model %s is not available, known datasets are %s", s.From, knownDatasets())
		}
		st.view = viewOf(ds)
	}
	if len(s.Aggs) == 0 {
		return nil, c.x.Err(s.Start, s.End, "tstats needs at least one function")
	}
	for _, a := range s.Aggs {
		if a.Eval != nil {
			return nil, c.x.Err(a.Start, a.Start+len(a.Func), "tstats does not accept eval() inside %s", a.Func)
		}
	}
	st.pred = func(*event.Event) bool { return true }
	if s.Where != nil {
		pred, err := (&searchCompiler{x: c.x, env: c.env}).compile(s.Where)
		if err != nil {
			return nil, err
		}
		st.pred = pred
	}
	readBy := append([]string(nil), s.By...)
	for i, f := range readBy {
		if f == event.TimeField {
			st.byTime = true
			if !st.span.zero() {
				readBy[i] = spanTimeField
			}
		}
	}
	st.table = newGroupTable(s.Aggs, readBy, c.env)
	return st, nil
}

// options checks the tstats options: fillnull_value is honoured,
// summariesonly, allow_old_summaries, include_reduced_buckets, local and
// chunk_size have no effect without summaries, and prestats and append,
// which change the output into stats input, are not supported.
func (st *tstatsStage) options(c *compiler, s *spl.StatsCmd) error {
	for name, value := range s.Options {
		switch name {
		case "fillnull_value":
			v := value
			st.fill = &v
		case "summariesonly", "allow_old_summaries", "include_reduced_buckets", "local":
			if _, ok := parseBool(value); !ok {
				return c.x.Err(s.Start, s.End, "tstats option %s expects true or false, found %q", name, value)
			}
		case "chunk_size":
		case "prestats", "append":
			if on, _ := parseBool(value); on {
				return c.x.Err(s.Start, s.End, "tstats %s=%s is not supported", name, value)
			}
		default:
			return c.x.Err(s.Start, s.End, "tstats does not accept option %s", name)
		}
	}
	if s.TimeSpan != "" {
		span, err := parseTimeSpan(s.TimeSpan)
		if err != nil {
			return c.x.Err(s.Start, s.End, "invalid tstats span=%s: %v", s.TimeSpan, err)
		}
		st.span = span
	}
	return nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "true", "t", "1", "yes":
		return true, true
	case "false", "f", "0", "no":
		return false, true
	}
	return false, false
}

func knownDatasets() string {
	var names []string
	for _, d := range cim.Datasets() {
		names = append(names, d.Path())
	}
	return strings.Join(names, ", ")
}

func (st *tstatsStage) Push(e *event.Event, _ Emit) error {
	if st.view == nil {
		st.add(e)
		return nil
	}
	for _, r := range st.view.records(e) {
		st.add(r)
	}
	return nil
}

func (st *tstatsStage) add(r *event.Event) {
	if !st.pred(r) {
		return
	}
	st.table.add(st.groupRow(r))
}

// groupRow returns r, or a shallow copy of it with the span bucket and the
// fillnull_value text added, when either applies.
func (st *tstatsStage) groupRow(r *event.Event) *event.Event {
	missing := false
	if st.fill != nil {
		for _, f := range st.outBy {
			if f != event.TimeField && !r.Has(f) {
				missing = true
				break
			}
		}
	}
	bucket := st.byTime && !st.span.zero()
	if !missing && !bucket {
		return r
	}
	row := &event.Event{Fields: make([]event.Field, len(r.Fields), len(r.Fields)+len(st.outBy)+1)}
	copy(row.Fields, r.Fields)
	if bucket {
		if secs, ok := rowTime(r); ok {
			row.Set(spanTimeField, FormatNumber(st.span.floor(secs)))
		}
	}
	if missing {
		for _, f := range st.outBy {
			if f != event.TimeField && !row.Has(f) {
				row.Set(f, *st.fill)
			}
		}
	}
	return row
}

// Flush emits one row per group ordered by the by-values, as stats does.
func (st *tstatsStage) Flush(emit Emit) error {
	t := st.table
	groups := t.sortedGroups()
	for _, g := range groups {
		row := &event.Event{Fields: make([]event.Field, 0, len(st.outBy)+len(t.inputs))}
		for i, f := range st.outBy {
			row.Set(f, g.key[i])
		}
		t.setResults(row, g)
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// timeSpan is a bucket width: seconds, or calendar months.
type timeSpan struct {
	seconds float64
	months  int
}

func (s timeSpan) zero() bool { return s.seconds == 0 && s.months == 0 }

// floor returns the start of the bucket holding epoch seconds t. Second
// to week spans are multiples of the span since the epoch; month, quarter
// and year spans start on the first of a month (UTC).
func (s timeSpan) floor(t float64) float64 {
	if s.months == 0 {
		return math.Floor(t/s.seconds) * s.seconds
	}
	tm := event.EpochTime(t)
	months := tm.Year()*12 + int(tm.Month()) - 1
	months -= months % s.months
	return float64(time.Date(months/12, time.Month(months%12+1), 1, 0, 0, 0, 0, time.UTC).Unix())
}

// parseTimeSpan reads a span such as 1h, 10m, 1d or 1mon.
func parseTimeSpan(spec string) (timeSpan, error) {
	n, unit := splitAmount(spec)
	if n <= 0 {
		return timeSpan{}, errSpan(spec)
	}
	switch canonicalUnit(unit) {
	case "s":
		return timeSpan{seconds: float64(n)}, nil
	case "m":
		return timeSpan{seconds: float64(n) * 60}, nil
	case "h":
		return timeSpan{seconds: float64(n) * 3600}, nil
	case "d":
		return timeSpan{seconds: float64(n) * 86400}, nil
	case "w":
		return timeSpan{seconds: float64(n) * 7 * 86400}, nil
	case "mon":
		return timeSpan{months: n}, nil
	case "q":
		return timeSpan{months: 3 * n}, nil
	case "y":
		return timeSpan{months: 12 * n}, nil
	}
	return timeSpan{}, errSpan(spec)
}

type errSpan string

func (e errSpan) Error() string {
	return "expected a number and a unit (s, m, h, d, w, mon, q, y), found " + strconv.Quote(string(e))
}

// ---- dataset views shared by every tstats stage ----

// datasetView maps raw events through one dataset and prefixes the
// record fields with the node name. A hunt pushes the same event to every
// query, so the view keeps the records of the last event it mapped, and
// the stages over one dataset map each event once. Events must not change
// after they are pushed, which the engine already requires because result
// rows may share them.
type datasetView struct {
	ds       *cim.Dataset
	prefix   string
	nodename []string // the nodename field's value: the dataset name
	last     atomic.Pointer[viewEntry]
	// names caches prefixed field names; it is replaced, never changed.
	names atomic.Pointer[map[string]string]
	mu    sync.Mutex
}

type viewEntry struct {
	ev   *event.Event
	rows []*event.Event
}

var views sync.Map // *cim.Dataset → *datasetView

func viewOf(ds *cim.Dataset) *datasetView {
	if v, ok := views.Load(ds); ok {
		return v.(*datasetView)
	}
	v := &datasetView{ds: ds, prefix: ds.Name + ".", nodename: []string{ds.Name}}
	names := map[string]string{}
	v.names.Store(&names)
	actual, _ := views.LoadOrStore(ds, v)
	return actual.(*datasetView)
}

// records returns the prefixed records of e.
func (v *datasetView) records(e *event.Event) []*event.Event {
	if last := v.last.Load(); last != nil && last.ev == e {
		return last.rows
	}
	recs := v.ds.Map(e)
	var rows []*event.Event
	if len(recs) > 0 {
		rows = make([]*event.Event, len(recs))
		for i, r := range recs {
			rows[i] = v.prefixed(r)
		}
	}
	v.last.Store(&viewEntry{ev: e, rows: rows})
	return rows
}

// prefixed returns the record with its dataset fields renamed to
// Name.field and a nodename field added; values are shared.
func (v *datasetView) prefixed(r *event.Event) *event.Event {
	out := &event.Event{Fields: make([]event.Field, len(r.Fields), len(r.Fields)+1)}
	hasNode := false
	for i, f := range r.Fields {
		name := f.Name
		switch {
		case name == "nodename":
			hasNode = true
		case !isIndexedField(name):
			name = v.prefixedName(name)
		}
		out.Fields[i] = event.Field{Name: name, Values: f.Values}
	}
	if !hasNode {
		out.Fields = append(out.Fields, event.Field{Name: "nodename", Values: v.nodename})
	}
	return out
}

// isIndexedField reports whether tstats reads a field without the
// dataset prefix: _time and the other underscore fields, host, source,
// sourcetype and index.
func isIndexedField(name string) bool {
	switch name {
	case event.HostField, event.SourceField, event.SourcetypeField, "index":
		return true
	}
	return strings.HasPrefix(name, "_")
}

func (v *datasetView) prefixedName(name string) string {
	if p, ok := (*v.names.Load())[name]; ok {
		return p
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	old := *v.names.Load()
	if p, ok := old[name]; ok {
		return p
	}
	next := make(map[string]string, len(old)+1)
	for k, val := range old {
		next[k] = val
	}
	p := v.prefix + name
	next[name] = p
	v.names.Store(&next)
	return p
}
