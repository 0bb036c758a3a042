// Package risk turns analytic results into risk: the entities a result
// row names (risk objects), their scores and the filled-in message.
package risk

import (
	"regexp"
	"strings"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/event"
)

// Object is one entity that receives risk from one result row.
type Object struct {
	Object     string `json:"object"`
	ObjectType string `json:"object_type"`
	Score      int    `json:"score"`
	Field      string `json:"field"`
}

// Objects returns the risk objects of a row, one per value of each risk
// object field. A field that is null in the row gives none.
func Objects(a *content.Analytic, row *event.Event) []Object {
	var out []Object
	for _, ro := range a.RiskObjects() {
		for _, v := range row.Values(ro.Field) {
			if v == "" {
				continue
			}
			out = append(out, Object{Object: v, ObjectType: normalizeType(ro.Type), Score: ro.Score, Field: ro.Field})
		}
	}
	return out
}

func normalizeType(t string) string {
	switch strings.ToLower(t) {
	case "system", "user":
		return strings.ToLower(t)
	}
	return "other"
}

var placeholder = regexp.MustCompile(`\$([^$\s]+)\$`)

// Message fills $field$ placeholders from the row. A multivalue field is
// written with its values joined by ", "; a missing field leaves the
// placeholder as written.
func Message(template string, row *event.Event) string {
	return placeholder.ReplaceAllStringFunc(template, func(m string) string {
		name := m[1 : len(m)-1]
		values := row.Values(name)
		if len(values) == 0 {
			return m
		}
		return strings.Join(values, ", ")
	})
}
