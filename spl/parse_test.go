package spl

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func testMacros() MacroMap {
	m := MacroMap{}
	m.Add(&Macro{Name: "powershell", Definition: `(source=WinEventLog:Microsoft-Windows-PowerShell/Operational OR source="XmlWinEventLog:Microsoft-Windows-PowerShell/Operational")`})
	m.Add(&Macro{Name: "security_content_ctime", Args: []string{"field"}, Definition: `convert timeformat="%Y-%m-%dT%H:%M:%S" ctime($field$)`})
	m.Add(&Macro{Name: "drop_dm_object_name", Args: []string{"object"}, Definition: `rename "$object$.*" as *`})
	m.Add(&Macro{Name: "outer", Definition: "`inner(EventCode)`=4104"})
	m.Add(&Macro{Name: "inner", Args: []string{"f"}, Definition: "$f$"})
	m.Add(&Macro{Name: "loop", Definition: "`loop`"})
	return m
}

const threadMutex2024 = "`powershell` EventCode=4104 ScriptBlockText = \"*Threading.Mutex*\" | stats count min(_time) as firstTime max(_time) as lastTime by EventCode ScriptBlockText Computer UserID | rename Computer as dest |rename UserID as user | `security_content_ctime(firstTime)` | `security_content_ctime(lastTime)` | `powershell_creating_thread_mutex_filter`"

func mustParse(t *testing.T, q string) *Pipeline {
	t.Helper()
	pl, _, err := Parse(q, testMacros())
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return pl
}

func commandNames(pl *Pipeline) []string {
	var names []string
	for _, c := range pl.Commands {
		names = append(names, c.Name())
	}
	return names
}

func TestParseThreadMutexAnalytic(t *testing.T) {
	pl := mustParse(t, threadMutex2024)
	want := []string{"search", "stats", "rename", "rename", "convert", "convert", "search"}
	if got := commandNames(pl); !reflect.DeepEqual(got, want) {
		t.Fatalf("commands = %v, want %v", got, want)
	}
	search := pl.Commands[0].(*SearchCmd).Expr.(*SearchAnd)
	if len(search.Terms) != 3 {
		t.Fatalf("search has %d conjuncts, want 3", len(search.Terms))
	}
	sources := search.Terms[0].(*SearchOr)
	if len(sources.Terms) != 2 {
		t.Errorf("macro group has %d alternatives, want 2", len(sources.Terms))
	}
	if c := sources.Terms[1].(*SearchCompare); c.Value != "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational" || !c.Quoted {
		t.Errorf("second source = %+v", c)
	}
	if c := search.Terms[2].(*SearchCompare); c.Field != "ScriptBlockText" || c.Op != "=" || c.Value != "*Threading.Mutex*" {
		t.Errorf("script test = %+v", c)
	}
	stats := pl.Commands[1].(*StatsCmd)
	var aggs []string
	for _, a := range stats.Aggs {
		aggs = append(aggs, a.Func+":"+a.Field+":"+a.As)
	}
	if want := []string{"count::count", "min:_time:firstTime", "max:_time:lastTime"}; !reflect.DeepEqual(aggs, want) {
		t.Errorf("aggs = %v, want %v", aggs, want)
	}
	if want := []string{"EventCode", "ScriptBlockText", "Computer", "UserID"}; !reflect.DeepEqual(stats.By, want) {
		t.Errorf("by = %v, want %v", stats.By, want)
	}
	conv := pl.Commands[4].(*ConvertCmd)
	if conv.TimeFormat != "%Y-%m-%dT%H:%M:%S" || conv.Funcs[0].Func != "ctime" || conv.Funcs[0].Field != "firstTime" {
		t.Errorf("convert = %+v", conv)
	}
	if _, ok := pl.Commands[6].(*SearchCmd).Expr.(*SearchAll); !ok {
		t.Errorf("undefined filter macro should expand to search *, got %#v", pl.Commands[6])
	}
}

// describeSearch renders a search expression as a parenthesised tree.
func describeSearch(e SearchExpr) string {
	join := func(op string, terms []SearchExpr) string {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = describeSearch(t)
		}
		return op + "(" + strings.Join(parts, " ") + ")"
	}
	switch e := e.(type) {
	case *SearchAnd:
		return join("AND", e.Terms)
	case *SearchOr:
		return join("OR", e.Terms)
	case *SearchNot:
		return "NOT(" + describeSearch(e.X) + ")"
	case *SearchCompare:
		return e.Field + e.Op + e.Value
	case *SearchIn:
		return e.Field + " IN[" + strings.Join(e.Values, ",") + "]"
	case *SearchTerm:
		if e.Quoted {
			return `"` + e.Text + `"`
		}
		return e.Text
	case *SearchAll:
		return "*"
	}
	return "?"
}

func TestSearchLanguage(t *testing.T) {
	cases := []struct{ query, want string }{
		// OR binds tighter than AND in the search command.
		{`a=1 b=2 OR c=3`, `AND(a=1 OR(b=2 c=3))`},
		{`x OR y AND z`, `AND(OR(x y) z)`},
		{`a=1 AND (b=2 OR c=3)`, `AND(a=1 OR(b=2 c=3))`},
		{`NOT a=1 b=2`, `AND(NOT(a=1) b=2)`},
		{`NOT (a=1 OR b=2)`, `NOT(OR(a=1 b=2))`},
		{`a!=1 b<=5 c>7`, `AND(a!=1 b<=5 c>7)`},
		{`EventCode = 1`, `EventCode=1`},
		{`process IN ("*cmd.exe", "powershell.exe",x)`, `process IN[*cmd.exe,powershell.exe,x]`},
		{`NOT ImageLoaded IN ("*\\Program Files*")`, `NOT(ImageLoaded IN[*\Program Files*])`},
		{`path="C:\Windows\*"`, `path=C:\Windows\*`},
		{`path="C:\\Windows\\*" q="say \"hi\""`, `AND(path=C:\Windows\* q=say "hi")`},
		{`ImageLoaded EventCode=7`, `AND(ImageLoaded EventCode=7)`},
		{`"two words" and or`, `AND("two words" and or)`},
		{`*`, `*`},
		{`src=10.0.0.0/8`, `src=10.0.0.0/8`},
		{`url=*a=b*`, `url=*a=b*`},
		{"`outer`", `EventCode=4104`},
	}
	for _, c := range cases {
		pl := mustParse(t, c.query)
		got := describeSearch(pl.Commands[0].(*SearchCmd).Expr)
		if got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.query, got, c.want)
		}
	}
}

func TestCommentsRemoved(t *testing.T) {
	pl := mustParse(t, "a=1 ```drop | this``` | head 3")
	if got := commandNames(pl); !reflect.DeepEqual(got, []string{"search", "head"}) {
		t.Fatalf("commands = %v", got)
	}
}

func TestQuotedMacroArgument(t *testing.T) {
	for _, q := range []string{"| rename x as y | `drop_dm_object_name(\"All_Traffic\")`", "| rename x as y | `drop_dm_object_name(All_Traffic)`"} {
		pl := mustParse(t, q)
		r := pl.Commands[1].(*RenameCmd)
		if r.Pairs[0].From != "All_Traffic.*" || r.Pairs[0].To != "*" {
			t.Errorf("%s: rename pair = %+v, want All_Traffic.* as *", q, r.Pairs[0])
		}
	}
}

func TestEvalPrecedence(t *testing.T) {
	pl := mustParse(t, `| eval a = 1 + 2 * 3, b = x="1" OR y=2 AND z=3, c = "%".name."%", d = if(NOT isnull(p), lower(p), null())`)
	ev := pl.Commands[0].(*EvalCmd)
	if len(ev.Assignments) != 4 {
		t.Fatalf("got %d assignments", len(ev.Assignments))
	}
	sum := ev.Assignments[0].Expr.(*Binary)
	if sum.Op != "+" || sum.R.(*Binary).Op != "*" {
		t.Errorf("1 + 2 * 3 parsed as %#v", sum)
	}
	or := ev.Assignments[1].Expr.(*Binary)
	if or.Op != "OR" || or.R.(*Binary).Op != "AND" {
		t.Errorf("AND must bind tighter than OR in eval, got %#v", or)
	}
	concat := ev.Assignments[2].Expr.(*Binary)
	if concat.Op != "." {
		t.Errorf("concatenation parsed as %#v", concat)
	}
	call := ev.Assignments[3].Expr.(*Call)
	if call.Name != "if" || len(call.Args) != 3 {
		t.Errorf("if() parsed as %#v", call)
	}
}

func TestParseErrorPositions(t *testing.T) {
	cases := []struct{ query, want string }{
		{`EventCode=4104 | frobnicate x`, `1:18: command frobnicate is not supported`},
		{`a=1 | stats count by`, ``},
		{`a=1 | stats bogus(x) by y`, `1:13: function bogus is not supported in stats`},
		{"a=1 |\n| head 2", `1:6: empty command between pipes`},
		{`a="open`, `1:3: unterminated quoted string`},
		{`(a=1 OR b=2`, `1:1: missing ")" for "("`},
		{`a=1 | eval x = foo(`, `1:19: missing ")" for "("`},
		{"EventCode=1 `nosuch` | head", "1:13: unknown macro nosuch"},
		{"x=1 `loop`", "1:5: macro loop calls itself"},
		{"a=1 | head ten", `1:12: head expects a row count, found "ten"`},
		{"a=1 | rename b c", `1:16: expected as after "b" in rename, found "c"`},
		{"a=1 ```never closed", "1:5: unterminated ``` comment"},
		{"a=1\n| eval y=", "2:10: unexpected end of expression"},
	}
	for _, c := range cases {
		_, _, err := Parse(c.query, testMacros())
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: unexpected error %v", c.query, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: no error, want %s", c.query, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.query, err, c.want)
		}
		se, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: error type %T, want *Error", c.query, err)
			continue
		}
		if se.Start < 0 || se.Start > len(c.query) || se.End < se.Start || se.End > len(c.query) {
			t.Errorf("%q: error range %d-%d outside the query", c.query, se.Start, se.End)
		}
	}
}

func TestErrorSnippet(t *testing.T) {
	_, _, err := Parse("a=1 | nope", testMacros())
	se := err.(*Error)
	if want := "a=1 | nope\n      ^"; se.Snippet() != want {
		t.Errorf("snippet:\n%s\nwant:\n%s", se.Snippet(), want)
	}
}

func TestMacroExpansionSizeLimit(t *testing.T) {
	m := testMacros()
	// Each level calls the next twice: 2^24 copies of the last one.
	for i := 0; i < 24; i++ {
		m.Add(&Macro{Name: fmt.Sprintf("x%d", i), Definition: fmt.Sprintf("(`x%d` OR `x%d`)", i+1, i+1)})
	}
	m.Add(&Macro{Name: "x24", Definition: "EventCode=4104"})
	_, _, err := Parse("index=* `x0` | stats count", m)
	if err == nil || !strings.Contains(err.Error(), "expands to more than 1048576 bytes") {
		t.Fatalf("got %v, want a size limit error", err)
	}
	// A macro used twice side by side is not recursion.
	m.Add(&Macro{Name: "twice", Definition: "`inner(a)`=1 `inner(b)`=2"})
	if _, _, err := Parse("`twice`", m); err != nil {
		t.Errorf("sequential use of one macro: %v", err)
	}
}
