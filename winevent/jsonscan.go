package winevent

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/spelunk/spelunk/event"
)

// jsonScanner flattens one JSON object without encoding/json's token
// API, which allocates an interface value per token and dominates the
// cost of reading JSON lines. It accepts exactly RFC 8259 JSON and
// decodes strings as encoding/json does (invalid UTF-8 and unpaired
// surrogates become U+FFFD).
type jsonScanner struct {
	data []byte
	pos  int
}

var errJSONEnd = errors.New("line ends inside a JSON value")

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", s.pos, fmt.Sprintf(format, args...))
}

// flatten adds the fields of the object that makes up the whole data.
func (s *jsonScanner) flatten(ev *event.Event) error {
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return fmt.Errorf("line is not a JSON object")
	}
	s.pos++
	if err := s.object(ev, "", 0); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(s.data) {
		return fmt.Errorf("unexpected data after the JSON object")
	}
	return nil
}

// object reads members after an opening brace, through the closing one.
func (s *jsonScanner) object(ev *event.Event, prefix string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.skipSpace()
		if s.pos >= len(s.data) {
			return errJSONEnd
		}
		if s.data[s.pos] != '"' {
			return s.errorf("expected a member name")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return errJSONEnd
		}
		if s.data[s.pos] != ':' {
			return s.errorf("expected ':' after a member name")
		}
		s.pos++
		// Reserved top-level keys lose their scalar values but keep their
		// members: Winlogbeat's "host" object still gives host.name.
		reserved := prefix == "" && reservedJSONKeys[key]
		if err := s.value(ev, prefix+key, reserved, depth); err != nil {
			return err
		}
		if done, err := s.separator('}', "an object member"); done || err != nil {
			return err
		}
	}
}

// separator reads the ',' or the closing byte after an element; done is
// true at the closing byte.
func (s *jsonScanner) separator(closing byte, element string) (done bool, err error) {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return false, errJSONEnd
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return false, nil
	case closing:
		s.pos++
		return true, nil
	}
	return false, s.errorf("expected ',' or '%c' after %s", closing, element)
}

// value reads one value and adds it under name; scalars of a reserved
// name are discarded.
func (s *jsonScanner) value(ev *event.Event, name string, reserved bool, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	s.skipSpace()
	if s.pos >= len(s.data) {
		return errJSONEnd
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		s.pos++
		return s.object(ev, name+".", depth+1)
	case c == '[':
		s.pos++
		return s.array(ev, name, reserved, depth+1)
	case c == '"':
		v, err := s.str()
		if err != nil {
			return err
		}
		if !reserved {
			addValue(ev, name, v)
		}
	case c == '-' || c >= '0' && c <= '9':
		v, err := s.number()
		if err != nil {
			return err
		}
		if !reserved {
			addValue(ev, name, v)
		}
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(string(s.data[s.pos:min(len(s.data), s.pos+5)]), lit) {
				s.pos += len(lit)
				if lit != "null" && !reserved {
					addValue(ev, name, lit)
				}
				return nil
			}
		}
		rest := string(s.data[s.pos:])
		if strings.HasPrefix("true", rest) || strings.HasPrefix("false", rest) || strings.HasPrefix("null", rest) {
			return errJSONEnd
		}
		return s.errorf("unexpected character %q", c)
	}
	return nil
}

func (s *jsonScanner) array(ev *event.Event, name string, reserved bool, depth int) error {
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(ev, name, reserved, depth); err != nil {
			return err
		}
		if done, err := s.separator(']', "an array element"); done || err != nil {
			return err
		}
	}
}

// number returns a number's text as written, after checking its syntax.
func (s *jsonScanner) number() (string, error) {
	start := s.pos
	digits := func() int {
		n := 0
		for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos >= len(s.data) {
		return "", errJSONEnd
	}
	if s.data[s.pos] == '0' {
		s.pos++
	} else if digits() == 0 {
		return "", s.errorf("invalid number")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			if s.pos >= len(s.data) {
				return "", errJSONEnd
			}
			return "", s.errorf("invalid number")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			if s.pos >= len(s.data) {
				return "", errJSONEnd
			}
			return "", s.errorf("invalid number")
		}
	}
	return string(s.data[start:s.pos]), nil
}

// str reads a string at the opening quote and returns it unescaped.
func (s *jsonScanner) str() (string, error) {
	s.pos++
	start := s.pos
	// Fast path: no escapes, no control characters, valid UTF-8.
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == '"' {
			raw := s.data[start:s.pos]
			s.pos++
			if utf8.Valid(raw) {
				return string(raw), nil
			}
			return replaceInvalidUTF8(string(raw)), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		s.pos++
	}
	var b strings.Builder
	b.Write(s.data[start:s.pos])
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return replaceInvalidUTF8(b.String()), nil
		case c < 0x20:
			return "", s.errorf("control character in string")
		case c != '\\':
			b.WriteByte(c)
			s.pos++
			continue
		}
		if s.pos+1 >= len(s.data) {
			return "", errJSONEnd
		}
		esc := s.data[s.pos+1]
		s.pos += 2
		switch esc {
		case '"', '\\', '/':
			b.WriteByte(esc)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate pairs with an immediately following \u low one.
				if s.pos+6 <= len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
					save := s.pos
					s.pos += 2
					r2, err := s.hex4()
					if err == nil {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b.WriteRune(dec)
							continue
						}
					}
					s.pos = save
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			return "", s.errorf("invalid escape \\%c", esc)
		}
	}
	return "", errJSONEnd
}

func (s *jsonScanner) hex4() (rune, error) {
	if s.pos+4 > len(s.data) {
		return 0, errJSONEnd
	}
	var r rune
	for _, c := range s.data[s.pos : s.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, s.errorf("invalid \\u escape")
		}
	}
	s.pos += 4
	return r, nil
}

// replaceInvalidUTF8 replaces each byte that is not part of a valid UTF-8
// sequence with U+FFFD, as encoding/json does.
func replaceInvalidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
