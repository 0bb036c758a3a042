package hunt

import (
	"regexp"
	"strings"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/risk"
)

// riskSearch matches the ways a search reads risk events: the Risk data
// model (datamodel=Risk.All_Risk, datamodel Risk, datamodel:"Risk") or
// the risk index.
var riskSearch = regexp.MustCompile(`(?i)\bdatamodel\s*[=:]?\s*"?Risk(\.All_Risk)?\b|\bindex\s*=\s*"?risk\b`)

// ReadsRisk reports whether an analytic belongs to the second phase of a
// hunt: its type is Correlation, or its search reads the Risk data model
// or the risk index.
func ReadsRisk(a *content.Analytic) bool {
	return strings.EqualFold(a.Type, "Correlation") || riskSearch.MatchString(a.Search)
}

// correlate turns the rows of the first-phase analytics that generate
// risk into risk events, stores them in RiskEvents, and pushes their
// records into the runnable correlation analytics. Rows of correlation
// analytics give no risk events, because Enterprise Security turns them
// into notables.
func (h *Hunt) correlate() {
	opts := h.RiskOptions
	if opts.Now.IsZero() {
		opts.Now = h.started.UTC()
	}
	h.RiskEvents = nil
	for _, a := range h.Analytics {
		if a.Correlation || a.Err != nil || a.RunErr != nil || !risk.Generates(a.Analytic) {
			continue
		}
		for _, row := range a.Rows {
			h.RiskEvents = append(h.RiskEvents, risk.Events(a.Analytic, row, opts)...)
		}
	}
	for _, ev := range h.RiskEvents {
		rec := ev.Record()
		for _, a := range h.Analytics {
			if !a.Correlation || a.Err != nil || a.RunErr != nil {
				continue
			}
			if err := a.Query.Push(rec); err != nil {
				a.RunErr = err
			}
		}
	}
}

// RiskSummary returns the per-entity summary of the hunt's risk events,
// with each entity marked by the correlation analytics whose result rows
// name it (in risk_object or normalized_risk_object, with
// risk_object_type when the row has one). Call it after Finish.
func (h *Hunt) RiskSummary() []*risk.Entity {
	entities := risk.Summarize(h.RiskEvents)
	for _, a := range h.Analytics {
		if !a.Correlation {
			continue
		}
		for _, row := range a.Rows {
			objectType, _ := row.Value("risk_object_type")
			for _, field := range []string{"risk_object", "normalized_risk_object"} {
				for _, v := range row.Values(field) {
					risk.MarkRule(entities, a.Analytic.Name, v, objectType)
				}
			}
		}
	}
	return entities
}
