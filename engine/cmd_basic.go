package engine

import (
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerStage("search", buildSearch)
	registerStage("where", buildWhere)
	registerStage("eval", buildEval)
	registerStage("rename", buildRename)
	registerStage("table", buildFields)
	registerStage("fields", buildFields)
	registerStage("head", buildHead)
	registerStage("tail", buildHead)
}

// searchStage keeps rows that satisfy a search-language expression.
type searchStage struct{ pred predicate }

func buildSearch(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	return buildSearchStage(c, cmd.(*spl.SearchCmd).Expr)
}

func (s *searchStage) Push(r *event.Event, emit Emit) error {
	if s.pred(r) {
		return emit(r)
	}
	return nil
}

func (s *searchStage) Flush(Emit) error { return nil }

// whereStage keeps rows for which the expression is true.
type whereStage struct {
	expr spl.Expr
	env  *Env
}

func buildWhere(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	w := cmd.(*spl.WhereCmd)
	if err := c.checkExpr(w.Expr); err != nil {
		return nil, err
	}
	return &whereStage{expr: w.Expr, env: c.env}, nil
}

func (s *whereStage) Push(r *event.Event, emit Emit) error {
	ctx := Ctx{Row: r, Env: s.env}
	if ctx.Eval(s.expr).Truth() {
		return emit(r)
	}
	return nil
}

func (s *whereStage) Flush(Emit) error { return nil }

// evalStage assigns fields left to right; a null result removes the field.
type evalStage struct {
	assignments []spl.Assignment
	env         *Env
}

func buildEval(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	e := cmd.(*spl.EvalCmd)
	for _, a := range e.Assignments {
		if err := c.checkExpr(a.Expr); err != nil {
			return nil, err
		}
	}
	return &evalStage{assignments: e.Assignments, env: c.env}, nil
}

func (s *evalStage) mutates() bool { return true }

func (s *evalStage) Push(r *event.Event, emit Emit) error {
	ctx := Ctx{Row: r, Env: s.env}
	for _, a := range s.assignments {
		v := ctx.Eval(a.Expr)
		if v.K == Bool {
			// A comparison cannot be stored in a field.
			v = nullValue
		}
		r.Set(a.Field, v.Strings()...)
	}
	return emit(r)
}

func (s *evalStage) Flush(Emit) error { return nil }

// renameStage renames fields; `*` in both names carries the matched text.
type renameStage struct{ pairs []spl.RenamePair }

func buildRename(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	return &renameStage{pairs: cmd.(*spl.RenameCmd).Pairs}, nil
}

func (s *renameStage) mutates() bool { return true }

func (s *renameStage) Push(r *event.Event, emit Emit) error {
	r.Materialize()
	for _, p := range s.pairs {
		if !strings.Contains(p.From, "*") {
			r.Rename(p.From, p.To)
			continue
		}
		parts := strings.Split(p.From, "*")
		var names []string
		for _, f := range r.Fields {
			if wildcardMatch(f.Name, parts) {
				names = append(names, f.Name)
			}
		}
		for _, name := range names {
			r.Rename(name, substituteWildcards(name, parts, p.To))
		}
	}
	return emit(r)
}

func (s *renameStage) Flush(Emit) error { return nil }

// wildcardMatch matches a field name case-sensitively against pieces
// separated by `*`.
func wildcardMatch(name string, parts []string) bool {
	if len(parts) == 1 {
		return name == parts[0]
	}
	return globMatch(name, parts)
}

// substituteWildcards fills the `*`s of target with the text each `*` of
// the source pattern matched in name.
func substituteWildcards(name string, parts []string, target string) string {
	var captures []string
	rest := name[len(parts[0]):]
	for i := 1; i < len(parts); i++ {
		var j int
		if i == len(parts)-1 {
			j = len(rest) - len(parts[i])
		} else {
			j = strings.Index(rest, parts[i])
		}
		captures = append(captures, rest[:j])
		rest = rest[j+len(parts[i]):]
	}
	var b strings.Builder
	k := 0
	for i := 0; i < len(target); i++ {
		if target[i] == '*' && k < len(captures) {
			b.WriteString(captures[k])
			k++
			continue
		}
		b.WriteByte(target[i])
	}
	return b.String()
}

// fieldsStage implements table (keep and order) and fields (keep or remove).
type fieldsStage struct {
	table  bool
	remove bool
	names  []string
}

func buildFields(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	f := cmd.(*spl.FieldsCmd)
	return &fieldsStage{table: f.Name() == "table", remove: f.Remove, names: f.Fields}, nil
}

func (s *fieldsStage) mutates() bool { return true }

func (s *fieldsStage) matches(name string) bool {
	for _, n := range s.names {
		if wildcardMatch(name, strings.Split(n, "*")) {
			return true
		}
	}
	return false
}

func (s *fieldsStage) Push(r *event.Event, emit Emit) error {
	r.Materialize()
	if s.remove {
		kept := r.Fields[:0]
		for _, f := range r.Fields {
			if !s.matches(f.Name) {
				kept = append(kept, f)
			}
		}
		r.Fields = kept
		return emit(r)
	}
	var kept []event.Field
	used := map[string]bool{}
	for _, n := range s.names {
		parts := strings.Split(n, "*")
		for _, f := range r.Fields {
			if !used[f.Name] && wildcardMatch(f.Name, parts) {
				kept = append(kept, f)
				used[f.Name] = true
			}
		}
	}
	if !s.table {
		// fields keeps _time and _raw unless they are removed explicitly.
		for _, internal := range []string{event.TimeField, event.RawField} {
			if !used[internal] {
				if v := r.Values(internal); v != nil {
					kept = append(kept, event.Field{Name: internal, Values: v})
				}
			}
		}
	}
	r.Fields = kept
	return emit(r)
}

func (s *fieldsStage) Flush(Emit) error { return nil }

// headStage keeps the first N rows (head) or the last N (tail).
type headStage struct {
	tail  bool
	limit int
	seen  int
	kept  []*event.Event
}

func buildHead(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	h := cmd.(*spl.HeadCmd)
	return &headStage{tail: h.Name() == "tail", limit: h.Limit}, nil
}

func (s *headStage) Push(r *event.Event, emit Emit) error {
	if s.tail {
		s.kept = append(s.kept, r)
		if len(s.kept) > s.limit {
			s.kept = s.kept[1:]
		}
		return nil
	}
	if s.seen >= s.limit {
		return nil
	}
	s.seen++
	return emit(r)
}

func (s *headStage) Flush(emit Emit) error {
	for i := len(s.kept) - 1; i >= 0; i-- {
		if err := emit(s.kept[i]); err != nil {
			return err
		}
	}
	return nil
}
