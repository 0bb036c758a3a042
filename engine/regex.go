package engine

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlclark/regexp2"
)

// BacktrackTimeout bounds one match of a pattern that needs the
// backtracking engine; a match that runs longer counts as no match.
const BacktrackTimeout = 250 * time.Millisecond

// backtrackAttempts is how often a match that timed out spuriously runs.
const backtrackAttempts = 3

// maxTimeouts is how many matches of one pattern may time out before the
// pattern is skipped for the rest of the run. Every later match then
// counts as no match at once, so one bad pattern costs a few seconds
// rather than one timeout per event.
const maxTimeouts = 3

// backtrack runs one backtracking operation, again when it reports a
// timeout long before BacktrackTimeout has passed. The engine reads time
// from a coarse shared clock that can jump forward when its goroutine was
// starved on a loaded machine, so a match that has just started may time
// out at once. A genuine timeout takes at least half the budget.
func backtrack[T any](r *Regex, op func() (T, error)) (T, error) {
	for attempt := 1; ; attempt++ {
		start := time.Now()
		v, err := op()
		timedOut := err != nil && strings.Contains(err.Error(), "timeout")
		genuine := timedOut && time.Since(start) >= BacktrackTimeout/2
		if !timedOut || genuine || attempt == backtrackAttempts {
			if timedOut && r.timeouts.Add(1) >= maxTimeouts {
				r.skipped.Store(true)
			}
			return v, err
		}
	}
}

// Regex is a compiled PCRE pattern. Patterns that RE2 can express run on
// Go's regexp (linear time). Patterns that need backtracking
// (look-around, back-references, atomic groups, possessive quantifiers)
// run on a backtracking engine whose every match is bounded by
// BacktrackTimeout.
type Regex struct {
	re2   *regexp.Regexp
	bt    *regexp2.Regexp
	names []string // group names by group number; "" for unnamed groups
	// timeouts counts backtracking matches that ran out of time; after
	// maxTimeouts the pattern is skipped.
	timeouts atomic.Int64
	skipped  atomic.Bool
}

// Submatch is the text of one capture group; OK is false when the group
// did not take part in the match.
type Submatch struct {
	Text string
	OK   bool
}

// Backtracking reports whether the pattern runs on the backtracking
// engine.
func (r *Regex) Backtracking() bool { return r.bt != nil }

// SubexpNames returns the group names by group number; index 0 is the
// whole match.
func (r *Regex) SubexpNames() []string { return r.names }

// MatchString reports whether the pattern matches somewhere in s.
func (r *Regex) MatchString(s string) bool {
	if r.re2 != nil {
		return r.re2.MatchString(s)
	}
	if r.skipped.Load() {
		return false
	}
	ok, err := backtrack(r, func() (bool, error) { return r.bt.MatchString(s) })
	return err == nil && ok
}

// FindAll returns up to n matches (n < 0: all), each as the list of its
// groups, group 0 being the whole match.
func (r *Regex) FindAll(s string, n int) [][]Submatch {
	var out [][]Submatch
	if r.re2 != nil {
		for _, idx := range r.re2.FindAllStringSubmatchIndex(s, n) {
			groups := make([]Submatch, len(idx)/2)
			for g := range groups {
				if idx[2*g] >= 0 {
					groups[g] = Submatch{Text: s[idx[2*g]:idx[2*g+1]], OK: true}
				}
			}
			out = append(out, groups)
		}
		return out
	}
	if r.skipped.Load() {
		return nil
	}
	m, err := backtrack(r, func() (*regexp2.Match, error) { return r.bt.FindStringMatch(s) })
	for err == nil && m != nil && (n < 0 || len(out) < n) {
		groups := make([]Submatch, len(r.names))
		for n := range groups {
			if g := m.GroupByNumber(n); g != nil && len(g.Captures) > 0 {
				groups[n] = Submatch{Text: g.String(), OK: true}
			}
		}
		out = append(out, groups)
		prev := m
		m, err = backtrack(r, func() (*regexp2.Match, error) { return r.bt.FindNextMatch(prev) })
	}
	return out
}

// ReplaceAllString replaces every match; repl refers to groups by number
// as ${1} and writes a dollar sign as $$.
func (r *Regex) ReplaceAllString(s, repl string) string {
	return r.ReplaceN(s, repl, -1)
}

// ReplaceN replaces the first n matches (n < 0: all).
func (r *Regex) ReplaceN(s, repl string, n int) string {
	if r.re2 != nil {
		var b []byte
		last := 0
		for _, m := range r.re2.FindAllStringSubmatchIndex(s, n) {
			b = append(b, s[last:m[0]]...)
			b = r.re2.ExpandString(b, repl, s, m)
			last = m[1]
		}
		return string(append(b, s[last:]...))
	}
	if r.skipped.Load() {
		return s
	}
	out, err := backtrack(r, func() (string, error) { return r.bt.Replace(s, repl, -1, n) })
	if err != nil {
		return s
	}
	return out
}

// RegexCache compiles each pattern once; it is safe for concurrent use.
type RegexCache struct {
	mu sync.Mutex
	m  map[string]regexResult
}

type regexResult struct {
	re  *Regex
	err error
}

// Warnings describes the patterns whose matches timed out, in pattern
// order; those matches counted as no match.
func (c *RegexCache) Warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for pattern, r := range c.m {
		if r.re == nil {
			continue
		}
		if n := r.re.timeouts.Load(); n > 0 {
			msg := fmt.Sprintf("regex %q: %d matches ran longer than %s and counted as no match", pattern, n, BacktrackTimeout)
			if r.re.skipped.Load() {
				msg += "; the pattern was then skipped for the rest of the run"
			}
			out = append(out, msg)
		}
	}
	sort.Strings(out)
	return out
}

// NewRegexCache returns an empty cache.
func NewRegexCache() *RegexCache { return &RegexCache{m: map[string]regexResult{}} }

// Compile compiles a PCRE pattern, or returns the cached result.
func (c *RegexCache) Compile(pattern string) (*Regex, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[pattern]; ok {
		return r.re, r.err
	}
	re, err := CompilePCRE(pattern)
	c.m[pattern] = regexResult{re, err}
	return re, err
}

// errNeedsBacktracking marks a pattern that RE2 cannot express.
var errNeedsBacktracking = errors.New("pattern needs backtracking")

// CompilePCRE compiles a PCRE pattern. It first rewrites the PCRE
// spellings that have an RE2 equivalent (named groups (?<name>...)) and
// compiles with Go's regexp; a pattern RE2 rejects or cannot express
// compiles on the backtracking engine instead.
func CompilePCRE(pattern string) (*Regex, error) {
	translated, err := translateToRE2(pattern)
	if err == nil {
		re, compileErr := regexp.Compile(translated)
		if compileErr == nil {
			return &Regex{re2: re, names: re.SubexpNames()}, nil
		}
	}
	translated, names := translateToBacktracking(pattern)
	bt, btErr := regexp2.Compile(translated, regexp2.RE2)
	if btErr != nil {
		return nil, fmt.Errorf("invalid regex %q: %v", pattern, btErr)
	}
	bt.MatchTimeout = BacktrackTimeout
	return &Regex{bt: bt, names: names}, nil
}

// translateToRE2 rewrites (?<name> as (?P<name> and reports the PCRE
// constructs RE2 lacks.
func translateToRE2(pattern string) (string, error) {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			next := pattern[i+1]
			if !inClass && (next >= '1' && next <= '9' || next == 'k' || next == 'Z' || next == 'G') {
				return "", errNeedsBacktracking
			}
			b.WriteByte(c)
			b.WriteByte(next)
			i++
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			// A ']' right after '[' or '[^' is a literal.
			if strings.HasPrefix(pattern[i+1:], "^]") {
				b.WriteString("[^]")
				i += 2
				continue
			}
			if strings.HasPrefix(pattern[i+1:], "]") {
				b.WriteString("[]")
				i++
				continue
			}
		case c == '(' && strings.HasPrefix(pattern[i:], "(?<") && i+3 < len(pattern) && pattern[i+3] != '=' && pattern[i+3] != '!':
			b.WriteString("(?P<")
			i += 2
			continue
		case c == '(' && (strings.HasPrefix(pattern[i:], "(?=") || strings.HasPrefix(pattern[i:], "(?!") ||
			strings.HasPrefix(pattern[i:], "(?<=") || strings.HasPrefix(pattern[i:], "(?<!") ||
			strings.HasPrefix(pattern[i:], "(?>")):
			return "", errNeedsBacktracking
		case (c == '+') && i > 0 && strings.IndexByte("*+?}", pattern[i-1]) >= 0 && !(i > 1 && pattern[i-2] == '\\'):
			// A possessive quantifier such as a*+ or a++.
			return "", errNeedsBacktracking
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// translateToBacktracking turns named groups into plain groups, so the
// backtracking engine numbers every group from left to right as PCRE
// does (it would number named groups after the others), and rewrites
// named back-references \k<name> as numbered ones. It returns the
// rewritten pattern and the group names by group number.
func translateToBacktracking(pattern string) (string, []string) {
	var b strings.Builder
	names := []string{""}
	byName := map[string]int{}
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			if !inClass && pattern[i+1] == 'k' && i+2 < len(pattern) && (pattern[i+2] == '<' || pattern[i+2] == '{' || pattern[i+2] == '\'') {
				if end := strings.IndexAny(pattern[i+3:], ">}'"); end >= 0 {
					if n, ok := byName[pattern[i+3:i+3+end]]; ok {
						fmt.Fprintf(&b, "\\%d", n)
						i += 3 + end
						continue
					}
				}
			}
			b.WriteString(pattern[i : i+2])
			i++
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
		case c == '(' && !strings.HasPrefix(pattern[i:], "(?"):
			names = append(names, "")
		case c == '(':
			if name, skip := groupName(pattern[i:]); skip > 0 {
				byName[name] = len(names)
				names = append(names, name)
				b.WriteByte('(')
				i += skip - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String(), names
}

// groupName reads the name of a named group opening at the start of s:
// (?<name>, (?P<name> or (?'name'. skip is the length of the opening,
// or 0 when s does not open a named group.
func groupName(s string) (name string, skip int) {
	var rest string
	var closing byte
	switch {
	case strings.HasPrefix(s, "(?P<"):
		rest, closing = s[4:], '>'
	case strings.HasPrefix(s, "(?<") && len(s) > 3 && s[3] != '=' && s[3] != '!':
		rest, closing = s[3:], '>'
	case strings.HasPrefix(s, "(?'"):
		rest, closing = s[3:], '\''
	default:
		return "", 0
	}
	end := strings.IndexByte(rest, closing)
	if end <= 0 {
		return "", 0
	}
	return rest[:end], len(s) - len(rest) + end + 1
}
