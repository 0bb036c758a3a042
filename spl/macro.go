package spl

import (
	"fmt"
	"strings"
)

// Macro is a search macro definition: `name(args...)` expands to Definition
// with every $arg$ replaced by the argument text.
type Macro struct {
	Name       string
	Args       []string
	Definition string
}

// MacroSet finds macros by name and argument count; Splunk overloads
// macros by arity (`foo`, `foo(1)`, `foo(2)` are different macros).
type MacroSet interface {
	Macro(name string, nargs int) (*Macro, bool)
}

// MacroMap is a MacroSet keyed by "name" or "name(N)".
type MacroMap map[string]*Macro

// Macro implements MacroSet.
func (m MacroMap) Macro(name string, nargs int) (*Macro, bool) {
	key := name
	if nargs > 0 {
		key = fmt.Sprintf("%s(%d)", name, nargs)
	}
	mac, ok := m[key]
	return mac, ok
}

// Add stores a macro under its arity key.
func (m MacroMap) Add(mac *Macro) {
	key := mac.Name
	if len(mac.Args) > 0 {
		key = fmt.Sprintf("%s(%d)", mac.Name, len(mac.Args))
	}
	m[key] = mac
}

// maxMacroDepth bounds how deeply macro calls may nest.
const maxMacroDepth = 32

// maxExpandedBytes bounds the expanded query, because macros that each
// call others twice grow exponentially long well within maxMacroDepth.
const maxExpandedBytes = 1 << 20

// Expanded is a query after comment removal and macro expansion. Origin
// maps each byte of Text to the offset in the original query it came
// from. Bytes produced by a macro map to the start of the macro call.
type Expanded struct {
	Text     string
	Origin   []int
	Original string
	Macros   []string // names of the macros expanded, in order of first use
}

// Err builds an Error at a range of the expanded text, reported at the
// corresponding position of the original query.
func (x *Expanded) Err(start, end int, format string, args ...any) *Error {
	return &Error{Start: x.origin(start), End: x.origin(end), Msg: fmt.Sprintf(format, args...), Query: x.Original}
}

func (x *Expanded) origin(i int) int {
	if len(x.Origin) == 0 {
		return 0
	}
	if i >= len(x.Origin) {
		return len(x.Original)
	}
	if i < 0 {
		i = 0
	}
	return x.Origin[i]
}

// IsFilterMacro reports whether a macro name is a per-analytic tuning
// filter, which content tooling creates with the definition `search *`
// when the content does not define it.
func IsFilterMacro(name string) bool { return strings.HasSuffix(name, "_filter") }

// Expand removes triple-backtick comments and expands macros recursively.
// A `*_filter` macro that the set does not define expands to `search *`.
func Expand(query string, macros MacroSet) (*Expanded, error) {
	stripped, err := stripComments(query)
	if err != nil {
		return nil, err
	}
	origin := make([]int, len(stripped))
	for i := range origin {
		origin[i] = i
	}
	x := &Expanded{Original: query}
	active := map[string]bool{}
	var b strings.Builder
	var out []int
	if err := expandInto(&b, &out, stripped, origin, macros, 0, x, active); err != nil {
		return nil, err
	}
	x.Text = b.String()
	x.Origin = out
	return x, nil
}

// stripComments blanks ```...``` comments, keeping byte offsets.
func stripComments(q string) (string, error) {
	if !strings.Contains(q, "```") {
		return q, nil
	}
	buf := []byte(q)
	for i := 0; i+3 <= len(buf); {
		if string(buf[i:i+3]) != "```" {
			i++
			continue
		}
		end := strings.Index(string(buf[i+3:]), "```")
		if end < 0 {
			return "", &Error{Start: i, End: len(q), Msg: "unterminated ``` comment", Query: q}
		}
		stop := i + 3 + end + 3
		for j := i; j < stop; j++ {
			if buf[j] != '\n' {
				buf[j] = ' '
			}
		}
		i = stop
	}
	return string(buf), nil
}

// expandInto appends text to b with its macros expanded; active holds the
// macros being expanded around this text, to report recursion.
func expandInto(b *strings.Builder, out *[]int, text string, origin []int, macros MacroSet, depth int, x *Expanded, active map[string]bool) error {
	inQuote := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\\' && i+1 < len(text):
			b.WriteByte(c)
			b.WriteByte(text[i+1])
			*out = append(*out, origin[i], origin[i+1])
			i++
			continue
		case c == '"':
			inQuote = !inQuote
		case c == '`' && !inQuote:
			end := strings.IndexByte(text[i+1:], '`')
			if end < 0 {
				return &Error{Start: origin[i], End: origin[i] + 1, Msg: "unterminated macro call: missing closing backtick", Query: x.Original}
			}
			call := text[i+1 : i+1+end]
			def, err := resolveMacro(call, macros, origin[i], x)
			if err != nil {
				return err
			}
			name := macroName(call)
			if active[name] {
				return &Error{Start: origin[i], End: origin[i+1+end], Msg: fmt.Sprintf("macro %s calls itself", name), Query: x.Original}
			}
			if depth >= maxMacroDepth {
				return &Error{Start: origin[i], End: origin[i+1+end], Msg: fmt.Sprintf("macro %q nests more than %d levels deep", call, maxMacroDepth), Query: x.Original}
			}
			defOrigin := make([]int, len(def))
			for j := range defOrigin {
				defOrigin[j] = origin[i]
			}
			// Surround the expansion with spaces so it never glues onto
			// the neighbouring words.
			b.WriteByte(' ')
			*out = append(*out, origin[i])
			active[name] = true
			if err := expandInto(b, out, def, defOrigin, macros, depth+1, x, active); err != nil {
				return err
			}
			delete(active, name)
			if b.Len() > maxExpandedBytes {
				return &Error{Start: origin[i], End: origin[i+1+end], Msg: fmt.Sprintf("macro %s expands to more than %d bytes", name, maxExpandedBytes), Query: x.Original}
			}
			b.WriteByte(' ')
			*out = append(*out, origin[i])
			i += end + 1
			continue
		}
		b.WriteByte(c)
		*out = append(*out, origin[i])
	}
	return nil
}

// resolveMacro parses a call ("name" or "name(a, b)") and returns the
// definition with the arguments substituted.
func resolveMacro(call string, macros MacroSet, at int, x *Expanded) (string, error) {
	call = strings.TrimSpace(call)
	name, args := ParseMacroCall(call)
	if name == "" {
		return "", &Error{Start: at, End: at + len(call) + 2, Msg: "empty macro call", Query: x.Original}
	}
	mac, ok := macros.Macro(name, len(args))
	if !ok {
		if IsFilterMacro(name) && len(args) == 0 {
			return "search *", nil
		}
		label := name
		if len(args) > 0 {
			label = fmt.Sprintf("%s(%d)", name, len(args))
		}
		return "", &Error{Start: at, End: at + len(call) + 2, Msg: fmt.Sprintf("unknown macro %s", label), Query: x.Original}
	}
	if !contains(x.Macros, mac.Name) {
		x.Macros = append(x.Macros, mac.Name)
	}
	def := mac.Definition
	for i, arg := range mac.Args {
		def = strings.ReplaceAll(def, "$"+strings.TrimSpace(arg)+"$", args[i])
	}
	return def, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// splitMacroArgs splits on top-level commas, outside quotes and brackets.
func splitMacroArgs(s string) []string {
	var args []string
	depth, inQuote, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
		case c == ',' && depth == 0:
			args = append(args, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(args, strings.TrimSpace(s[start:]))
}

// ParseMacroCall splits the text between a macro call's backticks into
// the macro name and its arguments: "name" has none, "name(a, b)" two,
// split on commas outside quotes and brackets. "name()" has none.
func ParseMacroCall(call string) (name string, args []string) {
	call = strings.TrimSpace(call)
	open := strings.IndexByte(call, '(')
	if open < 0 || !strings.HasSuffix(call, ")") {
		return call, nil
	}
	if inner := strings.TrimSpace(call[open+1 : len(call)-1]); inner != "" {
		args = splitMacroArgs(inner)
	}
	return strings.TrimSpace(call[:open]), args
}

// macroName returns the name part of a macro call ("name(args)").
func macroName(call string) string {
	call = strings.TrimSpace(call)
	if open := strings.IndexByte(call, '('); open >= 0 {
		return strings.TrimSpace(call[:open])
	}
	return call
}
