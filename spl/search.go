package spl

import "strings"

// Search language grammar. Unlike eval, OR binds tighter than AND:
//
//	and     = or { ["AND"] or }        adjacent terms are ANDed
//	or      = not { "OR" not }
//	not     = "NOT" not | primary
//	primary = "(" and ")" | "[" pipeline "]" | field op value | field "IN" "(" values ")" | term
//
// Boolean keywords count only in upper case; lower-case and/or/not are
// search terms.

func (p *parser) searchExpr() (SearchExpr, error) {
	return p.searchExprUntil(func() bool { return false })
}

// searchExprUntil parses a conjunction that ends at the end of the
// segment, at an unmatched ")", or where stop reports true.
func (p *parser) searchExprUntil(stop func() bool) (SearchExpr, error) {
	var terms []SearchExpr
	for {
		p.skipSpace()
		if p.pos >= p.end || p.peek() == ')' || stop() {
			break
		}
		if p.keyword("AND", false) {
			continue
		}
		t, err := p.searchOr()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	switch len(terms) {
	case 0:
		return &SearchAll{}, nil
	case 1:
		return terms[0], nil
	}
	return &SearchAnd{Terms: terms}, nil
}

func (p *parser) searchOr() (SearchExpr, error) {
	first, err := p.searchNot()
	if err != nil {
		return nil, err
	}
	terms := []SearchExpr{first}
	for p.keyword("OR", false) {
		t, err := p.searchNot()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return &SearchOr{Terms: terms}, nil
}

func (p *parser) searchNot() (SearchExpr, error) {
	if p.keyword("NOT", false) {
		x, err := p.searchNot()
		if err != nil {
			return nil, err
		}
		return &SearchNot{X: x}, nil
	}
	return p.searchPrimary()
}

func searchNameStop(c byte) bool { return strings.IndexByte("()=<>[]", c) >= 0 }

// valueStop returns the stop test for a comparison value starting at
// start: a ")" ends the value unless it closes a "(" opened inside the
// value, so `process=*GetCurrent()*` keeps its parentheses; parentheses
// inside quotes do not count.
func (p *parser) valueStop(start int) func(byte) bool {
	return func(c byte) bool {
		if c != ')' {
			return false
		}
		depth, inQuote := 0, false
		for i := start; i < p.pos; i++ {
			switch c := p.s[i]; {
			case c == '\\':
				i++
			case c == '"':
				inQuote = !inQuote
			case inQuote:
			case c == '(':
				depth++
			case c == ')':
				depth--
			}
		}
		return depth <= 0
	}
}

func (p *parser) searchPrimary() (SearchExpr, error) {
	p.skipSpace()
	start := p.pos
	switch p.peek() {
	case 0:
		return nil, p.errf(start, "unexpected end of search, expected a term")
	case '(':
		p.pos++
		e, err := p.searchExpr()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.errf(start, "missing \")\" for \"(\"")
		}
		p.pos++
		return e, nil
	case ')':
		return nil, p.errf(start, "unexpected \")\"")
	case '[':
		closeAt := matchingBracket(p.s, p.pos, p.end)
		if closeAt < 0 {
			return nil, p.errf(start, "missing \"]\" for subsearch")
		}
		sub, err := parsePipeline(p.x, p.pos+1, closeAt, false)
		if err != nil {
			return nil, err
		}
		p.pos = closeAt + 1
		return &SearchSubsearch{Pipeline: sub, Start: start}, nil
	}
	w, quoted, _, err := p.word(func(c byte) bool {
		return searchNameStop(c) || c == '!' && p.pos+1 < p.end && p.s[p.pos+1] == '='
	})
	if err != nil {
		return nil, err
	}
	if w == "" && !quoted {
		return nil, p.errf(start, "unexpected %s in search, expected a term", p.describe())
	}
	afterWord := p.pos
	// A quoted word followed by an operator is a field name as well
	// ("result.message" = "*Paired*").
	{
		if op := p.compareOp(); op != "" {
			p.skipSpace()
			v, vq, vStart, err := p.word(p.valueStop(p.pos))
			if err != nil {
				return nil, err
			}
			if v == "" && !vq {
				return nil, p.errf(vStart, "missing value after %s%s", w, op)
			}
			return &SearchCompare{Field: w, Op: op, Value: v, Quoted: vq, Start: start}, nil
		}
		if !quoted && p.peekIn() {
			return p.searchIn(w, start)
		}
	}
	p.pos = afterWord
	if !quoted && w == "*" {
		return &SearchAll{}, nil
	}
	return &SearchTerm{Text: w, Quoted: quoted, Start: start}, nil
}

// compareOp consumes a comparison operator after optional white space.
func (p *parser) compareOp() string {
	save := p.pos
	p.skipSpace()
	rest := p.s[p.pos:p.end]
	for _, op := range []string{"!=", "<=", ">=", "==", "=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			p.pos += len(op)
			if op == "==" {
				op = "="
			}
			return op
		}
	}
	p.pos = save
	return ""
}

func (p *parser) peekIn() bool {
	save := p.pos
	defer func() { p.pos = save }()
	p.skipSpace()
	if !strings.HasPrefix(p.s[p.pos:p.end], "IN") {
		return false
	}
	p.pos += 2
	p.skipSpace()
	return p.peek() == '('
}

func (p *parser) searchIn(field string, start int) (SearchExpr, error) {
	p.skipSpace()
	p.pos += 2 // IN
	p.skipSpace()
	open := p.pos
	p.pos++ // (
	in := &SearchIn{Field: field, Start: start}
	for {
		p.skipSpace()
		if p.pos >= p.end {
			return nil, p.errf(open, "missing \")\" for IN list")
		}
		if p.peek() == ')' {
			p.pos++
			break
		}
		if p.peek() == ',' {
			p.pos++
			continue
		}
		v, q, vStart, err := p.word(func(c byte) bool { return c == ',' || c == ')' })
		if err != nil {
			return nil, err
		}
		if v == "" && !q {
			return nil, p.errf(vStart, "unexpected %s in IN list", p.describe())
		}
		in.Values = append(in.Values, v)
	}
	if len(in.Values) == 0 {
		return nil, p.errf(open, "empty IN list for %s", field)
	}
	return in, nil
}
