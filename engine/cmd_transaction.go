package engine

import (
	"sort"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerStage("transaction", buildTransaction)
	registerStage("foreach", buildForeach)
}

// transactionStage groups rows that share the values of its fields into
// transactions, in _time order:
//   - a row matching startswith opens a new transaction (rows before the
//     first start row of a key are discarded);
//   - a row matching endswith closes the open transaction;
//   - maxspan (time from the first row) and maxpause (time since the
//     previous row) close it before a row that would exceed them.
//
// Transactions that needed an end row and never got one are dropped,
// unless keepevicted=true. Each transaction becomes one row: every field
// with its distinct values in order of appearance, _time of the first
// row, duration (last minus first _time) and eventcount. Rows come out
// newest first, as Splunk returns them. Rows lacking every field are
// dropped.
type transactionStage struct {
	fields      []string
	start, end  predicate
	maxSpan     float64 // seconds; < 0 unlimited
	maxPause    float64
	keepEvicted bool
	rows        []*event.Event
}

func buildTransaction(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	st := &transactionStage{fields: a.Args, maxSpan: -1, maxPause: -1}
	if len(st.fields) == 0 {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "transaction without fields is not supported")
	}
	for key, v := range a.Options {
		at := a.OptionAt[key]
		var err error
		switch key {
		case "startswith", "endswith":
			var p predicate
			p, err = c.transactionCondition(v, at)
			if err != nil {
				return nil, err
			}
			if key == "startswith" {
				st.start = p
			} else {
				st.end = p
			}
		case "maxspan", "maxpause":
			b := &binStage{}
			if err = b.setSpan(v); err != nil || b.months > 0 {
				return nil, c.x.Err(at, at+1, "invalid transaction %s %q", key, v)
			}
			if key == "maxspan" {
				st.maxSpan = b.span
			} else {
				st.maxPause = b.span
			}
		case "keepevicted":
			st.keepEvicted, err = strconv.ParseBool(v)
		case "connected", "mvlist", "keeporphans", "maxevents":
			// connected only affects rows that lack some of the fields;
			// the others are accepted with their default meaning.
			if key == "mvlist" || key == "keeporphans" {
				if b, perr := strconv.ParseBool(v); perr != nil || b {
					return nil, c.x.Err(at, at+1, "transaction %s=%s is not supported", key, v)
				}
			}
		default:
			return nil, c.x.Err(at, at+1, "transaction option %s is not supported", key)
		}
		if err != nil {
			return nil, c.x.Err(at, at+1, "invalid transaction %s %q", key, v)
		}
	}
	return st, nil
}

// transactionCondition compiles a startswith/endswith value: a
// parenthesised or quoted search expression.
func (c *compiler) transactionCondition(text string, at int) (predicate, error) {
	inner := strings.TrimSpace(text)
	if strings.HasPrefix(inner, "(") && strings.HasSuffix(inner, ")") {
		inner = inner[1 : len(inner)-1]
	}
	if strings.HasPrefix(strings.ToLower(inner), "eval(") {
		return nil, c.x.Err(at, at+1, "transaction conditions with eval() are not supported")
	}
	p, err := parseSearchMatch(inner, c.env)
	if err != nil {
		return nil, c.x.Err(at, at+1, "invalid transaction condition %q: %v", text, err)
	}
	return p, nil
}

func (s *transactionStage) Push(r *event.Event, _ Emit) error {
	s.rows = append(s.rows, r)
	return nil
}

// openTxn is a transaction being built.
type openTxn struct {
	rows        []*event.Event
	first, last float64
}

func (s *transactionStage) Flush(emit Emit) error {
	sort.SliceStable(s.rows, func(i, j int) bool {
		a, _ := rowTime(s.rows[i])
		b, _ := rowTime(s.rows[j])
		return a < b
	})
	open := map[string]*openTxn{}
	var done []*openTxn
	closeTxn := func(k string, complete bool) {
		t := open[k]
		delete(open, k)
		if t != nil && (complete || s.end == nil || s.keepEvicted) {
			done = append(done, t)
		}
	}
	for _, r := range s.rows {
		k, ok := s.key(r)
		if !ok {
			continue
		}
		ts, _ := rowTime(r)
		t := open[k]
		if t != nil && (s.maxSpan >= 0 && ts-t.first > s.maxSpan || s.maxPause >= 0 && ts-t.last > s.maxPause) {
			closeTxn(k, false)
			t = nil
		}
		if s.start != nil && s.start(r) {
			if t != nil {
				closeTxn(k, false)
			}
			t = nil
		} else if t == nil && s.start != nil {
			continue
		}
		if t == nil {
			t = &openTxn{first: ts}
			open[k] = t
		}
		t.rows = append(t.rows, r)
		t.last = ts
		if s.end != nil && s.end(r) {
			closeTxn(k, true)
		}
	}
	keys := make([]string, 0, len(open))
	for k := range open {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		closeTxn(k, false)
	}
	sort.SliceStable(done, func(i, j int) bool { return done[i].first > done[j].first })
	for _, t := range done {
		if err := emit(mergeTransaction(t)); err != nil {
			return err
		}
	}
	s.rows = nil
	return nil
}

// key joins the row's values of the transaction fields; rows lacking
// all of them have no key.
func (s *transactionStage) key(r *event.Event) (string, bool) {
	var b strings.Builder
	found := false
	for _, f := range s.fields {
		values := r.Values(f)
		if len(values) > 0 {
			found = true
		}
		b.WriteString(strings.Join(values, "\n"))
		b.WriteByte(0)
	}
	return b.String(), found
}

func mergeTransaction(t *openTxn) *event.Event {
	out := &event.Event{}
	seen := map[string]map[string]bool{}
	for _, r := range t.rows {
		for _, f := range r.Fields {
			if f.Name == event.TimeField {
				continue
			}
			if seen[f.Name] == nil {
				seen[f.Name] = map[string]bool{}
			}
			for _, v := range f.Values {
				if !seen[f.Name][v] {
					seen[f.Name][v] = true
					out.Add(f.Name, v)
				}
			}
		}
	}
	if raw := out.Values(event.RawField); len(raw) > 1 {
		out.Set(event.RawField, strings.Join(raw, "\n"))
	}
	out.Set(event.TimeField, FormatNumber(t.first))
	out.Set("duration", FormatNumber(t.last-t.first))
	out.Set("eventcount", strconv.Itoa(len(t.rows)))
	return out
}

// foreachStage runs an eval template once per field whose name matches
// one of the patterns, substituting <<FIELD>> with the field name and
// <<MATCHSTR>> with the text the pattern's "*" matched. Templates are
// compiled once per field name.
type foreachStage struct {
	c        *compiler
	patterns [][]string
	template string
	at       int
	compiled map[string][]Stage
}

func buildForeach(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	f := cmd.(*spl.ForeachCmd)
	st := &foreachStage{c: c, template: f.Template, at: f.TemplateStart, compiled: map[string][]Stage{}}
	for _, p := range f.Fields {
		st.patterns = append(st.patterns, strings.Split(p, "*"))
	}
	// Compile once with a sample name so errors surface before any event.
	if _, err := st.stages("x", "x"); err != nil {
		return nil, err
	}
	delete(st.compiled, "x")
	return st, nil
}

func (s *foreachStage) mutates() bool { return true }

// stages compiles the template for one field; only eval commands may
// appear in it.
func (s *foreachStage) stages(field, matched string) ([]Stage, error) {
	if st, ok := s.compiled[field]; ok {
		return st, nil
	}
	name := field
	if !isPlainFieldName(field) {
		name = "'" + field + "'"
	}
	text := strings.NewReplacer("<<FIELD>>", name, "<<MATCHSTR>>", matched).Replace(s.template)
	pl, x, err := spl.ParseFragment(text, true)
	if err != nil {
		return nil, s.c.x.Err(s.at, s.at+1, "foreach template for field %s: %v", field, err)
	}
	sub := &compiler{x: x, env: s.c.env, opts: s.c.opts, subsearches: s.c.subsearches}
	var stages []Stage
	for _, cmd := range pl.Commands {
		if cmd.Name() != "eval" {
			return nil, s.c.x.Err(s.at, s.at+1, "foreach template command %s is not supported, only eval", cmd.Name())
		}
		st, err := sub.stage(cmd, false)
		if err != nil {
			return nil, s.c.x.Err(s.at, s.at+1, "foreach template for field %s: %v", field, err)
		}
		stages = append(stages, st)
	}
	s.compiled[field] = stages
	return stages, nil
}

func isPlainFieldName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isIdentByte(c) || c == '.' || c == '{' || c == '}' || c == '@' || c == ':') {
			return false
		}
	}
	return name != "" && !(name[0] >= '0' && name[0] <= '9')
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (s *foreachStage) Push(r *event.Event, emit Emit) error {
	var names, matches []string
	for _, f := range r.Fields {
		for _, parts := range s.patterns {
			if strings.HasPrefix(f.Name, "_") && !strings.HasPrefix(parts[0], "_") {
				continue
			}
			if wildcardMatch(f.Name, parts) {
				names = append(names, f.Name)
				matches = append(matches, wildcardText(f.Name, parts))
				break
			}
		}
	}
	for i, name := range names {
		stages, err := s.stages(name, matches[i])
		if err != nil {
			return err
		}
		for _, st := range stages {
			if err := st.Push(r, func(*event.Event) error { return nil }); err != nil {
				return err
			}
		}
	}
	return emit(r)
}

// wildcardText returns the text the first "*" of a pattern matched.
func wildcardText(name string, parts []string) string {
	if len(parts) < 2 {
		return name
	}
	rest := name[len(parts[0]):]
	end := len(rest) - len(parts[len(parts)-1])
	if len(parts) > 2 {
		end = strings.Index(rest, parts[1])
	}
	if end < 0 {
		return rest
	}
	return rest[:end]
}

func (s *foreachStage) Flush(Emit) error { return nil }
