package engine

import (
	"math"
	"strings"
	"time"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// Env is the state expressions read besides the row: the search start
// time for now() and the regex cache.
type Env struct {
	Now     time.Time
	Regexes *RegexCache
}

// Ctx evaluates expressions against one row.
type Ctx struct {
	Row *event.Event
	Env *Env
}

// Function is an eval function. Args arrive unevaluated so conditional
// functions (if, case, coalesce) evaluate only what they need; strict
// functions use Ctx.EvalAll.
type Function struct {
	MinArgs, MaxArgs int // MaxArgs < 0: no upper bound
	Call             func(c *Ctx, args []spl.Expr) Value
	// Check, when set, validates the arguments at compile time (for
	// example a literal regex).
	Check func(args []spl.Expr) error
}

// Functions is the eval function table, keyed by lower-case name.
var Functions = map[string]*Function{}

// Register adds an eval function.
func Register(name string, minArgs, maxArgs int, call func(c *Ctx, args []spl.Expr) Value) {
	Functions[name] = &Function{MinArgs: minArgs, MaxArgs: maxArgs, Call: call}
}

// RegisterStrict adds a function whose arguments are all evaluated first
// and that returns null when any argument is null.
func RegisterStrict(name string, minArgs, maxArgs int, fn func(c *Ctx, args []Value) Value) {
	Register(name, minArgs, maxArgs, func(c *Ctx, args []spl.Expr) Value {
		vals := make([]Value, len(args))
		for i, a := range args {
			vals[i] = c.Eval(a)
			if vals[i].IsNull() {
				return nullValue
			}
		}
		return fn(c, vals)
	})
}

// EvalAll evaluates every argument.
func (c *Ctx) EvalAll(args []spl.Expr) []Value {
	vals := make([]Value, len(args))
	for i, a := range args {
		vals[i] = c.Eval(a)
	}
	return vals
}

// Eval evaluates an expression.
func (c *Ctx) Eval(e spl.Expr) Value {
	switch e := e.(type) {
	case *spl.NumberLit:
		return numValue(e.Value)
	case *spl.StringLit:
		return strValue(e.Value)
	case *spl.FieldRef:
		return fieldValue(c.Row.Values(e.Name))
	case *spl.Call:
		fn := Functions[e.Name]
		if fn == nil {
			return nullValue
		}
		return fn.Call(c, e.Args)
	case *spl.Unary:
		x := c.Eval(e.X)
		if e.Op == "NOT" {
			if x.K != Bool {
				return nullValue
			}
			return boolValue(!x.B)
		}
		n, ok := x.Number()
		if !ok {
			return nullValue
		}
		return numValue(-n)
	case *spl.InExpr:
		return c.evalIn(e)
	case *spl.Binary:
		return c.evalBinary(e)
	}
	return nullValue
}

func (c *Ctx) evalIn(e *spl.InExpr) Value {
	x := c.Eval(e.X)
	if x.IsNull() {
		return nullValue
	}
	for _, item := range e.List {
		v := c.Eval(item)
		if v.IsNull() {
			continue
		}
		if anyPair(x, v, func(a, b string) bool { return compareScalars(a, b) == 0 }) {
			return boolValue(true)
		}
	}
	return boolValue(false)
}

func (c *Ctx) evalBinary(e *spl.Binary) Value {
	switch e.Op {
	case "AND":
		l := c.Eval(e.L)
		if l.K == Bool && !l.B {
			return boolValue(false)
		}
		r := c.Eval(e.R)
		if r.K == Bool && !r.B {
			return boolValue(false)
		}
		if l.K == Bool && r.K == Bool {
			return boolValue(true)
		}
		return nullValue
	case "OR":
		l := c.Eval(e.L)
		if l.Truth() {
			return boolValue(true)
		}
		r := c.Eval(e.R)
		if r.Truth() {
			return boolValue(true)
		}
		if l.K == Bool && r.K == Bool {
			return boolValue(false)
		}
		return nullValue
	case "XOR":
		l, r := c.Eval(e.L), c.Eval(e.R)
		if l.K != Bool || r.K != Bool {
			return nullValue
		}
		return boolValue(l.B != r.B)
	}
	l, r := c.Eval(e.L), c.Eval(e.R)
	if l.IsNull() || r.IsNull() {
		return nullValue
	}
	switch e.Op {
	case "=":
		return boolValue(anyPair(l, r, func(a, b string) bool { return compareScalars(a, b) == 0 }))
	case "!=":
		return boolValue(!anyPair(l, r, func(a, b string) bool { return compareScalars(a, b) == 0 }))
	case "<":
		return boolValue(anyPair(l, r, func(a, b string) bool { return compareScalars(a, b) < 0 }))
	case "<=":
		return boolValue(anyPair(l, r, func(a, b string) bool { return compareScalars(a, b) <= 0 }))
	case ">":
		return boolValue(anyPair(l, r, func(a, b string) bool { return compareScalars(a, b) > 0 }))
	case ">=":
		return boolValue(anyPair(l, r, func(a, b string) bool { return compareScalars(a, b) >= 0 }))
	case "LIKE":
		return boolValue(anyPair(l, r, likeMatch))
	case ".":
		return mapPair(l, r, func(a, b string) string { return a + b })
	case "+":
		ln, lok := l.Number()
		rn, rok := r.Number()
		if lok && rok && l.K != Multi && r.K != Multi {
			return numValue(ln + rn)
		}
		if l.K == Num || r.K == Num {
			return nullValue
		}
		return mapPair(l, r, func(a, b string) string { return a + b })
	case "-", "*", "/", "%":
		ln, lok := l.Number()
		rn, rok := r.Number()
		if !lok || !rok {
			return nullValue
		}
		return arithmetic(e.Op, ln, rn)
	}
	return nullValue
}

func arithmetic(op string, a, b float64) Value {
	switch op {
	case "-":
		return numValue(a - b)
	case "*":
		return numValue(a * b)
	case "/":
		if b == 0 {
			return nullValue
		}
		return numValue(a / b)
	case "%":
		if b == 0 {
			return nullValue
		}
		return numValue(math.Mod(a, b))
	}
	return nullValue
}

// anyPair reports whether test holds for some value of l and some value
// of r. A multivalue operand is true when any of its values satisfies the
// test.
func anyPair(l, r Value, test func(a, b string) bool) bool {
	for _, a := range l.Strings() {
		for _, b := range r.Strings() {
			if test(a, b) {
				return true
			}
		}
	}
	return false
}

// mapPair applies fn to scalar operands, or element-wise over a
// multivalue left operand.
func mapPair(l, r Value, fn func(a, b string) string) Value {
	rs := r.String()
	if l.K == Multi {
		out := make([]string, len(l.M))
		for i, a := range l.M {
			out[i] = fn(a, rs)
		}
		return multiValue(out)
	}
	return strValue(fn(l.String(), rs))
}

// compareScalars compares numerically when both parse as numbers and
// byte-wise otherwise.
func compareScalars(a, b string) int {
	an, aok := parseNumber(a)
	bn, bok := parseNumber(b)
	if aok && bok {
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

// likeMatch implements SQL LIKE: % is any run, _ one character; the
// match is case-sensitive and covers the whole string. On a mismatch the
// scan resumes after the last %, which keeps it near linear time.
func likeMatch(s, pattern string) bool {
	sr, pr := []rune(s), []rune(pattern)
	i, j := 0, 0
	star, mark := -1, 0
	for i < len(sr) {
		switch {
		case j < len(pr) && pr[j] == '%':
			star, mark = j, i
			j++
		case j < len(pr) && (pr[j] == '_' || pr[j] == sr[i]):
			i++
			j++
		case star >= 0:
			mark++
			i, j = mark, star+1
		default:
			return false
		}
	}
	for j < len(pr) && pr[j] == '%' {
		j++
	}
	return j == len(pr)
}
