package engine

// TestScripts runs the executor scripts in testdata/*.test. A script is
// a sequence of directives, one per line; blank lines end blocks and
// lines starting with "#" are comments.
//
//	now 1700000000
//	    Sets the search start time (epoch seconds) for now() and
//	    relative times; the default is 1700000000.
//
//	macro NAME DEFINITION
//	macro NAME(a, b) DEFINITION
//	    Defines a search macro for the following queries.
//
//	lookup NAME [case_sensitive_match=false] [match_type=WILDCARD(c),CIDR(d)]
//	            [min_matches=N] [max_matches=N] [default_match=TEXT]
//	CSV header line
//	CSV rows...
//	    Defines a CSV lookup table; the block ends at a blank line.
//
//	events
//	{"_time": "100", "dest": "H1", "user": ["a", "b"]}
//	    Replaces the current events with one JSON object per line until a
//	    blank line; each value is a string or a list of strings.
//
//	query
//	SPL text, over one or more lines
//	expect rows [unordered]
//	{"dest": "H1", "count": "2"}
//	    Runs the query over the current events and compares the result
//	    rows with one JSON object per line until a blank line or the next
//	    directive. A row must hold exactly the expected fields; a value of
//	    null asserts that the field is absent. Rows compare in order unless
//	    the expect line says unordered. "expect rows" followed by no row
//	    lines expects no results.
//
//	query
//	SPL text
//	expect error 1:8: command foo is not supported
//	    Expects compiling or running the query to fail with exactly this
//	    message (line:column: text for query errors).
//
// testdata/README.md repeats this description for authors of scripts.

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// defaultScriptNow is the search start time of scripts without `now`.
const defaultScriptNow = 1700000000

func TestScripts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.test"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.test scripts found")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := parseScript(file)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.cases) == 0 {
				t.Fatalf("%s: no queries", file)
			}
			for _, c := range s.cases {
				t.Run(fmt.Sprintf("line%d", c.line), func(t *testing.T) {
					c.run(t, file)
				})
			}
		})
	}
}

// script is a parsed .test file.
type script struct {
	cases []*scriptCase
}

// scriptCase is one query with the state it runs in.
type scriptCase struct {
	line      int
	query     string
	events    []*event.Event
	macros    spl.MacroMap
	lookups   LookupMap
	now       time.Time
	wantErr   string
	hasErr    bool
	rows      []map[string][]string // nil value: the field must be absent
	unordered bool
}

// scriptReader walks the lines of a script.
type scriptReader struct {
	file  string
	lines []string
	i     int
}

func (r *scriptReader) errf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", r.file, r.i, fmt.Sprintf(format, args...))
}

// next returns the next line and its 1-based number, or false at the end.
func (r *scriptReader) next() (string, bool) {
	if r.i >= len(r.lines) {
		return "", false
	}
	r.i++
	return r.lines[r.i-1], true
}

// peek returns the next line without consuming it.
func (r *scriptReader) peek() (string, bool) {
	if r.i >= len(r.lines) {
		return "", false
	}
	return r.lines[r.i], true
}

// block returns the lines up to the next blank line, consuming it.
func (r *scriptReader) block() []string {
	var out []string
	for {
		line, ok := r.peek()
		if !ok || strings.TrimSpace(line) == "" {
			r.next()
			return out
		}
		r.next()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		out = append(out, line)
	}
}

func parseScript(file string) (*script, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r := &scriptReader{file: file, lines: strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")}
	s := &script{}
	var events []*event.Event
	macros := spl.MacroMap{}
	lookups := LookupMap{}
	now := time.Unix(defaultScriptNow, 0).UTC()
	for {
		line, ok := r.next()
		if !ok {
			return s, nil
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		word, rest, _ := strings.Cut(trimmed, " ")
		rest = strings.TrimSpace(rest)
		switch word {
		case "now":
			secs, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return nil, r.errf("invalid now %q: %v", rest, err)
			}
			now = time.Unix(secs, 0).UTC()
		case "macro":
			m, err := parseScriptMacro(rest)
			if err != nil {
				return nil, r.errf("%v", err)
			}
			macros.Add(m)
		case "lookup":
			tbl, err := parseScriptLookup(rest, r.block())
			if err != nil {
				return nil, r.errf("%v", err)
			}
			lookups[tbl.Name] = tbl
		case "events":
			events = nil
			start := r.i
			for n, l := range r.block() {
				ev, err := parseScriptEvent(l)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: %v", file, start+n+1, err)
				}
				events = append(events, ev)
			}
		case "query":
			c := &scriptCase{line: r.i, events: events, macros: cloneMacros(macros), lookups: cloneLookups(lookups), now: now}
			if err := c.parse(r); err != nil {
				return nil, err
			}
			s.cases = append(s.cases, c)
		default:
			return nil, r.errf("unknown directive %q, expected now, macro, lookup, events or query", word)
		}
	}
}

// parse reads the query text and its expectation.
func (c *scriptCase) parse(r *scriptReader) error {
	var query []string
	for {
		line, ok := r.next()
		if !ok {
			return r.errf("query without an expect line")
		}
		if strings.HasPrefix(line, "expect ") {
			c.query = strings.Join(query, "\n")
			return c.parseExpect(r, strings.TrimSpace(strings.TrimPrefix(line, "expect ")))
		}
		query = append(query, line)
	}
}

func (c *scriptCase) parseExpect(r *scriptReader, spec string) error {
	switch {
	case strings.HasPrefix(spec, "error "):
		c.hasErr = true
		c.wantErr = strings.TrimSpace(strings.TrimPrefix(spec, "error "))
		return nil
	case spec == "rows" || spec == "rows unordered":
		c.unordered = spec == "rows unordered"
	default:
		return r.errf("invalid expect %q, expected \"rows\", \"rows unordered\" or \"error MESSAGE\"", spec)
	}
	for {
		line, ok := r.peek()
		if !ok || !strings.HasPrefix(strings.TrimSpace(line), "{") {
			return nil
		}
		r.next()
		row, err := parseScriptRow(line)
		if err != nil {
			return r.errf("%v", err)
		}
		c.rows = append(c.rows, row)
	}
}

func (c *scriptCase) run(t *testing.T, file string) {
	t.Helper()
	opts := Options{Now: c.now, Lookups: c.lookups}
	rows, err := Run(c.query, c.macros, opts, c.events)
	where := fmt.Sprintf("%s:%d", file, c.line)
	if c.hasErr {
		if err == nil {
			t.Fatalf("%s: query succeeded with %d rows, expected error %q", where, len(rows), c.wantErr)
		}
		if err.Error() != c.wantErr {
			t.Fatalf("%s: error %q, expected %q", where, err.Error(), c.wantErr)
		}
		var se *spl.Error
		if errors.As(err, &se) && (se.Start < 0 || se.End < se.Start || se.End > len(se.Query)) {
			t.Fatalf("%s: error range %d-%d lies outside the query (%d bytes)", where, se.Start, se.End, len(se.Query))
		}
		return
	}
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", where, err)
	}
	got := make([]map[string][]string, len(rows))
	for i, r := range rows {
		got[i] = rowMap(r)
	}
	want := c.rows
	if c.unordered {
		got, want = sortedRows(got), sortedRows(want)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, expected %d\ngot:\n%s\nexpected:\n%s", where, len(got), len(want), renderRows(got), renderRows(want))
	}
	for i := range want {
		if diff := diffRow(got[i], want[i]); diff != "" {
			t.Errorf("%s: row %d: %s\ngot:\n%s\nexpected:\n%s", where, i+1, diff, renderRows(got), renderRows(want))
		}
	}
}

func parseScriptMacro(spec string) (*spl.Macro, error) {
	head, def, ok := strings.Cut(spec, " ")
	if !ok {
		return nil, fmt.Errorf("macro %q needs a definition", spec)
	}
	m := &spl.Macro{Name: head, Definition: strings.TrimSpace(def)}
	if open := strings.IndexByte(head, '('); open > 0 && strings.HasSuffix(head, ")") {
		m.Name = head[:open]
		for _, a := range strings.Split(head[open+1:len(head)-1], ",") {
			m.Args = append(m.Args, strings.TrimSpace(a))
		}
	}
	return m, nil
}

func parseScriptLookup(spec string, lines []string) (*LookupTable, error) {
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		return nil, fmt.Errorf("lookup needs a name")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("lookup %s: invalid CSV: %v", fields[0], err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("lookup %s: missing CSV header", fields[0])
	}
	def := LookupDefinition{Name: fields[0], CaseSensitive: true}
	for _, opt := range fields[1:] {
		key, value, ok := strings.Cut(opt, "=")
		if !ok {
			return nil, fmt.Errorf("lookup %s: option %q is not key=value", fields[0], opt)
		}
		if err := def.SetOption(key, value); err != nil {
			return nil, fmt.Errorf("lookup %s: %v", fields[0], err)
		}
	}
	return NewLookupTable(def, rows[0], rows[1:])
}

func parseScriptEvent(line string) (*event.Event, error) {
	row, err := parseScriptRow(line)
	if err != nil {
		return nil, err
	}
	var names []string
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	// Keep the fields in the order they are written.
	tok, _ := dec.Token()
	if d, ok := tok.(json.Delim); ok && d == '{' {
		for dec.More() {
			key, _ := dec.Token()
			names = append(names, key.(string))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
		}
	}
	ev := &event.Event{}
	for _, name := range names {
		if row[name] != nil {
			ev.Set(name, row[name]...)
		}
	}
	return ev, nil
}

// parseScriptRow reads a JSON object whose values are strings, lists of
// strings or null.
func parseScriptRow(line string) (map[string][]string, error) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(line), &raw); err != nil {
		return nil, fmt.Errorf("invalid JSON object %q: %v", line, err)
	}
	row := map[string][]string{}
	for k, v := range raw {
		switch v := v.(type) {
		case nil:
			row[k] = nil
		case string:
			row[k] = []string{v}
		case []any:
			for _, item := range v {
				s, ok := item.(string)
				if !ok {
					return nil, fmt.Errorf("field %s: list items must be strings, found %v", k, item)
				}
				row[k] = append(row[k], s)
			}
		default:
			return nil, fmt.Errorf("field %s: value must be a string, a list of strings or null, found %v", k, v)
		}
	}
	return row, nil
}

func rowMap(r *event.Event) map[string][]string {
	m := map[string][]string{}
	for _, f := range r.Fields {
		m[f.Name] = f.Values
	}
	return m
}

// diffRow describes the first difference between a result row and the
// expected one, or returns "".
func diffRow(got, want map[string][]string) string {
	for name, values := range want {
		g, present := got[name]
		if values == nil {
			if present {
				return fmt.Sprintf("field %s is %q, expected it absent", name, g)
			}
			continue
		}
		if !present {
			return fmt.Sprintf("field %s is missing, expected %q", name, values)
		}
		if !equalStrings(g, values) {
			return fmt.Sprintf("field %s is %q, expected %q", name, g, values)
		}
	}
	for name, g := range got {
		if _, listed := want[name]; !listed {
			return fmt.Sprintf("unexpected field %s = %q", name, g)
		}
	}
	return ""
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func renderRow(r map[string][]string) string {
	present := map[string]any{}
	for k, v := range r {
		if v == nil {
			continue
		}
		if len(v) == 1 {
			present[k] = v[0]
		} else {
			present[k] = v
		}
	}
	data, _ := json.Marshal(present)
	return string(data)
}

func renderRows(rows []map[string][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString("  " + renderRow(r) + "\n")
	}
	return b.String()
}

func sortedRows(rows []map[string][]string) []map[string][]string {
	out := append([]map[string][]string(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool { return renderRow(out[i]) < renderRow(out[j]) })
	return out
}

func cloneMacros(m spl.MacroMap) spl.MacroMap {
	out := spl.MacroMap{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cloneLookups(m LookupMap) LookupMap {
	out := LookupMap{}
	for k, v := range m {
		out[k] = v
	}
	return out
}
