package report

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/spl"
)

// pipeSegments splits a search at its top-level pipes: pipes inside
// double quotes, macro calls (`...`), ``` comments and [subsearches] stay
// in their segment. Each segment keeps its text without the pipe.
func pipeSegments(search string) []string {
	var segments []string
	start, depth := 0, 0
	for i := 0; i < len(search); i++ {
		switch c := search[i]; {
		case c == '\\':
			i++
		case c == '"':
			i = skipQuoted(search, i)
		case strings.HasPrefix(search[i:], "```"):
			end := strings.Index(search[i+3:], "```")
			if end < 0 {
				i = len(search)
			} else {
				i += 3 + end + 2
			}
		case c == '`':
			if end := strings.IndexByte(search[i+1:], '`'); end >= 0 {
				i += end + 1
			}
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case c == '|' && depth == 0:
			segments = append(segments, search[start:i])
			start = i + 1
		}
	}
	return append(segments, search[start:])
}

// skipQuoted returns the index of the quote closing the string that
// opens at i, or the last index when it is unterminated.
func skipQuoted(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return len(s) - 1
}

// SearchLines returns a search with each command on its own line: the
// first segment as written, then one line per pipe starting with "| ".
// Line breaks and indentation inside a command collapse to one space.
// A search that starts with a pipe (| tstats ...) keeps it on the first
// line.
func SearchLines(search string) []string {
	segments := pipeSegments(strings.TrimSpace(search))
	var lines []string
	for i, seg := range segments {
		seg = collapseLineBreaks(strings.TrimSpace(seg))
		switch {
		case i == 0 && seg == "":
			continue // the search starts with a pipe
		case i == 0:
			lines = append(lines, seg)
		default:
			lines = append(lines, "| "+seg)
		}
	}
	return lines
}

var lineBreak = regexp.MustCompile(`[ \t]*\r?\n[ \t\r\n]*`)

// collapseLineBreaks turns each line break outside double quotes, with
// the spaces around it, into one space.
func collapseLineBreaks(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			i = skipQuoted(s, i)
		case '\n', '\r':
			loc := lineBreak.FindStringIndex(s[i:])
			if loc == nil {
				continue
			}
			// Take the spaces before the break too.
			from := i
			for from > last && (s[from-1] == ' ' || s[from-1] == '\t') {
				from--
			}
			b.WriteString(s[last:from])
			b.WriteByte(' ')
			last = i + loc[1]
			i = last - 1
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// MacroCall is a macro named in a search: its name and argument count.
type MacroCall struct {
	Name string
	Args int
}

// Key returns the macro's name as a macro set keys it: "name" or
// "name(N)".
func (m MacroCall) Key() string {
	if m.Args == 0 {
		return m.Name
	}
	return m.Name + "(" + strconv.Itoa(m.Args) + ")"
}

// MacroCalls returns the macros a search calls directly, each once, in
// order of first use. Macros called from inside macro definitions are not
// listed.
func MacroCalls(search string) []MacroCall {
	var calls []MacroCall
	seen := map[MacroCall]bool{}
	for i := 0; i < len(search); i++ {
		switch {
		case search[i] == '\\':
			i++
		case search[i] == '"':
			i = skipQuoted(search, i)
		case strings.HasPrefix(search[i:], "```"):
			end := strings.Index(search[i+3:], "```")
			if end < 0 {
				return calls
			}
			i += 3 + end + 2
		case search[i] == '`':
			end := strings.IndexByte(search[i+1:], '`')
			if end < 0 {
				return calls
			}
			call := parseMacroCall(search[i+1 : i+1+end])
			if call.Name != "" && !seen[call] {
				seen[call] = true
				calls = append(calls, call)
			}
			i += end + 1
		}
	}
	return calls
}

func parseMacroCall(text string) MacroCall {
	name, args := spl.ParseMacroCall(text)
	return MacroCall{Name: name, Args: len(args)}
}

var lookupCommand = regexp.MustCompile(`(?i)^\s*(lookup|inputlookup|outputlookup)\s+((?:[a-z_]+\s*=\s*\S+\s+)*)"?([A-Za-z0-9_.\-]+)`)

// LookupNames returns the lookups a search reads or writes with lookup,
// inputlookup and outputlookup, each once and sorted. Macros are expanded
// first, so lookups used inside macros count; when expansion fails the
// search is scanned as written.
func LookupNames(search string, macros spl.MacroSet) []string {
	text := search
	if x, err := spl.Expand(search, macros); err == nil {
		text = x.Text
	}
	seen := map[string]bool{}
	var names []string
	var scan func(string)
	scan = func(text string) {
		for _, seg := range pipeSegments(text) {
			if m := lookupCommand.FindStringSubmatch(seg); m != nil && !seen[m[3]] {
				seen[m[3]] = true
				names = append(names, m[3])
			}
			// Subsearches hold pipelines of their own.
			if open := strings.IndexByte(seg, '['); open >= 0 {
				if end := strings.LastIndexByte(seg, ']'); end > open {
					scan(seg[open+1 : end])
				}
			}
		}
	}
	scan(text)
	sort.Strings(names)
	return names
}

// packMacros adapts a pack's macros for expansion; a nil pack has none.
func packMacros(pack *content.Pack) spl.MacroSet {
	if pack == nil || pack.Macros == nil {
		return spl.MacroMap{}
	}
	return pack.Macros
}
