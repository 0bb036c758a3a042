package risk

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Index and Sourcetype mark risk events as Enterprise Security stores
// them. The Risk data model keeps only records that carry both.
const (
	Index      = "risk"
	Sourcetype = "stash"
)

// listFields are the record fields that are lists by nature; JSON output
// writes them as arrays even when they hold one value.
var listFields = map[string]bool{
	"threat_object":                               true,
	"threat_object_type":                          true,
	"annotations.mitre_attack":                    true,
	"annotations.mitre_attack.mitre_technique_id": true,
	"annotations.mitre_attack.mitre_technique":    true,
	"annotations.mitre_attack.mitre_tactic_id":    true,
	"annotations.mitre_attack.mitre_tactic":       true,
	"annotations._all":                            true,
	"annotations._frameworks":                     true,
	"analyticstories":                             true,
}

// Record returns the risk event as a record with Splunk's field names:
// the risk fields first, then the fields of the result row that the risk
// fields do not replace. Row fields whose names start with "_" are left
// out, as they are when Splunk writes search results to an index.
func (e *Event) Record() *event.Event {
	r := &event.Event{}
	r.SetTime(e.Time)
	r.Set("index", Index)
	r.Set(event.SourcetypeField, Sourcetype)
	r.Set(event.SourceField, e.SearchName)
	r.Set("search_name", e.SearchName)
	r.Set("risk_object", e.Object)
	r.Set("risk_object_type", e.ObjectType)
	r.Set("normalized_risk_object", e.NormalizedObject)
	r.Set("risk_score", strconv.Itoa(e.Score))
	// Without risk factors the calculated score equals the base score.
	r.Set("calculated_risk_score", strconv.Itoa(e.Score))
	r.Set("risk_message", e.Message)
	r.Set("threat_object", e.ThreatObjects...)
	r.Set("threat_object_type", e.ThreatObjectTypes...)
	r.Set("annotations.mitre_attack", e.Techniques...)
	r.Set("annotations.mitre_attack.mitre_technique_id", e.Techniques...)
	r.Set("annotations.mitre_attack.mitre_technique", e.TechniqueNames...)
	var ids, names []string
	for _, t := range e.Tactics {
		if t.ID != "" {
			ids = append(ids, t.ID)
		}
		names = append(names, t.ShortName())
	}
	r.Set("annotations.mitre_attack.mitre_tactic_id", ids...)
	r.Set("annotations.mitre_attack.mitre_tactic", names...)
	// NOTE: Enterprise Security fills annotations._all from every
	// annotation framework of the search. Here it lists the ATT&CK
	// technique IDs and the analytic stories, which is all the content
	// carries.
	r.Set("annotations._all", append(append([]string(nil), e.Techniques...), e.Stories...)...)
	var frameworks []string
	if len(e.Techniques) > 0 {
		frameworks = append(frameworks, "mitre_attack")
	}
	if len(e.Stories) > 0 {
		frameworks = append(frameworks, "analytic_story")
	}
	r.Set("annotations._frameworks", frameworks...)
	r.Set("analyticstories", e.Stories...)
	if e.Row != nil {
		for _, f := range e.Row.Fields {
			if strings.HasPrefix(f.Name, "_") || r.Has(f.Name) {
				continue
			}
			r.Set(f.Name, f.Values...)
		}
	}
	return r
}

// IsRecord reports whether a record is a risk event (index=risk and
// sourcetype=stash).
func IsRecord(r *event.Event) bool {
	index, _ := r.Value("index")
	sourcetype, _ := r.Value(event.SourcetypeField)
	return index == Index && sourcetype == Sourcetype
}

// MarshalJSON writes the risk event as one flat JSON object with the
// fields of Record, in its order. _time (epoch seconds) and the scores are
// numbers and list fields are arrays. Other fields are a string, or an
// array when they hold several values.
func (e *Event) MarshalJSON() ([]byte, error) {
	r := e.Record()
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(f.Name)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		switch {
		case f.Name == event.TimeField || f.Name == "risk_score" || f.Name == "calculated_risk_score":
			b.WriteString(f.Values[0])
			continue
		case listFields[f.Name] || len(f.Values) > 1:
			err = writeJSON(&b, f.Values)
		default:
			err = writeJSON(&b, f.Values[0])
		}
		if err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeJSON appends v without escaping <, > and &; json.Marshal escapes
// them again, an Encoder with SetEscapeHTML(false) keeps them.
func writeJSON(b *bytes.Buffer, v any) error {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b.Truncate(b.Len() - 1) // Encode ends with a newline
	return nil
}
