package risk

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/input"
	"github.com/spelunk/spelunk/spl"
)

var runTime = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// readEvents decodes a committed fixture file.
func readEvents(t *testing.T, path string) []*event.Event {
	t.Helper()
	var events []*event.Event
	sum, err := input.Walk([]string{path}, input.Options{}, func(e *event.Event) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if sum.ProblemCount > 0 {
		t.Fatalf("reading %s: %d records skipped: %v", path, sum.ProblemCount, sum.Problems)
	}
	return events
}

// runAnalytic runs one analytic's search over events.
func runAnalytic(t *testing.T, a *content.Analytic, macros spl.MacroSet, events []*event.Event) []*event.Event {
	t.Helper()
	rows, err := engine.Run(a.Search, macros, engine.Options{Now: runTime}, events)
	if err != nil {
		t.Fatalf("%s: %v", a.Name, err)
	}
	return rows
}

func builtinAnalytic(t *testing.T, name string) (*content.Analytic, *content.Pack) {
	t.Helper()
	pack, err := content.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	found, missing := pack.Find([]string{name})
	if len(missing) > 0 {
		t.Fatalf("built-in pack has no analytic %q", name)
	}
	return found[0], pack
}

// want is the comparable part of a risk event.
type want struct {
	Object, ObjectType, Normalized string
	Score                          int
	Message                        string
	Time                           time.Time
}

func summarize(events []*Event) []want {
	var out []want
	for _, e := range events {
		out = append(out, want{e.Object, e.ObjectType, e.NormalizedObject, e.Score, e.Message, e.Time})
	}
	return out
}

func TestEventsThreadMutexFixture(t *testing.T) {
	a, pack := builtinAnalytic(t, "PowerShell Creating Thread Mutex")
	rows := runAnalytic(t, a, pack.Macros, readEvents(t, filepath.Join("..", "testdata", "powershell", "events.xml")))
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	if !Generates(a) {
		t.Fatalf("Generates(%s) = false for a TTP with observables", a.Name)
	}
	var events []*Event
	for _, row := range rows {
		events = append(events, Events(a, row, Options{Now: runTime})...)
	}
	mordor := "A suspicious powershell script contains Thread Mutex on host MORDORDC.theshire.local"
	sec511 := "A suspicious powershell script contains Thread Mutex on host SEC511"
	sid := "S-1-5-21-1552841522-3835366585-4197357653-1001"
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	wantEvents := []want{
		{"MORDORDC.theshire.local", "system", "mordordc.theshire.local", 40, mordor, at("2020-09-22T07:45:15Z")},
		{"S-1-5-18", "user", "s-1-5-18", 40, mordor, at("2020-09-22T07:45:15Z")},
		{"SEC511", "system", "sec511", 40, sec511, at("2017-08-30T19:25:04Z")},
		{sid, "user", "s-1-5-21-1552841522-3835366585-4197357653-1001", 40, sec511, at("2017-08-30T19:25:04Z")},
		{"MORDORDC.theshire.local", "system", "mordordc.theshire.local", 40, mordor, at("2020-09-22T07:46:02Z")},
		{"S-1-5-18", "user", "s-1-5-18", 40, mordor, at("2020-09-22T07:46:02Z")},
	}
	if got := summarize(events); !reflect.DeepEqual(got, wantEvents) {
		t.Errorf("risk events:\n got %+v\nwant %+v", got, wantEvents)
	}
	e := events[2]
	if e.SearchName != "ESCU - PowerShell Creating Thread Mutex - Rule" {
		t.Errorf("search_name = %q", e.SearchName)
	}
	if !reflect.DeepEqual(e.Techniques, []string{"T1027", "T1027.005", "T1059.001"}) {
		t.Errorf("techniques = %v", e.Techniques)
	}
	wantTactics := []Tactic{{"TA0005", "Defense Evasion"}, {"TA0002", "Execution"}}
	if !reflect.DeepEqual(e.Tactics, wantTactics) {
		t.Errorf("tactics = %v, want %v", e.Tactics, wantTactics)
	}
	if !reflect.DeepEqual(e.Stories, []string{"Malicious PowerShell"}) {
		t.Errorf("stories = %v", e.Stories)
	}
	if len(e.ThreatObjects) != 0 {
		t.Errorf("threat objects = %v, want none", e.ThreatObjects)
	}
}

func TestEventsMultivalueRiskObject(t *testing.T) {
	a := &content.Analytic{
		Name: "Multivalue Test", Type: "Anomaly",
		Tags: content.Tags{
			RiskScore:     25,
			Message:       "Hosts $dest$ ran $process_name$",
			MitreAttackID: []string{"T1047"},
			Observable: []content.Observable{
				{Name: "dest", Type: "Hostname", Role: []string{"Victim"}},
				{Name: "user", Type: "User", Role: []string{"Victim"}},
				{Name: "process_name", Type: "Process Name", Role: []string{"Attacker"}},
			},
		},
	}
	row := &event.Event{}
	row.Set("dest", "WKS-1", "WKS-2", "")
	row.Set("user", `CORP\Alice`)
	row.Set("process_name", "wmic.exe", "cmd.exe")
	row.Set("_time", "1600761600")
	events := Events(a, row, Options{Now: runTime})
	got := summarize(events)
	message := "Hosts WKS-1, WKS-2,  ran wmic.exe, cmd.exe"
	ts := time.Unix(1600761600, 0).UTC()
	wantEvents := []want{
		{"WKS-1", "system", "wks-1", 25, message, ts},
		{"WKS-2", "system", "wks-2", 25, message, ts},
		{`CORP\Alice`, "user", "alice", 25, message, ts},
	}
	if !reflect.DeepEqual(got, wantEvents) {
		t.Errorf("risk events:\n got %+v\nwant %+v", got, wantEvents)
	}
	for _, e := range events {
		if !reflect.DeepEqual(e.ThreatObjects, []string{"wmic.exe", "cmd.exe"}) {
			t.Errorf("%s: threat objects = %v", e.Object, e.ThreatObjects)
		}
		if !reflect.DeepEqual(e.ThreatObjectTypes, []string{"process", "process"}) {
			t.Errorf("%s: threat object types = %v", e.Object, e.ThreatObjectTypes)
		}
	}
}

func TestEventsRBAContent(t *testing.T) {
	pack, err := content.LoadDir(filepath.Join("..", "testdata", "risk", "content-v5"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pack.Analytics) != 1 || pack.Analytics[0].RBA == nil {
		t.Fatalf("want one analytic with an rba block, got %d", len(pack.Analytics))
	}
	a := pack.Analytics[0]
	rows := runAnalytic(t, a, pack.Macros, readEvents(t, filepath.Join("..", "testdata", "risk", "workstation6.xml")))
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(rows))
	}
	events := Events(a, rows[0], Options{Now: runTime})
	message := "Service wks6svc running %COMSPEC% /c powershell.exe -nop -w hidden -c Start-Sleep 5 was created on WORKSTATION6.theshire.local"
	ts := time.Date(2020, 9, 22, 8, 22, 47, 0, time.UTC)
	sid := "S-1-5-21-4228717743-1032521047-1810997296-1104"
	wantEvents := []want{
		{"WORKSTATION6.theshire.local", "system", "workstation6.theshire.local", 64, message, ts},
		{sid, "user", "s-1-5-21-4228717743-1032521047-1810997296-1104", 32, message, ts},
	}
	if got := summarize(events); !reflect.DeepEqual(got, wantEvents) {
		t.Errorf("risk events:\n got %+v\nwant %+v", got, wantEvents)
	}
	wantThreats := []string{"wks6svc", "%COMSPEC% /c powershell.exe -nop -w hidden -c Start-Sleep 5"}
	if !reflect.DeepEqual(events[0].ThreatObjects, wantThreats) {
		t.Errorf("threat objects = %q, want %q", events[0].ThreatObjects, wantThreats)
	}
	if !reflect.DeepEqual(events[0].ThreatObjectTypes, []string{"service", "process"}) {
		t.Errorf("threat object types = %v", events[0].ThreatObjectTypes)
	}
	wantTactics := []Tactic{{"TA0003", "Persistence"}, {"TA0004", "Privilege Escalation"}, {"TA0002", "Execution"}}
	if !reflect.DeepEqual(events[0].Tactics, wantTactics) {
		t.Errorf("tactics = %v, want %v", events[0].Tactics, wantTactics)
	}
}

func TestObservableMapping(t *testing.T) {
	a := &content.Analytic{Name: "Mapping", Type: "TTP", Tags: content.Tags{RiskScore: 10, Observable: []content.Observable{
		{Name: "dest", Type: "Endpoint", Role: []string{"Victim"}},
		{Name: "src_user", Type: "User Name", Role: []string{"Victim"}},
		{Name: "parent", Type: "Process", Role: []string{"Parent Process"}},
		{Name: "src", Type: "Hostname", Role: []string{"Attacker"}},
		{Name: "file_hash", Type: "File Hash", Role: []string{"Attacker"}},
		{Name: "mail", Type: "Email Address", Role: []string{"Victim", "Attacker"}},
	}}}
	wantRisk := []content.RiskObject{
		{Field: "dest", Type: "system", Score: 10},
		{Field: "src_user", Type: "other", Score: 10},
		{Field: "parent", Type: "other", Score: 10},
		{Field: "mail", Type: "user", Score: 10},
	}
	if got := a.RiskObjects(); !reflect.DeepEqual(got, wantRisk) {
		t.Errorf("risk objects:\n got %v\nwant %v", got, wantRisk)
	}
	wantThreat := []content.ThreatObject{{Field: "src", Type: "hostname"}, {Field: "file_hash", Type: "file_name"}}
	if got := a.ThreatObjects(); !reflect.DeepEqual(got, wantThreat) {
		t.Errorf("threat objects:\n got %v\nwant %v", got, wantThreat)
	}
}

func TestGeneratesOnlyTTPAndAnomaly(t *testing.T) {
	obs := []content.Observable{{Name: "dest", Type: "Hostname", Role: []string{"Victim"}}}
	cases := map[string]bool{"TTP": true, "Anomaly": true, "anomaly": true, "Hunting": false, "Correlation": false, "Baseline": false}
	for typ, wantGen := range cases {
		a := &content.Analytic{Name: typ, Type: typ, Tags: content.Tags{RiskScore: 5, Observable: obs}}
		if got := Generates(a); got != wantGen {
			t.Errorf("Generates(type %s) = %v, want %v", typ, got, wantGen)
		}
	}
	if Generates(&content.Analytic{Name: "no objects", Type: "TTP"}) {
		t.Error("Generates = true for a TTP without risk objects")
	}
}

func TestNormalizeObject(t *testing.T) {
	cases := []struct{ object, objectType, want string }{
		{"WORKSTATION6.theshire.local", "system", "workstation6.theshire.local"},
		{`THESHIRE\pgustavo`, "user", "pgustavo"},
		{"PGustavo@theshire.local", "user", "pgustavo"},
		{`NT AUTHORITY\SYSTEM`, "user", "system"},
		{"alice", "user", "alice"},
		{`CORP\Alice@x`, "other", `corp\alice@x`},
		{`trailing\`, "user", `trailing\`},
		{"@handle", "user", "@handle"},
	}
	for _, c := range cases {
		if got := NormalizeObject(c.object, c.objectType); got != c.want {
			t.Errorf("NormalizeObject(%q, %q) = %q, want %q", c.object, c.objectType, got, c.want)
		}
	}
}

func TestRowTime(t *testing.T) {
	cases := []struct {
		fields map[string]string
		want   time.Time
	}{
		{map[string]string{"firstTime": "2020-09-22T07:45:15", "_time": "1"}, time.Date(2020, 9, 22, 7, 45, 15, 0, time.UTC)},
		{map[string]string{"firstTime": "09/22/2020 07:45:15"}, time.Date(2020, 9, 22, 7, 45, 15, 0, time.UTC)},
		{map[string]string{"firstTime": "1600760715.5"}, time.Date(2020, 9, 22, 7, 45, 15, 5e8, time.UTC)},
		{map[string]string{"firstTime": "not a time", "_time": "1600760715"}, time.Date(2020, 9, 22, 7, 45, 15, 0, time.UTC)},
		{map[string]string{}, runTime},
	}
	for _, c := range cases {
		row := &event.Event{}
		for k, v := range c.fields {
			row.Set(k, v)
		}
		if got := rowTime(row, runTime); !got.Equal(c.want) {
			t.Errorf("rowTime(%v) = %v, want %v", c.fields, got, c.want)
		}
	}
}

func sampleEvent() *Event {
	row := &event.Event{}
	row.Set("_time", "1600761600")
	row.Set("dest", "WKS-1")
	row.Set("source", "XmlWinEventLog:Security")
	row.Set("count", "2")
	return &Event{
		Time: time.Unix(1600761600, 0).UTC(), Object: "WKS-1", ObjectType: "system", NormalizedObject: "wks-1",
		Score: 30, Message: "x <&> y on WKS-1", ThreatObjects: []string{"a.exe"}, ThreatObjectTypes: []string{"process"},
		SearchName: "ESCU - Sample - Rule", Techniques: []string{"T1047"}, TechniqueNames: []string{"Windows Management Instrumentation"},
		Tactics: []Tactic{{"TA0002", "Execution"}}, Stories: []string{"Story A"}, Row: row,
	}
}

func TestEventJSON(t *testing.T) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sampleEvent()); err != nil {
		t.Fatal(err)
	}
	data := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	want := `{"_time":1600761600,"index":"risk","sourcetype":"stash","source":"ESCU - Sample - Rule",` +
		`"search_name":"ESCU - Sample - Rule","risk_object":"WKS-1","risk_object_type":"system",` +
		`"normalized_risk_object":"wks-1","risk_score":30,"calculated_risk_score":30,"risk_message":"x <&> y on WKS-1",` +
		`"threat_object":["a.exe"],"threat_object_type":["process"],"annotations.mitre_attack":["T1047"],` +
		`"annotations.mitre_attack.mitre_technique_id":["T1047"],` +
		`"annotations.mitre_attack.mitre_technique":["Windows Management Instrumentation"],` +
		`"annotations.mitre_attack.mitre_tactic_id":["TA0002"],"annotations.mitre_attack.mitre_tactic":["execution"],` +
		`"annotations._all":["T1047","Story A"],"annotations._frameworks":["mitre_attack","analytic_story"],` +
		`"analyticstories":["Story A"],"dest":"WKS-1","count":"2"}`
	if string(data) != want {
		t.Errorf("JSON:\n got %s\nwant %s", data, want)
	}
	var decoded map[string]any
	if err := json.Unmarshal(data, &decoded); err != nil {
		t.Fatalf("output is not valid JSON: %v", err)
	}
	escaped, err := json.Marshal(sampleEvent())
	if err != nil {
		t.Fatal(err)
	}
	var again map[string]any
	if err := json.Unmarshal(escaped, &again); err != nil || !reflect.DeepEqual(again, decoded) {
		t.Errorf("json.Marshal output decodes differently: %v", err)
	}
}

func TestRiskDataModelFrom(t *testing.T) {
	rec := sampleEvent().Record()
	other := &event.Event{}
	other.Set("_time", "1600761600")
	other.Set("risk_object", "WKS-1")
	other.Set("index", "main")
	other.Set("sourcetype", "stash")
	query := `| from datamodel Risk.All_Risk | search normalized_risk_object IN ("WKS-1") ` +
		`| stats count sum(risk_score) as score values(annotations.mitre_attack.mitre_tactic) as tactics by normalized_risk_object`
	rows, err := engine.Run(query, nil, engine.Options{Now: runTime}, []*event.Event{other, rec, rec})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(rows))
	}
	for field, want := range map[string]string{"normalized_risk_object": "wks-1", "count": "2", "score": "60", "tactics": "execution"} {
		if got, _ := rows[0].Value(field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
}

func TestFromRejectsOtherDatasets(t *testing.T) {
	cases := map[string]string{
		`| from datamodel No_Such.Model`:        "data model dataset No_Such.Model is not supported",
		`| from lookup:users`:                   "from lookup is not supported, only from datamodel",
		`| search x | from datamodel Risk`:      "from must be the first command of a search",
		`| from datamodel:"Risk.All_Risk" junk`: `unexpected "junk" in from, expected end of command`,
	}
	for query, want := range cases {
		_, err := engine.CompileQuery(query, nil, engine.Options{Now: runTime})
		var se *spl.Error
		if err == nil {
			t.Errorf("%s: compiled, want error %q", query, want)
			continue
		}
		if !errors.As(err, &se) || se.Msg != want {
			t.Errorf("%s: error %v, want %q", query, err, want)
		}
	}
}

func TestSummarizeTotals(t *testing.T) {
	mk := func(analytic, object, objectType string, score int, at string, tactics ...Tactic) *Event {
		ts, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		return &Event{Object: object, ObjectType: objectType, NormalizedObject: NormalizeObject(object, objectType),
			Score: score, Time: ts, SearchName: SearchName(&content.Analytic{Name: analytic}),
			Analytic: &content.Analytic{Name: analytic}, Tactics: tactics}
	}
	exec, cred := Tactic{"TA0002", "Execution"}, Tactic{"TA0006", "Credential Access"}
	events := []*Event{
		mk("A", "HOST1", "system", 40, "2020-09-22T08:00:00Z", exec),
		mk("B", "host1", "system", 63, "2020-09-22T07:00:00Z", cred),
		mk("A", "HOST1", "system", 40, "2020-09-22T09:30:00Z", exec),
		mk("C", `CORP\alice`, "user", 25, "2020-09-21T10:00:00Z"),
		mk("A", "alice@corp.example", "user", 30, "2020-09-23T10:00:00Z", exec),
		mk("C", "HOST1", "other", 5, "2020-09-22T08:00:00Z"),
		mk("C", "zeta", "system", 55, "2020-09-22T08:00:00Z"),
	}
	got := Summarize(events)
	if len(got) != 4 {
		t.Fatalf("got %d entities, want 4", len(got))
	}
	wantOrder := []string{"host1/system", "zeta/system", "alice/user", "host1/other"}
	for i, ent := range got {
		if key := ent.Object + "/" + ent.ObjectType; key != wantOrder[i] {
			t.Errorf("entity %d = %s, want %s", i, key, wantOrder[i])
		}
	}
	host := got[0]
	if host.Score != 143 || host.Events != 3 {
		t.Errorf("host1 score %d over %d events, want 143 over 3", host.Score, host.Events)
	}
	if host.Name != "HOST1" {
		t.Errorf("host1 name = %q, want the most frequent spelling HOST1", host.Name)
	}
	wantContrib := []Contribution{{"A", 80, 2}, {"B", 63, 1}}
	if !reflect.DeepEqual(host.Analytics, wantContrib) {
		t.Errorf("host1 analytics = %+v, want %+v", host.Analytics, wantContrib)
	}
	if !reflect.DeepEqual(host.Tactics, []string{"credential-access", "execution"}) {
		t.Errorf("host1 tactics = %v", host.Tactics)
	}
	if !host.First.Equal(time.Date(2020, 9, 22, 7, 0, 0, 0, time.UTC)) || !host.Last.Equal(time.Date(2020, 9, 22, 9, 30, 0, 0, time.UTC)) {
		t.Errorf("host1 first %v last %v", host.First, host.Last)
	}
	alice := got[2]
	if alice.Score != 55 || len(alice.Analytics) != 2 || alice.Name != `CORP\alice` {
		t.Errorf("alice = %+v, want score 55 from 2 analytics named CORP\\alice", alice)
	}
	if !MarkRule(got, "Rule X", "Alice@Corp.Example", "user") {
		t.Error("MarkRule did not match alice by another spelling")
	}
	if MarkRule(got, "Rule X", "host1", "user") {
		t.Error("MarkRule matched host1 with type user")
	}
	MarkRule(got, "Rule Y", "HOST1", "")
	if !reflect.DeepEqual(got[0].Rules, []string{"Rule Y"}) || !reflect.DeepEqual(got[3].Rules, []string{"Rule Y"}) {
		t.Errorf("rules of host1: system %v, other %v; want Rule Y on both", got[0].Rules, got[3].Rules)
	}
	if !reflect.DeepEqual(alice.Rules, []string{"Rule X"}) {
		t.Errorf("alice rules = %v", alice.Rules)
	}
}
