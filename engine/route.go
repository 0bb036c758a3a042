package engine

import (
	"net/netip"
	"strings"

	"github.com/spelunk/spelunk/spl"
)

// RouteAlt is one field=value test of a route clause; Value is lower-case
// and holds no wildcard.
type RouteAlt struct {
	Field string
	Value string
}

// RouteClause holds when any of its alternatives holds.
type RouteClause []RouteAlt

// Route is a necessary condition for an event to produce anything in a
// query: every clause must hold. It lets a hunt skip queries cheaply; the
// query itself still applies its full search.
type Route []RouteClause

// Route returns the exact field=value conditions of the query's leading
// search command, or nil when the query has none (it must see every
// event).
func (q *Query) Route() Route {
	if len(q.Pipeline.Commands) == 0 {
		return nil
	}
	search, ok := q.Pipeline.Commands[0].(*spl.SearchCmd)
	if !ok {
		return nil
	}
	terms := []spl.SearchExpr{search.Expr}
	if and, ok := search.Expr.(*spl.SearchAnd); ok {
		terms = and.Terms
	}
	var route Route
	for _, t := range terms {
		if clause, ok := routeClause(t); ok {
			route = append(route, clause)
		}
	}
	return route
}

// routeClause turns a term into a clause when it is an exact comparison,
// an IN list of exact values, or an OR of such terms.
func routeClause(t spl.SearchExpr) (RouteClause, bool) {
	switch t := t.(type) {
	case *spl.SearchCompare:
		if t.Op != "=" || !routableValue(t.Value) || !routableField(t.Field) {
			return nil, false
		}
		return RouteClause{{Field: t.Field, Value: strings.ToLower(t.Value)}}, true
	case *spl.SearchIn:
		if !routableField(t.Field) {
			return nil, false
		}
		var clause RouteClause
		for _, v := range t.Values {
			if !routableValue(v) {
				return nil, false
			}
			clause = append(clause, RouteAlt{Field: t.Field, Value: strings.ToLower(v)})
		}
		return clause, true
	case *spl.SearchOr:
		var clause RouteClause
		for _, sub := range t.Terms {
			c, ok := routeClause(sub)
			if !ok {
				return nil, false
			}
			clause = append(clause, c...)
		}
		return clause, true
	}
	return nil, false
}

// routableValue excludes values the search matches by pattern (wildcards)
// or by subnet (CIDR), which an exact lookup would miss.
func routableValue(v string) bool {
	if v == "" || strings.Contains(v, "*") {
		return false
	}
	_, err := netip.ParsePrefix(v)
	return err != nil
}

// routableField excludes fields the search treats specially.
func routableField(f string) bool {
	switch strings.ToLower(f) {
	case "index", "splunk_server", "earliest", "latest", "eventtype", "tag":
		return false
	}
	return true
}
