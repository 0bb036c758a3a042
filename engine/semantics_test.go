package engine

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// ev builds an event from name=value pairs; a name given twice becomes
// multivalue.
func ev(pairs ...string) *event.Event {
	e := &event.Event{}
	for i := 0; i+1 < len(pairs); i += 2 {
		e.Add(pairs[i], pairs[i+1])
	}
	return e
}

// run executes a query and returns each row as "name=value;..." text,
// multivalue values joined by "|".
func run(t *testing.T, query string, events ...*event.Event) []string {
	t.Helper()
	rows, err := Run(query, spl.MacroMap{}, Options{Now: time.Unix(1700000000, 0)}, events)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out := []string{}
	for _, r := range rows {
		var parts []string
		for _, f := range r.Fields {
			parts = append(parts, f.Name+"="+strings.Join(f.Values, "|"))
		}
		out = append(out, strings.Join(parts, ";"))
	}
	return out
}

func ids(t *testing.T, query string, events ...*event.Event) []string {
	t.Helper()
	rows, err := Run(query, spl.MacroMap{}, Options{Now: time.Unix(1700000000, 0)}, events)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out := []string{}
	for _, r := range rows {
		v, _ := r.Value("id")
		out = append(out, v)
	}
	return out
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestNotEqualVersusNot(t *testing.T) {
	events := []*event.Event{ev("id", "1", "x", "a"), ev("id", "2", "x", "b"), ev("id", "3"), ev("id", "4", "x", "a", "x", "b")}
	// != needs the field and no value may match.
	check(t, "x!=a", ids(t, "x!=a", events...), []string{"2"})
	// NOT keeps events without the field.
	check(t, "NOT x=a", ids(t, "NOT x=a", events...), []string{"2", "3"})
	check(t, "x=*", ids(t, "x=*", events...), []string{"1", "2", "4"})
	check(t, "NOT x=*", ids(t, "NOT x=*", events...), []string{"3"})
}

func TestSearchValueMatching(t *testing.T) {
	events := []*event.Event{
		ev("id", "1", "s", "New-Object System.Threading.Mutex"),
		ev("id", "2", "s", "[threading.mutex]::new()"),
		ev("id", "3", "s", "Threading.Monitor"),
		ev("id", "4", "p", `C:\Windows\System32\cmd.exe`),
		ev("id", "5", "ip", "10.1.2.3"),
	}
	check(t, "wildcards, any case", ids(t, `s="*Threading.Mutex*"`, events...), []string{"1", "2"})
	check(t, "whole-value match", ids(t, `s=Threading`, events...), []string{})
	check(t, "IN with wildcards", ids(t, `p IN ("*\\cmd.exe", "x")`, events...), []string{"4"})
	check(t, "backslashes in quotes", ids(t, `p="C:\\windows\\*"`, events...), []string{"4"})
	check(t, "CIDR", ids(t, `ip=10.0.0.0/8`, events...), []string{"5"})
	check(t, "numeric comparison", ids(t, `id>=4`, events...), []string{"4", "5"})
}

func TestBareTermsMatchRawAtBreakers(t *testing.T) {
	events := []*event.Event{
		ev("id", "1", "_raw", "<Data Name='ImageLoaded'>C:\\x.dll</Data>"),
		ev("id", "2", "_raw", "<Data Name='ImageLoadedTime'>1</Data>"),
	}
	check(t, "term", ids(t, `ImageLoaded`, events...), []string{"1"})
	check(t, "term with wildcard", ids(t, `ImageLoad*`, events...), []string{"1", "2"})
	check(t, "phrase", ids(t, `"name='imageloaded"`, events...), []string{"1", "2"})
}

func TestIndexTermsMatchEverything(t *testing.T) {
	check(t, "index", ids(t, `index=main id=1`, ev("id", "1"), ev("id", "2")), []string{"1"})
}

func TestStatsGroupsAndOrder(t *testing.T) {
	events := []*event.Event{
		ev("_time", "100", "dest", "h2", "user", "u"),
		ev("_time", "160", "dest", "h1", "user", "u"),
		ev("_time", "200", "dest", "h1"),
		ev("_time", "50", "dest", "H1", "user", "u"),
	}
	got := run(t, "| stats count min(_time) as firstTime max(_time) as lastTime by dest user", events...)
	// A null by-field drops the row; keys compare case-sensitively and
	// rows come out in byte order of the by-values.
	check(t, "stats rows", got, []string{
		"dest=H1;user=u;count=1;firstTime=50;lastTime=50",
		"dest=h1;user=u;count=1;firstTime=160;lastTime=160",
		"dest=h2;user=u;count=1;firstTime=100;lastTime=100",
	})
}

func TestStatsValuesAndCounts(t *testing.T) {
	events := []*event.Event{
		ev("f", `C:\b.exe`, "n", "10"),
		ev("f", `C:\A.exe`, "n", "9"),
		ev("f", `C:\b.exe`, "f", `C:\c.exe`, "n", "x"),
	}
	got := run(t, "| stats values(f) as files dc(f) as distinct count(f) as fcount count min(n) as lo max(n) as hi list(f) as all", events...)
	check(t, "values, dc, count(field), min/max", got, []string{
		`files=C:\A.exe|C:\b.exe|C:\c.exe;distinct=3;fcount=4;count=3;lo=9;hi=10;all=C:\b.exe|C:\A.exe|C:\b.exe|C:\c.exe`,
	})
	got = run(t, "| stats min(s) as lo max(s) as hi", ev("s", "beta"), ev("s", "Alpha"), ev("s", "gamma"))
	check(t, "min/max of strings", got, []string{"lo=Alpha;hi=gamma"})
	got = run(t, "| stats count", ev("a", "1"))
	check(t, "count without by", got, []string{"count=1"})
	got = run(t, "| stats count")
	check(t, "count over nothing", got, []string{"count=0"})
	got = run(t, `| stats count(eval(a="x")) as xs by g`, ev("g", "1", "a", "x"), ev("g", "1", "a", "y"), ev("g", "1"))
	check(t, "count(eval())", got, []string{"g=1;xs=1"})
}

func TestEvalNullAndLogic(t *testing.T) {
	events := []*event.Event{ev("id", "1", "x", "a"), ev("id", "2", "x", "b"), ev("id", "3")}
	// Three-valued logic: a comparison with a missing field is null, and
	// NOT null is null, so where drops the row either way.
	check(t, `where NOT x="a"`, ids(t, `| where NOT x="a"`, events...), []string{"2"})
	check(t, `where x!="a"`, ids(t, `| where x!="a"`, events...), []string{"2"})
	check(t, `where isnull(x) OR x!="a"`, ids(t, `| where isnull(x) OR x!="a"`, events...), []string{"2", "3"})
	// eval is case-sensitive, search is not.
	check(t, `where x="A"`, ids(t, `| where x="A"`, events...), []string{})
	got := run(t, `| eval y=if(x="a", "yes", "no"), z=x."!", n=len(x), c=case(x="b", "B") | table id y z n c`, events...)
	check(t, "eval row values", got, []string{"id=1;y=yes;z=a!;n=1", "id=2;y=no;z=b!;n=1;c=B", "id=3;y=no"})
	check(t, "like is case-sensitive", ids(t, `| where like(x, "A%")`, events...), []string{})
	check(t, "like", ids(t, `| where like(x, "_")`, events...), []string{"1", "2"})
}

func TestRenameAndConvert(t *testing.T) {
	got := run(t, `| rename Processes.* as * , missing as gone | convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(t) ctime(bad)`,
		ev("Processes.dest", "h1", "Processes.user", "u", "t", "1700000000.9", "bad", "soon"))
	check(t, "rename wildcard, convert", got, []string{"dest=h1;user=u;t=2023-11-14T22:13:20;bad=soon"})
	got = run(t, `| convert ctime(t)`, ev("t", "0"))
	check(t, "default timeformat", got, []string{"t=01/01/1970 00:00:00"})
}

func TestUnsupportedFailsByName(t *testing.T) {
	for query, want := range map[string]string{
		"| frobnicate":              "1:3: command frobnicate is not supported",
		"| eval a=nosuchfn(b)":      "1:10: function nosuchfn is not supported",
		"| eval a=if(b)":            "1:10: function if takes 3 arguments, got 1",
		"a=1 | where len(a, b) > 1": "1:13: function len takes 1 arguments, got 2",
	} {
		_, err := CompileQuery(query, spl.MacroMap{}, Options{})
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", query, err, want)
		}
	}
}
