// Package attack is a small table of MITRE ATT&CK Enterprise techniques:
// the ones that the Splunk security content names, with their names and
// tactics. The table, enterprise.csv, is extracted from MITRE's STIX data
// by gen.go; its header records the ATT&CK release and the source.
//
// ATT&CK is used under MITRE's ATT&CK Terms of Use: © The MITRE
// Corporation. This work is reproduced and distributed with the permission
// of The MITRE Corporation.
package attack

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
)

//go:embed enterprise.csv
var enterpriseCSV string

// Technique is one ATT&CK Enterprise technique or sub-technique.
type Technique struct {
	ID      string   // T1059.001
	Name    string   // PowerShell
	Tactics []string // tactic names in matrix order: Execution
	// Status is "" for a current technique, "deprecated", or "revoked"
	// with the replacement ("revoked by T1574.001").
	Status string
}

// Table is a set of techniques by ID.
type Table struct {
	Version    string // ATT&CK release of the data, such as 18.1
	Source     string // origin of the data: repository and commit
	techniques map[string]Technique
}

var (
	enterpriseOnce  sync.Once
	enterpriseTable *Table
	enterpriseErr   error
)

// Enterprise returns the embedded table.
func Enterprise() (*Table, error) {
	enterpriseOnce.Do(func() {
		enterpriseTable, enterpriseErr = Parse(enterpriseCSV)
	})
	return enterpriseTable, enterpriseErr
}

// Parse reads a table in the layout of enterprise.csv: "# key: value"
// header lines, then CSV with the columns id, name, tactics (separated by
// ";") and status.
func Parse(text string) (*Table, error) {
	t := &Table{techniques: map[string]Technique{}}
	for _, line := range strings.Split(text, "\n") {
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "# "), ": ")
		if !strings.HasPrefix(line, "# ") || !ok {
			continue
		}
		switch key {
		case "attack-version":
			t.Version = value
		case "source":
			t.Source = value
		}
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comment = '#'
	r.FieldsPerRecord = 4
	records, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("ATT&CK table: %w", err)
	}
	if len(records) == 0 || strings.Join(records[0], ",") != "id,name,tactics,status" {
		return nil, fmt.Errorf("ATT&CK table: expected the header id,name,tactics,status")
	}
	for _, rec := range records[1:] {
		tech := Technique{ID: rec[0], Name: rec[1], Status: rec[3]}
		if rec[2] != "" {
			tech.Tactics = strings.Split(rec[2], ";")
		}
		t.techniques[tech.ID] = tech
	}
	return t, nil
}

// Technique returns the technique with the given ID (T1059.001).
func (t *Table) Technique(id string) (Technique, bool) {
	tech, ok := t.techniques[strings.ToUpper(strings.TrimSpace(id))]
	return tech, ok
}

// Len returns the number of techniques in the table.
func (t *Table) Len() int { return len(t.techniques) }

// killChainPhase maps an ATT&CK tactic to the Lockheed Martin Cyber Kill
// Chain phase that Splunk's contentctl assigns to it
// (ATTACK_TACTICS_KILLCHAIN_MAPPING in contentctl/objects/constants.py).
var killChainPhase = map[string]string{
	"reconnaissance":       "Reconnaissance",
	"resource development": "Weaponization",
	"initial access":       "Delivery",
	"execution":            "Installation",
	"persistence":          "Installation",
	"privilege escalation": "Exploitation",
	"defense evasion":      "Exploitation",
	"credential access":    "Exploitation",
	"discovery":            "Exploitation",
	"lateral movement":     "Exploitation",
	"collection":           "Exploitation",
	"command and control":  "Command and Control",
	"exfiltration":         "Actions on Objectives",
	"impact":               "Actions on Objectives",
}

// killChainOrder is the order of the kill chain phases.
var killChainOrder = []string{
	"Reconnaissance", "Weaponization", "Delivery", "Exploitation",
	"Installation", "Command and Control", "Actions on Objectives",
}

// KillChainPhases returns the kill chain phases of a list of tactics, each
// once, in kill chain order. Tactics without a phase are left out.
func KillChainPhases(tactics []string) []string {
	seen := map[string]bool{}
	for _, tactic := range tactics {
		if phase, ok := killChainPhase[strings.ToLower(tactic)]; ok {
			seen[phase] = true
		}
	}
	var out []string
	for _, phase := range killChainOrder {
		if seen[phase] {
			out = append(out, phase)
		}
	}
	return out
}
