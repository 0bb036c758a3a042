package winevent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spelunk/spelunk/event"
)

// DecodeJSON reads JSON lines, one Windows event object per line, as NXLog
// (im_msvistalog) or Winlogbeat write them, and maps both onto the field
// names of the XML form (see mapNXLog and mapWinlogbeat). Values are taken
// as written: JSON strings are unescaped and never XML-escaped, numbers keep
// their text, arrays become multivalue fields, nested objects flatten to
// dotted names, and nulls and empty strings give no field. _raw is the line
// without its line ending.
//
// Blank lines are skipped silently; invalid JSON and objects that are not
// Windows events are reported and skipped.
func DecodeJSON(r io.Reader, emit EmitFunc, report ReportFunc) error {
	return decodeJSONLines(r, emit, report, func(text []byte) (*event.Event, string, error) {
		ev, err := jsonEvent(text)
		if errors.Is(err, errNotWindows) {
			return nil, ReasonNotWindowsJSON, err
		}
		return ev, ReasonInvalidJSON, err
	})
}

// decodeJSONLines reads JSON lines and emits the event build makes of
// each non-blank one. A line build rejects is reported under the reason
// it returns, and so is a line over maxRecordSize.
func decodeJSONLines(r io.Reader, emit EmitFunc, report ReportFunc, build func(text []byte) (*event.Event, string, error)) error {
	if report == nil {
		report = func(Problem) {}
	}
	lr := newLineReader(r)
	for {
		line, err := lr.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if line.tooLong {
			report(Problem{Offset: line.offset, Line: line.number, Reason: ReasonTooLarge,
				Err: fmt.Errorf("line exceeds %d bytes", maxRecordSize)})
			continue
		}
		text := bytes.TrimRight(line.text, "\r")
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		ev, reason, perr := build(text)
		if perr != nil {
			report(Problem{Offset: line.offset, Line: line.number, Reason: reason, Err: perr})
			continue
		}
		if err := emit(ev); err != nil {
			return err
		}
	}
}

var errNotWindows = errors.New("object has no EventID, Channel or winlog.* field")

// jsonEvent flattens one JSON object and maps it to Windows field names.
func jsonEvent(line []byte) (*event.Event, error) {
	ev := &event.Event{Fields: make([]event.Field, 0, 48)}
	if err := flattenJSON(ev, line); err != nil {
		return nil, err
	}
	switch {
	case hasPrefixField(ev, "winlog."):
		mapWinlogbeat(ev)
	case ev.Has("EventID") || ev.Has("Channel"):
		mapNXLog(ev)
	default:
		return nil, errNotWindows
	}
	computer, _ := ev.Value("Computer")
	channel, _ := ev.Value("Channel")
	setMetadata(ev, computer, channel)
	addDerived(ev)
	ev.Set(event.RawField, string(line))
	return ev, nil
}

// reservedJSONKeys are top-level keys that would collide with Splunk's
// metadata fields. They are dropped: host, source and sourcetype come from
// the event itself. NXLog output forwarded through Logstash carries a
// "host" key naming the collector, not the computer that logged the event.
var reservedJSONKeys = map[string]bool{
	event.HostField: true, event.SourceField: true, event.SourcetypeField: true,
	event.TimeField: true, event.RawField: true, "index": true,
}

// flattenJSON adds the fields of one JSON object to ev in document order.
func flattenJSON(ev *event.Event, data []byte) error {
	s := jsonScanner{data: data}
	return s.flatten(ev)
}

func addValue(ev *event.Event, name, value string) {
	if name != "" && value != "" {
		ev.Add(name, value)
	}
}

func hasPrefixField(ev *event.Event, prefix string) bool {
	for _, f := range ev.Fields {
		if strings.HasPrefix(f.Name, prefix) {
			return true
		}
	}
	return false
}

// copyIfAbsent sets target from source unless target already exists.
func copyIfAbsent(ev *event.Event, target, source string) {
	if ev.Has(target) {
		return
	}
	if v := ev.Values(source); len(v) > 0 {
		ev.Set(target, append([]string(nil), v...)...)
	}
}

// mapNXLog adds the XML field names to an NXLog im_msvistalog object. NXLog
// writes the System values under its own names (Hostname, SourceName,
// RecordNumber, ExecutionProcessID) and the EventData values at top level
// under their XML names, so those need no mapping. Every key is also kept
// as written.
func mapNXLog(ev *event.Event) {
	copyIfAbsent(ev, "EventCode", "EventID")
	copyIfAbsent(ev, "Computer", "Hostname")
	copyIfAbsent(ev, "EventRecordID", "RecordNumber")
	copyIfAbsent(ev, "Name", "SourceName")
	copyIfAbsent(ev, "Guid", "ProviderGuid")
	copyIfAbsent(ev, "ProcessID", "ExecutionProcessID")
	if t, ok := nxlogTime(ev); ok {
		ev.Set(event.TimeField, event.FormatEpoch(t))
	}
}

// nxlogTime chooses _time for an NXLog object:
//
//  1. TimeCreated or EventTime when it carries a zone;
//  2. EventTime or TimeCreated without a zone, converted with the zone
//     offset that @timestamp (UTC arrival time) and EventReceivedTime (the
//     same instant in the collector's local time) imply, rounded to 15
//     minutes;
//  3. @timestamp, which is UTC but taken on arrival, usually within a
//     second or two of the event;
//  4. TimeCreated, EventTime or EventReceivedTime without a zone, read as
//     UTC.
func nxlogTime(ev *event.Event) (time.Time, bool) {
	var local time.Time
	haveLocal := false
	for _, name := range []string{"TimeCreated", "EventTime"} {
		v, ok := ev.Value(name)
		if !ok {
			continue
		}
		t, zoned, ok := parseAnyTime(v)
		if !ok {
			continue
		}
		if zoned {
			return t, true
		}
		if !haveLocal {
			local, haveLocal = t, true
		}
	}
	arrival, haveArrival := fieldTime(ev, "@timestamp", true)
	received, haveReceived := fieldTime(ev, "EventReceivedTime", false)
	if haveLocal && haveArrival && haveReceived {
		offset := received.Sub(arrival).Round(15 * time.Minute)
		if offset.Abs() <= 14*time.Hour {
			return local.Add(-offset), true
		}
	}
	if haveArrival {
		return arrival, true
	}
	if haveLocal {
		return local, true
	}
	if haveReceived {
		return received, true
	}
	return time.Time{}, false
}

// fieldTime parses a field as a time with a zone (zoned) or without one.
func fieldTime(ev *event.Event, name string, zoned bool) (time.Time, bool) {
	v, ok := ev.Value(name)
	if !ok {
		return time.Time{}, false
	}
	t, hasZone, ok := parseAnyTime(v)
	if !ok || hasZone != zoned {
		return time.Time{}, false
	}
	return t, true
}

// winlogbeatNames maps Winlogbeat (ECS) fields to the XML field names.
var winlogbeatNames = []struct{ xml, ecs string }{
	{"EventID", "winlog.event_id"},
	{"EventID", "event.code"},
	{"Computer", "winlog.computer_name"},
	{"Computer", "host.name"},
	{"Channel", "winlog.channel"},
	{"EventRecordID", "winlog.record_id"},
	{"UserID", "winlog.user.identifier"},
	{"Name", "winlog.provider_name"},
	{"Name", "event.provider"},
	{"Guid", "winlog.provider_guid"},
	{"ProcessID", "winlog.process.pid"},
	{"ThreadID", "winlog.process.thread.id"},
	{"ActivityID", "winlog.activity_id"},
	{"RelatedActivityID", "winlog.related_activity_id"},
	{"Version", "winlog.version"},
	{"Message", "message"},
}

// mapWinlogbeat renames winlog.event_data.* and winlog.user_data.* to their
// bare names, as the XML form names Data and UserData values, and adds the
// XML names of the System values. Other keys stay as written. _time is
// @timestamp (the event's creation time), else winlog.time_created, else
// event.created (when Winlogbeat read the event).
func mapWinlogbeat(ev *event.Event) {
	for i := range ev.Fields {
		f := &ev.Fields[i]
		for _, prefix := range []string{"winlog.event_data.", "winlog.user_data."} {
			if strings.HasPrefix(f.Name, prefix) && len(f.Name) > len(prefix) {
				f.Name = f.Name[len(prefix):]
			}
		}
	}
	mergeDuplicateNames(ev)
	for _, m := range winlogbeatNames {
		copyIfAbsent(ev, m.xml, m.ecs)
	}
	copyIfAbsent(ev, "EventCode", "EventID")
	for _, name := range []string{"@timestamp", "winlog.time_created", "event.created"} {
		if t, ok := fieldTime(ev, name, true); ok {
			ev.Set(event.TimeField, event.FormatEpoch(t))
			break
		}
	}
}

// mergeDuplicateNames joins fields that renaming gave the same name into
// one multivalue field at the first one's position.
func mergeDuplicateNames(ev *event.Event) {
	seen := make(map[string]int, len(ev.Fields))
	out := ev.Fields[:0]
	for _, f := range ev.Fields {
		if j, ok := seen[f.Name]; ok {
			out[j].Values = append(out[j].Values, f.Values...)
			continue
		}
		seen[f.Name] = len(out)
		out = append(out, f)
	}
	ev.Fields = out
}

// line is one line of input without its "\n".
type line struct {
	text    []byte
	offset  int64
	number  int
	tooLong bool
}

// lineReader reads lines of any length up to maxRecordSize.
type lineReader struct {
	br     *bufio.Reader
	offset int64
	number int
	buf    []byte
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 256<<10)}
}

// next returns the next line; the text is valid until the next call.
func (lr *lineReader) next() (line, error) {
	lr.buf = lr.buf[:0]
	l := line{offset: lr.offset, number: lr.number + 1}
	size := 0
	for {
		chunk, err := lr.br.ReadSlice('\n')
		size += len(chunk)
		if size <= maxRecordSize {
			lr.buf = append(lr.buf, chunk...)
		} else {
			l.tooLong = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return line{}, fmt.Errorf("read: %w", err)
		}
		if size == 0 && err != nil {
			return line{}, io.EOF
		}
		lr.offset += int64(size)
		lr.number++
		l.text = bytes.TrimSuffix(lr.buf, []byte{'\n'})
		if l.tooLong {
			l.text = nil
		}
		return l, nil
	}
}
