package engine

import (
	"fmt"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerStage("rex", buildRex)
	registerStage("regex", buildRegex)
}

// rexStage sets one field per named group of the regex. A group that
// captures nothing in a row leaves that field as it was; with max_match
// above 1 (or 0, unlimited) each field gets one value per match.
type rexStage struct {
	field    string
	re       *Regex
	maxMatch int
	groups   []int // group numbers of named groups
	names    []string
}

func buildRex(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	r := cmd.(*spl.RexCmd)
	if r.OffsetField != "" {
		return nil, c.x.Err(r.Start, r.Start+3, "rex offset_field is not supported")
	}
	if r.Sed {
		return buildSed(c, r)
	}
	re, err := c.env.Regexes.Compile(r.Regex)
	if err != nil {
		return nil, c.x.Err(r.RegexAt, r.RegexAt+1, "%v", err)
	}
	st := &rexStage{field: r.Field, re: re, maxMatch: r.MaxMatch}
	for i, name := range re.SubexpNames() {
		if name != "" {
			st.groups = append(st.groups, i)
			st.names = append(st.names, name)
		}
	}
	if len(st.groups) == 0 {
		return nil, c.x.Err(r.RegexAt, r.RegexAt+1, "rex regex %q has no named group (?<name>...) to extract", r.Regex)
	}
	return st, nil
}

func (s *rexStage) mutates() bool { return true }

func (s *rexStage) Push(r *event.Event, emit Emit) error {
	values := r.Values(s.field)
	if len(values) == 0 {
		return emit(r)
	}
	limit := s.maxMatch
	if limit == 0 {
		limit = -1
	}
	extracted := make([][]string, len(s.groups))
	for _, v := range values {
		for _, m := range s.re.FindAll(v, limit) {
			for i, g := range s.groups {
				if g < len(m) && m[g].OK {
					extracted[i] = append(extracted[i], m[g].Text)
				}
			}
		}
	}
	for i, name := range s.names {
		if len(extracted[i]) > 0 {
			r.Set(name, extracted[i]...)
		}
	}
	return emit(r)
}

func (s *rexStage) Flush(Emit) error { return nil }

// sedStage edits a field in place: s/regex/replacement/flags (flags g for
// every match or a number N for the Nth) or y/from/to/ transliteration.
type sedStage struct {
	field string
	re    *Regex
	repl  string
	nth   int // 0: every match
	from  []rune
	to    []rune
}

func buildSed(c *compiler, r *spl.RexCmd) (Stage, error) {
	expr := r.Regex
	errAt := func(format string, args ...any) error {
		return c.x.Err(r.RegexAt, r.RegexAt+1, "rex mode=sed expression %q: %s", expr, fmt.Sprintf(format, args...))
	}
	if len(expr) < 2 || expr[0] != 's' && expr[0] != 'y' {
		return nil, errAt("expected s/regex/replacement/flags or y/from/to/")
	}
	parts := splitSed(expr[2:], expr[1])
	if len(parts) < 2 {
		return nil, errAt("missing the closing %q", string(expr[1]))
	}
	flags := ""
	if len(parts) > 2 {
		flags = parts[2]
	}
	st := &sedStage{field: r.Field}
	if expr[0] == 'y' {
		st.from, st.to = []rune(parts[0]), []rune(parts[1])
		if len(st.from) != len(st.to) {
			return nil, errAt("y needs lists of equal length")
		}
		return st, nil
	}
	re, err := c.env.Regexes.Compile(parts[0])
	if err != nil {
		return nil, errAt("%v", err)
	}
	st.re, st.repl, st.nth = re, pcreReplacement(parts[1]), 1
	switch {
	case flags == "g":
		st.nth = 0
	case flags == "":
	case isDigitString(flags):
		fmt.Sscan(flags, &st.nth)
	default:
		return nil, errAt("unsupported flags %q, expected g or a number", flags)
	}
	return st, nil
}

func isDigitString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// splitSed splits on unescaped delimiters; an escaped delimiter loses its
// backslash.
func splitSed(s string, delim byte) []string {
	var parts []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == delim {
			b.WriteByte(delim)
			i++
			continue
		}
		if c == '\\' && i+1 < len(s) {
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c == delim {
			parts = append(parts, b.String())
			b.Reset()
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() > 0 {
		parts = append(parts, b.String())
	}
	return parts
}

func (s *sedStage) mutates() bool { return true }

func (s *sedStage) Push(r *event.Event, emit Emit) error {
	values := r.Values(s.field)
	if len(values) == 0 {
		return emit(r)
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = s.edit(v)
	}
	r.Set(s.field, out...)
	return emit(r)
}

func (s *sedStage) edit(v string) string {
	if s.re == nil {
		return strings.Map(func(c rune) rune {
			for i, f := range s.from {
				if c == f {
					return s.to[i]
				}
			}
			return c
		}, v)
	}
	if s.nth == 0 {
		return s.re.ReplaceAllString(v, s.repl)
	}
	matches := s.re.FindAll(v, s.nth)
	if len(matches) < s.nth {
		return v
	}
	// Replace only the Nth match: keep the text before it unchanged.
	prefixEnd := 0
	for i := 0; i < s.nth-1; i++ {
		prefixEnd += strings.Index(v[prefixEnd:], matches[i][0].Text) + len(matches[i][0].Text)
	}
	return v[:prefixEnd] + s.re.ReplaceN(v[prefixEnd:], s.repl, 1)
}

func (s *sedStage) Flush(Emit) error { return nil }

// regexStage keeps rows where some value of the field matches (or, for
// field!=regex, where no value matches; a row without the field is then
// kept).
type regexStage struct {
	field  string
	negate bool
	re     *Regex
}

func buildRegex(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	r := cmd.(*spl.RegexCmd)
	re, err := c.env.Regexes.Compile(r.Regex)
	if err != nil {
		return nil, c.x.Err(r.RegexAt, r.RegexAt+1, "%v", err)
	}
	return &regexStage{field: r.Field, negate: r.Negate, re: re}, nil
}

func (s *regexStage) Push(r *event.Event, emit Emit) error {
	matched := false
	for _, v := range r.Values(s.field) {
		if s.re.MatchString(v) {
			matched = true
			break
		}
	}
	if matched != s.negate {
		return emit(r)
	}
	return nil
}

func (s *regexStage) Flush(Emit) error { return nil }
