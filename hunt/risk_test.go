package hunt

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/input"
	"github.com/spelunk/spelunk/risk"
	"github.com/spelunk/spelunk/spl"
)

var workstation6 = filepath.Join("..", "testdata", "risk", "workstation6.xml")

// runHunt runs analytics over one fixture file and finishes the hunt.
func runHunt(t *testing.T, analytics []*content.Analytic, pack *content.Pack, path string) *Hunt {
	t.Helper()
	h := New(analytics, pack.Macros, engine.Options{Now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)})
	for _, a := range h.Analytics {
		if a.Err != nil {
			t.Fatalf("%s: %v", a.Analytic.Name, a.Err)
		}
	}
	sum, err := input.Walk([]string{path}, input.Options{}, func(e *event.Event) error {
		h.Push(e)
		return nil
	})
	if err != nil || sum.ProblemCount > 0 {
		t.Fatalf("reading %s: %v, %d records skipped", path, err, sum.ProblemCount)
	}
	h.Finish()
	for _, a := range h.Analytics {
		if a.RunErr != nil {
			t.Fatalf("%s: %v", a.Analytic.Name, a.RunErr)
		}
	}
	return h
}

func analyticByName(h *Hunt, name string) *Analytic {
	for _, a := range h.Analytics {
		if a.Analytic.Name == name {
			return a
		}
	}
	return nil
}

// checkRow compares fields of a row, with multiple values joined by "|".
func checkRow(t *testing.T, label string, row *event.Event, want map[string]string) {
	t.Helper()
	for field, v := range want {
		if got := strings.Join(row.Values(field), "|"); got != v {
			t.Errorf("%s: %s = %q, want %q", label, field, got, v)
		}
	}
}

// entityKey is the comparable part of a summary entity.
type entityKey struct {
	Name, Type string
	Score      int
	Analytics  int
	Tactics    string
	Rules      string
}

func entityKeys(entities []*risk.Entity) []entityKey {
	var out []entityKey
	for _, e := range entities {
		out = append(out, entityKey{e.Name, e.ObjectType, e.Score, len(e.Analytics), strings.Join(e.Tactics, ","), strings.Join(e.Rules, ";")})
	}
	return out
}

func TestHuntBuiltinRiskRules(t *testing.T) {
	pack, err := content.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var analytics []*content.Analytic
	for _, a := range pack.Analytics {
		if a.Name != "PowerShell Script Decodes Or Downloads Code" {
			analytics = append(analytics, a)
		}
	}
	// Two probes for the phases: the first must not see risk events, the
	// second must see nothing else.
	analytics = append(analytics,
		&content.Analytic{Name: "Probe First Phase", Type: "Hunting", Search: `search risk_object=* OR sourcetype=stash | stats count`},
		&content.Analytic{Name: "Probe Second Phase", Type: "Correlation", Search: `search ScriptBlockId=* OR EventRecordID=* | stats count`},
		&content.Analytic{Name: "Probe Risk Events", Type: "Correlation", Search: `| from datamodel:"Risk.All_Risk" | stats count`},
	)
	h := runHunt(t, analytics, pack, workstation6)

	if len(h.RiskEvents) != 6 {
		t.Errorf("got %d risk events, want 6 (mutex 2 per host, log cleared 1, service 1)", len(h.RiskEvents))
	}
	for name, want := range map[string]string{"Probe First Phase": "0", "Probe Second Phase": "0", "Probe Risk Events": "6"} {
		a := analyticByName(h, name)
		if a == nil || len(a.Rows) != 1 {
			t.Fatalf("%s: want one row", name)
		}
		checkRow(t, name, a.Rows[0], map[string]string{"count": want})
	}

	total := analyticByName(h, "Entity Risk Score Over Threshold In 24 Hours")
	if total == nil || !total.Correlation || len(total.Rows) != 1 {
		t.Fatalf("24-hour risk rule: want one row from a second-phase analytic, got %v", total)
	}
	checkRow(t, "24-hour rule", total.Rows[0], map[string]string{
		"normalized_risk_object": "workstation6.theshire.local", "risk_object_type": "system",
		"risk_score": "159", "risk_event_count": "3", "source_count": "3",
		"risk_window_start": "2020-09-22T00:00:00", "firstTime": "2020-09-22T08:16:50", "lastTime": "2020-09-22T08:25:18",
	})
	tactics := analyticByName(h, "Entity Risk From Multiple ATT&CK Tactics In 7 Days")
	if tactics == nil || len(tactics.Rows) != 1 {
		t.Fatalf("tactic risk rule: want one row, got %v", tactics)
	}
	checkRow(t, "tactic rule", tactics.Rows[0], map[string]string{
		"normalized_risk_object": "workstation6.theshire.local", "mitre_tactic_count": "4",
		"mitre_tactic":      "defense-evasion|execution|persistence|privilege-escalation",
		"risk_window_start": "2020-09-20T00:00:00",
	})

	rules := "Entity Risk From Multiple ATT&CK Tactics In 7 Days;Entity Risk Score Over Threshold In 24 Hours"
	want := []entityKey{
		{"WORKSTATION6.theshire.local", "system", 159, 3, "defense-evasion,execution,persistence,privilege-escalation", rules},
		{"WORKSTATION5.theshire.local", "system", 40, 1, "defense-evasion,execution", ""},
		{"S-1-5-21-4228717743-1032521047-1810997296-1104", "user", 40, 1, "defense-evasion,execution", ""},
		{"S-1-5-21-4228717743-1032521047-1810997296-1105", "user", 40, 1, "defense-evasion,execution", ""},
	}
	if got := entityKeys(h.RiskSummary()); !reflect.DeepEqual(got, want) {
		t.Errorf("summary:\n got %+v\nwant %+v", got, want)
	}
	c := h.Counts()
	if c.Runnable != 8 || c.Fired != 8 {
		t.Errorf("counts = %+v, want 8 runnable and 8 fired", c)
	}
}

func TestHuntRiskThresholdMacroOverride(t *testing.T) {
	pack, err := content.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	rule := "Entity Risk Score Over Threshold In 24 Hours"
	found, missing := pack.Find([]string{rule, "PowerShell Creating Thread Mutex"})
	if len(missing) > 0 {
		t.Fatalf("built-in pack lacks %v", missing)
	}
	h := runHunt(t, found, pack, workstation6)
	if rows := analyticByName(h, rule).Rows; len(rows) != 0 {
		t.Errorf("threshold 100: got %d rows, want none (the mutex gives 40 per entity)", len(rows))
	}

	lowered := spl.MacroMap{}
	for k, m := range pack.Macros {
		lowered[k] = m
	}
	lowered.Add(&spl.Macro{Name: "risk_total_threshold", Definition: "39"})
	h = runHunt(t, found, &content.Pack{Macros: lowered}, workstation6)
	if rows := analyticByName(h, rule).Rows; len(rows) != 4 {
		t.Errorf("threshold 39: got %d rows, want 4 (two hosts and two users at 40)", len(rows))
	}
}

// escuPack loads the security content library, or skips.
func escuPack(t *testing.T) *content.Pack {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "escu")
	if _, err := os.Stat(filepath.Join(dir, "detections")); err != nil {
		t.Skipf("security content library not found at %s: %v", dir, err)
	}
	pack, err := content.LoadDir(dir)
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	return pack
}

func TestHuntESCUCorrelationOnRiskEvents(t *testing.T) {
	pack := escuPack(t)
	names := []string{
		// Execution (T1047, T1059.001): 63 + 25 + 10 + 15 + 40 = 153.
		"Remote Process Instantiation via WMI and PowerShell Script Block",
		"PowerShell Invoke CIMMethod CIMSession",
		"PowerShell Start or Stop Service",
		"Windows PowerShell Get CIMInstance Remote Computer",
		"Windows PowerShell WMI Win32 ScheduledJob",
		// Lateral Movement (T1021.*): 45 + 63 + 45 = 153, three analytics.
		"Interactive Session on Remote Endpoint with PowerShell",
		"Remote Process Instantiation via DCOM and PowerShell Script Block",
		"Remote Process Instantiation via WinRM and PowerShell Script Block",
		// Not in the Active Directory Lateral Movement story: 40 per entity.
		"Powershell Creating Thread Mutex",
		"Active Directory Lateral Movement Identified",
	}
	analytics, missing := pack.Find(names)
	if len(missing) > 0 {
		t.Fatalf("library lacks %v", missing)
	}
	h := runHunt(t, analytics, pack, workstation6)

	corr := analyticByName(h, "Active Directory Lateral Movement Identified")
	if !corr.Correlation {
		t.Fatal("the Correlation analytic is not in the second phase")
	}
	// The correlation groups by tactic and keeps groups with at least four
	// analytics: execution has five, lateral-movement only three.
	if len(corr.Rows) != 1 {
		t.Fatalf("correlation: got %d rows, want 1", len(corr.Rows))
	}
	checkRow(t, "correlation", corr.Rows[0], map[string]string{
		"risk_object": "WORKSTATION6.theshire.local", "risk_object_type": "system",
		"annotations.mitre_attack.mitre_tactic": "execution", "risk_score": "153",
		"risk_event_count": "5", "source_count": "5", "mitre_tactic_id_count": "1",
		"mitre_technique_id_count": "3", "firstTime": "2020-09-22T08:01:10", "lastTime": "2020-09-22T08:08:30",
	})

	want := []entityKey{
		{"WORKSTATION6.theshire.local", "system", 346, 9, "defense-evasion,execution,lateral-movement", "Active Directory Lateral Movement Identified"},
		{"WORKSTATION5.theshire.local", "system", 40, 1, "defense-evasion,execution", ""},
		{"S-1-5-21-4228717743-1032521047-1810997296-1104", "user", 40, 1, "defense-evasion,execution", ""},
		{"S-1-5-21-4228717743-1032521047-1810997296-1105", "user", 40, 1, "defense-evasion,execution", ""},
	}
	if got := entityKeys(h.RiskSummary()); !reflect.DeepEqual(got, want) {
		t.Errorf("summary:\n got %+v\nwant %+v", got, want)
	}
}

func TestReadsRisk(t *testing.T) {
	cases := map[string]bool{
		`| tstats count from datamodel=Risk.All_Risk by All_Risk.risk_object`: true,
		`| from datamodel Risk.All_Risk | stats count`:                        true,
		`| from datamodel:"Risk.All_Risk"`:                                    true,
		`index=risk risk_object=*`:                                            true,
		`| tstats count from datamodel=Endpoint.Processes`:                    false,
		"`powershell` EventCode=4104 ScriptBlockText=*risk*":                  false,
		`| tstats count from datamodel=Risk_Extra.Nodes`:                      false,
	}
	for search, want := range cases {
		if got := ReadsRisk(&content.Analytic{Type: "TTP", Search: search}); got != want {
			t.Errorf("ReadsRisk(%q) = %v, want %v", search, got, want)
		}
	}
	if !ReadsRisk(&content.Analytic{Type: "Correlation", Search: "search *"}) {
		t.Error("ReadsRisk = false for type Correlation")
	}
}
