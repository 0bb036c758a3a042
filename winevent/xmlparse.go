package winevent

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/spelunk/spelunk/winxml"
)

// maxDepth limits element nesting in one record. Windows events nest four
// or five levels deep; the limit only stops hostile input from exhausting
// the stack.
const maxDepth = 64

// SyntaxError is a malformed XML record. Offset counts bytes from the
// start of the record.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("byte %d of record: %s", e.Offset, e.Msg)
}

// ParseEvent parses one <Event> element. Text and attribute values are
// kept exactly as written: entities such as "&lt;" stay undecoded, the form
// Splunk's Windows add-on extracts from. CDATA sections become text with
// "&", "<" and ">" escaped, so values keep that form whatever the input.
// Whitespace-only text beside child elements (indentation) is dropped.
func ParseEvent(data []byte) (*winxml.Node, error) {
	p := xmlParser{data: data}
	p.skipMisc()
	if p.pos >= len(p.data) || p.data[p.pos] != '<' {
		return nil, p.errorf("expected <Event>")
	}
	root, err := p.element(0)
	if err != nil {
		return nil, err
	}
	if root.Name != "Event" {
		return nil, &SyntaxError{Offset: 0, Msg: fmt.Sprintf("root element is <%s>, expected <Event>", root.Name)}
	}
	p.skipMisc()
	if p.pos < len(p.data) {
		return nil, p.errorf("unexpected text after </Event>")
	}
	return root, nil
}

type xmlParser struct {
	data []byte
	pos  int
}

func (p *xmlParser) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

// skipMisc skips whitespace, comments and processing instructions.
func (p *xmlParser) skipMisc() {
	for {
		p.skipSpace()
		rest := p.data[p.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			p.skipPast("?>")
		case bytes.HasPrefix(rest, []byte("<!--")):
			p.skipPast("-->")
		default:
			return
		}
	}
}

func (p *xmlParser) skipPast(end string) bool {
	i := bytes.Index(p.data[p.pos:], []byte(end))
	if i < 0 {
		p.pos = len(p.data)
		return false
	}
	p.pos += i + len(end)
	return true
}

func (p *xmlParser) skipSpace() {
	for p.pos < len(p.data) && isSpace(p.data[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == ':' || c == '-' || c == '.' || c >= 0x80
}

func (p *xmlParser) name() string {
	start := p.pos
	for p.pos < len(p.data) && isNameByte(p.data[p.pos]) {
		p.pos++
	}
	return string(p.data[start:p.pos])
}

// element parses an element starting at '<'.
func (p *xmlParser) element(depth int) (*winxml.Node, error) {
	if depth > maxDepth {
		return nil, p.errorf("elements nested deeper than %d levels", maxDepth)
	}
	p.pos++ // '<'
	n := &winxml.Node{Name: p.name()}
	if n.Name == "" {
		return nil, p.errorf("missing element name after '<'")
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unterminated start tag <%s", n.Name)
		}
		switch p.data[p.pos] {
		case '/':
			p.pos++
			if p.pos >= len(p.data) || p.data[p.pos] != '>' {
				return nil, p.errorf("expected '>' after '/' in <%s", n.Name)
			}
			p.pos++
			return n, nil
		case '>':
			p.pos++
			if err := p.content(n, depth); err != nil {
				return nil, err
			}
			return n, nil
		default:
			a, err := p.attr(n.Name)
			if err != nil {
				return nil, err
			}
			n.Attrs = append(n.Attrs, a)
		}
	}
}

func (p *xmlParser) attr(elem string) (winxml.Attr, error) {
	name := p.name()
	if name == "" {
		return winxml.Attr{}, p.errorf("invalid character %q in <%s>", p.data[p.pos], elem)
	}
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '=' {
		return winxml.Attr{}, p.errorf("expected '=' after attribute %s in <%s>", name, elem)
	}
	p.pos++
	p.skipSpace()
	if p.pos >= len(p.data) || (p.data[p.pos] != '\'' && p.data[p.pos] != '"') {
		return winxml.Attr{}, p.errorf("expected quoted value for attribute %s in <%s>", name, elem)
	}
	quote := p.data[p.pos]
	p.pos++
	end := bytes.IndexByte(p.data[p.pos:], quote)
	if end < 0 {
		return winxml.Attr{}, p.errorf("unterminated value of attribute %s in <%s>", name, elem)
	}
	value := p.data[p.pos : p.pos+end]
	if i := bytes.IndexByte(value, '<'); i >= 0 {
		p.pos += i
		return winxml.Attr{}, p.errorf("'<' in value of attribute %s in <%s>", name, elem)
	}
	p.pos += end + 1
	return winxml.Attr{Name: name, Value: string(value)}, nil
}

// content parses character data and child elements up to n's end tag.
func (p *xmlParser) content(n *winxml.Node, depth int) error {
	var text textAccumulator
	for {
		lt := bytes.IndexByte(p.data[p.pos:], '<')
		if lt < 0 {
			p.pos = len(p.data)
			return p.errorf("missing </%s>", n.Name)
		}
		text.add(p.data[p.pos : p.pos+lt])
		p.pos += lt
		rest := p.data[p.pos:]
		switch {
		case bytes.HasPrefix(rest, []byte("</")):
			p.pos += 2
			if name := p.name(); name != n.Name {
				return p.errorf("end tag </%s> does not match <%s>", name, n.Name)
			}
			p.skipSpace()
			if p.pos >= len(p.data) || p.data[p.pos] != '>' {
				return p.errorf("expected '>' to close </%s>", n.Name)
			}
			p.pos++
			setText(n, text.bytes())
			return nil
		case bytes.HasPrefix(rest, []byte("<!--")):
			if !p.skipPast("-->") {
				return p.errorf("unterminated comment in <%s>", n.Name)
			}
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			p.pos += len("<![CDATA[")
			end := bytes.Index(p.data[p.pos:], []byte("]]>"))
			if end < 0 {
				return p.errorf("unterminated CDATA section in <%s>", n.Name)
			}
			text.add([]byte(escapeText(string(p.data[p.pos : p.pos+end]))))
			p.pos += end + len("]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			if !p.skipPast("?>") {
				return p.errorf("unterminated processing instruction in <%s>", n.Name)
			}
		default:
			child, err := p.element(depth + 1)
			if err != nil {
				return err
			}
			n.Children = append(n.Children, child)
		}
	}
}

// textAccumulator collects an element's text pieces, copying only when
// there is more than one.
type textAccumulator struct {
	first  []byte
	joined []byte
	pieces int
}

func (a *textAccumulator) add(b []byte) {
	if len(b) == 0 {
		return
	}
	a.pieces++
	switch a.pieces {
	case 1:
		a.first = b
		return
	case 2:
		a.joined = append(a.joined, a.first...)
	}
	a.joined = append(a.joined, b...)
}

func (a *textAccumulator) bytes() []byte {
	if a.pieces > 1 {
		return a.joined
	}
	return a.first
}

func setText(n *winxml.Node, text []byte) {
	if len(text) == 0 {
		return
	}
	if len(n.Children) > 0 && len(bytes.TrimLeft(text, " \t\r\n")) == 0 {
		return
	}
	n.Text = []string{string(text)}
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeText escapes character data the way Windows renders event XML:
// "&", "<" and ">" become entities and quotes stay literal.
func escapeText(s string) string { return textEscaper.Replace(s) }
