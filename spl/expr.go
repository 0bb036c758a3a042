package spl

import (
	"strconv"
	"strings"
)

// Eval expression grammar, loosest binding first:
//
//	xor     = or { "XOR" or }
//	or      = and { "OR" and }
//	and     = not { "AND" not }
//	not     = "NOT" not | compare
//	compare = concat [ ("=" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "LIKE") concat | "IN" "(" list ")" ]
//	concat  = mul { ("+" | "-" | ".") mul }
//	mul     = unary { ("*" | "/" | "%") unary }
//	unary   = "-" unary | "!" unary | primary
//	primary = number | "string" | 'field' | name | name "(" args ")" | "(" xor ")"
//
// Keywords are case-insensitive here. Field names may contain dots
// (Processes.dest); write a concatenation with spaces or quotes around.

func (p *parser) expr() (Expr, error) { return p.exprXor() }

func (p *parser) binaryLevel(next func() (Expr, error), ops ...string) (Expr, error) {
	l, err := next()
	if err != nil {
		return nil, err
	}
	for {
		at := p.pos
		op := ""
		for _, o := range ops {
			if p.keyword(o, true) {
				op = o
				break
			}
		}
		if op == "" {
			return l, nil
		}
		r, err := next()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: op, L: l, R: r, At: at}
	}
}

func (p *parser) exprXor() (Expr, error) { return p.binaryLevel(p.exprOr, "XOR") }
func (p *parser) exprOr() (Expr, error)  { return p.binaryLevel(p.exprAnd, "OR") }
func (p *parser) exprAnd() (Expr, error) { return p.binaryLevel(p.exprNot, "AND") }

func (p *parser) exprNot() (Expr, error) {
	p.skipSpace()
	at := p.pos
	if p.keyword("NOT", true) {
		x, err := p.exprNot()
		if err != nil {
			return nil, err
		}
		return &Unary{Op: "NOT", X: x, At: at}, nil
	}
	return p.exprCompare()
}

func (p *parser) exprCompare() (Expr, error) {
	l, err := p.exprConcat()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	at := p.pos
	if p.keyword("LIKE", true) {
		r, err := p.exprConcat()
		if err != nil {
			return nil, err
		}
		return &Binary{Op: "LIKE", L: l, R: r, At: at}, nil
	}
	if p.peekKeyword("IN", true) {
		save := p.pos
		p.keyword("IN", true)
		p.skipSpace()
		if p.peek() == '(' {
			args, err := p.args()
			if err != nil {
				return nil, err
			}
			return &InExpr{X: l, List: args, At: at}, nil
		}
		p.pos = save
	}
	rest := p.s[p.pos:p.end]
	for _, op := range []string{"==", "!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(rest, op) {
			p.pos += len(op)
			r, err := p.exprConcat()
			if err != nil {
				return nil, err
			}
			if op == "==" {
				op = "="
			}
			return &Binary{Op: op, L: l, R: r, At: at}, nil
		}
	}
	return l, nil
}

func (p *parser) exprConcat() (Expr, error) {
	l, err := p.exprMul()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		c := p.peek()
		if c != '+' && c != '-' && c != '.' {
			return l, nil
		}
		at := p.pos
		p.pos++
		r, err := p.exprMul()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: string(c), L: l, R: r, At: at}
	}
}

func (p *parser) exprMul() (Expr, error) {
	l, err := p.exprUnary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		c := p.peek()
		if c != '*' && c != '/' && c != '%' {
			return l, nil
		}
		at := p.pos
		p.pos++
		r, err := p.exprUnary()
		if err != nil {
			return nil, err
		}
		l = &Binary{Op: string(c), L: l, R: r, At: at}
	}
}

func (p *parser) exprUnary() (Expr, error) {
	p.skipSpace()
	at := p.pos
	switch p.peek() {
	case '-':
		p.pos++
		x, err := p.exprUnary()
		if err != nil {
			return nil, err
		}
		if n, ok := x.(*NumberLit); ok {
			return &NumberLit{Text: "-" + n.Text, Value: -n.Value, At: at}, nil
		}
		return &Unary{Op: "-", X: x, At: at}, nil
	case '!':
		if !strings.HasPrefix(p.s[p.pos:p.end], "!=") {
			p.pos++
			x, err := p.exprUnary()
			if err != nil {
				return nil, err
			}
			return &Unary{Op: "NOT", X: x, At: at}, nil
		}
	}
	return p.exprPrimary()
}

func isNameByte(c byte) bool {
	return isIdentByte(c) || c == '.' || c == '{' || c == '}' || c == '@' || c == ':'
}

func (p *parser) exprPrimary() (Expr, error) {
	p.skipSpace()
	at := p.pos
	c := p.peek()
	switch {
	case c == 0:
		return nil, p.errf(at, "unexpected end of expression")
	case c == '(':
		p.pos++
		e, err := p.exprXor()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.peek() != ')' {
			return nil, p.errf(at, "missing \")\" for \"(\"")
		}
		p.pos++
		return e, nil
	case c == '"':
		s, err := p.quoted()
		if err != nil {
			return nil, err
		}
		return &StringLit{Value: s, At: at}, nil
	case c == '\'':
		end := strings.IndexByte(p.s[p.pos+1:p.end], '\'')
		if end < 0 {
			return nil, p.errf(at, "unterminated single-quoted field name")
		}
		p.pos += end + 2
		return &FieldRef{Name: p.s[at+1 : at+1+end], At: at}, nil
	case c >= '0' && c <= '9':
		return p.number()
	case isNameByte(c) || c == '*':
		for p.pos < p.end && (isNameByte(p.s[p.pos]) || p.s[p.pos] == '*') {
			p.pos++
		}
		// A trailing dot belongs to a concatenation, not the name.
		for p.pos > at+1 && p.s[p.pos-1] == '.' {
			p.pos--
		}
		name := p.s[at:p.pos]
		// A name followed by "(" is a call, also with spaces between
		// (LIKE (x, "%y")): a field cannot precede a parenthesis.
		afterName := p.pos
		p.skipSpace()
		if p.peek() != '(' {
			p.pos = afterName
		}
		if p.peek() == '(' {
			args, err := p.args()
			if err != nil {
				return nil, err
			}
			return &Call{Name: strings.ToLower(name), Args: args, At: at}, nil
		}
		return &FieldRef{Name: name, At: at}, nil
	}
	return nil, p.errf(at, "unexpected %s in expression", p.describe())
}

func (p *parser) number() (Expr, error) {
	at := p.pos
	for p.pos < p.end {
		c := p.s[p.pos]
		if c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == 'x' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
			p.pos++
			continue
		}
		break
	}
	text := p.s[at:p.pos]
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		if n, err2 := strconv.ParseInt(text, 0, 64); err2 == nil {
			return &NumberLit{Text: text, Value: float64(n), At: at}, nil
		}
		// Not a number after all (a field name starting with a digit).
		for p.pos < p.end && isNameByte(p.s[p.pos]) {
			p.pos++
		}
		return &FieldRef{Name: p.s[at:p.pos], At: at}, nil
	}
	return &NumberLit{Text: text, Value: v, At: at}, nil
}

// args parses "(" [expr {"," expr}] ")".
func (p *parser) args() ([]Expr, error) {
	open := p.pos
	p.pos++
	var args []Expr
	for {
		p.skipSpace()
		if p.peek() == ')' {
			p.pos++
			return args, nil
		}
		if len(args) > 0 {
			if p.peek() != ',' {
				return nil, p.errf(p.pos, "unexpected %s in argument list, expected \",\" or \")\"", p.describe())
			}
			p.pos++
		}
		p.skipSpace()
		if p.pos >= p.end {
			return nil, p.errf(open, "missing \")\" for \"(\"")
		}
		e, err := p.exprXor()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
}
