// Package content loads security content in the layout of the public
// Splunk security content repository: detections/**/*.yml, macros/*.yml,
// lookups/*.yml with their CSV files, stories/*.yml and
// data_sources/*.yml. The built-in pack uses the same layout.
package content

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/spelunk/spelunk/spl"
)

// Analytic is one detection.
type Analytic struct {
	ID                  string      `yaml:"id"`
	Name                string      `yaml:"name"`
	Version             int         `yaml:"version"`
	Date                string      `yaml:"date"`
	Author              string      `yaml:"author"`
	Status              string      `yaml:"status"`
	Type                string      `yaml:"type"`
	Description         string      `yaml:"description"`
	DataSource          []string    `yaml:"data_source"`
	Search              string      `yaml:"search"`
	HowToImplement      string      `yaml:"how_to_implement"`
	KnownFalsePositives string      `yaml:"known_false_positives"`
	References          []string    `yaml:"references"`
	Tags                Tags        `yaml:"tags"`
	RBA                 *RBA        `yaml:"rba"`
	Tests               []Test      `yaml:"tests"`
	Drilldowns          []Drilldown `yaml:"drilldown_searches"`
	// Path is the file the analytic was read from, relative to the pack.
	Path string `yaml:"-"`
}

// Tags is the tags block of a detection (content schema v4).
type Tags struct {
	AnalyticStory  []string     `yaml:"analytic_story"`
	AssetType      string       `yaml:"asset_type"`
	Confidence     int          `yaml:"confidence"`
	Impact         int          `yaml:"impact"`
	Message        string       `yaml:"message"`
	MitreAttackID  []string     `yaml:"mitre_attack_id"`
	Observable     []Observable `yaml:"observable"`
	Product        []string     `yaml:"product"`
	RequiredFields []string     `yaml:"required_fields"`
	RiskScore      int          `yaml:"risk_score"`
	SecurityDomain string       `yaml:"security_domain"`
	KillChainPhase []string     `yaml:"kill_chain_phases"`
	CVE            []string     `yaml:"cve"`
	// ManualTest is why the analytic cannot be tested automatically.
	ManualTest string `yaml:"manual_test"`
}

// Observable is an entity named by a v4 detection: a result field, its
// type (Hostname, User, IP Address, ...) and its roles (Victim, Attacker).
type Observable struct {
	Name string   `yaml:"name"`
	Type string   `yaml:"type"`
	Role []string `yaml:"role"`
}

// RBA is the risk block of content schema v5.
type RBA struct {
	Message       string         `yaml:"message"`
	RiskObjects   []RiskObject   `yaml:"risk_objects"`
	ThreatObjects []ThreatObject `yaml:"threat_objects"`
}

// RiskObject is a field whose values receive risk, with the object type
// (system, user, other) and the score.
type RiskObject struct {
	Field string `yaml:"field"`
	Type  string `yaml:"type"`
	Score int    `yaml:"score"`
}

// ThreatObject is a field naming an artefact of the threat (a process
// name, a file hash, ...).
type ThreatObject struct {
	Field string `yaml:"field"`
	Type  string `yaml:"type"`
}

// Test is one entry of a detection's tests section.
type Test struct {
	Name       string       `yaml:"name"`
	AttackData []AttackData `yaml:"attack_data"`
}

// AttackData names a recorded dataset and how Splunk ingested it.
type AttackData struct {
	Data       string `yaml:"data"`
	Source     string `yaml:"source"`
	Sourcetype string `yaml:"sourcetype"`
}

// Drilldown is a follow-up search offered with a result.
type Drilldown struct {
	Name   string `yaml:"name"`
	Search string `yaml:"search"`
}

// Deprecated reports whether the analytic is retired.
func (a *Analytic) Deprecated() bool {
	return strings.EqualFold(a.Status, "deprecated") || strings.HasPrefix(a.Path, "detections/deprecated/")
}

// FilterMacro returns the name of the analytic's tuning macro: the name
// lower-cased with space, "-", "." and "/" replaced by "_", plus "_filter".
func (a *Analytic) FilterMacro() string {
	r := strings.NewReplacer(" ", "_", "-", "_", ".", "_", "/", "_")
	return r.Replace(strings.ToLower(a.Name)) + "_filter"
}

// Score returns the analytic's risk score: tags.risk_score, else
// impact x confidence / 100, else the largest v5 risk-object score.
func (a *Analytic) Score() int {
	if a.Tags.RiskScore > 0 {
		return a.Tags.RiskScore
	}
	if a.Tags.Impact > 0 && a.Tags.Confidence > 0 {
		return a.Tags.Impact * a.Tags.Confidence / 100
	}
	best := 0
	if a.RBA != nil {
		for _, r := range a.RBA.RiskObjects {
			best = max(best, r.Score)
		}
	}
	return best
}

// Message returns the risk message template ($field$ placeholders).
func (a *Analytic) Message() string {
	if a.RBA != nil && a.RBA.Message != "" {
		return a.RBA.Message
	}
	return a.Tags.Message
}

// RiskObjects returns the fields that receive risk: the v5 rba block, or
// for v4 content the observables that contentctl (Splunk's content build
// tool) turns into risk objects, scored with the analytic's risk score.
// A Victim of type User, Username or Email Address is a user. A Victim of
// type Device, Endpoint, Hostname or IP Address is a system. An Attacker
// is a threat object (see ThreatObjects), and any other observable is a
// risk object of type other.
func (a *Analytic) RiskObjects() []RiskObject {
	if a.RBA != nil {
		return a.RBA.RiskObjects
	}
	var out []RiskObject
	for _, o := range a.Tags.Observable {
		if t, risk := v4ObjectType(o); risk {
			out = append(out, RiskObject{Field: o.Name, Type: t, Score: a.Score()})
		}
	}
	return out
}

// ThreatObjects returns the threat-object fields: the v5 rba block, or
// for v4 content the observables that contentctl turns into threat
// objects: those with the Attacker role that are not a user or system
// Victim.
func (a *Analytic) ThreatObjects() []ThreatObject {
	if a.RBA != nil {
		return a.RBA.ThreatObjects
	}
	var out []ThreatObject
	for _, o := range a.Tags.Observable {
		if t, risk := v4ObjectType(o); !risk {
			out = append(out, ThreatObject{Field: o.Name, Type: t})
		}
	}
	return out
}

// v4ObjectType classifies a v4 observable in the order contentctl's risk
// property does: the risk object type and true for a risk object, or the
// threat object type and false for a threat object. Type names compare
// case-insensitively; "User Name" (with a space) is not a user type there.
func v4ObjectType(o Observable) (string, bool) {
	typ := strings.ToLower(o.Type)
	victim, attacker := hasRole(o.Role, "victim"), hasRole(o.Role, "attacker")
	switch {
	case victim && (typ == "user" || typ == "username" || typ == "email address"):
		return "user", true
	case victim && (typ == "device" || typ == "endpoint" || typ == "hostname" || typ == "ip address"):
		return "system", true
	case attacker && (typ == "process name" || typ == "process"):
		return "process", false
	case attacker && (typ == "file name" || typ == "file" || typ == "file hash"):
		return "file_name", false
	case attacker && typ == "ip address":
		return "ip_address", false
	case attacker && (typ == "url string" || typ == "url"):
		return "url", false
	case attacker:
		return typ, false
	}
	return "other", true
}

func hasRole(roles []string, role string) bool {
	for _, r := range roles {
		if strings.EqualFold(r, role) {
			return true
		}
	}
	return false
}

// ObjectType maps a v4 observable type to a risk object type.
func ObjectType(observableType string) string {
	switch strings.ToLower(observableType) {
	case "hostname", "ip address", "endpoint", "mac address", "system":
		return "system"
	case "user", "user name", "email address", "email":
		return "user"
	}
	return "other"
}

// Macro is a macro file.
type Macro struct {
	Name        string   `yaml:"name"`
	Definition  string   `yaml:"definition"`
	Description string   `yaml:"description"`
	Arguments   []string `yaml:"arguments"`
}

// Lookup is a lookup definition; Filename names its CSV beside it.
type Lookup struct {
	Name               string `yaml:"name"`
	Description        string `yaml:"description"`
	Filename           string `yaml:"filename"`
	Collection         string `yaml:"collection"`
	FieldsList         string `yaml:"fields_list"`
	CaseSensitiveMatch string `yaml:"case_sensitive_match"`
	MatchType          string `yaml:"match_type"`
	MinMatches         int    `yaml:"min_matches"`
	MaxMatches         int    `yaml:"max_matches"`
	DefaultMatch       string `yaml:"default_match"`
	// Dir is the folder holding the definition and its CSV.
	Dir string `yaml:"-"`
}

// Story is an analytic story.
type Story struct {
	Name        string `yaml:"name"`
	ID          string `yaml:"id"`
	Description string `yaml:"description"`
	Narrative   string `yaml:"narrative"`
	Tags        struct {
		Category []string `yaml:"category"`
		Product  []string `yaml:"product"`
		Usecase  string   `yaml:"usecase"`
	} `yaml:"tags"`
	References []string `yaml:"references"`
}

// Problem is a content file that could not be loaded.
type Problem struct {
	Path string
	Err  error
}

func (p Problem) Error() string { return fmt.Sprintf("%s: %v", p.Path, p.Err) }

// Pack is a loaded set of content.
type Pack struct {
	Root      string
	Analytics []*Analytic
	Macros    spl.MacroMap
	Lookups   map[string]*Lookup
	Stories   map[string]*Story
	Problems  []Problem
	// files is the file system the pack was loaded from; lookup CSVs are
	// read from it on first use.
	files fs.FS
}
