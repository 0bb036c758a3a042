package engine

import (
	"strconv"
	"strings"
	"time"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() { registerStage("convert", buildConvert) }

// convertStage rewrites field values: ctime renders epoch seconds with
// timeformat (UTC); values that are not numbers are left unchanged.
type convertStage struct {
	format string
	funcs  []spl.ConvertFunc
}

func buildConvert(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	cv := cmd.(*spl.ConvertCmd)
	return &convertStage{format: cv.TimeFormat, funcs: cv.Funcs}, nil
}

func (s *convertStage) mutates() bool { return true }

func (s *convertStage) Push(r *event.Event, emit Emit) error {
	for _, fn := range s.funcs {
		names := []string{fn.Field}
		if strings.Contains(fn.Field, "*") {
			names = names[:0]
			parts := strings.Split(fn.Field, "*")
			for _, f := range r.Fields {
				if wildcardMatch(f.Name, parts) {
					names = append(names, f.Name)
				}
			}
		}
		for _, name := range names {
			values := r.Values(name)
			if values == nil {
				continue
			}
			out := make([]string, len(values))
			for i, v := range values {
				out[i] = s.convert(fn.Func, v)
			}
			target := name
			if fn.As != "" {
				target = fn.As
			}
			r.Set(target, out...)
		}
	}
	return emit(r)
}

func (s *convertStage) convert(fn, v string) string {
	switch fn {
	case "ctime":
		n, ok := parseNumber(v)
		if !ok {
			return v
		}
		return Strftime(n, s.format)
	case "mktime":
		t, ok := Strptime(v, s.format)
		if !ok {
			return v
		}
		return event.FormatEpoch(t)
	case "num", "auto":
		if n, ok := parseNumber(strings.ReplaceAll(v, ",", "")); ok {
			return FormatNumber(n)
		}
		return v
	case "rmcomma":
		return strings.ReplaceAll(v, ",", "")
	case "rmunit":
		i := 0
		for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.' || v[i] == '-' || v[i] == '+') {
			i++
		}
		if i == 0 {
			return v
		}
		return v[:i]
	case "dur2sec":
		return dur2sec(v)
	case "mstime":
		return mstime(v)
	case "memk":
		return memk(v)
	}
	return v
}

// dur2sec converts [D+]HH:MM:SS to seconds.
func dur2sec(v string) string {
	days := 0
	rest := v
	if d, r, ok := strings.Cut(v, "+"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return v
		}
		days, rest = n, r
	}
	parts := strings.Split(rest, ":")
	total := float64(days) * 86400
	mult := []float64{1, 60, 3600}
	for i := len(parts) - 1; i >= 0; i-- {
		k := len(parts) - 1 - i
		if k >= len(mult) {
			return v
		}
		n, err := strconv.ParseFloat(parts[i], 64)
		if err != nil {
			return v
		}
		total += n * mult[k]
	}
	return FormatNumber(total)
}

// mstime converts [MM:]SS.SSS to seconds.
func mstime(v string) string {
	m, s, ok := strings.Cut(v, ":")
	if !ok {
		return v
	}
	mins, err1 := strconv.ParseFloat(m, 64)
	secs, err2 := strconv.ParseFloat(s, 64)
	if err1 != nil || err2 != nil {
		return v
	}
	return FormatNumber(mins*60 + secs)
}

// memk converts a size with an optional k, m or g suffix to kilobytes.
func memk(v string) string {
	if v == "" {
		return v
	}
	mult := 1.0
	num := v
	switch strings.ToLower(v[len(v)-1:]) {
	case "k":
		num = v[:len(v)-1]
	case "m":
		mult, num = 1024, v[:len(v)-1]
	case "g":
		mult, num = 1024*1024, v[:len(v)-1]
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return v
	}
	return FormatNumber(n * mult)
}

// Strptime parses s with strftime variables (UTC); ok is false when s
// does not fit the format.
func Strptime(s, format string) (time.Time, bool) {
	layout, ok := goLayout(format)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// goLayout translates the common strftime variables to a Go layout.
func goLayout(format string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		digits := ""
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			digits += string(format[i])
			i++
		}
		if i >= len(format) {
			return "", false
		}
		switch format[i] {
		case 'Y':
			b.WriteString("2006")
		case 'y':
			b.WriteString("06")
		case 'm':
			b.WriteString("01")
		case 'd':
			b.WriteString("02")
		case 'e':
			b.WriteString("_2")
		case 'H':
			b.WriteString("15")
		case 'I':
			b.WriteString("03")
		case 'M':
			b.WriteString("04")
		case 'S':
			b.WriteString("05")
		case 'p':
			b.WriteString("PM")
		case 'b', 'h':
			b.WriteString("Jan")
		case 'B':
			b.WriteString("January")
		case 'a':
			b.WriteString("Mon")
		case 'A':
			b.WriteString("Monday")
		case 'j':
			b.WriteString("002")
		case 'z':
			b.WriteString("-0700")
		case 'Z':
			b.WriteString("MST")
		case 'T':
			b.WriteString("15:04:05")
		case 'F':
			b.WriteString("2006-01-02")
		case 'N', 'Q':
			n := 3
			if digits != "" {
				n, _ = strconv.Atoi(digits)
			}
			b.WriteString(strings.Repeat("0", n))
		case 'f':
			b.WriteString("000000")
		case '%':
			b.WriteByte('%')
		default:
			return "", false
		}
	}
	return b.String(), true
}

func (s *convertStage) Flush(Emit) error { return nil }
