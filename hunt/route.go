package hunt

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// router picks, for each event, the analytics whose leading search can
// match it, so most analytics never see most events. An analytic is
// indexed by one clause of its route (an OR of exact field=value tests);
// analytics without a usable clause see every event.
type router struct {
	// index maps a field name to lower-case values to analytic indexes.
	index  map[string]map[string][]int
	always []int
	// seen and generation deduplicate candidates within one event.
	seen       []uint32
	generation uint32
	buf        []int
}

// indexFields ranks the fields worth indexing by, best first: the event
// code is the most selective, then the channel-derived source.
var indexFields = []string{"EventCode", "EventID", "source", "sourcetype", "Channel"}

func newRouter(analytics []*Analytic) *router {
	r := &router{index: map[string]map[string][]int{}, seen: make([]uint32, len(analytics))}
	for i, a := range analytics {
		if a.Query == nil {
			continue
		}
		clause := bestClause(a)
		if clause == nil {
			r.always = append(r.always, i)
			continue
		}
		for _, alt := range clause {
			byValue := r.index[alt.Field]
			if byValue == nil {
				byValue = map[string][]int{}
				r.index[alt.Field] = byValue
			}
			byValue[alt.Value] = append(byValue[alt.Value], i)
		}
	}
	return r
}

// bestClause returns the route clause whose fields all rank in
// indexFields, preferring the best-ranked field, or nil.
func bestClause(a *Analytic) []routeAlt {
	bestRank := len(indexFields)
	var best []routeAlt
	for _, clause := range a.Query.Route() {
		worst := -1
		for _, alt := range clause {
			rank := fieldRank(alt.Field)
			if rank < 0 {
				worst = -1
				break
			}
			worst = max(worst, rank)
		}
		if worst >= 0 && worst < bestRank {
			bestRank = worst
			best = best[:0]
			for _, alt := range clause {
				best = append(best, routeAlt{Field: alt.Field, Value: alt.Value})
			}
		}
	}
	return best
}

type routeAlt struct{ Field, Value string }

func fieldRank(field string) int {
	for i, f := range indexFields {
		if f == field {
			return i
		}
	}
	return -1
}

// candidates returns the indexes of the analytics that may match e. The
// order does not matter because analytics are independent. The slice is
// reused by the next call.
func (r *router) candidates(e *event.Event) []int {
	r.generation++
	if r.generation == 0 {
		clear(r.seen)
		r.generation = 1
	}
	out := r.buf[:0]
	add := func(i int) {
		if r.seen[i] != r.generation {
			r.seen[i] = r.generation
			out = append(out, i)
		}
	}
	for _, i := range r.always {
		add(i)
	}
	for field, byValue := range r.index {
		for _, v := range e.Values(field) {
			for _, i := range byValue[strings.ToLower(v)] {
				add(i)
			}
		}
	}
	r.buf = out
	return out
}
