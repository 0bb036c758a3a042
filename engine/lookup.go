package engine

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrLookupNotFound is returned (wrapped) by a LookupSource that has no
// lookup of the requested name.
var ErrLookupNotFound = errors.New("lookup not found")

// defaultMaxMatches is the number of rows a file lookup returns per
// input by default (transforms.conf max_matches).
const defaultMaxMatches = 100

// LookupDefinition holds a lookup's matching rules as transforms.conf
// names them.
type LookupDefinition struct {
	Name          string
	CaseSensitive bool     // case_sensitive_match; Splunk's default is true
	Wildcard      []string // columns of match_type WILDCARD(col)
	CIDR          []string // columns of match_type CIDR(col)
	MinMatches    int      // min_matches
	MaxMatches    int      // max_matches; 0 means the default of 100
	DefaultMatch  string   // default_match, written when fewer than MinMatches rows match
}

// SetOption sets one transforms.conf matching option from its text.
func (d *LookupDefinition) SetOption(key, value string) error {
	switch strings.ToLower(key) {
	case "case_sensitive_match":
		b, err := strconv.ParseBool(strings.TrimSpace(value))
		if err != nil {
			return fmt.Errorf("invalid case_sensitive_match %q, expected true or false", value)
		}
		d.CaseSensitive = b
	case "match_type":
		return d.setMatchType(value)
	case "min_matches", "max_matches":
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 || n > 1000 {
			return fmt.Errorf("invalid %s %q, expected a number from 0 to 1000", key, value)
		}
		if strings.EqualFold(key, "min_matches") {
			d.MinMatches = n
		} else {
			d.MaxMatches = n
		}
	case "default_match":
		d.DefaultMatch = value
	default:
		return fmt.Errorf("unknown lookup option %s", key)
	}
	return nil
}

// setMatchType reads a list such as "WILDCARD(a), CIDR(b)".
func (d *LookupDefinition) setMatchType(value string) error {
	for _, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		open := strings.IndexByte(item, '(')
		if open < 0 || !strings.HasSuffix(item, ")") {
			return fmt.Errorf("invalid match_type %q, expected WILDCARD(column) or CIDR(column)", item)
		}
		column := strings.TrimSpace(item[open+1 : len(item)-1])
		switch strings.ToUpper(strings.TrimSpace(item[:open])) {
		case "WILDCARD":
			d.Wildcard = append(d.Wildcard, column)
		case "CIDR":
			d.CIDR = append(d.CIDR, column)
		case "EXACT":
		default:
			return fmt.Errorf("unsupported match_type %q, expected WILDCARD, CIDR or EXACT", item)
		}
	}
	return nil
}

// LookupTable is a CSV lookup loaded into memory with its matching rules.
type LookupTable struct {
	Name   string
	Header []string
	Rows   [][]string
	// CaseSensitive matching (Splunk's default is true).
	CaseSensitive bool
	// Wildcard and CIDR list the columns matched by pattern or subnet.
	Wildcard []string
	CIDR     []string
	// MinMatches, MaxMatches and DefaultMatch follow transforms.conf.
	MinMatches   int
	MaxMatches   int
	DefaultMatch string

	columns  map[string]int
	matchers [][]*cellMatcher // per row, per column; nil for exact cells
}

// NewLookupTable builds a table from a CSV header and rows. Header names
// are trimmed of spaces; rows shorter than the header are padded with
// empty cells.
func NewLookupTable(def LookupDefinition, header []string, rows [][]string) (*LookupTable, error) {
	t := &LookupTable{
		Name: def.Name, Header: header, Rows: rows, CaseSensitive: def.CaseSensitive,
		Wildcard: def.Wildcard, CIDR: def.CIDR, MinMatches: def.MinMatches,
		MaxMatches: def.MaxMatches, DefaultMatch: def.DefaultMatch,
		columns: map[string]int{},
	}
	if t.MaxMatches == 0 {
		t.MaxMatches = defaultMaxMatches
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		header[i] = h
		if _, dup := t.columns[h]; !dup {
			t.columns[h] = i
		}
	}
	// A match_type column that the header lacks is ignored, as Splunk
	// does.
	t.Wildcard, t.CIDR = t.present(def.Wildcard), t.present(def.CIDR)
	t.matchers = make([][]*cellMatcher, len(rows))
	for r, row := range rows {
		if len(row) < len(header) {
			row = append(row, make([]string, len(header)-len(row))...)
			rows[r] = row
		}
		t.matchers[r] = make([]*cellMatcher, len(header))
		for _, c := range t.Wildcard {
			t.matchers[r][t.columns[c]] = newCellMatcher(row[t.columns[c]], false, t.CaseSensitive)
		}
		for _, c := range t.CIDR {
			t.matchers[r][t.columns[c]] = newCellMatcher(row[t.columns[c]], true, t.CaseSensitive)
		}
	}
	return t, nil
}

// present returns the columns of names that the header has.
func (t *LookupTable) present(names []string) []string {
	var out []string
	for _, n := range names {
		if _, ok := t.columns[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Column returns the index of a column, or -1.
func (t *LookupTable) Column(name string) int {
	if i, ok := t.columns[name]; ok {
		return i
	}
	return -1
}

// cellMatcher matches event values against one WILDCARD or CIDR cell.
type cellMatcher struct {
	prefix   netip.Prefix
	isPrefix bool
	parts    []string // pieces between `*`; nil for a cell without `*`
	text     string
	fold     bool
}

func newCellMatcher(cell string, cidr, caseSensitive bool) *cellMatcher {
	m := &cellMatcher{text: cell, fold: !caseSensitive}
	if cidr {
		if p, err := netip.ParsePrefix(strings.TrimSpace(cell)); err == nil {
			m.prefix, m.isPrefix = p.Masked(), true
			return m
		}
		if a, err := netip.ParseAddr(strings.TrimSpace(cell)); err == nil {
			m.prefix, m.isPrefix = netip.PrefixFrom(a, a.BitLen()), true
			return m
		}
	}
	if strings.Contains(cell, "*") {
		pattern := cell
		if m.fold {
			pattern = strings.ToLower(cell)
		}
		m.parts = strings.Split(pattern, "*")
	}
	return m
}

func (m *cellMatcher) match(v string) bool {
	if m.isPrefix {
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		return err == nil && m.prefix.Contains(a.Unmap())
	}
	if m.parts != nil {
		if m.fold {
			v = strings.ToLower(v)
		}
		return globMatch(v, m.parts)
	}
	return cellEqual(m.text, v, m.fold)
}

func cellEqual(cell, v string, fold bool) bool {
	if fold {
		return strings.EqualFold(cell, v)
	}
	return cell == v
}

// lookupKey is one input of a lookup: a table column and the event
// values to match against it.
type lookupKey struct {
	column int
	values []string
}

// match returns the rows (in file order, at most MaxMatches) whose input
// columns all match; an input matches when any of the event's values
// matches the cell.
func (t *LookupTable) match(keys []lookupKey) [][]string {
	var out [][]string
	for r, row := range t.Rows {
		if t.rowMatches(r, row, keys) {
			out = append(out, row)
			if len(out) >= t.MaxMatches {
				break
			}
		}
	}
	return out
}

func (t *LookupTable) rowMatches(r int, row []string, keys []lookupKey) bool {
	for _, k := range keys {
		m := t.matchers[r][k.column]
		ok := false
		for _, v := range k.values {
			if m != nil && m.match(v) || m == nil && cellEqual(row[k.column], v, !t.CaseSensitive) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// LookupMap is a LookupSource backed by a map of tables.
type LookupMap map[string]*LookupTable

// Lookup implements LookupSource.
func (m LookupMap) Lookup(name string) (*LookupTable, error) {
	if t, ok := m[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("lookup %s: %w", name, ErrLookupNotFound)
}
