package engine

import (
	"errors"
	"strconv"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerStage("lookup", buildLookup)
	registerStage("inputlookup", buildInputlookup)
}

// resolveLookup finds a lookup table, reporting a missing or unusable
// one at the position of its name.
func (c *compiler) resolveLookup(name string, at int) (*LookupTable, error) {
	if c.opts.Lookups == nil {
		return nil, c.x.Err(at, at+len(name), "lookup %s not found", name)
	}
	t, err := c.opts.Lookups.Lookup(name)
	if errors.Is(err, ErrLookupNotFound) {
		return nil, c.x.Err(at, at+len(name), "lookup %s not found", name)
	}
	if err != nil {
		return nil, c.x.Err(at, at+len(name), "%v", err)
	}
	return t, nil
}

// lookupStage writes the output columns of the matching table rows onto
// each row. When nothing matches (and min_matches is 0) the row is left
// unchanged, existing output fields included. OUTPUTNEW writes only
// fields the row lacks. Empty cells write nothing.
type lookupStage struct {
	table     *LookupTable
	inputs    []int
	inFields  []string
	outputs   []int
	outFields []string
	outputNew bool
}

func buildLookup(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	l := cmd.(*spl.LookupCmd)
	t, err := c.resolveLookup(l.Table, l.TableAt)
	if err != nil {
		return nil, err
	}
	st := &lookupStage{table: t, outputNew: l.OutputNew}
	isInput := map[int]bool{}
	for _, in := range l.Inputs {
		col := t.Column(in.Column)
		if col < 0 {
			return nil, c.x.Err(l.TableAt, l.TableAt+len(l.Table), "lookup %s has no column %s", l.Table, in.Column)
		}
		isInput[col] = true
		st.inputs = append(st.inputs, col)
		st.inFields = append(st.inFields, in.Field)
	}
	for _, out := range l.Outputs {
		col := t.Column(out.Column)
		if col < 0 {
			return nil, c.x.Err(l.TableAt, l.TableAt+len(l.Table), "lookup %s has no column %s", l.Table, out.Column)
		}
		st.outputs = append(st.outputs, col)
		st.outFields = append(st.outFields, out.Field)
	}
	if len(l.Outputs) == 0 {
		for col, name := range t.Header {
			if !isInput[col] {
				st.outputs = append(st.outputs, col)
				st.outFields = append(st.outFields, name)
			}
		}
	}
	return st, nil
}

func (s *lookupStage) mutates() bool { return true }

func (s *lookupStage) Push(r *event.Event, emit Emit) error {
	keys := make([]lookupKey, len(s.inputs))
	var matches [][]string
	complete := true
	for i, col := range s.inputs {
		keys[i] = lookupKey{column: col, values: r.Values(s.inFields[i])}
		if len(keys[i].values) == 0 {
			complete = false
		}
	}
	if complete {
		matches = s.table.match(keys)
	}
	missing := s.table.MinMatches - len(matches)
	for i, col := range s.outputs {
		field := s.outFields[i]
		if s.outputNew && r.Has(field) {
			continue
		}
		var values []string
		for _, row := range matches {
			if row[col] != "" {
				values = append(values, row[col])
			}
		}
		for j := 0; j < missing; j++ {
			values = append(values, s.table.DefaultMatch)
		}
		if len(values) > 0 {
			r.Set(field, values...)
		}
	}
	return emit(r)
}

func (s *lookupStage) Flush(Emit) error { return nil }

// inputlookupStage emits the rows of a lookup table: as the first
// command it ignores input events and emits the table at the end of
// input; with append=true it passes its input through and adds the
// table after it.
type inputlookupStage struct {
	table  *LookupTable
	append bool
}

func buildInputlookup(c *compiler, cmd spl.Command, first bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if len(a.Args) == 0 {
		return nil, c.x.Err(a.Start, a.End, "inputlookup needs a table name")
	}
	if len(a.Args) > 1 {
		return nil, c.x.Err(a.ArgAt[1], a.ArgAt[1]+len(a.Args[1]), "inputlookup %s is not supported", a.Args[1])
	}
	st := &inputlookupStage{}
	for key, v := range a.Options {
		at := a.OptionAt[key]
		switch key {
		case "append":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, c.x.Err(at, at+1, "inputlookup append expects true or false, found %q", v)
			}
			st.append = b
		default:
			return nil, c.x.Err(at, at+1, "inputlookup option %s is not supported", key)
		}
	}
	if !first && !st.append {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "inputlookup must be the first command unless append=true")
	}
	t, err := c.resolveLookup(a.Args[0], a.ArgAt[0])
	if err != nil {
		return nil, err
	}
	st.table = t
	return st, nil
}

func (s *inputlookupStage) Push(r *event.Event, emit Emit) error {
	if s.append {
		return emit(r)
	}
	return nil
}

func (s *inputlookupStage) Flush(emit Emit) error {
	for _, row := range s.table.Rows {
		e := &event.Event{}
		for i, name := range s.table.Header {
			if i < len(row) && row[i] != "" {
				e.Set(name, row[i])
			}
		}
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}
