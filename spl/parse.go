package spl

import (
	"strconv"
	"strings"
)

// Parse expands macros in query and parses the result.
func Parse(query string, macros MacroSet) (*Pipeline, *Expanded, error) {
	x, err := Expand(query, macros)
	if err != nil {
		return nil, nil, err
	}
	pl, err := ParseExpanded(x)
	return pl, x, err
}

// ParseExpanded parses an already expanded query.
func ParseExpanded(x *Expanded) (*Pipeline, error) {
	return parsePipeline(x, 0, len(x.Text), true)
}

// commandParsers maps each supported command to its parser. Commands not
// listed fail by name. Files add their commands from init functions
// through registerCommand.
var commandParsers map[string]func(p *parser, b Base) (Command, error)

// registerCommand adds a command parser; init functions of any file may
// call it, whatever the file order.
func registerCommand(name string, fn func(p *parser, b Base) (Command, error)) {
	if commandParsers == nil {
		commandParsers = map[string]func(p *parser, b Base) (Command, error){}
	}
	commandParsers[name] = fn
}

func init() {
	for _, name := range []string{"stats", "eventstats", "streamstats", "tstats"} {
		registerCommand(name, parseStats)
	}
	registerCommand("search", parseSearchCmd)
	registerCommand("where", parseWhere)
	registerCommand("eval", parseEval)
	registerCommand("rename", parseRename)
	registerCommand("convert", parseConvert)
	registerCommand("table", parseFields)
	registerCommand("fields", parseFields)
	registerCommand("head", parseHead)
	registerCommand("tail", parseHead)
}

// RegisterGeneric makes a command parse with the generic option and
// argument syntax; the engine interprets its arguments.
func RegisterGeneric(name string) {
	registerCommand(name, parseGeneric)
}

// Supported reports whether the parser has a parser for a command.
func Supported(name string) bool {
	_, ok := commandParsers[name]
	return ok
}

func parsePipeline(x *Expanded, start, end int, top bool) (*Pipeline, error) {
	return parseSegments(x, start, end, top, false)
}

// parseCommandPipeline parses a pipeline whose first segment names a
// command (no implicit search), as in appendpipe [stats count].
func parseCommandPipeline(x *Expanded, start, end int) (*Pipeline, error) {
	return parseSegments(x, start, end, true, true)
}

// parseSegments parses the commands of s[start:end]. Unless explicit is
// set, a first segment without a leading pipe is an implicit search. An
// empty pipeline is a search for everything only inside a subsearch
// (top unset).
func parseSegments(x *Expanded, start, end int, top, explicit bool) (*Pipeline, error) {
	pl := &Pipeline{Start: start, End: end}
	parts := splitPipes(x.Text, start, end)
	leadingPipe := strings.TrimSpace(x.Text[parts[0][0]:parts[0][1]]) == ""
	if leadingPipe && len(parts) > 1 {
		parts = parts[1:]
	}
	for i, part := range parts {
		p := &parser{x: x, s: x.Text, pos: part[0], end: part[1]}
		if p.eof() {
			if len(parts) == 1 && !top {
				pl.Commands = append(pl.Commands, &SearchCmd{Base: Base{Cmd: "search", Start: part[0], End: part[1]}, Expr: &SearchAll{}})
				continue
			}
			return nil, p.errf(part[0], "empty command between pipes")
		}
		cmdStart := p.pos
		name := ""
		implicit := i == 0 && !leadingPipe && !explicit
		if !implicit {
			w, _, _, err := p.word(func(c byte) bool { return c == '[' || c == '(' || c == '=' })
			if err != nil {
				return nil, err
			}
			name = strings.ToLower(w)
		}
		if implicit {
			name = "search"
			if p.peekKeyword("search", true) {
				p.keyword("search", true)
			}
		}
		fn, ok := commandParsers[name]
		if !ok {
			return nil, p.x.Err(cmdStart, cmdStart+len(name), "command %s is not supported", name)
		}
		cmd, err := fn(p, Base{Cmd: name, Start: cmdStart, End: part[1]})
		if err != nil {
			return nil, err
		}
		pl.Commands = append(pl.Commands, cmd)
	}
	return pl, nil
}

func parseSearchCmd(p *parser, b Base) (Command, error) {
	expr, err := p.searchExpr()
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errf(p.pos, "unexpected %s in search", p.describe())
	}
	return &SearchCmd{Base: b, Expr: expr}, nil
}

func parseWhere(p *parser, b Base) (Command, error) {
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if !p.eof() {
		return nil, p.errf(p.pos, "unexpected %s in where, expected operator or end of command", p.describe())
	}
	return &WhereCmd{Base: b, Expr: e}, nil
}

func parseEval(p *parser, b Base) (Command, error) {
	cmd := &EvalCmd{Base: b}
	for {
		name, start, err := p.fieldName()
		if err != nil {
			return nil, err
		}
		if name == "" {
			return nil, p.errf(start, "expected field name in eval, found %s", p.describe())
		}
		p.skipSpace()
		if p.peek() != '=' || strings.HasPrefix(p.s[p.pos:], "==") {
			return nil, p.errf(p.pos, "expected \"=\" after %s in eval, found %s", name, p.describe())
		}
		p.pos++
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		cmd.Assignments = append(cmd.Assignments, Assignment{Field: name, Expr: e})
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
			continue
		}
		if p.eof() {
			return cmd, nil
		}
		return nil, p.errf(p.pos, "unexpected %s in eval, expected \",\" or end of command", p.describe())
	}
}

// fieldName reads a field name: a bare name, or a single- or double-quoted one.
func (p *parser) fieldName() (string, int, error) {
	p.skipSpace()
	start := p.pos
	if p.peek() == '\'' {
		end := strings.IndexByte(p.s[p.pos+1:p.end], '\'')
		if end < 0 {
			return "", start, p.errf(start, "unterminated single-quoted field name")
		}
		p.pos += end + 2
		return p.s[start+1 : start+1+end], start, nil
	}
	w, _, _, err := p.word(func(c byte) bool { return strings.IndexByte("=,()[]!<>|", c) >= 0 })
	return w, start, err
}

func isStatsOption(w string) bool {
	switch strings.ToLower(w) {
	case "summariesonly", "allow_old_summaries", "fillnull_value", "prestats", "local", "append",
		"include_reduced_buckets", "chunk_size", "allnum", "delim", "partitions", "dedup_splitvals",
		"global", "current", "window", "reset_on_change", "reset_before", "reset_after", "time_window":
		return true
	}
	return false
}

func parseStats(p *parser, b Base) (Command, error) {
	cmd := &StatsCmd{Base: b, Options: map[string]string{}}
	stopName := func(c byte) bool { return strings.IndexByte("=,()[]", c) >= 0 }
	for {
		p.skipSpace()
		if p.eof() {
			break
		}
		save := p.pos
		w, _, start, err := p.word(stopName)
		if err != nil {
			return nil, err
		}
		lw := strings.ToLower(w)
		switch {
		case w == "":
			return nil, p.errf(start, "unexpected %s in %s, expected function", p.describe(), b.Cmd)
		case lw == "by":
			return parseStatsBy(p, cmd)
		case lw == "from" && b.Cmd == "tstats":
			if err := parseTstatsFrom(p, cmd); err != nil {
				return nil, err
			}
			continue
		case lw == "where" && b.Cmd == "tstats":
			expr, err := p.searchExprUntil(func() bool { return p.peekKeyword("by", true) })
			if err != nil {
				return nil, err
			}
			cmd.Where = expr
			continue
		case p.peek() == '=' && isStatsOption(w):
			p.pos++
			v, _, _, err := p.word(func(c byte) bool { return c == ',' })
			if err != nil {
				return nil, err
			}
			cmd.Options[lw] = v
			continue
		}
		p.pos = save
		agg, err := p.agg(b.Cmd)
		if err != nil {
			return nil, err
		}
		cmd.Aggs = append(cmd.Aggs, agg)
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
		}
	}
	return cmd, nil
}

func parseTstatsFrom(p *parser, cmd *StatsCmd) error {
	w, _, start, err := p.word(func(c byte) bool { return false })
	if err != nil {
		return err
	}
	if strings.EqualFold(w, "datamodel") {
		p.skipSpace()
		if p.peek() == '=' {
			p.pos++
		}
		w, _, _, err = p.word(func(c byte) bool { return false })
		if err != nil {
			return err
		}
		cmd.From = w
	} else if lw := strings.ToLower(w); strings.HasPrefix(lw, "datamodel=") {
		cmd.From = w[len("datamodel="):]
		if cmd.From == "" {
			cmd.From, _, _, err = p.word(func(c byte) bool { return false })
			if err != nil {
				return err
			}
		}
	} else {
		return p.errf(start, "tstats from %s is not supported, expected datamodel=Model.Dataset", w)
	}
	return nil
}

func parseStatsBy(p *parser, cmd *StatsCmd) (Command, error) {
	for !p.eof() {
		w, _, start, err := p.word(func(c byte) bool { return c == ',' || c == '=' })
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() == '=' {
			p.pos++
			v, _, _, err := p.word(func(c byte) bool { return c == ',' })
			if err != nil {
				return nil, err
			}
			switch strings.ToLower(w) {
			case "span":
				cmd.TimeSpan = v
				if len(cmd.By) > 0 {
					cmd.SpanField = cmd.By[len(cmd.By)-1]
				}
			default:
				if !isStatsOption(w) {
					return nil, p.errf(start, "unknown %s option %s", cmd.Cmd, w)
				}
				cmd.Options[strings.ToLower(w)] = v
			}
		} else if w != "" {
			cmd.By = append(cmd.By, w)
		}
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
		}
	}
	return cmd, nil
}

// agg parses `func`, `func(field)`, `func(eval(expr))`, each optionally
// followed by `as name`.
func (p *parser) agg(cmdName string) (Agg, error) {
	p.skipSpace()
	start := p.pos
	for p.pos < p.end && (isIdentByte(p.s[p.pos])) {
		p.pos++
	}
	name := strings.ToLower(p.s[start:p.pos])
	if name == "" {
		return Agg{}, p.errf(start, "unexpected %s in %s, expected function", p.describe(), cmdName)
	}
	agg := Agg{Func: name, Start: start}
	callText := p.s[start:p.pos]
	if p.peek() == '(' {
		open := p.pos
		closeAt := matchingParen(p.s, open, p.end)
		if closeAt < 0 {
			return Agg{}, p.errf(open, "missing \")\" in %s(", name)
		}
		inner := strings.TrimSpace(p.s[open+1 : closeAt])
		innerStart := open + 1 + strings.Index(p.s[open+1:closeAt], inner)
		callText = p.s[start : closeAt+1]
		if strings.HasPrefix(strings.ToLower(inner), "eval(") {
			sub := &parser{x: p.x, s: p.s, pos: innerStart + len("eval("), end: innerStart + len(inner) - 1}
			e, err := sub.expr()
			if err != nil {
				return Agg{}, err
			}
			if !sub.eof() {
				return Agg{}, sub.errf(sub.pos, "unexpected %s in eval()", sub.describe())
			}
			agg.Eval = e
		} else {
			field := inner
			if len(field) >= 2 && (field[0] == '"' && field[len(field)-1] == '"' || field[0] == '\'' && field[len(field)-1] == '\'') {
				field = field[1 : len(field)-1]
			}
			agg.Field = field
		}
		p.pos = closeAt + 1
	}
	if !knownAgg(name) {
		return Agg{}, p.x.Err(start, start+len(name), "function %s is not supported in %s", name, cmdName)
	}
	agg.As = callText
	if name == "count" && agg.Field == "" && agg.Eval == nil {
		agg.As = "count"
	}
	if p.keyword("as", true) {
		as, _, asStart, err := p.word(func(c byte) bool { return c == ',' })
		if err != nil {
			return Agg{}, err
		}
		if as == "" {
			return Agg{}, p.errf(asStart, "expected a name after as, found %s", p.describe())
		}
		agg.As = as
	}
	return agg, nil
}

// knownAgg reports whether name is a stats-family function.
func knownAgg(name string) bool {
	switch name {
	case "count", "c", "dc", "distinct_count", "estdc", "values", "list", "min", "max", "avg", "mean",
		"sum", "sumsq", "stdev", "stdevp", "var", "varp", "range", "median", "mode", "earliest", "latest",
		"first", "last", "earliest_time", "latest_time", "rate":
		return true
	}
	if rest, ok := strings.CutPrefix(name, "perc"); ok {
		return isDigits(rest)
	}
	if rest, ok := strings.CutPrefix(name, "p"); ok {
		return isDigits(rest)
	}
	if rest, ok := strings.CutPrefix(name, "exactperc"); ok {
		return isDigits(rest)
	}
	if rest, ok := strings.CutPrefix(name, "upperperc"); ok {
		return isDigits(rest)
	}
	return false
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// matchingParen returns the index of the parenthesis closing the one at
// open, skipping quoted text, or -1.
func matchingParen(s string, open, end int) int {
	depth := 0
	inQuote := byte(0)
	for i := open; i < end; i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case inQuote != 0:
			if c == inQuote {
				inQuote = 0
			}
		case c == '"' || c == '\'':
			inQuote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func parseRename(p *parser, b Base) (Command, error) {
	cmd := &RenameCmd{Base: b}
	stop := func(c byte) bool { return c == ',' }
	for !p.eof() {
		from, _, start, err := p.word(stop)
		if err != nil {
			return nil, err
		}
		if !p.keyword("as", true) {
			return nil, p.errf(p.pos, "expected as after %q in rename, found %s", from, p.describe())
		}
		to, _, _, err := p.word(stop)
		if err != nil {
			return nil, err
		}
		if from == "" || to == "" {
			return nil, p.errf(start, "rename needs a field name on both sides of as")
		}
		if strings.Count(from, "*") != strings.Count(to, "*") && strings.Count(to, "*") > 0 {
			return nil, p.errf(start, "rename %q as %q: wildcards must match in number", from, to)
		}
		cmd.Pairs = append(cmd.Pairs, RenamePair{From: from, To: to})
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
		}
	}
	if len(cmd.Pairs) == 0 {
		return nil, p.errf(b.Start, "rename needs at least one \"field as name\" pair")
	}
	return cmd, nil
}

func parseConvert(p *parser, b Base) (Command, error) {
	cmd := &ConvertCmd{Base: b, TimeFormat: "%m/%d/%Y %H:%M:%S"}
	for !p.eof() {
		start := p.pos
		for p.pos < p.end && isIdentByte(p.s[p.pos]) {
			p.pos++
		}
		name := strings.ToLower(p.s[start:p.pos])
		p.skipSpace()
		switch {
		case name == "timeformat" && p.peek() == '=':
			p.pos++
			v, _, _, err := p.word(func(c byte) bool { return false })
			if err != nil {
				return nil, err
			}
			cmd.TimeFormat = v
		case p.peek() == '(':
			closeAt := matchingParen(p.s, p.pos, p.end)
			if closeAt < 0 {
				return nil, p.errf(p.pos, "missing \")\" in convert %s(", name)
			}
			switch name {
			case "ctime", "mktime", "num", "auto", "none", "rmcomma", "rmunit", "dur2sec", "mstime", "memk":
			default:
				return nil, p.x.Err(start, p.pos, "convert function %s is not supported", name)
			}
			fn := ConvertFunc{Func: name, Field: strings.Trim(strings.TrimSpace(p.s[p.pos+1:closeAt]), `"`)}
			p.pos = closeAt + 1
			if p.keyword("as", true) {
				as, _, _, err := p.word(func(c byte) bool { return c == ',' })
				if err != nil {
					return nil, err
				}
				fn.As = as
			}
			cmd.Funcs = append(cmd.Funcs, fn)
		default:
			return nil, p.errf(start, "unexpected %s in convert, expected timeformat= or a function such as ctime(field)", p.describe())
		}
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
		}
	}
	return cmd, nil
}

func parseFields(p *parser, b Base) (Command, error) {
	cmd := &FieldsCmd{Base: b}
	p.skipSpace()
	if b.Cmd == "fields" {
		switch p.peek() {
		case '-':
			cmd.Remove = true
			p.pos++
		case '+':
			p.pos++
		}
	}
	for !p.eof() {
		w, _, _, err := p.word(func(c byte) bool { return c == ',' })
		if err != nil {
			return nil, err
		}
		if w != "" {
			cmd.Fields = append(cmd.Fields, w)
		}
		p.skipSpace()
		if p.peek() == ',' {
			p.pos++
		}
	}
	return cmd, nil
}

func parseHead(p *parser, b Base) (Command, error) {
	cmd := &HeadCmd{Base: b, Limit: 10}
	if p.eof() {
		return cmd, nil
	}
	w, _, start, err := p.word(func(c byte) bool { return false })
	if err != nil {
		return nil, err
	}
	w = strings.TrimPrefix(strings.ToLower(w), "limit=")
	n, convErr := strconv.Atoi(w)
	if convErr != nil || n < 0 {
		return nil, p.errf(start, "%s expects a row count, found %q", b.Cmd, w)
	}
	cmd.Limit = n
	if !p.eof() {
		return nil, p.errf(p.pos, "unexpected %s in %s", p.describe(), b.Cmd)
	}
	return cmd, nil
}

// parseGeneric reads `key=value` options, positional words and one
// optional [subsearch]; the engine checks them.
func parseGeneric(p *parser, b Base) (Command, error) {
	cmd := &GenericCmd{Base: b, Options: map[string]string{}}
	for !p.eof() {
		if p.peek() == '[' {
			closeAt := matchingBracket(p.s, p.pos, p.end)
			if closeAt < 0 {
				return nil, p.errf(p.pos, "missing \"]\" for subsearch")
			}
			sub, err := parsePipeline(p.x, p.pos+1, closeAt, false)
			if err != nil {
				return nil, err
			}
			cmd.Sub = sub
			p.pos = closeAt + 1
			continue
		}
		w, quoted, _, err := p.word(func(c byte) bool { return c == '=' || c == '[' })
		if err != nil {
			return nil, err
		}
		if !quoted && p.peek() == '=' {
			p.pos++
			v, _, _, err := p.word(func(c byte) bool { return c == '[' })
			if err != nil {
				return nil, err
			}
			cmd.Options[strings.ToLower(w)] = v
			continue
		}
		if w == "" && !quoted {
			// A lone separator such as "," between arguments.
			p.pos++
			continue
		}
		cmd.Args = append(cmd.Args, w)
	}
	return cmd, nil
}
