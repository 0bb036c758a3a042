package winevent

import (
	"strings"
	"time"
)

// parseTime parses an ISO 8601 timestamp that carries its zone ("Z" or an
// offset), with any number of fractional digits. Windows writes SystemTime
// with seven or nine digits.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Offsets without a colon ("+0000") appear in some exports.
		t, err = time.Parse("2006-01-02T15:04:05Z0700", s)
		if err != nil {
			return time.Time{}, false
		}
	}
	return t.UTC(), true
}

// zonelessLayouts are the timestamp forms without a zone that the JSON and
// classic text decoders accept. A fraction after the seconds is accepted
// by time.Parse even though the layouts do not show one.
var zonelessLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"01/02/2006 03:04:05 PM",
	"01/02/2006 3:04:05 PM",
	"01/02/2006 15:04:05",
	"1/2/2006 3:04:05 PM",
	"1/2/2006 15:04:05",
}

// parseZonelessTime parses a timestamp without a zone and reads it as UTC.
func parseZonelessTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range zonelessLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseAnyTime parses a timestamp with or without a zone; zoned reports
// whether the text carried one.
func parseAnyTime(s string) (t time.Time, zoned, ok bool) {
	if t, ok := parseTime(s); ok {
		return t, true, true
	}
	t, ok = parseZonelessTime(s)
	return t, false, ok
}
