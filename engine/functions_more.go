package engine

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// The multivalue, math, time, network, hashing and formatting functions.
func init() {
	registerMultivalueFunctions()
	registerMathFunctions()
	registerTextFunctions()
	registerTypeFunctions()

	RegisterStrict("strptime", 2, 2, func(_ *Ctx, v []Value) Value {
		t, ok := Strptime(v[0].String(), v[1].String())
		if !ok {
			return nullValue
		}
		return numValue(float64(t.UnixNano()) / 1e9)
	})
	RegisterStrict("relative_time", 2, 2, func(_ *Ctx, v []Value) Value {
		n, ok := v[0].Number()
		if !ok {
			return nullValue
		}
		t, err := RelativeTime(event.EpochTime(n), v[1].String())
		if err != nil {
			return nullValue
		}
		return numValue(float64(t.UnixNano()) / 1e9)
	})
	Register("time", 0, 0, func(c *Ctx, _ []spl.Expr) Value {
		return numValue(float64(c.Env.Now.UnixNano()) / 1e9)
	})
	RegisterStrict("cidrmatch", 2, 2, func(_ *Ctx, v []Value) Value {
		prefix, err := netip.ParsePrefix(strings.TrimSpace(v[0].String()))
		if err != nil {
			return boolValue(false)
		}
		prefix = prefix.Masked()
		for _, s := range v[1].Strings() {
			if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil && prefix.Contains(a.Unmap()) {
				return boolValue(true)
			}
		}
		return boolValue(false)
	})
	Register("in", 1, -1, func(c *Ctx, a []spl.Expr) Value {
		return c.evalIn(&spl.InExpr{X: a[0], List: a[1:]})
	})
	Functions["searchmatch"] = &Function{MinArgs: 1, MaxArgs: 1, Call: searchMatch, Check: checkSearchMatch}
	for _, name := range []string{"match", "replace"} {
		Functions[name].Check = checkRegexArg(1)
	}
	Functions["mvfind"].Check = checkRegexArg(1)
}

// checkRegexArg compiles the regex argument at index i when it is a
// string literal, so an invalid pattern fails before events are read.
func checkRegexArg(i int) func(args []spl.Expr) error {
	return func(args []spl.Expr) error {
		if i >= len(args) {
			return nil
		}
		lit, ok := args[i].(*spl.StringLit)
		if !ok {
			return nil
		}
		_, err := CompilePCRE(lit.Value)
		return err
	}
}

// overlay returns a shallow copy of row in which field has the given
// values; the row itself is not changed.
func overlay(row *event.Event, field string, values ...string) *event.Event {
	out := &event.Event{Fields: make([]event.Field, 0, len(row.Fields)+1)}
	for _, f := range row.Fields {
		if f.Name != field {
			out.Fields = append(out.Fields, f)
		}
	}
	out.Fields = append(out.Fields, event.Field{Name: field, Values: values})
	return out
}

// firstFieldRef returns the first field named in an expression.
func firstFieldRef(e spl.Expr) string {
	switch e := e.(type) {
	case *spl.FieldRef:
		return e.Name
	case *spl.Call:
		for _, a := range e.Args {
			if f := firstFieldRef(a); f != "" {
				return f
			}
		}
	case *spl.Binary:
		if f := firstFieldRef(e.L); f != "" {
			return f
		}
		return firstFieldRef(e.R)
	case *spl.Unary:
		return firstFieldRef(e.X)
	case *spl.InExpr:
		if f := firstFieldRef(e.X); f != "" {
			return f
		}
		for _, a := range e.List {
			if f := firstFieldRef(a); f != "" {
				return f
			}
		}
	}
	return ""
}

func registerMultivalueFunctions() {
	RegisterStrict("mvfind", 2, 2, func(c *Ctx, v []Value) Value {
		re, err := c.Env.Regexes.Compile(v[1].String())
		if err != nil {
			return nullValue
		}
		for i, s := range v[0].Strings() {
			if re.MatchString(s) {
				return numValue(float64(i))
			}
		}
		return nullValue
	})
	Register("mvfilter", 1, 1, func(c *Ctx, a []spl.Expr) Value {
		field := firstFieldRef(a[0])
		if field == "" {
			return nullValue
		}
		var kept []string
		for _, v := range c.Row.Values(field) {
			sub := Ctx{Row: overlay(c.Row, field, v), Env: c.Env}
			if sub.Eval(a[0]).Truth() {
				kept = append(kept, v)
			}
		}
		return multiValue(kept)
	})
	Register("mvmap", 2, 2, func(c *Ctx, a []spl.Expr) Value {
		list := c.Eval(a[0])
		field := ""
		if ref, ok := a[0].(*spl.FieldRef); ok {
			field = ref.Name
		}
		var out []string
		for _, v := range list.Strings() {
			sub := *c
			if field != "" {
				sub.Row = overlay(c.Row, field, v)
			}
			out = append(out, sub.Eval(a[1]).Strings()...)
		}
		return multiValue(out)
	})
	Register("mvappend", 1, -1, func(c *Ctx, a []spl.Expr) Value {
		var out []string
		for _, e := range a {
			out = append(out, c.Eval(e).Strings()...)
		}
		return multiValue(out)
	})
	RegisterStrict("mvdedup", 1, 1, func(_ *Ctx, v []Value) Value {
		return multiValue(dedupStrings(append([]string(nil), v[0].Strings()...)))
	})
	RegisterStrict("mvsort", 1, 1, func(_ *Ctx, v []Value) Value {
		out := append([]string(nil), v[0].Strings()...)
		sort.Strings(out)
		return multiValue(out)
	})
	RegisterStrict("mvzip", 2, 3, func(_ *Ctx, v []Value) Value {
		delim := ","
		if len(v) == 3 {
			delim = v[2].String()
		}
		a, b := v[0].Strings(), v[1].Strings()
		out := make([]string, 0, min(len(a), len(b)))
		for i := 0; i < len(a) && i < len(b); i++ {
			out = append(out, a[i]+delim+b[i])
		}
		return multiValue(out)
	})
}

func registerMathFunctions() {
	unary := func(name string, fn func(float64) float64) {
		RegisterStrict(name, 1, 1, func(_ *Ctx, v []Value) Value {
			n, ok := v[0].Number()
			if !ok {
				return nullValue
			}
			r := fn(n)
			if math.IsNaN(r) || math.IsInf(r, 0) {
				return nullValue
			}
			return numValue(r)
		})
	}
	unary("abs", math.Abs)
	unary("floor", math.Floor)
	unary("ceil", math.Ceil)
	unary("ceiling", math.Ceil)
	unary("sqrt", math.Sqrt)
	unary("exp", math.Exp)
	unary("ln", math.Log)
	unary("exact", func(x float64) float64 { return x })
	RegisterStrict("log", 1, 2, func(_ *Ctx, v []Value) Value {
		n, ok := v[0].Number()
		base := 10.0
		if len(v) == 2 {
			b, bok := v[1].Number()
			ok = ok && bok
			base = b
		}
		if !ok || n <= 0 || base <= 0 || base == 1 {
			return nullValue
		}
		return numValue(math.Log(n) / math.Log(base))
	})
	RegisterStrict("pow", 2, 2, func(_ *Ctx, v []Value) Value {
		x, ok1 := v[0].Number()
		y, ok2 := v[1].Number()
		if !ok1 || !ok2 {
			return nullValue
		}
		return numValue(math.Pow(x, y))
	})
	Register("pi", 0, 0, func(*Ctx, []spl.Expr) Value { return numValue(math.Pi) })
	Register("min", 1, -1, func(c *Ctx, a []spl.Expr) Value { return extremeOf(c.EvalAll(a), true) })
	Register("max", 1, -1, func(c *Ctx, a []spl.Expr) Value { return extremeOf(c.EvalAll(a), false) })
}

// extremeOf is eval min/max over every value of every argument: numbers
// sort below strings, numbers compare numerically and strings
// lexicographically; null arguments are ignored.
func extremeOf(args []Value, lowest bool) Value {
	var best Value
	for _, arg := range args {
		for _, s := range arg.Strings() {
			cand := strValue(s)
			if arg.K == Num {
				cand = arg
			}
			if best.IsNull() || lowest && mixedLess(cand, best) || !lowest && mixedLess(best, cand) {
				best = cand
			}
		}
	}
	return best
}

// mixedLess orders numbers before strings, numbers numerically and
// strings byte-wise.
func mixedLess(a, b Value) bool {
	an, aok := a.Number()
	bn, bok := b.Number()
	switch {
	case aok && bok:
		return an < bn
	case aok != bok:
		return aok
	}
	return a.String() < b.String()
}

func registerTextFunctions() {
	trim := func(name string, fn func(s, cutset string) string) {
		RegisterStrict(name, 1, 2, func(_ *Ctx, v []Value) Value {
			cutset := " \t"
			if len(v) == 2 {
				cutset = v[1].String()
			}
			return mapValues(v[0], func(s string) string { return fn(s, cutset) })
		})
	}
	trim("trim", strings.Trim)
	trim("ltrim", strings.TrimLeft)
	trim("rtrim", strings.TrimRight)
	RegisterStrict("urldecode", 1, 1, func(_ *Ctx, v []Value) Value { return mapValues(v[0], urlDecode) })
	hashFn := func(name string, h func() hash.Hash) {
		RegisterStrict(name, 1, 1, func(_ *Ctx, v []Value) Value {
			return mapValues(v[0], func(s string) string {
				d := h()
				d.Write([]byte(s))
				return hex.EncodeToString(d.Sum(nil))
			})
		})
	}
	hashFn("md5", md5.New)
	hashFn("sha1", sha1.New)
	hashFn("sha256", sha256.New)
	hashFn("sha512", sha512.New)
	RegisterStrict("printf", 1, -1, func(_ *Ctx, v []Value) Value { return strValue(printf(v[0].String(), v[1:])) })
	Register("json_extract", 1, -1, func(c *Ctx, a []spl.Expr) Value {
		vals := c.EvalAll(a)
		if vals[0].IsNull() {
			return nullValue
		}
		if len(vals) == 1 {
			return strValue(vals[0].String())
		}
		var out []string
		for _, p := range vals[1:] {
			out = append(out, jsonPathValues(vals[0].String(), p.String())...)
		}
		return multiValue(out)
	})
	RegisterStrict("spath", 2, 2, func(_ *Ctx, v []Value) Value {
		return multiValue(jsonPathValues(v[0].String(), v[1].String()))
	})
}

func registerTypeFunctions() {
	Register("typeof", 1, 1, func(c *Ctx, a []spl.Expr) Value {
		v := c.Eval(a[0])
		switch {
		case v.K == Bool:
			return strValue("Boolean")
		case v.K == Null:
			return strValue("Invalid")
		case v.K == Multi:
			return strValue("Multivalue")
		}
		if _, ok := v.Number(); ok {
			return strValue("Number")
		}
		return strValue("String")
	})
	Register("isnum", 1, 1, func(c *Ctx, a []spl.Expr) Value {
		v := c.Eval(a[0])
		_, ok := v.Number()
		return boolValue(ok && v.K != Multi)
	})
	Register("isint", 1, 1, func(c *Ctx, a []spl.Expr) Value {
		n, ok := c.Eval(a[0]).Number()
		return boolValue(ok && n == math.Trunc(n))
	})
	Register("isstr", 1, 1, func(c *Ctx, a []spl.Expr) Value {
		v := c.Eval(a[0])
		_, num := v.Number()
		return boolValue(v.K == Str && !num)
	})
	Register("isbool", 1, 1, func(c *Ctx, a []spl.Expr) Value { return boolValue(c.Eval(a[0]).K == Bool) })
	Register("nullif", 2, 2, func(c *Ctx, a []spl.Expr) Value {
		x, y := c.Eval(a[0]), c.Eval(a[1])
		if !x.IsNull() && !y.IsNull() && x.String() == y.String() {
			return nullValue
		}
		return x
	})
	Register("validate", 2, -1, func(c *Ctx, a []spl.Expr) Value {
		for i := 0; i+1 < len(a); i += 2 {
			if !c.Eval(a[i]).Truth() {
				return c.Eval(a[i+1])
			}
		}
		return nullValue
	})
}

// urlDecode decodes %XX escapes and '+'; malformed escapes stay as written.
func urlDecode(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// printf formats like C printf: %s %d %i %u %f %F %e %E %g %G %x %X %o %c
// and %%, with flags, width and precision.
func printf(format string, args []Value) string {
	var b strings.Builder
	next := 0
	arg := func() (Value, bool) {
		if next >= len(args) {
			return nullValue, false
		}
		next++
		return args[next-1], true
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		for j < len(format) && strings.IndexByte("-+ #0'123456789.", format[j]) >= 0 {
			j++
		}
		if j >= len(format) {
			b.WriteString(format[i:])
			break
		}
		spec := strings.ReplaceAll(format[i+1:j], "'", "")
		verb := format[j]
		i = j
		if verb == '%' {
			b.WriteByte('%')
			continue
		}
		v, ok := arg()
		if !ok {
			continue
		}
		n, isNum := v.Number()
		switch verb {
		case 'd', 'i', 'u':
			fmt.Fprintf(&b, "%"+spec+"d", int64(n))
		case 'f', 'F', 'e', 'E', 'g', 'G':
			fmt.Fprintf(&b, "%"+spec+string(verb), n)
		case 'x', 'X', 'o':
			fmt.Fprintf(&b, "%"+spec+string(verb), int64(n))
		case 'c':
			if isNum {
				b.WriteRune(rune(n))
			} else if s := v.String(); s != "" {
				b.WriteString(s[:1])
			}
		default:
			fmt.Fprintf(&b, "%"+spec+"s", v.String())
		}
	}
	return b.String()
}

// searchMatchCache holds compiled searchmatch() expressions by search
// start time and text, up to searchMatchCacheMax entries.
var searchMatchCache = struct {
	sync.Mutex
	m map[string]searchMatchEntry
}{m: map[string]searchMatchEntry{}}

const searchMatchCacheMax = 10000

type searchMatchEntry struct {
	pred predicate
	err  error
}

func compileSearchMatch(text string, env *Env) (predicate, error) {
	key := strconv.FormatInt(env.Now.UnixNano(), 10) + "\x00" + text
	searchMatchCache.Lock()
	defer searchMatchCache.Unlock()
	if e, ok := searchMatchCache.m[key]; ok {
		return e.pred, e.err
	}
	pred, err := parseSearchMatch(text, env)
	if len(searchMatchCache.m) < searchMatchCacheMax {
		searchMatchCache.m[key] = searchMatchEntry{pred, err}
	}
	return pred, err
}

// parseSearchMatch compiles the search expression of searchmatch().
func parseSearchMatch(text string, env *Env) (predicate, error) {
	pl, x, err := spl.ParseFragment(text, false)
	if err != nil {
		return nil, err
	}
	cmd, ok := pl.Commands[0].(*spl.SearchCmd)
	if len(pl.Commands) != 1 || !ok {
		return nil, fmt.Errorf("searchmatch takes one search expression without pipes")
	}
	return (&searchCompiler{x: x, env: env}).compile(cmd.Expr)
}

func searchMatch(c *Ctx, a []spl.Expr) Value {
	v := c.Eval(a[0])
	if v.IsNull() {
		return nullValue
	}
	pred, err := compileSearchMatch(v.String(), c.Env)
	if err != nil {
		return nullValue
	}
	return boolValue(pred(c.Row))
}

func checkSearchMatch(args []spl.Expr) error {
	lit, ok := args[0].(*spl.StringLit)
	if !ok {
		return nil
	}
	_, err := parseSearchMatch(lit.Value, &Env{Regexes: NewRegexCache()})
	return err
}
