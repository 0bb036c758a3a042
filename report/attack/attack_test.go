package attack

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnterpriseTable(t *testing.T) {
	table, err := Enterprise()
	if err != nil {
		t.Fatal(err)
	}
	if table.Version != "18.1" {
		t.Errorf("version %q, expected 18.1", table.Version)
	}
	if !strings.Contains(table.Source, "github.com/mitre/cti") {
		t.Errorf("source %q, expected the mitre/cti repository", table.Source)
	}
	if table.Len() < 250 {
		t.Errorf("%d techniques, expected the content's 300 or so", table.Len())
	}
	cases := []Technique{
		{ID: "T1027", Name: "Obfuscated Files or Information", Tactics: []string{"Defense Evasion"}},
		{ID: "T1027.005", Name: "Indicator Removal from Tools", Tactics: []string{"Defense Evasion"}},
		{ID: "T1059.001", Name: "PowerShell", Tactics: []string{"Execution"}},
		{ID: "T1574.002", Name: "DLL Side-Loading", Tactics: []string{"Persistence", "Privilege Escalation", "Defense Evasion"}, Status: "revoked by T1574.001"},
	}
	for _, want := range cases {
		got, ok := table.Technique(want.ID)
		if !ok {
			t.Errorf("%s missing", want.ID)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %+v, expected %+v", want.ID, got, want)
		}
	}
	if _, ok := table.Technique("t1059.001 "); !ok {
		t.Error("lookup should ignore case and surrounding spaces")
	}
	if _, ok := table.Technique("T9999"); ok {
		t.Error("T9999 found, expected no such technique")
	}
}

func TestParseRejectsWrongHeader(t *testing.T) {
	_, err := Parse("# attack-version: 1\nid,name,tactic,status\nT1,a,b,\n")
	if err == nil || !strings.Contains(err.Error(), "expected the header") {
		t.Errorf("error %v, expected a header error", err)
	}
	_, err = Parse("id,name,tactics,status\nT1,a\n")
	if err == nil {
		t.Error("short record accepted, expected an error")
	}
}

func TestKillChainPhases(t *testing.T) {
	got := KillChainPhases([]string{"Execution", "Defense Evasion", "Command and Control", "Privilege Escalation", "Unknown"})
	want := []string{"Exploitation", "Installation", "Command and Control"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("KillChainPhases = %v, expected %v", got, want)
	}
	if got := KillChainPhases(nil); got != nil {
		t.Errorf("no tactics gave %v, expected nil", got)
	}
}
