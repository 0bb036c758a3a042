package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTimeModifier resolves a Splunk time modifier relative to now:
// "now", epoch seconds, "%m/%d/%Y:%H:%M:%S", or a relative spec such as
// "-24h", "-7d@d", "@w0", "+1mon@mon". All times are UTC.
func ParseTimeModifier(spec string, now time.Time) (time.Time, error) {
	spec = strings.TrimSpace(spec)
	switch strings.ToLower(spec) {
	case "now", "":
		return now, nil
	case "0":
		return time.Unix(0, 0).UTC(), nil
	}
	if n, err := strconv.ParseFloat(spec, 64); err == nil {
		return time.Unix(0, int64(n*1e9)).UTC(), nil
	}
	if t, err := time.Parse("01/02/2006:15:04:05", spec); err == nil {
		return t, nil
	}
	return RelativeTime(now, spec)
}

// RelativeTime applies an offset and optional snap ("-70m@m") to t.
func RelativeTime(t time.Time, spec string) (time.Time, error) {
	t = t.UTC()
	offset, snap, hasSnap := strings.Cut(spec, "@")
	if offset != "" {
		sign := 1
		switch offset[0] {
		case '-':
			sign = -1
			offset = offset[1:]
		case '+':
			offset = offset[1:]
		default:
			return t, fmt.Errorf("time modifier %q must start with +, - or @", spec)
		}
		n, unit := splitAmount(offset)
		var err error
		t, err = addUnits(t, sign*n, unit)
		if err != nil {
			return t, fmt.Errorf("time modifier %q: %v", spec, err)
		}
	}
	if hasSnap {
		var err error
		t, err = snapTo(t, snap)
		if err != nil {
			return t, fmt.Errorf("time modifier %q: %v", spec, err)
		}
	}
	return t, nil
}

func splitAmount(s string) (int, string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n := 1
	if i > 0 {
		n, _ = strconv.Atoi(s[:i])
	}
	return n, strings.ToLower(s[i:])
}

func canonicalUnit(u string) string {
	switch u {
	case "s", "sec", "secs", "second", "seconds":
		return "s"
	case "m", "min", "mins", "minute", "minutes":
		return "m"
	case "h", "hr", "hrs", "hour", "hours":
		return "h"
	case "d", "day", "days":
		return "d"
	case "w", "week", "weeks":
		return "w"
	case "mon", "month", "months":
		return "mon"
	case "q", "qtr", "qtrs", "quarter", "quarters":
		return "q"
	case "y", "yr", "yrs", "year", "years":
		return "y"
	}
	if strings.HasPrefix(u, "w") && len(u) == 2 && u[1] >= '0' && u[1] <= '7' {
		return u
	}
	return ""
}

func addUnits(t time.Time, n int, unit string) (time.Time, error) {
	switch canonicalUnit(unit) {
	case "s":
		return t.Add(time.Duration(n) * time.Second), nil
	case "m":
		return t.Add(time.Duration(n) * time.Minute), nil
	case "h":
		return t.Add(time.Duration(n) * time.Hour), nil
	case "d":
		return t.AddDate(0, 0, n), nil
	case "w":
		return t.AddDate(0, 0, 7*n), nil
	case "mon":
		return t.AddDate(0, n, 0), nil
	case "q":
		return t.AddDate(0, 3*n, 0), nil
	case "y":
		return t.AddDate(n, 0, 0), nil
	}
	return t, fmt.Errorf("unknown time unit %q", unit)
}

func snapTo(t time.Time, unit string) (time.Time, error) {
	unit = strings.ToLower(unit)
	y, mo, d := t.Date()
	switch u := canonicalUnit(unit); u {
	case "s":
		return t.Truncate(time.Second), nil
	case "m":
		return t.Truncate(time.Minute), nil
	case "h":
		return t.Truncate(time.Hour), nil
	case "d":
		return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), nil
	case "w", "w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7":
		target := 0
		if len(u) == 2 {
			target = int(u[1]-'0') % 7
		}
		day := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
		back := (int(day.Weekday()) - target + 7) % 7
		return day.AddDate(0, 0, -back), nil
	case "mon":
		return time.Date(y, mo, 1, 0, 0, 0, 0, time.UTC), nil
	case "q":
		return time.Date(y, (mo-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC), nil
	case "y":
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	return t, fmt.Errorf("unknown snap unit %q", unit)
}
