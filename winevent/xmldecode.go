package winevent

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/spelunk/spelunk/event"
)

// DecodeXML reads <Event> records from UTF-8 text: one per line as a Splunk
// forwarder stores them, pretty-printed over several lines, or concatenated,
// optionally inside an <Events> wrapper as `wevtutil qe /f:xml` writes
// them, after an optional XML declaration. Each record becomes one event
// through FromNode, with _raw set to the record's text as written.
//
// A malformed record is reported and skipped. A record that lacks its
// </Event> end tag ends where the next <Event> starts, so one truncated
// record costs only itself. When reading r fails, every record before the
// failure is emitted and the read error is returned; the record the
// failure cut short is not reported separately.
func DecodeXML(r io.Reader, emit EmitFunc, report ReportFunc) error {
	if report == nil {
		report = func(Problem) {}
	}
	s := &xmlSplitter{r: r, line: 1}
	for {
		rec, err := s.next(report)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		root, perr := ParseEvent(rec.text)
		if perr != nil {
			report(Problem{Offset: rec.offset, Line: rec.line, Reason: ReasonMalformedXML, Err: perr})
			continue
		}
		ev := FromNode(root)
		ev.Set(event.RawField, string(rec.text))
		if err := emit(ev); err != nil {
			return err
		}
	}
}

type xmlRecord struct {
	text   []byte
	offset int64
	line   int
}

// xmlSplitter cuts a stream into <Event> records without parsing them.
// Event text never contains a raw '<', so "</Event>" and "<Event" can only
// be markup.
type xmlSplitter struct {
	r    io.Reader
	buf  []byte
	pos  int   // start of unconsumed bytes in buf
	base int64 // stream offset of buf[0]
	line int   // line number at buf[pos]
	eof  bool
	err  error // read error other than io.EOF
}

// fill reads more input. It returns false at the end of input.
func (s *xmlSplitter) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 && s.pos >= len(s.buf)/2 {
		n := copy(s.buf, s.buf[s.pos:])
		s.buf = s.buf[:n]
		s.base += int64(s.pos)
		s.pos = 0
	}
	if cap(s.buf)-len(s.buf) < 64<<10 {
		grown := make([]byte, len(s.buf), 2*cap(s.buf)+256<<10)
		copy(grown, s.buf)
		s.buf = grown
	}
	n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		s.eof = true
		if !errors.Is(err, io.EOF) {
			s.err = err
		}
	}
	return n > 0 || !s.eof
}

// consume advances past n bytes, counting lines.
func (s *xmlSplitter) consume(n int) {
	s.line += bytes.Count(s.buf[s.pos:s.pos+n], []byte{'\n'})
	s.pos += n
}

// need makes at least n unconsumed bytes available if the input has them.
func (s *xmlSplitter) need(n int) {
	for len(s.buf)-s.pos < n && s.fill() {
	}
}

// next returns the next record, reporting and skipping text that is not a
// record. It returns io.EOF at the end of input.
func (s *xmlSplitter) next(report ReportFunc) (xmlRecord, error) {
	for {
		if err := s.skipBetween(report); err != nil {
			return xmlRecord{}, err
		}
		rec, ok := s.record(report)
		if ok {
			return rec, nil
		}
	}
}

// skipBetween skips whitespace, the XML declaration, comments and the
// <Events> wrapper tags up to the next <Event start tag.
func (s *xmlSplitter) skipBetween(report ReportFunc) error {
	for {
		s.need(16)
		rest := s.buf[s.pos:]
		trimmed := bytes.TrimLeft(rest, " \t\r\n")
		s.consume(len(rest) - len(trimmed))
		rest = trimmed
		if len(rest) == 0 {
			if !s.fill() {
				if s.err != nil {
					return fmt.Errorf("read: %w", s.err)
				}
				return io.EOF
			}
			continue
		}
		switch {
		case isEventTag(rest, "<Event"):
			return nil
		case bytes.HasPrefix(rest, []byte("<?")):
			s.skipPast("?>", report)
		case bytes.HasPrefix(rest, []byte("<!--")):
			s.skipPast("-->", report)
		case isEventTag(rest, "<Events"), isEventTag(rest, "</Events"), bytes.HasPrefix(rest, []byte("<!")):
			s.skipPast(">", report)
		default:
			s.skipStray(report)
		}
	}
}

// skipPast consumes input through the next occurrence of end.
func (s *xmlSplitter) skipPast(end string, report ReportFunc) {
	from := 0
	for {
		i := bytes.Index(s.buf[s.pos+from:], []byte(end))
		if i >= 0 {
			s.consume(from + i + len(end))
			return
		}
		from = max(0, len(s.buf)-s.pos-len(end))
		if !s.fill() {
			if s.err == nil {
				report(Problem{Offset: s.base + int64(s.pos), Line: s.line, Reason: ReasonStrayText,
					Err: fmt.Errorf("unterminated markup, expected %q", end)})
			}
			s.consume(len(s.buf) - s.pos)
			return
		}
	}
}

// skipStray reports text that is not part of a record and skips to the
// next '<'.
func (s *xmlSplitter) skipStray(report ReportFunc) {
	offset, line := s.base+int64(s.pos), s.line
	snippet := s.buf[s.pos:min(len(s.buf), s.pos+40)]
	report(Problem{Offset: offset, Line: line, Reason: ReasonStrayText,
		Err: fmt.Errorf("unexpected text %q", snippet)})
	s.consume(1)
	for {
		if i := bytes.IndexByte(s.buf[s.pos:], '<'); i >= 0 {
			s.consume(i)
			return
		}
		s.consume(len(s.buf) - s.pos)
		if !s.fill() {
			return
		}
	}
}

// record cuts the record starting at pos. It reports false after
// reporting a record it had to drop.
func (s *xmlSplitter) record(report ReportFunc) (xmlRecord, bool) {
	const endTag = "</Event>"
	offset, line := s.base+int64(s.pos), s.line
	from := len("<Event")
	for {
		rest := s.buf[s.pos:]
		end := bytes.Index(rest[from:], []byte(endTag))
		limit := len(rest)
		if end >= 0 {
			limit = from + end
		}
		if next := nextEventStart(rest[from:limit]); next >= 0 {
			n := from + next
			report(Problem{Offset: offset, Line: line, Reason: ReasonTruncatedXML,
				Err: errors.New("missing </Event> before the next <Event>")})
			s.consume(n)
			return xmlRecord{}, false
		}
		if end >= 0 {
			n := from + end + len(endTag)
			rec := xmlRecord{text: rest[:n], offset: offset, line: line}
			s.consume(n)
			return rec, true
		}
		if len(rest) > maxRecordSize {
			report(Problem{Offset: offset, Line: line, Reason: ReasonTooLarge,
				Err: fmt.Errorf("record exceeds %d bytes", maxRecordSize)})
			s.consume(len(rest))
			return xmlRecord{}, false
		}
		from = max(len("<Event"), len(rest)-len(endTag))
		if !s.fill() {
			// A read error is returned once, by skipBetween, so the record it
			// cut short is not reported a second time.
			if s.err == nil {
				report(Problem{Offset: offset, Line: line, Reason: ReasonTruncatedXML,
					Err: errors.New("input ends before </Event>")})
			}
			s.consume(len(s.buf) - s.pos)
			return xmlRecord{}, false
		}
	}
}

// nextEventStart finds an <Event start tag in b, or returns -1. A match at
// the very end of b does not count, because the byte after it is unknown.
func nextEventStart(b []byte) int {
	off := 0
	for {
		i := bytes.Index(b[off:], []byte("<Event"))
		if i < 0 {
			return -1
		}
		if at := b[off+i:]; len(at) > len("<Event") && isEventTag(at, "<Event") {
			return off + i
		}
		off += i + 1
	}
}
