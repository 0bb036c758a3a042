package winevent

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/spelunk/spelunk/event"
)

// DecodeClassic reads Splunk's classic WinEventLog text. Every line that
// starts with a 12-hour timestamp ("08/30/2017 07:25:04 PM", one or two
// digits for month, day and hour) starts an event, whatever follows it on
// that line or the next, as Splunk's line breaking for this format does. A
// line that is a timestamp of another form (24-hour, ISO 8601) starts an
// event only when a "LogName=" line follows it. Key=Value header lines come
// next, then a "Message=" line whose text runs until the next event start.
// Header lines without '=' are ignored.
//
// Damaged events are kept with the fields they have: an event whose
// timestamp does not parse has no _time, and one without LogName has no
// source. Nothing is reported for them, because Splunk indexes them too.
//
// Fields: each header line by its key; Message exactly as written over its
// lines, with only the line endings after its last line removed; and for
// each message line after the first of the form "Label:<spaces or
// tabs>value", a field named after the label with every character other
// than a letter or digit replaced by '_' and leading '_' and digits
// removed ("Account Name" gives Account_Name). A repeated label becomes
// multivalue. Header lines and labels with empty values give no field.
//
// Metadata: source is WinEventLog:<LogName>, sourcetype WinEventLog, host
// ComputerName, and _time the timestamp line read as UTC, because the
// format carries no zone. _raw is the event's text.
func DecodeClassic(r io.Reader, emit EmitFunc, report ReportFunc) error {
	if report == nil {
		report = func(Problem) {}
	}
	d := classicDecoder{lr: newLineReader(r), emit: emit, report: report}
	return d.run()
}

type classicLine struct {
	text   string // without "\n"; a "\r" before it is kept
	offset int64
	number int
}

type classicDecoder struct {
	lr     *lineReader
	emit   EmitFunc
	report ReportFunc
	lines  []classicLine // lines of the current event
	held   *classicLine  // a timestamp line that may start the next event
	stray  bool          // inside reported text that belongs to no event
}

func (d *classicDecoder) run() error {
	for {
		l, err := d.lr.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return err
			}
			if d.held != nil {
				d.add(*d.held)
			}
			return d.flush()
		}
		cl := classicLine{text: string(l.text), offset: l.offset, number: l.number}
		if l.tooLong {
			cl.text = ""
			d.report(Problem{Offset: l.offset, Line: l.number, Reason: ReasonTooLarge,
				Err: errors.New("line too long, dropped from the event")})
		}
		if d.held != nil {
			held := *d.held
			d.held = nil
			if strings.HasPrefix(cl.text, "LogName=") {
				if err := d.flush(); err != nil {
					return err
				}
				d.stray = false
				d.lines = append(d.lines, held, cl)
				continue
			}
			d.add(held)
		}
		if twelveHourPrefix(cl.text) > 0 {
			if err := d.flush(); err != nil {
				return err
			}
			d.stray = false
			d.lines = append(d.lines, cl)
			continue
		}
		if isTimestampLine(cl.text) {
			d.held = &cl
			continue
		}
		d.add(cl)
	}
}

// add appends a line to the current event, or reports it as stray text
// when no event has started.
func (d *classicDecoder) add(l classicLine) {
	if len(d.lines) > 0 {
		d.lines = append(d.lines, l)
		return
	}
	if strings.TrimSpace(l.text) == "" || d.stray {
		return
	}
	d.stray = true
	d.report(Problem{Offset: l.offset, Line: l.number, Reason: ReasonStrayText,
		Err: errors.New("text before the first classic event header")})
}

// flush emits the current event.
func (d *classicDecoder) flush() error {
	if len(d.lines) == 0 {
		return nil
	}
	lines := d.lines
	d.lines = nil
	for len(lines) > 2 && strings.TrimRight(lines[len(lines)-1].text, "\r") == "" {
		lines = lines[:len(lines)-1]
	}
	return d.emit(classicEvent(lines))
}

func classicEvent(lines []classicLine) *event.Event {
	ev := &event.Event{Fields: make([]event.Field, 0, 32)}
	stamp := strings.TrimRight(lines[0].text, "\r")
	if n := twelveHourPrefix(stamp); n > 0 {
		stamp = stamp[:n]
	}
	if t, _, ok := parseAnyTime(stamp); ok {
		ev.SetTime(t)
	}
	msg := -1
	for i := 1; i < len(lines); i++ {
		text := strings.TrimRight(lines[i].text, "\r")
		if strings.HasPrefix(text, "Message=") {
			msg = i
			break
		}
		key, value, ok := strings.Cut(text, "=")
		if ok && key != "" && value != "" {
			ev.Add(key, value)
		}
	}
	if msg >= 0 {
		var b strings.Builder
		b.WriteString(strings.TrimPrefix(lines[msg].text, "Message="))
		for _, l := range lines[msg+1:] {
			b.WriteByte('\n')
			b.WriteString(l.text)
		}
		if m := strings.TrimRight(b.String(), "\r\n"); m != "" {
			ev.Add("Message", m)
		}
		for _, l := range lines[msg+1:] {
			if key, value, ok := labelField(l.text); ok {
				ev.Add(key, value)
			}
		}
	}

	computer, _ := ev.Value("ComputerName")
	if computer != "" {
		ev.Set(event.HostField, computer)
	}
	if logName, ok := ev.Value("LogName"); ok {
		ev.Set(event.SourceField, ClassicSourcetype+":"+logName)
	}
	ev.Set(event.SourcetypeField, ClassicSourcetype)
	alias(ev, "dest", "ComputerName")
	alias(ev, "dvc", "ComputerName")
	alias(ev, "dvc_nt_host", event.HostField)
	alias(ev, "event_id", "RecordNumber")
	alias(ev, "id", "RecordNumber")
	alias(ev, "category", "TaskCategory")
	alias(ev, "signature_id", "EventCode")
	ev.Set("vendor_product", vendorProduct)

	var raw strings.Builder
	for i, l := range lines {
		if i > 0 {
			raw.WriteByte('\n')
		}
		raw.WriteString(l.text)
	}
	ev.Set(event.RawField, strings.TrimRight(raw.String(), "\r\n"))
	return ev
}

// labelField parses a "Label:<spaces or tabs>value" message line.
func labelField(text string) (key, value string, ok bool) {
	text = strings.TrimRight(text, "\r")
	colon := strings.IndexByte(text, ':')
	if colon <= 0 || colon+1 >= len(text) {
		return "", "", false
	}
	if c := text[colon+1]; c != ' ' && c != '\t' {
		return "", "", false
	}
	key = cleanKey(text[:colon])
	value = strings.TrimLeft(text[colon+1:], " \t")
	if key == "" || value == "" {
		return "", "", false
	}
	return key, value, true
}

// cleanKey applies Splunk's key cleaning: characters other than ASCII
// letters and digits become '_', then leading '_' and digits are removed.
func cleanKey(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return strings.TrimLeft(string(b), "_0123456789")
}

// isTimestampLine reports whether a whole line is one timestamp.
func isTimestampLine(text string) bool {
	text = strings.TrimRight(text, "\r")
	if len(text) < len("1/2/2006 15:04:05") || len(text) > 40 {
		return false
	}
	c := text[0]
	if c < '0' || c > '9' {
		return false
	}
	_, _, ok := parseAnyTime(text)
	return ok
}

// twelveHourPrefix returns the length of the timestamp text starts with,
// of the shape M/D/YYYY h:mm:ss AM or PM, each of M, D and h one or two
// digits and the year two to four, or 0. The values need not be a valid
// date.
func twelveHourPrefix(text string) int {
	i := 0
	digits := func(lo, hi int) bool {
		n := 0
		for i < len(text) && n < hi && text[i] >= '0' && text[i] <= '9' {
			i++
			n++
		}
		return n >= lo
	}
	lit := func(c byte) bool {
		if i < len(text) && text[i] == c {
			i++
			return true
		}
		return false
	}
	if !(digits(1, 2) && lit('/') && digits(1, 2) && lit('/') && digits(2, 4) && lit(' ') &&
		digits(1, 2) && lit(':') && digits(2, 2) && lit(':') && digits(2, 2) && lit(' ')) {
		return 0
	}
	if i+2 > len(text) {
		return 0
	}
	if ampm := strings.ToUpper(text[i : i+2]); ampm != "AM" && ampm != "PM" {
		return 0
	}
	return i + 2
}

// isClassicStart reports whether text starts with a classic event: a
// timestamp line followed by a LogName= line.
func isClassicStart(head []byte) bool {
	first, rest, ok := bytes.Cut(head, []byte("\n"))
	if !ok || !isTimestampLine(string(first)) {
		return false
	}
	return bytes.HasPrefix(rest, []byte("LogName="))
}
