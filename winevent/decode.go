package winevent

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/spelunk/spelunk/event"
)

// Format is a text format of Windows events.
type Format int

// Text formats the decoders read.
const (
	FormatUnknown Format = iota
	FormatXML            // <Event> records: one per line, pretty-printed, or in an <Events> wrapper
	FormatJSON           // JSON lines from NXLog im_msvistalog or Winlogbeat
	FormatClassic        // Splunk's classic WinEventLog text
	// FormatJSONObjects is JSON lines of any objects, flattened without
	// the Windows field mapping (Splunk's _json sourcetype). Detection
	// never picks it; callers choose it by sourcetype.
	FormatJSONObjects
)

func (f Format) String() string {
	switch f {
	case FormatXML:
		return "xml"
	case FormatJSON:
		return "json"
	case FormatJSONObjects:
		return "json objects"
	case FormatClassic:
		return "classic"
	}
	return "unknown"
}

// Problem is a record the decoder skipped.
type Problem struct {
	Offset int64  // byte offset of the record start in the UTF-8 text
	Line   int    // line of the record start, from 1
	Reason string // short category for counting, such as "malformed XML record"
	Err    error
}

func (p Problem) Error() string {
	return fmt.Sprintf("line %d (byte %d): %s: %v", p.Line, p.Offset, p.Reason, p.Err)
}

// Problem reasons.
const (
	ReasonMalformedXML   = "malformed XML record"
	ReasonTruncatedXML   = "truncated XML record"
	ReasonStrayText      = "text outside <Event> records"
	ReasonInvalidJSON    = "invalid JSON line"
	ReasonNotWindowsJSON = "JSON line is not a Windows event"
	ReasonClassicHeader  = "invalid classic event header"
	ReasonTooLarge       = "record too large"
)

// maxRecordSize caps one record (XML record, JSON line or classic event)
// held in memory. An EVTX record must fit in a 64 KiB chunk, so rendered
// Windows events stay far below this cap.
const maxRecordSize = 64 << 20

// EmitFunc receives each decoded event. An error stops decoding and is
// returned by the decoder unchanged.
type EmitFunc func(*event.Event) error

// ReportFunc receives each skipped record. It may be nil.
type ReportFunc func(Problem)

// Decode reads events of the given format from r. The text may start with
// a UTF-8 or UTF-16 byte order mark; UTF-16 is converted to UTF-8 first and
// offsets then count bytes of the converted text. It returns emit's error,
// or a read error.
func Decode(r io.Reader, f Format, emit EmitFunc, report ReportFunc) error {
	if report == nil {
		report = func(Problem) {}
	}
	r = NewUTF8Reader(r)
	switch f {
	case FormatXML:
		return DecodeXML(r, emit, report)
	case FormatJSON:
		return DecodeJSON(r, emit, report)
	case FormatClassic:
		return DecodeClassic(r, emit, report)
	case FormatJSONObjects:
		return DecodeJSONObjects(r, emit, report)
	}
	return fmt.Errorf("unknown event format %d", f)
}

// DetectFormat recognises a text format from the first bytes of a file
// (a few KiB are enough). Byte order marks and leading whitespace are
// skipped; UTF-16 text is recognised too.
func DetectFormat(head []byte) Format {
	head = toUTF8Head(head)
	head = bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(head) == 0:
		return FormatUnknown
	case head[0] == '<':
		if looksLikeEventXML(head) {
			return FormatXML
		}
	case head[0] == '{':
		return FormatJSON
	case isClassicStart(head):
		return FormatClassic
	}
	return FormatUnknown
}

// looksLikeEventXML accepts XML whose first element is <Event> or <Events>,
// after an optional declaration and comments.
func looksLikeEventXML(head []byte) bool {
	for len(head) > 0 {
		head = bytes.TrimLeft(head, " \t\r\n")
		switch {
		case bytes.HasPrefix(head, []byte("<?")):
			i := bytes.Index(head, []byte("?>"))
			if i < 0 {
				return false
			}
			head = head[i+2:]
		case bytes.HasPrefix(head, []byte("<!--")):
			i := bytes.Index(head, []byte("-->"))
			if i < 0 {
				return false
			}
			head = head[i+3:]
		default:
			return isEventTag(head, "<Event") || isEventTag(head, "<Events")
		}
	}
	return false
}

// isEventTag reports whether b starts with the tag name followed by the end
// of the name.
func isEventTag(b []byte, tag string) bool {
	if !bytes.HasPrefix(b, []byte(tag)) {
		return false
	}
	if len(b) == len(tag) {
		return true
	}
	c := b[len(tag)]
	return isSpace(c) || c == '>' || c == '/'
}

// toUTF8Head converts the start of a file to UTF-8 when it has a UTF-16
// byte order mark, and drops a UTF-8 one.
func toUTF8Head(head []byte) []byte {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return head[3:]
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return decodeUTF16(head[2:], false)
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return decodeUTF16(head[2:], true)
	}
	return head
}

func decodeUTF16(b []byte, bigEndian bool) []byte {
	units := make([]uint16, len(b)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			units[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	out := make([]byte, 0, len(units))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out
}

// NewUTF8Reader returns a reader of r's text as UTF-8: a UTF-8 byte order
// mark is dropped and UTF-16 text with a byte order mark is converted.
// Text without a byte order mark is passed through.
func NewUTF8Reader(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	bom, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(bom, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(bom, []byte{0xFF, 0xFE}):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br}
	case bytes.HasPrefix(bom, []byte{0xFE, 0xFF}):
		_, _ = br.Discard(2)
		return &utf16Reader{r: br, bigEndian: true}
	}
	return br
}

// utf16Reader converts a UTF-16 stream to UTF-8. Unpaired surrogates
// become U+FFFD.
type utf16Reader struct {
	r         io.Reader
	bigEndian bool
	in        []byte // undecoded bytes, at most one odd byte or a held high surrogate
	out       []byte // decoded bytes not yet returned
	err       error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			if len(u.in) > 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.in = nil
				continue
			}
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf16Reader) fill() {
	buf := make([]byte, 32<<10)
	n, err := u.r.Read(buf)
	u.err = err
	data := append(u.in, buf[:n]...)
	u.in = nil
	i := 0
	for ; i+1 < len(data); i += 2 {
		c := u.unit(data[i:])
		if utf16.IsSurrogate(rune(c)) && c < 0xDC00 {
			if i+3 >= len(data) {
				break // wait for the low surrogate
			}
			low := u.unit(data[i+2:])
			r := utf16.DecodeRune(rune(c), rune(low))
			if r != utf8.RuneError {
				u.out = utf8.AppendRune(u.out, r)
				i += 2
				continue
			}
		}
		if utf16.IsSurrogate(rune(c)) {
			u.out = utf8.AppendRune(u.out, utf8.RuneError)
			continue
		}
		u.out = utf8.AppendRune(u.out, rune(c))
	}
	u.in = append(u.in, data[i:]...)
}

func (u *utf16Reader) unit(b []byte) uint16 {
	if u.bigEndian {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}
