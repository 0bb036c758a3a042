package winevent

import (
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
	return decodeJSONLines(r, emit, report, func(text []byte) (*event.Event, string, error) {
		ev := &event.Event{Fields: make([]event.Field, 0, 32)}
		if err := flattenJSON(ev, text); err != nil {
			return nil, ReasonInvalidJSON, err
		}
		for _, key := range objectTimeKeys {
			if t, ok := fieldTime(ev, key, true); ok {
				ev.SetTime(t)
				break
			}
		}
		ev.Set(event.RawField, string(text))
		return ev, "", nil
	})
}
