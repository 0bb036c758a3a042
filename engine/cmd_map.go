package engine

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() { registerStage("map", buildMap) }

// mapPlaceholder is a $field$ reference in a map search template.
var mapPlaceholder = regexp.MustCompile(`\$([^$\s"]+)\$`)

// defaultMapSearches is map's default maxsearches.
const defaultMapSearches = 10

// mapStage runs its search template once per input row (at most
// maxsearches rows), with each $field$ replaced by the row's value, and
// emits the results of all runs. The searches read input events, which
// a single pass offers only once: the template's first command, with
// every $field$ replaced by "*", is compiled as a prefilter that keeps
// the events any run could match, and each run reads those at the end
// of input. A row lacking a referenced field runs no search.
type mapStage struct {
	c           *compiler
	template    string
	at          int
	maxSearches int
	candidates  *Query
	rows        []*event.Event
}

func buildMap(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	template, ok := a.Options["search"]
	if !ok || a.Sub != nil {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "map is supported only as map search=\"...\"")
	}
	st := &mapStage{c: c, template: template, at: a.OptionAt["search"], maxSearches: defaultMapSearches}
	for key, v := range a.Options {
		at := a.OptionAt[key]
		switch key {
		case "search":
		case "maxsearches":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, c.x.Err(at, at+1, "map maxsearches expects a number, found %q", v)
			}
			st.maxSearches = n
		default:
			return nil, c.x.Err(at, at+1, "map option %s is not supported", key)
		}
	}
	prefilter := mapPlaceholder.ReplaceAllString(template, "*")
	pl, x, err := spl.Parse(prefilter, c.macros())
	if err != nil {
		return nil, c.x.Err(st.at, st.at+1, "map search: %v", err)
	}
	first, isSearch := pl.Commands[0].(*spl.SearchCmd)
	if !isSearch {
		return nil, c.x.Err(st.at, st.at+1, "map search must start with a search command")
	}
	// Check the whole template now, so errors surface before any event.
	sample := &compiler{x: x, env: c.env, opts: c.opts, subsearches: &[]*Query{}}
	for i, cmd := range pl.Commands {
		if _, err := sample.stage(cmd, i == 0); err != nil {
			return nil, c.x.Err(st.at, st.at+1, "map search: %v", err)
		}
	}
	filter := &compiler{x: x, env: c.env, opts: c.opts, subsearches: c.subsearches}
	st.candidates, err = filter.subquery(&spl.Pipeline{Commands: []spl.Command{first}}, true)
	if err != nil {
		return nil, c.x.Err(st.at, st.at+1, "map search: %v", err)
	}
	return st, nil
}

func (c *compiler) macros() spl.MacroSet {
	if c.opts.Macros == nil {
		return spl.MacroMap{}
	}
	return c.opts.Macros
}

func (s *mapStage) Push(r *event.Event, _ Emit) error {
	if len(s.rows) < s.maxSearches || s.maxSearches == 0 {
		s.rows = append(s.rows, r)
	}
	return nil
}

func (s *mapStage) Flush(emit Emit) error {
	events, err := s.candidates.Finish()
	if err != nil {
		return err
	}
	for _, r := range s.rows {
		text, ok := substituteFields(s.template, r)
		if !ok {
			continue
		}
		q, err := CompileQuery(text, s.c.macros(), s.c.opts)
		if err != nil {
			return err
		}
		for _, e := range events {
			if err := q.Push(e); err != nil {
				return err
			}
		}
		rows, err := q.Finish()
		if err != nil {
			return err
		}
		for _, out := range rows {
			if err := emit(out.Clone()); err != nil {
				return err
			}
		}
	}
	s.rows = nil
	return nil
}

// substituteFields replaces each $field$ with the row's first value of
// the field; ok is false when a referenced field is missing.
func substituteFields(template string, r *event.Event) (string, bool) {
	ok := true
	out := mapPlaceholder.ReplaceAllStringFunc(template, func(m string) string {
		v, found := r.Value(strings.Trim(m, "$"))
		if !found {
			ok = false
		}
		return v
	})
	return out, ok
}
