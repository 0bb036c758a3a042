package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/event"
)

const validDetection = `name: Valid Detection
id: b2000000-0000-4000-8000-000000000001
type: TTP
status: production
search: '` + "`powershell`" + ` EventCode=4104 | stats count by Computer'
`

// brokenContent writes a content folder with one valid detection, one
// valid macro, a detection that is not YAML, a macro whose definition
// starts with a backtick, and extra more broken detections. It returns
// the folder and the paths of the broken files in name order: the
// broken detections, then the macro.
func brokenContent(t *testing.T, extra int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"detections/endpoint/valid.yml": validDetection,
		"macros/powershell.yml":         "name: powershell\ndefinition: source=WinEventLog:Microsoft-Windows-PowerShell/Operational\n",
		"detections/broken.yml":         "name: [broken\n",
		"macros/backtick.yml":           "name: backtick\ndefinition: `powershell` EventCode=4104\n",
	}
	for i := range extra {
		files[fmt.Sprintf("detections/extra/broken%02d.yml", i)] = "search: [\n"
	}
	var broken []string
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(name, "broken") || strings.Contains(name, "backtick") {
			broken = append(broken, path)
		}
	}
	sort.Strings(broken)
	return dir, broken
}

func TestContentProblemsReported(t *testing.T) {
	dir, broken := brokenContent(t, 0)
	input := filepath.Join(fixtures, "events.xml")
	cmds := [][]string{
		{"hunt", "--content", dir, input},
		{"search", "--content", dir, "EventCode=4104", input},
		{"validate", "--content", dir},
		{"test", "--content", dir},
		{"docs", "--content", dir, "--out", t.TempDir()},
	}
	for _, args := range cmds {
		_, errOut, _ := runCLI(t, args...)
		prefix := "spelunk " + args[0]
		if want := prefix + ": skipped 2 files of content " + dir + " that could not be loaded:"; !strings.Contains(errOut, want) {
			t.Errorf("%s: stderr lacks %q:\n%s", args[0], want, errOut)
		}
		for _, want := range []string{
			broken[0] + ": invalid YAML: yaml: line 1: did not find expected ',' or ']'",
			broken[1] + ": invalid YAML: yaml: line 2: found character that cannot start any token",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", args[0], want, errOut)
			}
		}
	}
}

func TestContentProblemsCapped(t *testing.T) {
	dir, broken := brokenContent(t, 12)
	_, errOut, _ := runCLI(t, "hunt", "--content", dir, filepath.Join(fixtures, "events.xml"))
	if !strings.Contains(errOut, "skipped 14 files of content") {
		t.Errorf("stderr lacks the count of 14 files:\n%s", errOut)
	}
	shown := 0
	for _, path := range broken {
		if strings.Contains(errOut, path+": ") {
			shown++
		}
	}
	if shown != maxShownContentProblems {
		t.Errorf("stderr names %d broken files, want %d:\n%s", shown, maxShownContentProblems, errOut)
	}
	if !strings.Contains(errOut, "... and 4 more (spelunk validate lists every one)") {
		t.Errorf("stderr lacks the count of files not shown:\n%s", errOut)
	}
}

func TestValidateListsContentProblems(t *testing.T) {
	dir, broken := brokenContent(t, 0)
	out, errOut, code := runCLI(t, "validate", "--content", dir, "--format", "json")
	if code != exitErrors {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitErrors, errOut)
	}
	var got []validation
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var v validation
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		got = append(got, v)
	}
	want := []validation{
		{Name: broken[0], Status: validError, Reason: "invalid YAML: yaml: line 1: did not find expected ',' or ']'"},
		{Name: broken[1], Status: validError, Reason: "invalid YAML: yaml: line 2: found character that cannot start any token"},
		{ID: "b2000000-0000-4000-8000-000000000001", Name: "Valid Detection", Status: validOK},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("validations:\n got %+v\nwant %+v", got, want)
	}

	out, _, code = runCLI(t, "validate", "--content", dir)
	if code != exitErrors || !strings.Contains(out, "1 analytic checked: 1 ok, 0 unsupported, 0 error\n2 content files could not be loaded") {
		t.Errorf("table: exit %d, output:\n%s", code, out)
	}
}

func TestContentWithoutDetectionsFolder(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runCLI(t, "validate", "--content", dir)
	want := "spelunk validate: " + dir + " has no detections folder; --content expects a checkout of the security content repository\n"
	if code != exitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errOut, exitUsage, want)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil {
		t.Fatalf("no relative path from %s to %s: %v", wd, dir, err)
	}
	if _, errOut, _ = runCLI(t, "hunt", "--content", rel, fixtures); !strings.Contains(errOut, " "+dir+" has no detections folder") {
		t.Errorf("a relative --content is not shown as the full path:\n%s", errOut)
	}
}

func TestFlagWithoutValue(t *testing.T) {
	cases := [][]string{
		{"hunt", fixtures, "--format"},
		{"search", "EventCode=1", fixtures, "--content"},
		{"validate", "--format"},
		{"test", "--attack-data"},
		{"docs", "--out"},
		{"dump", "x.evtx", "--format"},
	}
	for _, args := range cases {
		_, errOut, code := runCLI(t, args...)
		want := fmt.Sprintf("spelunk %s: flag %s needs a value\n", args[0], args[len(args)-1])
		if code != exitUsage || !strings.HasPrefix(errOut, want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", args, code, errOut, exitUsage, want)
		}
	}
	// A boolean flag at the end takes no value.
	if _, errOut, code := runCLI(t, "validate", "--deprecated"); code == exitUsage {
		t.Errorf("validate --deprecated: exit %d: %s", code, errOut)
	}
}

func TestNegativeWorkers(t *testing.T) {
	for _, args := range [][]string{
		{"hunt", "--workers", "-5", fixtures},
		{"search", "--workers", "-1", "EventCode=1", fixtures},
		{"test", "--workers", "-2"},
	} {
		_, errOut, code := runCLI(t, args...)
		want := fmt.Sprintf("spelunk %s: invalid --workers %s, expected 0 (one per CPU) or more\n", args[0], args[2])
		if code != exitUsage || errOut != want {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", args, code, errOut, exitUsage, want)
		}
	}
}

func TestTestAttackDataMustBeAFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nonexistent")
	file := filepath.Join(fixtures, "events.xml")
	for _, dir := range []string{missing, file} {
		_, errOut, code := runCLI(t, "test", "--content", testContent, "--attack-data", dir)
		if code != exitUsage || !strings.Contains(errOut, "spelunk test: --attack-data") || !strings.Contains(errOut, dir) {
			t.Errorf("--attack-data %s: exit %d, stderr %q; want exit %d and a message naming it", dir, code, errOut, exitUsage)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for name := range commands {
		for _, flagName := range []string{"-h", "--help"} {
			_, errOut, code := runCLI(t, name, flagName)
			if code != exitOK || !strings.Contains(errOut, "usage: spelunk "+name) {
				t.Errorf("%s %s: exit %d, stderr %q; want exit 0 and the usage", name, flagName, code, errOut)
			}
		}
	}
}

func TestSearchSwappedArguments(t *testing.T) {
	_, errOut, code := runCLI(t, "search", fixtures, "EventCode=4104 | stats count")
	if code != exitUsage || !strings.Contains(errOut, "the query comes first: spelunk search 'SPL' PATH...") {
		t.Errorf("exit %d, stderr %q; want exit %d and the right order", code, errOut, exitUsage)
	}
}

func TestSummaryPlurals(t *testing.T) {
	input := filepath.Join(fixtures, "events.xml")
	_, errOut, code := runCLI(t, "search", "EventCode=4104 | stats count", input)
	if code != exitOK || !strings.Contains(errOut, "spelunk: read 1 file, 7 events; 1 result in ") {
		t.Errorf("search summary, exit %d:\n%s", code, errOut)
	}
	_, errOut, _ = runCLI(t, "hunt", "--analytic", "PowerShell Creating Thread Mutex", input)
	if !strings.Contains(errOut, ": 1 analytic ran, ") || !strings.Contains(errOut, "fired with 3 results in ") {
		t.Errorf("hunt summary:\n%s", errOut)
	}
	if got := plural(0, "file") + " " + plural(1, "file") + " " + plural(2, "record"); got != "0 files 1 file 2 records" {
		t.Errorf("plural = %q", got)
	}
}

func TestHuntCSVHeaderUnique(t *testing.T) {
	out, errOut, code := runCLI(t, "hunt", "--format", "csv", filepath.Join("..", "..", "testdata", "samples"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	records, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := records[0]
	if got := strings.Join(header[:4], ","); got != "analytic,analytic_id,analytic_risk_score,analytic_message" {
		t.Errorf("prefix columns = %s", got)
	}
	seen := map[string]bool{}
	for _, h := range header {
		if seen[h] {
			t.Errorf("column %q repeats in %q", h, header)
		}
		seen[h] = true
	}
	if !seen["risk_score"] {
		t.Errorf("the risk rules' risk_score field has no column: %q", header)
	}
}

func TestCSVHeaderRenamesClashingFields(t *testing.T) {
	got := csvHeader([]string{"analytic", "fields.analytic"}, []string{"analytic", "dest"})
	want := []string{"analytic", "fields.analytic", "fields.fields.analytic", "dest"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("csvHeader = %q, want %q", got, want)
	}
}

// TestCorrelationRowsCarryNoRisk checks that rows of the risk rules,
// which alert on entities, list no risk objects, while the rows that
// feed them do.
func TestCorrelationRowsCarryNoRisk(t *testing.T) {
	pack, err := content.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, a := range pack.Analytics {
		types[a.Name] = a.Type
	}
	out, errOut, code := runCLI(t, "hunt", "--format", "jsonl", filepath.Join("..", "..", "testdata", "samples"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	byType := map[string]int{}
	for _, r := range decodeHuntRows(t, out) {
		typ := types[r.Analytic]
		byType[typ]++
		switch {
		case typ == "Correlation" && len(r.Risk) != 0:
			t.Errorf("%s: correlation row has risk %+v", r.Analytic, r.Risk)
		case typ == "TTP" && len(r.Risk) == 0:
			t.Errorf("%s: TTP row has no risk", r.Analytic)
		}
	}
	if byType["Correlation"] == 0 || byType["TTP"] == 0 {
		t.Errorf("rows by analytic type = %v, want correlation and TTP rows", byType)
	}
}

func TestCellTextEscapesInvisible(t *testing.T) {
	cases := map[string]string{
		"evil\u202egpj.exe":  `evil\u202Egpj.exe`,
		"\x1b[31mred\x1b[0m": `\u001B[31mred\u001B[0m`,
		"a\x00b\x7fc\u0085d": `a\u0000b\u007Fc\u0085d`,
		"\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069": `\u200E\u200F\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069`,
		"line\r\nnext\ttab": `line\nnext tab`,
		"café \u200d ok":    "café \u200d ok",
	}
	for in, want := range cases {
		if got := cellText([]string{in}); got != want {
			t.Errorf("cellText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOutputKeepsValuesExceptTable(t *testing.T) {
	value := "x\u202ey\x1b"
	row := &event.Event{}
	row.Set("name\u202e", value)
	var table bytes.Buffer
	writeTable(&table, []string{"name\u202e"}, []*event.Event{row})
	if want := "name\\u202E\n--------------\nx\\u202Ey\\u001B\n"; table.String() != want {
		t.Errorf("table = %q, want %q", table.String(), want)
	}
	var csvOut bytes.Buffer
	if err := writeCSV(&csvOut, nil, []string{"name\u202e"}, []*event.Event{row}, func(*event.Event) []string { return nil }); err != nil {
		t.Fatal(err)
	}
	if want := "name\u202e\n" + value + "\n"; csvOut.String() != want {
		t.Errorf("csv = %q, want %q", csvOut.String(), want)
	}
	if got := fieldsJSON(row)["name\u202e"]; got != value {
		t.Errorf("jsonl value = %q, want %q", got, value)
	}
}

func TestSearchReportsRegexTimeouts(t *testing.T) {
	query := `index=* | eval s="` + strings.Repeat("a", 40) + `b" | where match(s, "^(?=a)(a+)+$") | stats count`
	out, errOut, code := runCLI(t, "search", "--format", "csv", query, filepath.Join(fixtures, "events.xml"))
	if code != exitErrors {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitErrors, errOut)
	}
	if out != "count\n0\n" {
		t.Errorf("output %q", out)
	}
	if !strings.Contains(errOut, "warning: regex") || !strings.Contains(errOut, "counted as no match") {
		t.Errorf("no timeout warning:\n%s", errOut)
	}
}
