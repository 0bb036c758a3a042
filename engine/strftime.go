package engine

import (
	"strconv"
	"strings"
	"time"

	"github.com/spelunk/spelunk/event"
)

// Strftime formats epoch seconds in UTC with C strftime variables plus
// Splunk's sub-second ones (%N, %3N, %6N, %9N, %Q, %f) and %s.
func Strftime(epoch float64, format string) string {
	t := event.EpochTime(epoch)
	return FormatTime(t, format)
}

// FormatTime formats t with strftime variables.
func FormatTime(t time.Time, format string) string {
	var b strings.Builder
	pad := func(n, width int) {
		s := strconv.Itoa(n)
		for i := len(s); i < width; i++ {
			b.WriteByte('0')
		}
		b.WriteString(s)
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		digits := 0
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			digits = digits*10 + int(format[i]-'0')
			i++
		}
		if i >= len(format) {
			break
		}
		switch format[i] {
		case 'Y':
			pad(t.Year(), 4)
		case 'y':
			pad(t.Year()%100, 2)
		case 'm':
			pad(int(t.Month()), 2)
		case 'd':
			pad(t.Day(), 2)
		case 'e':
			s := strconv.Itoa(t.Day())
			if len(s) < 2 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		case 'H':
			pad(t.Hour(), 2)
		case 'k':
			s := strconv.Itoa(t.Hour())
			if len(s) < 2 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			pad(h, 2)
		case 'M':
			pad(t.Minute(), 2)
		case 'S':
			pad(t.Second(), 2)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'j':
			pad(t.YearDay(), 3)
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(strconv.Itoa(wd))
		case 'U':
			pad((t.YearDay()+6-int(t.Weekday()))/7, 2)
		case 'V':
			_, w := t.ISOWeek()
			pad(w, 2)
		case 'Z':
			b.WriteString("UTC")
		case 'z':
			b.WriteString("+0000")
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'T':
			pad(t.Hour(), 2)
			b.WriteByte(':')
			pad(t.Minute(), 2)
			b.WriteByte(':')
			pad(t.Second(), 2)
		case 'F':
			pad(t.Year(), 4)
			b.WriteByte('-')
			pad(int(t.Month()), 2)
			b.WriteByte('-')
			pad(t.Day(), 2)
		case 'D':
			pad(int(t.Month()), 2)
			b.WriteByte('/')
			pad(t.Day(), 2)
			b.WriteByte('/')
			pad(t.Year()%100, 2)
		case 'N':
			if digits == 0 {
				digits = 3
			}
			writeFraction(&b, t, digits)
		case 'Q':
			if digits == 0 {
				digits = 3
			}
			writeFraction(&b, t, digits)
		case 'f':
			writeFraction(&b, t, 6)
		case '%':
			b.WriteByte('%')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

func writeFraction(b *strings.Builder, t time.Time, digits int) {
	if digits > 9 {
		digits = 9
	}
	s := strconv.Itoa(t.Nanosecond() + 1000000000)[1:]
	b.WriteString(s[:digits])
}
