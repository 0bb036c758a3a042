package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/winevent"
)

const (
	testContent    = "testdata/testcontent"
	testAttackData = "testdata/attack_data"
	mutexDataset   = "testdata/attack_data/datasets/attack_techniques/T1059.001/mutex/mutex_xml.log"
)

func runTestArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runTest(args, &out, &errb)
	return code, out.String(), errb.String()
}

// fixtureReport runs every fixture test and decodes the JSON report.
func fixtureReport(t *testing.T) (testReport, int) {
	t.Helper()
	code, out, errs := runTestArgs("--content", testContent, "--attack-data", testAttackData, "--format", "json")
	var rep testReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\nstdout: %s\nstderr: %s", err, out, errs)
	}
	return rep, code
}

func findResult(t *testing.T, rep testReport, analytic, test string) testResult {
	t.Helper()
	for _, r := range rep.Results {
		if r.Analytic == analytic && r.Test == test {
			return r
		}
	}
	t.Fatalf("no result for %s: %s", analytic, test)
	return testResult{}
}

func TestTestStatuses(t *testing.T) {
	rep, code := fixtureReport(t)
	if code != exitErrors {
		t.Errorf("exit %d, expected %d because tests failed", code, exitErrors)
	}
	cases := []struct {
		analytic, test, status, reason string
		rows                           int
	}{
		{"Fixture Mutex Pass", "True Positive Test", statusPass, "", 2},
		{"Fixture Mutex Pass", "GitHub Raw URL", statusPass, "", 2},
		{"Fixture Mutex Classic", "Classic Text Test", statusPass, "", 1},
		{"Fixture Relative Path", "Local File Test", statusPass, "", 2},
		{"Fixture No Rows", "True Positive Test", statusFail, "no rows", 0},
		{"Fixture Null Risk Object", "True Positive Test", statusFail, "risk object field user is null in all 2 rows", 2},
		{"Fixture Null Threat Object", "True Positive Test", statusFail, "threat object field process_name is null in all 2 rows", 2},
		{"Fixture Data Missing", "Absent File", statusDataMissing,
			filepath.Join(testAttackData, "datasets/attack_techniques/T1059.001/mutex/absent.log") + " not found", 0},
		{"Fixture Data Missing", "Other Host", statusDataMissing,
			"https://example.com/datasets/mutex_xml.log is not in the splunk/attack_data repository; spelunk does not download data", 0},
		{"Fixture Data Missing", "LFS Pointer", statusDataMissing,
			filepath.Join(testAttackData, "datasets/attack_techniques/T1059.001/mutex/lfs_pointer.log") +
				" is a Git LFS pointer, not the data: run git lfs pull in the attack_data checkout", 0},
		{"Fixture Experimental", "True Positive Test", statusSkipped, "experimental analytic", 0},
		{"Fixture Deprecated", "True Positive Test", statusSkipped, "deprecated analytic", 0},
		{"Fixture Correlation", "True Positive Test", statusSkipped,
			"correlation analytic: it searches the risk index that other analytics write", 0},
		{"Fixture Manual Test", "True Positive Test", statusSkipped,
			"manual_test: This search needs the baseline to be run first to create a lookup.", 0},
		{"Fixture Unsupported Sourcetype", "True Positive Test", statusError, `sourcetype "aws:cloudtrail" is not supported`, 0},
		{"Fixture Sysmon Linux Whoami", "True Positive Test", statusPass, "", 1},
		{"Fixture Bad Query", "True Positive Test", statusError, "query not runnable: 1:31: command nosuchcommand is not supported", 0},
	}
	for _, c := range cases {
		r := findResult(t, rep, c.analytic, c.test)
		if r.Status != c.status {
			t.Errorf("%s: %s: status %q, expected %q (reason %q)", c.analytic, c.test, r.Status, c.status, r.Reason)
		}
		if r.Reason != c.reason {
			t.Errorf("%s: %s: reason %q, expected %q", c.analytic, c.test, r.Reason, c.reason)
		}
		if r.Rows != c.rows {
			t.Errorf("%s: %s: %d rows, expected %d", c.analytic, c.test, r.Rows, c.rows)
		}
	}
	if len(rep.Results) != len(cases) {
		t.Errorf("%d results, expected %d", len(rep.Results), len(cases))
	}
}

func TestTestJSONReportFields(t *testing.T) {
	rep, _ := fixtureReport(t)
	if rep.Content != testContent {
		t.Errorf("content %q, expected %q", rep.Content, testContent)
	}
	if rep.AttackData != testAttackData {
		t.Errorf("attack_data %q, expected %q", rep.AttackData, testAttackData)
	}
	want := testSummary{Tests: 17, Pass: 5, Fail: 3, DataMissing: 3, Skipped: 4, Error: 2, Untested: 1}
	got := rep.Summary
	got.DurationMS = 0
	if got != want {
		t.Errorf("summary %+v, expected %+v", got, want)
	}
	if rep.Summary.DurationMS <= 0 {
		t.Errorf("summary duration_ms %v, expected a positive time", rep.Summary.DurationMS)
	}

	r := findResult(t, rep, "Fixture Mutex Pass", "True Positive Test")
	if r.AnalyticID != "a1000000-0000-4000-8000-000000000001" {
		t.Errorf("analytic_id %q", r.AnalyticID)
	}
	if r.File != "detections/endpoint/fixture_mutex_pass.yml" {
		t.Errorf("file %q", r.File)
	}
	if r.Events != 3 {
		t.Errorf("events %d, expected 3", r.Events)
	}
	if r.SkippedRecords != 0 {
		t.Errorf("skipped_records %d, expected 0", r.SkippedRecords)
	}
	if r.DurationMS <= 0 {
		t.Errorf("duration_ms %v, expected a positive time", r.DurationMS)
	}
	if len(r.Datasets) != 1 {
		t.Fatalf("%d datasets, expected 1", len(r.Datasets))
	}
	d := r.Datasets[0]
	wantData := datasetResult{
		Data:       "https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1059.001/mutex/mutex_xml.log",
		Path:       filepath.FromSlash(mutexDataset),
		Source:     "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational",
		Sourcetype: "xmlwineventlog",
		Events:     3,
	}
	if d != wantData {
		t.Errorf("dataset %+v, expected %+v", d, wantData)
	}

	// The raw JSON keys are the documented ones.
	_, out, _ := runTestArgs("--content", testContent, "--attack-data", testAttackData, "--format", "json", "--analytic", "Fixture No Rows")
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	result := raw["results"].([]any)[0].(map[string]any)
	for _, key := range []string{"analytic", "analytic_id", "file", "test", "status", "reason", "rows", "events", "skipped_records", "duration_ms", "datasets"} {
		if _, ok := result[key]; !ok {
			t.Errorf("result lacks key %q", key)
		}
	}
	if result["status"] != "fail" || result["reason"] != "no rows" || result["rows"] != 0.0 {
		t.Errorf("result %v, expected status fail, reason no rows, rows 0", result)
	}
	summary := raw["summary"].(map[string]any)
	for _, key := range []string{"tests", "pass", "fail", "data_missing", "skipped", "error", "untested", "duration_ms"} {
		if _, ok := summary[key]; !ok {
			t.Errorf("summary lacks key %q", key)
		}
	}
}

func TestTestTableOutput(t *testing.T) {
	code, out, errs := runTestArgs("--content", testContent, "--attack-data", testAttackData,
		"--analytic", "Fixture Mutex Pass", "--analytic", "a1000000-0000-4000-8000-000000000007")
	if code != exitOK {
		t.Fatalf("exit %d, expected 0 when nothing failed; stderr %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, expected 3 tests and a summary:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(lines[0], "pass ") || !strings.Contains(lines[0], " 2 rows ") ||
		!strings.HasSuffix(lines[0], "Fixture Mutex Pass: True Positive Test") {
		t.Errorf("line 1 = %q", lines[0])
	}
	if !strings.HasPrefix(lines[2], "skipped ") || !strings.HasSuffix(lines[2], "Fixture Experimental: True Positive Test (experimental analytic)") {
		t.Errorf("line 3 = %q", lines[2])
	}
	wantSummary := "spelunk test: 3 tests: 2 pass, 0 fail, 0 data missing, 1 skipped, 0 error in "
	if !strings.HasPrefix(lines[3], wantSummary) {
		t.Errorf("summary %q, expected it to start with %q", lines[3], wantSummary)
	}
}

func TestTestWithoutAttackData(t *testing.T) {
	code, out, _ := runTestArgs("--content", testContent, "--analytic", "Fixture Mutex Pass", "--format", "json")
	if code != exitOK {
		t.Errorf("exit %d, expected 0: missing data is not a failure", code)
	}
	var rep testReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Status != statusDataMissing {
		t.Errorf("status %q, expected data missing", r.Status)
	}
	want := "no --attack-data checkout given for https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1059.001/mutex/mutex_xml.log"
	if r.Reason != want {
		t.Errorf("reason %q, expected %q", r.Reason, want)
	}
}

func TestTestUsageErrors(t *testing.T) {
	if code, _, _ := runTestArgs("--format", "yaml"); code != exitUsage {
		t.Errorf("--format yaml: exit %d, expected %d", code, exitUsage)
	}
	code, _, errs := runTestArgs("--content", testContent, "--analytic", "No Such Analytic")
	if code != exitUsage || !strings.Contains(errs, `no analytic named "No Such Analytic"`) {
		t.Errorf("unknown analytic: exit %d, stderr %q", code, errs)
	}
}

func TestAttackDataPath(t *testing.T) {
	cases := []struct {
		url, rel string
		ok       bool
	}{
		{"https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1059.001/a/b.log", "datasets/attack_techniques/T1059.001/a/b.log", true},
		{"https://github.com/splunk/attack_data/raw/master/datasets/x/y.log", "datasets/x/y.log", true},
		{"https://github.com/splunk/attack_data/blob/master/datasets/x/y.log", "datasets/x/y.log", true},
		{"https://github.com/splunk/attack_data/raw/refs/heads/master/datasets/x/y.log", "datasets/x/y.log", true},
		{"https://raw.githubusercontent.com/splunk/attack_data/master/datasets/x/y.log", "datasets/x/y.log", true},
		{"https://media.githubusercontent.com/media/Splunk/Attack_Data/master/datasets/x%20y.log", "datasets/x y.log", true},
		{"https://github.com/splunk/security_content/raw/master/datasets/x.log", "", false},
		{"https://example.com/splunk/attack_data/master/datasets/x.log", "", false},
		{"https://raw.githubusercontent.com/splunk/attack_data/master/../../etc/passwd", "", false},
		{"https://raw.githubusercontent.com/splunk/attack_data/master", "", false},
	}
	for _, c := range cases {
		rel, ok := attackDataPath(c.url)
		if rel != c.rel || ok != c.ok {
			t.Errorf("attackDataPath(%q) = %q, %v; expected %q, %v", c.url, rel, ok, c.rel, c.ok)
		}
	}
}

func TestDecoderForSourcetype(t *testing.T) {
	cases := map[string]winevent.Format{
		"xmlwineventlog":          winevent.FormatXML,
		"XmlWinEventLog":          winevent.FormatXML,
		"XmlWinEventLog:Security": winevent.FormatXML,
		"WinEventLog":             winevent.FormatClassic,
		"wineventlog:security":    winevent.FormatClassic,
		"sysmon:linux":            winevent.FormatXML,
		"aws:cloudtrail":          winevent.FormatUnknown,
		"_json":                   winevent.FormatJSONObjects,
	}
	for st, want := range cases {
		if got := decoderFor(st); got != want {
			t.Errorf("decoderFor(%q) = %v, expected %v", st, got, want)
		}
	}
}

func TestReplaySetsSourceAndSourcetype(t *testing.T) {
	d := &datasetResult{Path: mutexDataset, Source: "XmlWinEventLog:Replay", Sourcetype: "xmlwineventlog"}
	var events []*event.Event
	err := replayDataset(d, winevent.FormatXML, func(e *event.Event) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || d.Events != 3 {
		t.Fatalf("%d events (counted %d), expected 3", len(events), d.Events)
	}
	for i, e := range events {
		if got, _ := e.Value("source"); got != "XmlWinEventLog:Replay" {
			t.Errorf("event %d: source %q, expected the entry's source", i+1, got)
		}
		if got, _ := e.Value("sourcetype"); got != "xmlwineventlog" {
			t.Errorf("event %d: sourcetype %q, expected the entry's sourcetype", i+1, got)
		}
	}
	if got, _ := events[0].Value("Computer"); got != "WS01.corp.example" {
		t.Errorf("Computer %q, expected WS01.corp.example", got)
	}
}

func TestReplayCountsSkippedRecords(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(mutexDataset)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "broken.log")
	broken := "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>4104</Event>\n"
	if err := os.WriteFile(name, append([]byte(broken), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &datasetResult{Path: name, Source: "s", Sourcetype: "xmlwineventlog"}
	if err := replayDataset(d, winevent.FormatXML, func(*event.Event) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d.Events != 3 || d.SkippedRecords != 1 {
		t.Errorf("%d events, %d skipped; expected 3 and 1", d.Events, d.SkippedRecords)
	}
	if !strings.HasPrefix(d.Problem, name+": line 1") {
		t.Errorf("problem %q, expected the file and line of the broken record", d.Problem)
	}
}

func TestVerdictRiskObjectInSomeRow(t *testing.T) {
	a := &content.Analytic{Tags: content.Tags{RiskScore: 10, Observable: []content.Observable{
		{Name: "dest", Type: "Hostname", Role: []string{"Victim"}},
		{Name: "user", Type: "User", Role: []string{"Victim"}},
	}}}
	row := func(fields ...string) *event.Event {
		e := &event.Event{}
		for i := 0; i+1 < len(fields); i += 2 {
			e.Set(fields[i], fields[i+1])
		}
		return e
	}
	status, reason := verdict(a, []*event.Event{row("dest", "h1"), row("user", "u1")})
	if status != statusPass || reason != "" {
		t.Errorf("fields spread over rows: %s (%s), expected pass", status, reason)
	}
	status, reason = verdict(a, []*event.Event{row("dest", "h1", "user", "")})
	if status != statusFail || reason != "risk object field user is null in all 1 rows" {
		t.Errorf("empty user: %s (%s), expected a fail naming user", status, reason)
	}
}

// TestTestEscu runs the command over the public content without attack
// data: nothing may pass or fail, because no test has its data.
func TestTestEscu(t *testing.T) {
	escu := filepath.Join("..", "..", "..", "shared", "escu")
	if _, err := os.Stat(escu); err != nil {
		t.Skip("no security content at ../shared/escu: the public content checkout is absent")
	}
	_, out, errs := runTestArgs("--content", escu, "--format", "json")
	var rep testReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, errs)
	}
	s := rep.Summary
	if s.Pass != 0 || s.Fail != 0 {
		t.Errorf("%d pass, %d fail without attack data; expected none", s.Pass, s.Fail)
	}
	if s.Tests < 1500 || s.DataMissing == 0 || s.Skipped == 0 {
		t.Errorf("summary %+v: expected over 1,500 tests with data missing and skipped ones", s)
	}
	r := findResult(t, rep, "Powershell Creating Thread Mutex", "True Positive Test")
	if r.Status != statusDataMissing {
		t.Errorf("Powershell Creating Thread Mutex: %s (%s), expected data missing", r.Status, r.Reason)
	}
}
