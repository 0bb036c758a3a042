package engine

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// predicate tests one event against a compiled search expression.
type predicate func(e *event.Event) bool

// eventtypes are the Windows add-on's eventtype definitions that the
// content's macros refer to (Splunk_TA_windows eventtypes.conf).
var eventtypes = map[string]string{
	"wineventlog_security":    "source=WinEventLog:Security OR source=WMI:WinEventLog:Security OR source=XmlWinEventLog:Security",
	"wineventlog_system":      "source=WinEventLog:System OR source=WMI:WinEventLog:System OR source=XmlWinEventLog:System",
	"wineventlog_application": "source=WinEventLog:Application OR source=WMI:WinEventLog:Application OR source=XmlWinEventLog:Application",
}

// searchCompiler compiles search-language expressions.
type searchCompiler struct {
	x   *spl.Expanded
	env *Env
	// c compiles subsearch terms; nil where subsearches are not allowed.
	c *compiler
	// filters collects the subsearch terms compiled so far.
	filters []*subsearchFilter
}

func (sc *searchCompiler) compile(e spl.SearchExpr) (predicate, error) {
	switch e := e.(type) {
	case *spl.SearchAll:
		return func(*event.Event) bool { return true }, nil
	case *spl.SearchAnd:
		preds, err := sc.compileAll(e.Terms)
		if err != nil {
			return nil, err
		}
		return func(ev *event.Event) bool {
			for _, p := range preds {
				if !p(ev) {
					return false
				}
			}
			return true
		}, nil
	case *spl.SearchOr:
		preds, err := sc.compileAll(e.Terms)
		if err != nil {
			return nil, err
		}
		return func(ev *event.Event) bool {
			for _, p := range preds {
				if p(ev) {
					return true
				}
			}
			return false
		}, nil
	case *spl.SearchNot:
		p, err := sc.compile(e.X)
		if err != nil {
			return nil, err
		}
		return func(ev *event.Event) bool { return !p(ev) }, nil
	case *spl.SearchCompare:
		return sc.compare(e)
	case *spl.SearchIn:
		var preds []predicate
		for _, v := range e.Values {
			p, err := sc.compare(&spl.SearchCompare{Field: e.Field, Op: "=", Value: v, Start: e.Start})
			if err != nil {
				return nil, err
			}
			preds = append(preds, p)
		}
		return func(ev *event.Event) bool {
			for _, p := range preds {
				if p(ev) {
					return true
				}
			}
			return false
		}, nil
	case *spl.SearchTerm:
		return termPredicate(e.Text, e.Quoted), nil
	case *spl.SearchSubsearch:
		return sc.compileSubsearchTerm(e)
	}
	return nil, fmt.Errorf("unknown search node %T", e)
}

func (sc *searchCompiler) compileAll(terms []spl.SearchExpr) ([]predicate, error) {
	preds := make([]predicate, len(terms))
	for i, t := range terms {
		p, err := sc.compile(t)
		if err != nil {
			return nil, err
		}
		preds[i] = p
	}
	return preds, nil
}

func (sc *searchCompiler) compare(c *spl.SearchCompare) (predicate, error) {
	field := c.Field
	switch field {
	case "index", "splunk_server":
		// Files have no index: every event is in the searched set.
		return func(*event.Event) bool { return true }, nil
	case "earliest", "latest":
		return sc.timeBound(c)
	case "eventtype":
		def, ok := eventtypes[strings.ToLower(c.Value)]
		if !ok {
			return nil, sc.x.Err(c.Start, c.Start+len(field), "eventtype %s is not defined", c.Value)
		}
		return sc.subSearch(def, c)
	}
	switch c.Op {
	case "=":
		m := newValueMatcher(c.Value)
		return func(ev *event.Event) bool {
			for _, v := range ev.Values(field) {
				if m.match(v) {
					return true
				}
			}
			return false
		}, nil
	case "!=":
		m := newValueMatcher(c.Value)
		return func(ev *event.Event) bool {
			values := ev.Values(field)
			if len(values) == 0 {
				return false
			}
			for _, v := range values {
				if m.match(v) {
					return false
				}
			}
			return true
		}, nil
	default:
		op := c.Op
		want := c.Value
		return func(ev *event.Event) bool {
			for _, v := range ev.Values(field) {
				if compareOp(op, compareScalars(v, want)) {
					return true
				}
			}
			return false
		}, nil
	}
}

func compareOp(op string, cmp int) bool {
	switch op {
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// subSearch compiles a search string defined outside the query (an
// eventtype), reporting errors at the referring term.
func (sc *searchCompiler) subSearch(def string, at *spl.SearchCompare) (predicate, error) {
	pl, _, err := spl.Parse(def, spl.MacroMap{})
	if err != nil || len(pl.Commands) != 1 {
		return nil, sc.x.Err(at.Start, at.Start+1, "invalid definition for %s=%s: %v", at.Field, at.Value, err)
	}
	cmd := pl.Commands[0].(*spl.SearchCmd)
	return (&searchCompiler{x: sc.x, env: sc.env}).compile(cmd.Expr)
}

func (sc *searchCompiler) timeBound(c *spl.SearchCompare) (predicate, error) {
	bound, err := ParseTimeModifier(c.Value, sc.env.Now)
	if err != nil {
		return nil, sc.x.Err(c.Start, c.Start+len(c.Field), "invalid %s=%s: %v", c.Field, c.Value, err)
	}
	earliest := strings.EqualFold(c.Field, "earliest")
	return func(ev *event.Event) bool {
		t, ok := ev.Time()
		if !ok {
			return false
		}
		if earliest {
			return !t.Before(bound)
		}
		return t.Before(bound)
	}, nil
}

// valueMatcher matches field values against a search value: whole-value,
// case-insensitive, `*` as the only wildcard, and CIDR notation matching
// IP addresses by subnet.
type valueMatcher struct {
	exact  string   // lower-cased value when there is no wildcard
	parts  []string // lower-cased pieces between wildcards
	any    bool     // the value is "*" alone: any non-empty value
	prefix *netip.Prefix
}

func newValueMatcher(pattern string) *valueMatcher {
	m := &valueMatcher{}
	if strings.Trim(pattern, "*") == "" && pattern != "" {
		m.any = true
		return m
	}
	if strings.Contains(pattern, "/") && !strings.Contains(pattern, "*") {
		if p, err := netip.ParsePrefix(pattern); err == nil {
			m.prefix = &p
		}
	}
	lower := strings.ToLower(pattern)
	if !strings.Contains(lower, "*") {
		m.exact = lower
		m.parts = nil
		return m
	}
	m.parts = strings.Split(lower, "*")
	return m
}

func (m *valueMatcher) match(v string) bool {
	if m.any {
		return v != ""
	}
	if m.prefix != nil {
		if addr, err := netip.ParseAddr(v); err == nil {
			return m.prefix.Contains(addr)
		}
	}
	if m.parts == nil {
		return strings.EqualFold(v, m.exact)
	}
	return globMatchFold(v, m.parts)
}

// globMatch matches s against pattern pieces that were separated by `*`.
func globMatch(s string, parts []string) bool {
	first, last := parts[0], parts[len(parts)-1]
	if !strings.HasPrefix(s, first) {
		return false
	}
	s = s[len(first):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

// termPredicate matches a bare term or quoted phrase against _raw,
// case-insensitively. An unquoted term must be bounded by breakers (any
// byte that is not a letter or digit) as Splunk's indexed terms are.
func termPredicate(text string, quoted bool) predicate {
	lower := strings.ToLower(text)
	parts := strings.Split(lower, "*")
	return func(ev *event.Event) bool {
		raw, ok := ev.Value(event.RawField)
		if !ok {
			return false
		}
		if quoted {
			return containsGlob(raw, parts, false)
		}
		return containsGlob(raw, parts, true)
	}
}

// containsGlob reports whether some substring of s matches the lower-case
// pieces, ignoring case. With bounded, the match must start and end at a
// breaker. Middle pieces match at their earliest occurrence, which leaves
// the most room for the rest, so a failure there ends the search.
func containsGlob(s string, parts []string, bounded bool) bool {
	first, rest := parts[0], parts[1:]
	endOK := func(end int) bool {
		return !bounded || end == len(s) || isBreaker(s[end]) || parts[len(parts)-1] == ""
	}
	for from := 0; from <= len(s); {
		i := indexFold(s[from:], first)
		if i < 0 {
			return false
		}
		start := from + i
		if !bounded || first == "" || start == 0 || isBreaker(s[start-1]) {
			if len(rest) == 0 {
				if endOK(start + len(first)) {
					return true
				}
			} else {
				return lastPieceMatches(s, start+len(first), rest, endOK)
			}
		}
		from = start + 1
	}
	return false
}

// lastPieceMatches matches the middle pieces at their earliest positions
// after at, then tries each occurrence of the last piece until one ends
// where endOK allows.
func lastPieceMatches(s string, at int, rest []string, endOK func(int) bool) bool {
	at, ok := matchRest(s, at, rest[:len(rest)-1])
	if !ok {
		return false
	}
	last := rest[len(rest)-1]
	for at <= len(s) {
		j := indexFold(s[at:], last)
		if j < 0 {
			return false
		}
		if endOK(at + j + len(last)) {
			return true
		}
		if last == "" {
			return false
		}
		at += j + 1
	}
	return false
}

func matchRest(s string, at int, rest []string) (int, bool) {
	for _, p := range rest {
		i := indexFold(s[at:], p)
		if i < 0 {
			return 0, false
		}
		at += i + len(p)
	}
	return at, true
}

func isBreaker(c byte) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80)
}
