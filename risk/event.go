package risk

import (
	"strconv"
	"strings"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/event"
)

// Event is one risk event: the risk that one result row of an analytic
// adds to one risk object, in the shape Splunk Enterprise Security writes
// to its risk index.
type Event struct {
	Time             time.Time
	Object           string // risk_object
	ObjectType       string // risk_object_type: system, user or other
	NormalizedObject string // normalized_risk_object, see NormalizeObject
	Score            int    // risk_score
	Message          string // risk_message with $field$ filled in
	// ThreatObjects and ThreatObjectTypes are parallel lists: every value
	// of every threat-object field of the row, with its type.
	ThreatObjects     []string
	ThreatObjectTypes []string
	SearchName        string // "ESCU - <analytic name> - Rule", also the source
	Techniques        []string
	TechniqueNames    []string // names of the known techniques, each once
	Tactics           []Tactic // tactics of the techniques, each once
	Stories           []string
	Analytic          *content.Analytic
	// Row is the result row; its fields travel with the risk event.
	Row *event.Event
}

// Options configure how result rows become risk events.
type Options struct {
	// Now is the run time: the time of a row that has neither firstTime
	// nor _time.
	Now time.Time
	// Techniques looks up ATT&CK techniques; nil means the embedded
	// Enterprise table (EnterpriseTechniques).
	Techniques TechniqueLookup
}

// Generates reports whether an analytic's results become risk events:
// its type is TTP or Anomaly, the two types whose ESCU deployments enable
// risk-based alerting, and it names at least one risk object.
func Generates(a *content.Analytic) bool {
	switch strings.ToLower(a.Type) {
	case "ttp", "anomaly":
		return len(a.RiskObjects()) > 0
	}
	return false
}

// SearchName returns the saved-search name of an analytic as ESCU
// deploys it, which Enterprise Security writes as search_name and source
// of its risk events.
func SearchName(a *content.Analytic) string {
	return "ESCU - " + a.Name + " - Rule"
}

// Events returns the risk events of one result row: one per value of
// each risk-object field. Every event carries all threat objects of the
// row. Fields that are null or empty in the row give no event.
func Events(a *content.Analytic, row *event.Event, opts Options) []*Event {
	objects := Objects(a, row)
	if len(objects) == 0 {
		return nil
	}
	var threats, threatTypes []string
	for _, to := range a.ThreatObjects() {
		for _, v := range row.Values(to.Field) {
			if v != "" {
				threats = append(threats, v)
				threatTypes = append(threatTypes, to.Type)
			}
		}
	}
	lookup := opts.Techniques
	if lookup == nil {
		lookup = EnterpriseTechniques
	}
	names, tactics := annotate(a.Tags.MitreAttackID, lookup)
	at := rowTime(row, opts.Now)
	message := Message(a.Message(), row)

	out := make([]*Event, 0, len(objects))
	for _, o := range objects {
		out = append(out, &Event{
			Time:              at,
			Object:            o.Object,
			ObjectType:        o.ObjectType,
			NormalizedObject:  NormalizeObject(o.Object, o.ObjectType),
			Score:             o.Score,
			Message:           message,
			ThreatObjects:     threats,
			ThreatObjectTypes: threatTypes,
			SearchName:        SearchName(a),
			Techniques:        a.Tags.MitreAttackID,
			TechniqueNames:    names,
			Tactics:           tactics,
			Stories:           a.Tags.AnalyticStory,
			Analytic:          a,
			Row:               row,
		})
	}
	return out
}

// annotate returns the names and tactics of the techniques, each once,
// in the order the techniques list them. Unknown IDs add nothing.
func annotate(ids []string, lookup TechniqueLookup) ([]string, []Tactic) {
	var names []string
	var tactics []Tactic
	seenName, seenTactic := map[string]bool{}, map[string]bool{}
	for _, id := range ids {
		tech, ok := lookup(id)
		if !ok {
			continue
		}
		if tech.Name != "" && !seenName[tech.Name] {
			seenName[tech.Name] = true
			names = append(names, tech.Name)
		}
		for _, t := range tech.Tactics {
			if !seenTactic[t.Name] {
				seenTactic[t.Name] = true
				tactics = append(tactics, t)
			}
		}
	}
	return names, tactics
}

// rowTime returns the time of a risk event: the row's firstTime, else its
// _time, else now. firstTime may be epoch seconds or the text that the
// content's security_content_ctime macro writes (%Y-%m-%dT%H:%M:%S in
// current content, %m/%d/%Y %H:%M:%S in older releases), read as UTC.
func rowTime(row *event.Event, now time.Time) time.Time {
	if v, ok := row.Value("firstTime"); ok {
		if t, ok := parseRowTime(v); ok {
			return t
		}
	}
	if t, ok := row.Time(); ok {
		return t
	}
	return now
}

var rowTimeLayouts = []string{"2006-01-02T15:04:05", "01/02/2006 15:04:05", "2006-01-02 15:04:05"}

func parseRowTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		return event.EpochTime(secs), true
	}
	for _, layout := range rowTimeLayouts {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// NormalizeObject returns normalized_risk_object: the risk object in
// lower case and, for a user, without its domain, so that
// "CORP\Alice", "alice@corp.example" and "alice" count as one entity.
func NormalizeObject(object, objectType string) string {
	s := strings.ToLower(strings.TrimSpace(object))
	if objectType != "user" {
		return s
	}
	if i := strings.LastIndexByte(s, '\\'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, '@'); i > 0 {
		s = s[:i]
	}
	return s
}
