package engine

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spelunk/spelunk/spl"
)

// The conditional and core text functions. Further functions register
// themselves from the other functions_*.go files.
func init() {
	Register("if", 3, 3, func(c *Ctx, a []spl.Expr) Value {
		if c.Eval(a[0]).Truth() {
			return c.Eval(a[1])
		}
		return c.Eval(a[2])
	})
	Register("case", 2, -1, func(c *Ctx, a []spl.Expr) Value {
		for i := 0; i+1 < len(a); i += 2 {
			if c.Eval(a[i]).Truth() {
				return c.Eval(a[i+1])
			}
		}
		return nullValue
	})
	Register("coalesce", 1, -1, func(c *Ctx, a []spl.Expr) Value {
		for _, e := range a {
			if v := c.Eval(e); !v.IsNull() {
				return v
			}
		}
		return nullValue
	})
	Register("isnull", 1, 1, func(c *Ctx, a []spl.Expr) Value { return boolValue(c.Eval(a[0]).IsNull()) })
	Register("isnotnull", 1, 1, func(c *Ctx, a []spl.Expr) Value { return boolValue(!c.Eval(a[0]).IsNull()) })
	Register("null", 0, 0, func(*Ctx, []spl.Expr) Value { return nullValue })
	Register("true", 0, 0, func(*Ctx, []spl.Expr) Value { return boolValue(true) })
	Register("false", 0, 0, func(*Ctx, []spl.Expr) Value { return boolValue(false) })
	RegisterStrict("like", 2, 2, func(_ *Ctx, v []Value) Value { return boolValue(anyPair(v[0], v[1], likeMatch)) })
	RegisterStrict("match", 2, 2, func(c *Ctx, v []Value) Value {
		re, err := c.Env.Regexes.Compile(v[1].String())
		if err != nil {
			return nullValue
		}
		for _, s := range v[0].Strings() {
			if re.MatchString(s) {
				return boolValue(true)
			}
		}
		return boolValue(false)
	})
	RegisterStrict("lower", 1, 1, func(_ *Ctx, v []Value) Value { return mapValues(v[0], strings.ToLower) })
	RegisterStrict("upper", 1, 1, func(_ *Ctx, v []Value) Value { return mapValues(v[0], strings.ToUpper) })
	RegisterStrict("len", 1, 1, func(_ *Ctx, v []Value) Value { return numValue(float64(utf8.RuneCountInString(v[0].String()))) })
	RegisterStrict("tostring", 1, 2, func(_ *Ctx, v []Value) Value { return toString(v) })
	RegisterStrict("tonumber", 1, 2, func(_ *Ctx, v []Value) Value { return toNumber(v) })
	RegisterStrict("round", 1, 2, func(_ *Ctx, v []Value) Value {
		n, ok := v[0].Number()
		if !ok {
			return nullValue
		}
		digits := 0.0
		if len(v) > 1 {
			d, ok := v[1].Number()
			if !ok {
				return nullValue
			}
			digits = d
		}
		scale := math.Pow(10, digits)
		return numValue(math.Round(n*scale) / scale)
	})
	RegisterStrict("mvcount", 1, 1, func(_ *Ctx, v []Value) Value { return numValue(float64(len(v[0].Strings()))) })
	RegisterStrict("mvindex", 2, 3, func(_ *Ctx, v []Value) Value { return mvIndex(v) })
	RegisterStrict("mvjoin", 2, 2, func(_ *Ctx, v []Value) Value { return strValue(strings.Join(v[0].Strings(), v[1].String())) })
	RegisterStrict("split", 2, 2, func(_ *Ctx, v []Value) Value {
		s, sep := v[0].String(), v[1].String()
		if sep == "" {
			var parts []string
			for _, r := range s {
				parts = append(parts, string(r))
			}
			return multiValue(parts)
		}
		return multiValue(strings.Split(s, sep))
	})
	RegisterStrict("substr", 2, 3, func(_ *Ctx, v []Value) Value { return substr(v) })
	RegisterStrict("replace", 3, 3, func(c *Ctx, v []Value) Value {
		re, err := c.Env.Regexes.Compile(v[1].String())
		if err != nil {
			return nullValue
		}
		repl := pcreReplacement(v[2].String())
		return mapValues(v[0], func(s string) string { return re.ReplaceAllString(s, repl) })
	})
	Register("now", 0, 0, func(c *Ctx, _ []spl.Expr) Value { return numValue(float64(c.Env.Now.Unix())) })
	RegisterStrict("strftime", 2, 2, func(_ *Ctx, v []Value) Value {
		n, ok := v[0].Number()
		if !ok {
			return nullValue
		}
		return strValue(Strftime(n, v[1].String()))
	})
}

// mapValues applies fn to each value of a (possibly multivalue) value.
func mapValues(v Value, fn func(string) string) Value {
	if v.K == Multi {
		out := make([]string, len(v.M))
		for i, s := range v.M {
			out[i] = fn(s)
		}
		return multiValue(out)
	}
	return strValue(fn(v.String()))
}

func toString(v []Value) Value {
	if len(v) == 1 {
		return strValue(v[0].String())
	}
	n, ok := v[0].Number()
	if !ok {
		return strValue(v[0].String())
	}
	switch strings.ToLower(v[1].String()) {
	case "hex":
		return strValue("0x" + strconv.FormatInt(int64(n), 16))
	case "commas":
		return strValue(withCommas(n))
	case "duration":
		return strValue(formatDuration(n))
	}
	return strValue(v[0].String())
}

func withCommas(n float64) string {
	s := strconv.FormatInt(int64(math.Abs(math.Round(n))), 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if n < 0 {
		return "-" + b.String()
	}
	return b.String()
}

func formatDuration(secs float64) string {
	total := int64(secs)
	days := total / 86400
	rest := total % 86400
	hms := strconv.FormatInt(rest/3600+100, 10)[1:] + ":" + strconv.FormatInt(rest%3600/60+100, 10)[1:] + ":" + strconv.FormatInt(rest%60+100, 10)[1:]
	if days > 0 {
		return strconv.FormatInt(days, 10) + "+" + hms
	}
	return hms
}

func toNumber(v []Value) Value {
	s := strings.TrimSpace(v[0].String())
	if len(v) == 1 {
		if n, ok := parseNumber(s); ok {
			return numValue(n)
		}
		return nullValue
	}
	base, ok := v[1].Number()
	if !ok || base < 2 || base > 36 {
		return nullValue
	}
	if base == 16 {
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	}
	n, err := strconv.ParseInt(s, int(base), 64)
	if err != nil {
		return nullValue
	}
	return numValue(float64(n))
}

func mvIndex(v []Value) Value {
	list := v[0].Strings()
	start, ok := v[1].Number()
	if !ok {
		return nullValue
	}
	norm := func(i int) int {
		if i < 0 {
			i += len(list)
		}
		return i
	}
	s := norm(int(start))
	if s < 0 || s >= len(list) {
		return nullValue
	}
	if len(v) == 2 {
		return strValue(list[s])
	}
	end, ok := v[2].Number()
	if !ok {
		return nullValue
	}
	e := norm(int(end))
	if e >= len(list) {
		e = len(list) - 1
	}
	if e < s {
		return nullValue
	}
	return multiValue(append([]string(nil), list[s:e+1]...))
}

func substr(v []Value) Value {
	r := []rune(v[0].String())
	start, ok := v[1].Number()
	if !ok {
		return nullValue
	}
	s := int(start)
	switch {
	case s < 0:
		s = len(r) + s
	case s > 0:
		s--
	}
	if s < 0 {
		s = 0
	}
	if s > len(r) {
		return strValue("")
	}
	e := len(r)
	if len(v) == 3 {
		n, ok := v[2].Number()
		if !ok || n < 0 {
			return nullValue
		}
		if s+int(n) < e {
			e = s + int(n)
		}
	}
	return strValue(string(r[s:e]))
}

// pcreReplacement turns \1..\9 group references into Go's ${1} form and
// escapes literal dollars.
func pcreReplacement(repl string) string {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9':
			b.WriteString("${" + string(repl[i+1]) + "}")
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
