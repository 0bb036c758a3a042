package risk

import (
	"github.com/spelunk/spelunk/cim"
	"github.com/spelunk/spelunk/event"
)

// The Risk data model of Splunk Enterprise Security has one dataset,
// All_Risk, over the events of the risk index. Its records are the risk
// events themselves: Record already gives them the data model's field
// names (risk_object, risk_object_type, risk_score,
// calculated_risk_score, normalized_risk_object, risk_message,
// threat_object, annotations.mitre_attack.*, analyticstories, source,
// search_name, _time), so the mapping passes them through and drops
// every other event.
func init() {
	cim.Register(&cim.Dataset{Model: "Risk", Name: "All_Risk", Map: mapRisk})
}

func mapRisk(e *event.Event) []*event.Event {
	if !IsRecord(e) {
		return nil
	}
	return []*event.Event{e}
}
