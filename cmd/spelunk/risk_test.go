package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var riskFixture = filepath.Join("..", "..", "testdata", "risk", "workstation6.xml")

func TestHuntRiskSummaryJSONL(t *testing.T) {
	out, errOut, code := runCLI(t, "hunt", "--risk", "--format", "jsonl", riskFixture)
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, errOut)
	}
	var got []riskEntityRow
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r riskEntityRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		got = append(got, r)
	}
	if len(got) != 4 {
		t.Fatalf("got %d entities, want 4:\n%s", len(got), out)
	}
	top := got[0]
	if top.Entity != "WORKSTATION6.theshire.local" || top.Type != "system" || top.Score != 159 || top.Events != 3 {
		t.Errorf("top entity = %+v", top)
	}
	if !reflect.DeepEqual(top.Tactics, []string{"defense-evasion", "execution", "persistence", "privilege-escalation"}) {
		t.Errorf("tactics = %v", top.Tactics)
	}
	if top.First != "2020-09-22T08:16:50Z" || top.Last != "2020-09-22T08:25:18Z" {
		t.Errorf("first %s last %s", top.First, top.Last)
	}
	wantRules := []string{"Entity Risk From Multiple ATT&CK Tactics In 7 Days", "Entity Risk Score Over Threshold In 24 Hours"}
	if !reflect.DeepEqual(top.RiskRules, wantRules) {
		t.Errorf("risk rules = %v", top.RiskRules)
	}
	if top.AnalyticsN != 3 || len(top.Analytics) != 3 || top.Analytics[0].Analytic != "Windows Event Log Cleared" || top.Analytics[0].Score != 63 {
		t.Errorf("analytics = %+v", top.Analytics)
	}
	for _, r := range got[1:] {
		if r.Score != 40 {
			t.Errorf("%s %s: score %d, want 40", r.Entity, r.Type, r.Score)
		}
	}
}

func TestHuntRiskOutAndTableSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "risk.jsonl")
	out, errOut, code := runCLI(t, "hunt", "--risk-out", path, riskFixture)
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, errOut)
	}
	if !strings.Contains(out, "== Risk by entity: 4 entities, 6 risk events from 3 analytics") {
		t.Errorf("table output lacks the risk section:\n%s", out)
	}
	if !strings.Contains(out, "== Windows Event Log Cleared") {
		t.Errorf("table output lacks the analytic results:\n%s", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d risk events, want 6", len(lines))
	}
	scores := map[string]float64{}
	for _, line := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		for _, key := range []string{"_time", "risk_object", "risk_object_type", "risk_score", "risk_message", "search_name", "source", "annotations.mitre_attack", "analyticstories"} {
			if _, ok := ev[key]; !ok {
				t.Errorf("risk event lacks %s: %s", key, line)
			}
		}
		scores[ev["risk_object"].(string)+"/"+ev["search_name"].(string)] += ev["risk_score"].(float64)
	}
	if got := scores["WORKSTATION6.theshire.local/ESCU - Windows Service Created From Unusual Path - Rule"]; got != 56 {
		t.Errorf("service risk on WORKSTATION6 = %v, want 56", got)
	}
}

// TestHuntRiskOutUnwritable checks that an unusable --risk-out path
// fails before any input is read.
func TestHuntRiskOutUnwritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "risk.jsonl")
	_, errOut, code := runCLI(t, "hunt", "--risk-out", path, riskFixture)
	if code != exitUsage || !strings.Contains(errOut, "--risk-out") || !strings.Contains(errOut, "missing-dir") {
		t.Errorf("exit %d, stderr %q; want exit %d and a message naming --risk-out and the path", code, errOut, exitUsage)
	}
	if strings.Contains(errOut, "spelunk: read ") {
		t.Errorf("the input was read before the risk event file was opened:\n%s", errOut)
	}
}
