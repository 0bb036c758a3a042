package risk

import (
	"sort"
	"time"
)

// Entity is the risk of one entity (a normalized risk object and its
// type) over a set of risk events.
type Entity struct {
	Object      string // normalized_risk_object
	Name        string // the spelling of risk_object seen most often, first seen on a tie
	ObjectType  string
	Score       int // sum of the risk scores
	Events      int // number of risk events
	Analytics   []Contribution
	Tactics     []string // ATT&CK tactic short names, sorted
	First, Last time.Time
	// Rules lists the risk rules (correlation analytics) whose results
	// name the entity, sorted.
	Rules []string
}

// Contribution is the risk that one analytic adds to an entity.
type Contribution struct {
	Analytic string `json:"analytic"`
	Score    int    `json:"score"`
	Events   int    `json:"events"`
}

// Summarize groups risk events by entity. Entities are sorted by total
// score, highest first, then by type and name; each entity's analytics
// are sorted the same way.
func Summarize(events []*Event) []*Entity {
	type key struct{ object, objectType string }
	byKey := map[key]*Entity{}
	contrib := map[key]map[string]*Contribution{}
	tactics := map[key]map[string]bool{}
	spellings := map[key]map[string]int{}
	var out []*Entity
	for _, ev := range events {
		k := key{ev.NormalizedObject, ev.ObjectType}
		ent := byKey[k]
		if ent == nil {
			ent = &Entity{Object: k.object, ObjectType: k.objectType, First: ev.Time, Last: ev.Time}
			byKey[k] = ent
			contrib[k] = map[string]*Contribution{}
			tactics[k] = map[string]bool{}
			spellings[k] = map[string]int{}
			out = append(out, ent)
		}
		spellings[k][ev.Object]++
		if n := spellings[k][ev.Object]; ent.Name == "" || n > spellings[k][ent.Name] {
			ent.Name = ev.Object
		}
		ent.Score += ev.Score
		ent.Events++
		if ev.Time.Before(ent.First) {
			ent.First = ev.Time
		}
		if ev.Time.After(ent.Last) {
			ent.Last = ev.Time
		}
		name := ev.SearchName
		if ev.Analytic != nil {
			name = ev.Analytic.Name
		}
		c := contrib[k][name]
		if c == nil {
			c = &Contribution{Analytic: name}
			contrib[k][name] = c
		}
		c.Score += ev.Score
		c.Events++
		for _, t := range ev.Tactics {
			tactics[k][t.ShortName()] = true
		}
	}
	for k, ent := range byKey {
		for _, c := range contrib[k] {
			ent.Analytics = append(ent.Analytics, *c)
		}
		sort.Slice(ent.Analytics, func(i, j int) bool {
			a, b := ent.Analytics[i], ent.Analytics[j]
			if a.Score != b.Score {
				return a.Score > b.Score
			}
			return a.Analytic < b.Analytic
		})
		for t := range tactics[k] {
			ent.Tactics = append(ent.Tactics, t)
		}
		sort.Strings(ent.Tactics)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.ObjectType != b.ObjectType {
			return a.ObjectType < b.ObjectType
		}
		return a.Object < b.Object
	})
	return out
}

// MarkRule records that a risk rule's results name an entity, given by
// its risk object or normalized risk object and its type. An empty type
// matches an entity of any type. It returns whether an entity matched.
func MarkRule(entities []*Entity, rule, object, objectType string) bool {
	matched := false
	for _, ent := range entities {
		if objectType != "" && ent.ObjectType != objectType {
			continue
		}
		if ent.Object != NormalizeObject(object, ent.ObjectType) {
			continue
		}
		matched = true
		if !contains(ent.Rules, rule) {
			ent.Rules = append(ent.Rules, rule)
			sort.Strings(ent.Rules)
		}
	}
	return matched
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
