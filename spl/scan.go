package spl

import (
	"strings"
)

// parser reads one command segment [pos, end) of the expanded text.
type parser struct {
	x   *Expanded
	s   string
	pos int
	end int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.pos < p.end && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

func (p *parser) eof() bool {
	p.skipSpace()
	return p.pos >= p.end
}

func (p *parser) peek() byte {
	if p.pos >= p.end {
		return 0
	}
	return p.s[p.pos]
}

func (p *parser) errf(start int, format string, args ...any) *Error {
	end := start + 1
	if end > len(p.s) {
		end = len(p.s)
	}
	return p.x.Err(start, end, format, args...)
}

// describe names what is at the current position, for error messages.
func (p *parser) describe() string {
	p.skipSpace()
	if p.pos >= p.end {
		return "end of command"
	}
	w := p.s[p.pos:p.end]
	if i := strings.IndexAny(w, " \t\r\n"); i > 0 {
		w = w[:i]
	}
	if len(w) > 20 {
		w = w[:20] + "..."
	}
	return `"` + w + `"`
}

// isWordBoundary reports whether the byte at i ends a keyword.
func (p *parser) isWordBoundary(i int) bool {
	if i >= p.end {
		return true
	}
	c := p.s[i]
	return isSpace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '"'
}

// keyword consumes kw (case-sensitive unless fold) when it is a whole
// word at the current position.
func (p *parser) keyword(kw string, fold bool) bool {
	p.skipSpace()
	if p.pos+len(kw) > p.end {
		return false
	}
	w := p.s[p.pos : p.pos+len(kw)]
	if !(w == kw || fold && strings.EqualFold(w, kw)) || !p.isWordBoundary(p.pos+len(kw)) {
		return false
	}
	p.pos += len(kw)
	return true
}

// peekKeyword is keyword without consuming.
func (p *parser) peekKeyword(kw string, fold bool) bool {
	save := p.pos
	ok := p.keyword(kw, fold)
	p.pos = save
	return ok
}

// word reads one word: unquoted fragments and double-quoted fragments
// glued together until white space or a byte that stop accepts. Quoted
// fragments are unescaped (\\ and \" only; other escapes stay as
// written). quoted is true when the word was a single quoted fragment.
func (p *parser) word(stop func(byte) bool) (text string, quoted bool, start int, err error) {
	p.skipSpace()
	start = p.pos
	var b strings.Builder
	fragments := 0
	for p.pos < p.end {
		c := p.s[p.pos]
		if c == '"' {
			v, e := p.quoted()
			if e != nil {
				return "", false, start, e
			}
			b.WriteString(v)
			fragments++
			quoted = fragments == 1
			continue
		}
		if isSpace(c) || stop(c) {
			break
		}
		unquotedStart := p.pos
		for p.pos < p.end {
			c = p.s[p.pos]
			if c == '"' || isSpace(c) || stop(c) {
				break
			}
			if c == '\\' && p.pos+1 < p.end {
				p.pos++
			}
			p.pos++
		}
		b.WriteString(p.s[unquotedStart:p.pos])
		fragments++
		quoted = false
	}
	return b.String(), quoted && fragments == 1, start, nil
}

// quoted reads a double-quoted string at pos and returns it unescaped.
func (p *parser) quoted() (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < p.end {
		c := p.s[p.pos]
		switch {
		case c == '\\' && p.pos+1 < p.end:
			next := p.s[p.pos+1]
			if next == '\\' || next == '"' {
				b.WriteByte(next)
			} else {
				b.WriteByte(c)
				b.WriteByte(next)
			}
			p.pos += 2
		case c == '"':
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.x.Err(start, p.end, "unterminated quoted string")
}

// matchingBracket returns the index of the bracket closing the one at
// open, skipping quoted text, or -1.
func matchingBracket(s string, open, end int) int {
	depth := 0
	inQuote := false
	for i := open; i < end; i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			depth++
		case c == ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitPipes returns the [start, end) ranges of the commands of a
// pipeline in s[start:end], split on pipes outside quotes and brackets.
func splitPipes(s string, start, end int) [][2]int {
	var parts [][2]int
	depth, inQuote, from := 0, false, start
	for i := start; i < end; i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '[':
			depth++
		case c == ']':
			depth--
		case c == '|' && depth == 0:
			parts = append(parts, [2]int{from, i})
			from = i + 1
		}
	}
	return append(parts, [2]int{from, end})
}
