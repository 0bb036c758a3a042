package spl

import (
	"strconv"
	"strings"
)

// This file holds the commands beyond the core set: field extraction
// (rex, regex, spath, xmlkv, fromjson), lookups, multivalue handling,
// ordering (sort, dedup), subsearch commands (join, append, appendpipe)
// and the rest of the commands the content uses.

func init() {
	registerCommand("rex", parseRex)
	registerCommand("regex", parseRegex)
	registerCommand("lookup", parseLookup)
	registerCommand("fillnull", parseFillnull)
	registerCommand("dedup", parseDedup)
	registerCommand("sort", parseSort)
	registerCommand("foreach", parseForeach)
	registerCommand("replace", parseReplace)
	registerCommand("appendpipe", func(p *parser, b Base) (Command, error) { return parseArgs(p, b, true) })
	for _, name := range []string{
		"bin", "bucket", "mvexpand", "makemv", "join", "append", "transaction", "spath", "xmlkv",
		"fromjson", "addtotals", "iplocation", "inputlookup", "map",
	} {
		registerCommand(name, func(p *parser, b Base) (Command, error) { return parseArgs(p, b, false) })
	}
}

// RexCmd extracts fields with a regex, or edits a field with mode=sed.
type RexCmd struct {
	Base
	Field       string // default _raw
	Regex       string // after SPL unescaping
	RegexAt     int
	MaxMatch    int // 1 by default; 0 means unlimited
	Sed         bool
	OffsetField string
}

// RegexCmd keeps rows whose field matches (or, with Negate, does not
// match) a regex.
type RegexCmd struct {
	Base
	Field   string
	Negate  bool
	Regex   string
	RegexAt int
}

// LookupField is one `column [AS field]` of a lookup command.
type LookupField struct {
	Column, Field string
}

// LookupCmd enriches rows from a lookup table.
type LookupCmd struct {
	Base
	Table     string
	TableAt   int
	Inputs    []LookupField
	Outputs   []LookupField // empty: every column that is not an input
	OutputNew bool
}

// FillnullCmd fills null fields with a value.
type FillnullCmd struct {
	Base
	Value  string
	Fields []string // empty: every field seen in any row
}

// SortKey is one field of sort or dedup sortby.
type SortKey struct {
	Field string
	Desc  bool
	Mode  string // "" (auto), num, str, ip
}

// DedupCmd keeps the first N rows of each combination of field values.
type DedupCmd struct {
	Base
	Count       int
	Fields      []string
	KeepEmpty   bool
	Consecutive bool
	SortBy      []SortKey
}

// SortCmd orders rows.
type SortCmd struct {
	Base
	Limit int // 0: unlimited
	Keys  []SortKey
}

// ForeachCmd runs a templated pipeline once per matching field.
type ForeachCmd struct {
	Base
	Fields        []string
	Template      string // text between the brackets
	TemplateStart int    // offset of Template in the expanded text
}

// ReplacePair is one `old WITH new` of the replace command.
type ReplacePair struct{ From, To string }

// ReplaceCmd rewrites field values matching wildcard patterns.
type ReplaceCmd struct {
	Base
	Pairs  []ReplacePair
	Fields []string // empty: every field
}

func parseRex(p *parser, b Base) (Command, error) {
	cmd := &RexCmd{Base: b, Field: "_raw", MaxMatch: 1, RegexAt: -1}
	for !p.eof() {
		w, quoted, start, err := p.word(func(c byte) bool { return c == '=' })
		if err != nil {
			return nil, err
		}
		if !quoted && p.peek() == '=' {
			p.pos++
			v, _, vStart, err := p.word(func(byte) bool { return false })
			if err != nil {
				return nil, err
			}
			switch strings.ToLower(w) {
			case "field":
				cmd.Field = v
			case "max_match":
				n, convErr := strconv.Atoi(v)
				if convErr != nil || n < 0 {
					return nil, p.errf(vStart, "rex max_match expects a number, found %q", v)
				}
				cmd.MaxMatch = n
			case "mode":
				if !strings.EqualFold(v, "sed") {
					return nil, p.errf(vStart, "rex mode %q is not supported, expected sed", v)
				}
				cmd.Sed = true
			case "offset_field":
				cmd.OffsetField = v
			default:
				return nil, p.errf(start, "unknown rex option %s", w)
			}
			continue
		}
		if cmd.RegexAt >= 0 {
			return nil, p.errf(start, "rex takes one regex, found a second one")
		}
		cmd.Regex, cmd.RegexAt = w, start
	}
	if cmd.RegexAt < 0 {
		return nil, p.errf(b.Start, "rex needs a regex")
	}
	return cmd, nil
}

func parseRegex(p *parser, b Base) (Command, error) {
	cmd := &RegexCmd{Base: b, Field: "_raw"}
	p.skipSpace()
	save := p.pos
	w, quoted, start, err := p.word(func(c byte) bool { return c == '=' || c == '!' })
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !quoted && w != "" && (p.peek() == '=' || strings.HasPrefix(p.s[p.pos:p.end], "!=")) {
		cmd.Field = w
		if p.peek() == '!' {
			cmd.Negate = true
			p.pos++
		}
		p.pos++
	} else {
		p.pos = save
	}
	re, _, reStart, err := p.word(func(byte) bool { return false })
	if err != nil {
		return nil, err
	}
	if re == "" {
		return nil, p.errf(start, "regex needs a regex")
	}
	cmd.Regex, cmd.RegexAt = re, reStart
	if !p.eof() {
		return nil, p.errf(p.pos, "unexpected %s in regex", p.describe())
	}
	return cmd, nil
}

func parseLookup(p *parser, b Base) (Command, error) {
	cmd := &LookupCmd{Base: b}
	stop := func(c byte) bool { return c == ',' || c == '=' }
	// Options come before the table name.
	for {
		save := p.pos
		w, _, _, err := p.word(stop)
		if err != nil {
			return nil, err
		}
		if lw := strings.ToLower(w); (lw == "local" || lw == "update" || lw == "event_time_field") && p.peek() == '=' {
			p.pos++
			if _, _, _, err := p.word(stop); err != nil {
				return nil, err
			}
			continue
		}
		p.pos = save
		break
	}
	name, _, nameAt, err := p.word(stop)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, p.errf(nameAt, "lookup needs a table name")
	}
	cmd.Table, cmd.TableAt = name, nameAt
	list := &cmd.Inputs
	for !p.eof() {
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if p.keyword("OUTPUT", true) {
			list = &cmd.Outputs
			continue
		}
		if p.keyword("OUTPUTNEW", true) {
			list, cmd.OutputNew = &cmd.Outputs, true
			continue
		}
		col, _, colAt, err := p.word(stop)
		if err != nil {
			return nil, err
		}
		if col == "" {
			return nil, p.errf(colAt, "unexpected %s in lookup", p.describe())
		}
		f := LookupField{Column: col, Field: col}
		if p.keyword("as", true) {
			as, _, asAt, err := p.word(stop)
			if err != nil {
				return nil, err
			}
			if as == "" {
				return nil, p.errf(asAt, "expected a field name after AS in lookup")
			}
			f.Field = as
		}
		*list = append(*list, f)
	}
	if len(cmd.Inputs) == 0 {
		return nil, p.errf(nameAt, "lookup %s needs at least one input field", name)
	}
	return cmd, nil
}

func parseFillnull(p *parser, b Base) (Command, error) {
	cmd := &FillnullCmd{Base: b, Value: "0"}
	for !p.eof() {
		if p.peek() == ',' {
			p.pos++
			continue
		}
		w, quoted, start, err := p.word(func(c byte) bool { return c == ',' || c == '=' })
		if err != nil {
			return nil, err
		}
		if !quoted && p.peek() == '=' {
			if !strings.EqualFold(w, "value") {
				return nil, p.errf(start, "unknown fillnull option %s", w)
			}
			p.pos++
			v, _, _, err := p.word(func(c byte) bool { return c == ',' })
			if err != nil {
				return nil, err
			}
			cmd.Value = v
			continue
		}
		cmd.Fields = append(cmd.Fields, w)
	}
	return cmd, nil
}

func parseDedup(p *parser, b Base) (Command, error) {
	cmd := &DedupCmd{Base: b, Count: 1}
	first := true
	for !p.eof() {
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if p.keyword("sortby", true) {
			keys, err := p.sortKeys()
			if err != nil {
				return nil, err
			}
			cmd.SortBy = keys
			break
		}
		w, _, start, err := p.word(func(c byte) bool { return c == ',' || c == '=' })
		if err != nil {
			return nil, err
		}
		if p.peek() == '=' {
			p.pos++
			v, _, vStart, err := p.word(func(c byte) bool { return c == ',' })
			if err != nil {
				return nil, err
			}
			on, convErr := strconv.ParseBool(v)
			if convErr != nil {
				return nil, p.errf(vStart, "dedup %s expects true or false, found %q", w, v)
			}
			switch strings.ToLower(w) {
			case "keepempty":
				cmd.KeepEmpty = on
			case "consecutive":
				cmd.Consecutive = on
			case "keepevents":
				if on {
					return nil, p.errf(start, "dedup keepevents=true is not supported")
				}
			default:
				return nil, p.errf(start, "unknown dedup option %s", w)
			}
			continue
		}
		if first && isDigits(w) {
			n, _ := strconv.Atoi(w)
			cmd.Count = n
			first = false
			continue
		}
		first = false
		cmd.Fields = append(cmd.Fields, w)
	}
	if len(cmd.Fields) == 0 {
		return nil, p.errf(b.Start, "dedup needs at least one field")
	}
	return cmd, nil
}

func parseSort(p *parser, b Base) (Command, error) {
	cmd := &SortCmd{Base: b, Limit: 10000}
	p.skipSpace()
	save := p.pos
	w, _, wStart, err := p.word(func(c byte) bool { return c == ',' || c == '=' })
	if err != nil {
		return nil, err
	}
	switch {
	case isDigits(w):
		cmd.Limit, _ = strconv.Atoi(w)
	case strings.EqualFold(w, "limit") && p.peek() == '=':
		p.pos++
		v, _, vStart, err := p.word(func(c byte) bool { return c == ',' })
		if err != nil {
			return nil, err
		}
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 0 {
			return nil, p.errf(vStart, "sort limit expects a number, found %q", v)
		}
		cmd.Limit = n
	default:
		p.pos = save
	}
	keys, err := p.sortKeys()
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, p.errf(wStart, "sort needs at least one field")
	}
	cmd.Keys = keys
	return cmd, nil
}

// sortKeys reads `[-|+]field`, `num(field)`, `str(field)`, `ip(field)`
// and `auto(field)` items up to the end of the command; a trailing `desc`
// or `d` reverses the whole order.
func (p *parser) sortKeys() ([]SortKey, error) {
	var keys []SortKey
	desc := false
	for !p.eof() {
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case '-', '+':
			desc = p.peek() == '-'
			p.pos++
			continue
		}
		w, _, start, err := p.word(func(c byte) bool { return c == ',' || c == '(' })
		if err != nil {
			return nil, err
		}
		mode := ""
		if p.peek() == '(' {
			closeAt := matchingParen(p.s, p.pos, p.end)
			if closeAt < 0 {
				return nil, p.errf(p.pos, "missing \")\" in sort")
			}
			mode = strings.ToLower(w)
			switch mode {
			case "num", "str", "ip", "auto":
			default:
				return nil, p.errf(start, "unknown sort function %s, expected num, str, ip or auto", w)
			}
			w = strings.TrimSpace(p.s[p.pos+1 : closeAt])
			p.pos = closeAt + 1
			if mode == "auto" {
				mode = ""
			}
		}
		if lw := strings.ToLower(w); (lw == "desc" || lw == "d") && mode == "" && len(keys) > 0 && p.eof() {
			for i := range keys {
				keys[i].Desc = !keys[i].Desc
			}
			break
		}
		if strings.HasPrefix(w, "-") || strings.HasPrefix(w, "+") {
			desc, w = w[0] == '-', w[1:]
		}
		keys = append(keys, SortKey{Field: w, Desc: desc, Mode: mode})
		desc = false
	}
	return keys, nil
}

func parseForeach(p *parser, b Base) (Command, error) {
	cmd := &ForeachCmd{Base: b}
	for !p.eof() {
		if p.peek() == '[' {
			closeAt := matchingBracket(p.s, p.pos, p.end)
			if closeAt < 0 {
				return nil, p.errf(p.pos, "missing \"]\" for foreach template")
			}
			cmd.Template = p.s[p.pos+1 : closeAt]
			cmd.TemplateStart = p.pos + 1
			p.pos = closeAt + 1
			if !p.eof() {
				return nil, p.errf(p.pos, "unexpected %s after foreach template", p.describe())
			}
			break
		}
		w, _, start, err := p.word(func(c byte) bool { return c == '[' || c == '=' })
		if err != nil {
			return nil, err
		}
		if p.peek() == '=' {
			return nil, p.errf(start, "foreach option %s is not supported", w)
		}
		cmd.Fields = append(cmd.Fields, w)
	}
	if cmd.TemplateStart == 0 {
		return nil, p.errf(b.Start, "foreach needs a [template]")
	}
	if len(cmd.Fields) == 0 {
		return nil, p.errf(b.Start, "foreach needs at least one field")
	}
	return cmd, nil
}

func parseReplace(p *parser, b Base) (Command, error) {
	cmd := &ReplaceCmd{Base: b}
	stop := func(c byte) bool { return c == ',' }
	for !p.eof() {
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if p.keyword("IN", true) {
			for !p.eof() {
				if p.peek() == ',' {
					p.pos++
					continue
				}
				f, _, _, err := p.word(stop)
				if err != nil {
					return nil, err
				}
				cmd.Fields = append(cmd.Fields, f)
			}
			break
		}
		from, _, start, err := p.word(stop)
		if err != nil {
			return nil, err
		}
		if !p.keyword("WITH", true) {
			return nil, p.errf(p.pos, "expected WITH after %q in replace, found %s", from, p.describe())
		}
		to, _, _, err := p.word(stop)
		if err != nil {
			return nil, err
		}
		if strings.Count(to, "*") > strings.Count(from, "*") {
			return nil, p.errf(start, "replace %q with %q: the replacement has more wildcards than the pattern", from, to)
		}
		cmd.Pairs = append(cmd.Pairs, ReplacePair{From: from, To: to})
	}
	if len(cmd.Pairs) == 0 {
		return nil, p.errf(b.Start, "replace needs at least one \"old WITH new\" pair")
	}
	return cmd, nil
}

// ArgsCmd is a command read with the generic syntax: key=value options,
// positional words separated by spaces or commas, and one bracketed
// argument, which is a subsearch or (for appendpipe) a pipeline over the
// current rows. Option values may be parenthesised search expressions,
// as in transaction startswith=(EventCode=4698).
type ArgsCmd struct {
	Base
	Options  map[string]string
	OptionAt map[string]int // offset of each option's value
	Args     []string
	ArgAt    []int
	Sub      *Pipeline
	SubAt    int
}

func parseArgs(p *parser, b Base, explicitSub bool) (Command, error) {
	cmd := &ArgsCmd{Base: b, Options: map[string]string{}, OptionAt: map[string]int{}}
	stop := func(c byte) bool { return c == '=' || c == '[' || c == ',' }
	for !p.eof() {
		switch p.peek() {
		case ',':
			p.pos++
			continue
		case '[':
			if cmd.Sub != nil {
				return nil, p.errf(p.pos, "%s takes one subsearch, found a second one", b.Cmd)
			}
			closeAt := matchingBracket(p.s, p.pos, p.end)
			if closeAt < 0 {
				return nil, p.errf(p.pos, "missing \"]\" for subsearch")
			}
			var sub *Pipeline
			var err error
			if explicitSub {
				sub, err = parseCommandPipeline(p.x, p.pos+1, closeAt)
			} else {
				sub, err = parsePipeline(p.x, p.pos+1, closeAt, false)
			}
			if err != nil {
				return nil, err
			}
			cmd.Sub, cmd.SubAt = sub, p.pos
			p.pos = closeAt + 1
			continue
		}
		w, quoted, start, err := p.word(stop)
		if err != nil {
			return nil, err
		}
		if !quoted && p.peek() == '=' {
			p.pos++
			key := strings.ToLower(w)
			p.skipSpace()
			cmd.OptionAt[key] = p.pos
			if p.peek() == '(' {
				closeAt := matchingParen(p.s, p.pos, p.end)
				if closeAt < 0 {
					return nil, p.errf(p.pos, "missing \")\" in %s=", w)
				}
				cmd.Options[key] = p.s[p.pos : closeAt+1]
				p.pos = closeAt + 1
				continue
			}
			v, _, _, err := p.word(func(c byte) bool { return c == '[' || c == ',' })
			if err != nil {
				return nil, err
			}
			cmd.Options[key] = v
			continue
		}
		if w == "" && !quoted {
			return nil, p.errf(start, "unexpected %s in %s", p.describe(), b.Cmd)
		}
		cmd.Args = append(cmd.Args, w)
		cmd.ArgAt = append(cmd.ArgAt, start)
	}
	return cmd, nil
}

// ParseFragment parses a pipeline given as its own text (a foreach
// template after substitution, or a search string stored in a field).
// Error positions refer to text. With explicit set the first segment
// names a command; otherwise it is an implicit search.
func ParseFragment(text string, explicit bool) (*Pipeline, *Expanded, error) {
	x, err := Expand(text, MacroMap{})
	if err != nil {
		return nil, nil, err
	}
	var pl *Pipeline
	if explicit {
		pl, err = parseCommandPipeline(x, 0, len(x.Text))
	} else {
		pl, err = parsePipeline(x, 0, len(x.Text), false)
	}
	return pl, x, err
}
