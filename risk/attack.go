package risk

import (
	"strings"

	"github.com/spelunk/spelunk/report/attack"
)

// Tactic is an ATT&CK Enterprise tactic.
type Tactic struct {
	ID   string // TA0006
	Name string // Credential Access
}

// ShortName returns the tactic's ATT&CK short name, such as
// "credential-access": the form Splunk Enterprise Security stores in
// annotations.mitre_attack.mitre_tactic and the content's correlation
// searches compare against.
func (t Tactic) ShortName() string {
	return strings.ReplaceAll(strings.ToLower(t.Name), " ", "-")
}

// Technique is the name and tactics of an ATT&CK technique.
type Technique struct {
	Name    string
	Tactics []Tactic
}

// TechniqueLookup returns the name and tactics of a technique ID such as
// T1059.001, and false when the ID is unknown.
type TechniqueLookup func(id string) (Technique, bool)

// tacticIDs maps the ATT&CK Enterprise tactic names (release 18.1) to
// their IDs.
var tacticIDs = map[string]string{
	"reconnaissance":       "TA0043",
	"resource development": "TA0042",
	"initial access":       "TA0001",
	"execution":            "TA0002",
	"persistence":          "TA0003",
	"privilege escalation": "TA0004",
	"defense evasion":      "TA0005",
	"credential access":    "TA0006",
	"discovery":            "TA0007",
	"lateral movement":     "TA0008",
	"collection":           "TA0009",
	"exfiltration":         "TA0010",
	"command and control":  "TA0011",
	"impact":               "TA0040",
}

// EnterpriseTechniques looks techniques up in the ATT&CK Enterprise table
// embedded in package report/attack. A tactic name missing from the
// tactic ID table keeps an empty ID.
func EnterpriseTechniques(id string) (Technique, bool) {
	table, err := attack.Enterprise()
	if err != nil {
		return Technique{}, false
	}
	tech, ok := table.Technique(id)
	if !ok {
		return Technique{}, false
	}
	out := Technique{Name: tech.Name}
	for _, name := range tech.Tactics {
		out.Tactics = append(out.Tactics, Tactic{ID: tacticIDs[strings.ToLower(name)], Name: name})
	}
	return out, true
}
