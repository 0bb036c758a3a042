package winevent

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/spelunk/spelunk/event"
)

// objectTimeKeys are the fields DecodeJSONObjects takes _time from, in
// order; the first that holds a time with a zone wins.
var objectTimeKeys = []string{"@timestamp", "timestamp", "time", "eventTime", "requestReceivedTimestamp", "date"}

// DecodeJSONObjects reads JSON lines holding any objects, as Splunk's _json
// sourcetype indexes them: each object flattens to dotted field names as in
// DecodeJSON, with no Windows field mapping and no source or sourcetype of
// its own. _time comes from the first of objectTimeKeys that holds a time
// with a zone; _raw is the line. Invalid lines are reported and skipped.
func DecodeJSONObjects(r io.Reader, emit EmitFunc, report ReportFunc) error {
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
		ev := &event.Event{Fields: make([]event.Field, 0, 32)}
		if err := flattenJSON(ev, text); err != nil {
			report(Problem{Offset: line.offset, Line: line.number, Reason: ReasonInvalidJSON, Err: err})
			continue
		}
		for _, key := range objectTimeKeys {
			if t, ok := fieldTime(ev, key, true); ok {
				ev.SetTime(t)
				break
			}
		}
		ev.Set(event.RawField, string(text))
		if err := emit(ev); err != nil {
			return err
		}
	}
}
