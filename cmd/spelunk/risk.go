package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/hunt"
	"github.com/spelunk/spelunk/risk"
	"github.com/spelunk/spelunk/spl"
)

// riskTopAnalytics is the number of contributing analytics the summary
// names per entity.
const riskTopAnalytics = 3

// addRiskRules adds the built-in risk rules (the built-in analytics that
// read the Risk data model) to a hunt over another content folder. It
// also adds the built-in macros that the folder does not define, so the
// folder's own risk_total_threshold or risk_tactic_threshold wins. Hunts
// of the built-in pack, or of analytics chosen with --analytic, are left
// as they are.
func addRiskRules(pack *content.Pack, analytics []*content.Analytic, contentDir string, selected []string) ([]*content.Analytic, error) {
	if contentDir == "" || len(selected) > 0 {
		return analytics, nil
	}
	builtin, err := content.Builtin()
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, a := range analytics {
		names[strings.ToLower(a.Name)] = true
	}
	for _, a := range builtin.Analytics {
		if !hunt.ReadsRisk(a) || a.Deprecated() || names[strings.ToLower(a.Name)] {
			continue
		}
		analytics = append(analytics, a)
	}
	if pack.Macros == nil {
		pack.Macros = spl.MacroMap{}
	}
	for name, m := range builtin.Macros {
		if _, ok := pack.Macros[name]; !ok {
			pack.Macros[name] = m
		}
	}
	return analytics, nil
}

// writeRiskSummary prints the per-entity risk summary. The table format
// gives a headed section, jsonl one object per entity and csv one record
// per entity.
func writeRiskSummary(w io.Writer, format string, h *hunt.Hunt) error {
	entities := h.RiskSummary()
	switch format {
	case "jsonl":
		for _, ent := range entities {
			if err := writeJSONLine(w, newRiskEntityRow(ent)); err != nil {
				return err
			}
		}
		return nil
	case "csv":
		rows := riskSummaryRows(entities)
		return writeCSV(w, nil, riskSummaryColumns, rows, func(*event.Event) []string { return nil })
	}
	sources := map[string]bool{}
	for _, ev := range h.RiskEvents {
		sources[ev.SearchName] = true
	}
	fmt.Fprintf(w, "== Risk by entity: %d entities, %d risk events from %d analytics\n", len(entities), len(h.RiskEvents), len(sources))
	if len(entities) > 0 {
		writeTable(w, riskSummaryColumns, riskSummaryRows(entities))
	}
	fmt.Fprintln(w)
	return nil
}

var riskSummaryColumns = []string{"entity", "type", "score", "events", "analytics", "tactics", "first", "last", "risk rules", "top analytics"}

// riskSummaryRows renders the entities as rows of riskSummaryColumns.
func riskSummaryRows(entities []*risk.Entity) []*event.Event {
	rows := make([]*event.Event, 0, len(entities))
	for _, ent := range entities {
		var top []string
		for i, c := range ent.Analytics {
			if i == riskTopAnalytics {
				top = append(top, fmt.Sprintf("+%d more", len(ent.Analytics)-riskTopAnalytics))
				break
			}
			top = append(top, fmt.Sprintf("%s (%d)", c.Analytic, c.Score))
		}
		r := &event.Event{}
		r.Set("entity", ent.Name)
		r.Set("type", ent.ObjectType)
		r.Set("score", strconv.Itoa(ent.Score))
		r.Set("events", strconv.Itoa(ent.Events))
		r.Set("analytics", strconv.Itoa(len(ent.Analytics)))
		r.Set("tactics", strings.Join(ent.Tactics, ", "))
		r.Set("first", formatRiskTime(ent.First))
		r.Set("last", formatRiskTime(ent.Last))
		r.Set("risk rules", strings.Join(ent.Rules, "; "))
		r.Set("top analytics", strings.Join(top, "; "))
		rows = append(rows, r)
	}
	return rows
}

func formatRiskTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// riskEntityRow is one line of `hunt --risk --format jsonl`.
type riskEntityRow struct {
	Entity     string              `json:"entity"`
	Normalized string              `json:"normalized_risk_object"`
	Type       string              `json:"type"`
	Score      int                 `json:"score"`
	Events     int                 `json:"events"`
	Tactics    []string            `json:"tactics"`
	First      string              `json:"first"`
	Last       string              `json:"last"`
	RiskRules  []string            `json:"risk_rules"`
	Analytics  []risk.Contribution `json:"analytics"`
	AnalyticsN int                 `json:"analytics_count"`
}

func newRiskEntityRow(ent *risk.Entity) riskEntityRow {
	return riskEntityRow{
		Entity:     ent.Name,
		Normalized: ent.Object,
		Type:       ent.ObjectType,
		Score:      ent.Score,
		Events:     ent.Events,
		Tactics:    nonNil(ent.Tactics),
		First:      formatRiskTime(ent.First),
		Last:       formatRiskTime(ent.Last),
		RiskRules:  nonNil(ent.Rules),
		Analytics:  nonNil(ent.Analytics),
		AnalyticsN: len(ent.Analytics),
	}
}

// writeRiskEvents writes the hunt's risk events to w as JSON lines.
func writeRiskEvents(w io.Writer, events []*risk.Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, ev := range events {
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	return bw.Flush()
}
