package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/report/attack"
)

// Navigator layer format 4.5, as defined by the MITRE ATT&CK Navigator
// (layers/spec/v4.5/layerformat.md in mitre-attack/attack-navigator).
const (
	LayerFormat      = "4.5"
	NavigatorVersion = "5.2.0" // the Navigator release that reads layer format 4.5 with ATT&CK 18
)

// Layer is an ATT&CK Navigator layer.
type Layer struct {
	Name                          string           `json:"name"`
	Versions                      LayerVersions    `json:"versions"`
	Domain                        string           `json:"domain"`
	Description                   string           `json:"description"`
	Sorting                       int              `json:"sorting"`
	Layout                        LayerLayout      `json:"layout"`
	HideDisabled                  bool             `json:"hideDisabled"`
	Techniques                    []LayerTechnique `json:"techniques"`
	Gradient                      LayerGradient    `json:"gradient"`
	LegendItems                   []LegendItem     `json:"legendItems"`
	ShowTacticRowBackground       bool             `json:"showTacticRowBackground"`
	TacticRowBackground           string           `json:"tacticRowBackground"`
	SelectTechniquesAcrossTactics bool             `json:"selectTechniquesAcrossTactics"`
	SelectSubtechniquesWithParent bool             `json:"selectSubtechniquesWithParent"`
	SelectVisibleTechniques       bool             `json:"selectVisibleTechniques"`
	Metadata                      []LayerMetadata  `json:"metadata"`
}

// LayerVersions names the ATT&CK, Navigator and layer format versions.
type LayerVersions struct {
	Attack    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// LayerLayout is the Navigator's display settings for the matrix.
type LayerLayout struct {
	Layout                string `json:"layout"`
	ShowID                bool   `json:"showID"`
	ShowName              bool   `json:"showName"`
	ShowAggregateScores   bool   `json:"showAggregateScores"`
	CountUnscored         bool   `json:"countUnscored"`
	AggregateFunction     string `json:"aggregateFunction"`
	ExpandedSubtechniques string `json:"expandedSubtechniques"`
}

// LayerTechnique is the annotation of one technique: its score is the
// number of analytics that name it.
type LayerTechnique struct {
	TechniqueID string          `json:"techniqueID"`
	Score       int             `json:"score"`
	Comment     string          `json:"comment"`
	Enabled     bool            `json:"enabled"`
	Metadata    []LayerMetadata `json:"metadata,omitempty"`
}

// LayerGradient maps scores to colours.
type LayerGradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

// LegendItem is one entry of the layer's legend.
type LegendItem struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// LayerMetadata is a name and value shown with the layer or a technique.
type LayerMetadata struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Gradient colours: light blue for one analytic, dark blue for the most.
// Techniques without analytics have no score and stay uncoloured.
const (
	gradientLow  = "#cfe2f3"
	gradientHigh = "#1f5fa8"
)

// NavigatorLayer returns a layer of the analytics' coverage: every
// technique an analytic names, scored with the number of analytics that
// name it. Deprecated analytics are left out. A technique that ATT&CK has
// revoked counts under its replacement, because the Navigator does not
// show revoked techniques, and its comment names the revoked ID.
func NavigatorLayer(name string, analytics []*content.Analytic, table *attack.Table) *Layer {
	byTechnique := map[string][]string{}
	replaced := map[string][]string{}
	counted := 0
	for _, a := range analytics {
		if a.Deprecated() {
			continue
		}
		counted++
		seen := map[string]bool{}
		for _, id := range a.Tags.MitreAttackID {
			id = strings.ToUpper(strings.TrimSpace(id))
			target := id
			if tech, ok := table.Technique(id); ok {
				if by, found := strings.CutPrefix(tech.Status, "revoked by "); found {
					target = by
					if !contains(replaced[target], id) {
						replaced[target] = append(replaced[target], id)
					}
				}
			}
			if seen[target] {
				continue
			}
			seen[target] = true
			byTechnique[target] = append(byTechnique[target], a.Name)
		}
	}

	ids := make([]string, 0, len(byTechnique))
	for id := range byTechnique {
		ids = append(ids, id)
	}
	sortTechniqueIDs(ids)
	top := 1
	techniques := make([]LayerTechnique, 0, len(ids))
	for _, id := range ids {
		names := byTechnique[id]
		sort.Strings(names)
		top = max(top, len(names))
		comment := fmt.Sprintf("%d %s: %s", len(names), plural(len(names), "analytic", "analytics"), strings.Join(names, "; "))
		if old := replaced[id]; len(old) > 0 {
			comment += fmt.Sprintf(" (includes analytics tagged %s, revoked in favour of %s)", strings.Join(old, ", "), id)
		}
		techniques = append(techniques, LayerTechnique{TechniqueID: id, Score: len(names), Comment: comment, Enabled: true})
	}

	major, _, _ := strings.Cut(table.Version, ".")
	return &Layer{
		Name:     name,
		Versions: LayerVersions{Attack: major, Navigator: NavigatorVersion, Layer: LayerFormat},
		Domain:   "enterprise-attack",
		Description: fmt.Sprintf("Number of analytics per technique: %d techniques covered by %d analytics (deprecated analytics left out).",
			len(techniques), counted),
		Sorting: 3, // by score, descending
		Layout: LayerLayout{
			Layout: "side", ShowID: true, ShowName: true,
			ShowAggregateScores: true, AggregateFunction: "sum", ExpandedSubtechniques: "annotated",
		},
		Techniques: techniques,
		// The format requires maxValue > minValue.
		Gradient: LayerGradient{Colors: []string{gradientLow, gradientHigh}, MinValue: 1, MaxValue: max(top, 2)},
		LegendItems: []LegendItem{
			{Label: "1 analytic", Color: gradientLow},
			{Label: fmt.Sprintf("%d analytics", top), Color: gradientHigh},
		},
		TacticRowBackground:           "#dddddd",
		SelectTechniquesAcrossTactics: true,
		Metadata: []LayerMetadata{
			{Name: "generator", Value: "spelunk docs"},
			{Name: "ATT&CK data", Value: "Enterprise " + table.Version + " (" + table.Source + ")"},
		},
	}
}

// WriteLayer writes a layer as indented JSON.
func WriteLayer(w io.Writer, layer *Layer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(layer)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// sortTechniqueIDs sorts technique IDs by technique, then sub-technique.
// IDs of the form T#### and T####.### compare correctly as text once
// upper-cased, because both parts have a fixed number of digits.
func sortTechniqueIDs(ids []string) {
	sort.Slice(ids, func(i, j int) bool { return strings.ToUpper(ids[i]) < strings.ToUpper(ids[j]) })
}

func sortedByName(list []*content.Analytic) []*content.Analytic {
	out := append([]*content.Analytic(nil), list...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
