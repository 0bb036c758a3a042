package engine

import (
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// Subsearches run in the same single pass over the input as the main
// pipeline: a subsearch that reads events is a Query of its own that
// receives every input event before the main stages do (Query.Push
// feeds them first). The stage that needs a subsearch's results buffers
// what it must and reads the results when it is flushed, which happens
// after the last input event.

// Result limits of subsearches (limits.conf [subsearch] maxout and
// [join] subsearch_maxout).
const (
	subsearchMaxRows = 10000
	joinMaxRows      = 50000
)

func init() {
	registerStage("join", buildJoin)
	registerStage("append", buildAppend)
	registerStage("appendpipe", buildAppendpipe)
}

// subquery compiles a nested pipeline. With readsEvents set it joins
// the query's subsearches, which receive every input event; otherwise
// the caller pushes rows into it.
func (c *compiler) subquery(pl *spl.Pipeline, readsEvents bool) (*Query, error) {
	sub := &compiler{x: c.x, env: c.env, opts: c.opts, subsearches: c.subsearches}
	q := &Query{Pipeline: pl, Expanded: c.x}
	for i, cmd := range pl.Commands {
		st, err := sub.stage(cmd, i == 0)
		if err != nil {
			return nil, err
		}
		q.stages = append(q.stages, st)
	}
	q.chain()
	if readsEvents {
		*c.subsearches = append(*c.subsearches, q)
	}
	return q, nil
}

// subsearchFilter is a `[subsearch]` term of a search expression; its
// predicate exists once the subsearch has finished.
type subsearchFilter struct {
	query *Query
	env   *Env
	pred  predicate
}

// resolve turns the subsearch's rows into a predicate: each row becomes
// the conjunction of field=value tests over its fields (names starting
// with "_" are skipped, a multivalue field matches any of its values,
// and a field named search or query holds search text), and the rows
// are ORed. No rows match nothing.
func (f *subsearchFilter) resolve() error {
	rows, err := f.query.Finish()
	if err != nil {
		return err
	}
	if len(rows) > subsearchMaxRows {
		rows = rows[:subsearchMaxRows]
	}
	var alternatives []predicate
	for _, row := range rows {
		var terms []predicate
		for _, fld := range row.Fields {
			if strings.HasPrefix(fld.Name, "_") || len(fld.Values) == 0 {
				continue
			}
			if fld.Name == "search" || fld.Name == "query" {
				p, err := parseSearchMatch(strings.Join(fld.Values, " OR "), f.env)
				if err != nil {
					return err
				}
				terms = append(terms, p)
				continue
			}
			terms = append(terms, anyValuePredicate(fld.Name, fld.Values))
		}
		if len(terms) > 0 {
			alternatives = append(alternatives, allOf(terms))
		}
	}
	f.pred = func(ev *event.Event) bool {
		for _, p := range alternatives {
			if p(ev) {
				return true
			}
		}
		return false
	}
	return nil
}

// anyValuePredicate tests field=v1 OR field=v2 ... with search-language
// value matching.
func anyValuePredicate(field string, values []string) predicate {
	matchers := make([]*valueMatcher, len(values))
	for i, v := range values {
		matchers[i] = newValueMatcher(v)
	}
	return func(ev *event.Event) bool {
		for _, v := range ev.Values(field) {
			for _, m := range matchers {
				if m.match(v) {
					return true
				}
			}
		}
		return false
	}
}

func allOf(preds []predicate) predicate {
	return func(ev *event.Event) bool {
		for _, p := range preds {
			if !p(ev) {
				return false
			}
		}
		return true
	}
}

// compileSubsearchTerm compiles a `[subsearch]` search term into a
// predicate that is valid once the filter is resolved.
func (sc *searchCompiler) compileSubsearchTerm(e *spl.SearchSubsearch) (predicate, error) {
	if sc.c == nil {
		return nil, sc.x.Err(e.Start, e.Start+1, "subsearch is not supported here")
	}
	q, err := sc.c.subquery(e.Pipeline, true)
	if err != nil {
		return nil, err
	}
	f := &subsearchFilter{query: q, env: sc.env}
	sc.filters = append(sc.filters, f)
	return func(ev *event.Event) bool { return f.pred != nil && f.pred(ev) }, nil
}

// buildSearchStage compiles a search command. Without subsearches it
// filters as rows arrive; with them, rows that pass the other ANDed
// terms wait until the end of input, when the subsearches' results are
// known.
func buildSearchStage(c *compiler, expr spl.SearchExpr) (Stage, error) {
	sc := &searchCompiler{x: c.x, env: c.env, c: c}
	pred, err := sc.compile(expr)
	if err != nil {
		return nil, err
	}
	if len(sc.filters) == 0 {
		return &searchStage{pred: pred}, nil
	}
	st := &deferredSearchStage{full: pred, filters: sc.filters}
	if and, ok := expr.(*spl.SearchAnd); ok {
		var early []spl.SearchExpr
		for _, t := range and.Terms {
			if !hasSubsearch(t) {
				early = append(early, t)
			}
		}
		if len(early) > 0 {
			plain := &searchCompiler{x: c.x, env: c.env}
			st.early, err = plain.compile(&spl.SearchAnd{Terms: early})
			if err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

func hasSubsearch(e spl.SearchExpr) bool {
	switch e := e.(type) {
	case *spl.SearchSubsearch:
		return true
	case *spl.SearchAnd:
		for _, t := range e.Terms {
			if hasSubsearch(t) {
				return true
			}
		}
	case *spl.SearchOr:
		for _, t := range e.Terms {
			if hasSubsearch(t) {
				return true
			}
		}
	case *spl.SearchNot:
		return hasSubsearch(e.X)
	}
	return false
}

// deferredSearchStage is a search whose expression holds subsearches.
type deferredSearchStage struct {
	early   predicate // the ANDed terms without subsearches; nil for none
	full    predicate
	filters []*subsearchFilter
	rows    []*event.Event
}

func (s *deferredSearchStage) Push(r *event.Event, _ Emit) error {
	if s.early == nil || s.early(r) {
		s.rows = append(s.rows, r)
	}
	return nil
}

func (s *deferredSearchStage) Flush(emit Emit) error {
	for _, f := range s.filters {
		if err := f.resolve(); err != nil {
			return err
		}
	}
	for _, r := range s.rows {
		if s.full(r) {
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	s.rows = nil
	return nil
}

// joinStage joins the buffered rows with the subsearch's rows on exactly
// equal values of the join fields. Each main row pairs with up to max
// subsearch rows (default 1, 0 for all), whose fields overwrite the
// main row's unless overwrite=false. type=left (or outer) keeps main
// rows without a match; inner drops them.
type joinStage struct {
	fields    []string
	left      bool
	max       int
	overwrite bool
	sub       *Query
	rows      []*event.Event
}

func buildJoin(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if a.Sub == nil {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "join needs a [subsearch]")
	}
	st := &joinStage{fields: a.Args, max: 1, overwrite: true}
	for key, v := range a.Options {
		at := a.OptionAt[key]
		switch key {
		case "type":
			switch strings.ToLower(v) {
			case "inner":
			case "left", "outer":
				st.left = true
			default:
				return nil, c.x.Err(at, at+len(v), "join type=%s is not supported, expected inner, left or outer", v)
			}
		case "max":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, c.x.Err(at, at+1, "join max expects a number, found %q", v)
			}
			st.max = n
		case "overwrite":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, c.x.Err(at, at+1, "join overwrite expects true or false, found %q", v)
			}
			st.overwrite = b
		case "usetime", "earlier", "returnfields":
			return nil, c.x.Err(at, at+1, "join option %s is not supported", key)
		}
	}
	if len(st.fields) == 0 {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "join without join fields is not supported")
	}
	sub, err := c.subquery(a.Sub, true)
	if err != nil {
		return nil, err
	}
	st.sub = sub
	return st, nil
}

func (s *joinStage) Push(r *event.Event, _ Emit) error {
	s.rows = append(s.rows, r)
	return nil
}

// key returns the join key of a row, or false when a join field is null.
func (s *joinStage) key(r *event.Event) (string, bool) {
	var b strings.Builder
	for _, f := range s.fields {
		values := r.Values(f)
		if len(values) == 0 {
			return "", false
		}
		b.WriteString(strings.Join(values, "\n"))
		b.WriteByte(0)
	}
	return b.String(), true
}

func (s *joinStage) Flush(emit Emit) error {
	subRows, err := s.sub.Finish()
	if err != nil {
		return err
	}
	if len(subRows) > joinMaxRows {
		subRows = subRows[:joinMaxRows]
	}
	index := map[string][]*event.Event{}
	for _, r := range subRows {
		if k, ok := s.key(r); ok {
			index[k] = append(index[k], r)
		}
	}
	for _, r := range s.rows {
		var matches []*event.Event
		if k, ok := s.key(r); ok {
			matches = index[k]
		}
		if s.max > 0 && len(matches) > s.max {
			matches = matches[:s.max]
		}
		if len(matches) == 0 {
			if s.left {
				if err := emit(r.Clone()); err != nil {
					return err
				}
			}
			continue
		}
		for _, m := range matches {
			out := r.Clone()
			for _, f := range m.Fields {
				if s.overwrite || !out.Has(f.Name) {
					out.Set(f.Name, append([]string(nil), f.Values...)...)
				}
			}
			if err := emit(out); err != nil {
				return err
			}
		}
	}
	s.rows = nil
	return nil
}

// appendStage passes its input through and adds the subsearch's rows at
// the end of input.
type appendStage struct{ sub *Query }

func buildAppend(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if a.Sub == nil {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "append needs a [subsearch]")
	}
	sub, err := c.subquery(a.Sub, true)
	if err != nil {
		return nil, err
	}
	return &appendStage{sub: sub}, nil
}

func (s *appendStage) Push(r *event.Event, emit Emit) error { return emit(r) }

func (s *appendStage) Flush(emit Emit) error {
	rows, err := s.sub.Finish()
	if err != nil {
		return err
	}
	if len(rows) > joinMaxRows {
		rows = rows[:joinMaxRows]
	}
	for _, r := range rows {
		// Subsearch rows may be shared input events.
		if err := emit(r.Clone()); err != nil {
			return err
		}
	}
	return nil
}

// appendpipeStage passes its input through, runs the inner pipeline over
// a copy of the same rows, and adds the inner results at the end.
type appendpipeStage struct{ inner *Query }

func buildAppendpipe(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if a.Sub == nil {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "appendpipe needs a [pipeline]")
	}
	inner, err := c.subquery(a.Sub, false)
	if err != nil {
		return nil, err
	}
	return &appendpipeStage{inner: inner}, nil
}

func (s *appendpipeStage) Push(r *event.Event, emit Emit) error {
	if err := s.inner.entry(r.Clone()); err != nil {
		return err
	}
	return emit(r)
}

func (s *appendpipeStage) Flush(emit Emit) error {
	rows, err := s.inner.Finish()
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}
