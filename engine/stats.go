package engine

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// accumulator aggregates the values one group contributes to one
// aggregation. ts is the row's _time (ok false when missing).
type accumulator interface {
	add(values []string, ts float64, hasTime bool)
	result() []string
}

// listMax is the number of values list() keeps (limits.conf list_maxsize).
const listMax = 100

func newAccumulator(fn string) accumulator {
	switch fn {
	case "count", "c":
		return &countAcc{}
	case "dc", "distinct_count", "estdc":
		return &distinctAcc{count: true}
	case "values":
		return &distinctAcc{}
	case "list":
		return &listAcc{}
	case "min":
		return &extremeAcc{min: true}
	case "max":
		return &extremeAcc{}
	case "earliest", "first":
		return &timedAcc{earliest: true, byOrder: fn == "first"}
	case "latest", "last":
		return &timedAcc{byOrder: fn == "last"}
	case "earliest_time":
		return &timeOnlyAcc{earliest: true}
	case "latest_time":
		return &timeOnlyAcc{}
	}
	return &numericAcc{fn: fn}
}

type countAcc struct{ n int }

func (a *countAcc) add(values []string, _ float64, _ bool) { a.n += len(values) }
func (a *countAcc) result() []string                       { return []string{strconv.Itoa(a.n)} }

// distinctAcc serves values() (sorted distinct) and dc() (their count).
type distinctAcc struct {
	count bool
	seen  map[string]struct{}
}

func (a *distinctAcc) add(values []string, _ float64, _ bool) {
	if a.seen == nil {
		a.seen = map[string]struct{}{}
	}
	for _, v := range values {
		a.seen[v] = struct{}{}
	}
}

func (a *distinctAcc) result() []string {
	if a.count {
		return []string{strconv.Itoa(len(a.seen))}
	}
	if len(a.seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(a.seen))
	for v := range a.seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

type listAcc struct{ values []string }

func (a *listAcc) add(values []string, _ float64, _ bool) {
	for _, v := range values {
		if len(a.values) < listMax {
			a.values = append(a.values, v)
		}
	}
}
func (a *listAcc) result() []string { return a.values }

// extremeAcc is min or max: numeric when any value is a number (strings
// are then ignored), else lexicographic.
type extremeAcc struct {
	min    bool
	hasNum bool
	num    float64
	hasStr bool
	str    string
}

func (a *extremeAcc) add(values []string, _ float64, _ bool) {
	for _, v := range values {
		if n, ok := parseNumber(v); ok {
			if !a.hasNum || a.min && n < a.num || !a.min && n > a.num {
				a.num = n
			}
			a.hasNum = true
			continue
		}
		if !a.hasStr || a.min && v < a.str || !a.min && v > a.str {
			a.str = v
		}
		a.hasStr = true
	}
}

func (a *extremeAcc) result() []string {
	switch {
	case a.hasNum:
		return []string{FormatNumber(a.num)}
	case a.hasStr:
		return []string{a.str}
	}
	return nil
}

// timedAcc is earliest/latest (by _time; ties keep the first row seen)
// and first/last (by input order).
type timedAcc struct {
	earliest bool
	byOrder  bool
	set      bool
	ts       float64
	values   []string
}

func (a *timedAcc) add(values []string, ts float64, hasTime bool) {
	if len(values) == 0 {
		return
	}
	switch {
	case a.byOrder:
		if a.earliest && a.set {
			return
		}
	case !hasTime:
		if a.set {
			return
		}
	case a.set && (a.earliest && ts >= a.ts || !a.earliest && ts <= a.ts):
		return
	}
	a.set, a.ts, a.values = true, ts, values
}

func (a *timedAcc) result() []string { return a.values }

type timeOnlyAcc struct {
	earliest bool
	set      bool
	ts       float64
}

func (a *timeOnlyAcc) add(values []string, ts float64, hasTime bool) {
	if len(values) == 0 || !hasTime {
		return
	}
	if !a.set || a.earliest && ts < a.ts || !a.earliest && ts > a.ts {
		a.set, a.ts = true, ts
	}
}

func (a *timeOnlyAcc) result() []string {
	if !a.set {
		return nil
	}
	return []string{FormatNumber(a.ts)}
}

// numericAcc covers the functions over the numeric values of a field:
// sum, avg, stdev, var, range, median, mode, percentiles. Values that
// are not numbers are ignored.
type numericAcc struct {
	fn   string
	nums []float64
	raw  []string
}

func (a *numericAcc) add(values []string, _ float64, _ bool) {
	for _, v := range values {
		if a.fn == "mode" {
			a.raw = append(a.raw, v)
			continue
		}
		if n, ok := parseNumber(v); ok {
			a.nums = append(a.nums, n)
		}
	}
}

func (a *numericAcc) result() []string {
	if a.fn == "mode" {
		return modeOf(a.raw)
	}
	if len(a.nums) == 0 {
		return nil
	}
	n := float64(len(a.nums))
	sum := 0.0
	for _, v := range a.nums {
		sum += v
	}
	mean := sum / n
	variance := func(sample bool) (float64, bool) {
		d := n
		if sample {
			d = n - 1
		}
		if d <= 0 {
			return 0, false
		}
		ss := 0.0
		for _, v := range a.nums {
			ss += (v - mean) * (v - mean)
		}
		return ss / d, true
	}
	var out float64
	switch a.fn {
	case "sum":
		out = sum
	case "sumsq":
		for _, v := range a.nums {
			out += v * v
		}
	case "avg", "mean":
		out = mean
	case "stdev", "stdevp", "var", "varp":
		v, ok := variance(a.fn == "stdev" || a.fn == "var")
		if !ok {
			return nil
		}
		out = v
		if strings.HasPrefix(a.fn, "stdev") {
			out = math.Sqrt(v)
		}
	case "range":
		lo, hi := a.nums[0], a.nums[0]
		for _, v := range a.nums {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		out = hi - lo
	case "median":
		out = percentile(a.nums, 50)
	default:
		p, ok := percentileArg(a.fn)
		if !ok {
			return nil
		}
		out = percentile(a.nums, p)
	}
	return []string{FormatNumber(out)}
}

func percentileArg(fn string) (float64, bool) {
	for _, prefix := range []string{"exactperc", "upperperc", "perc", "p"} {
		if rest, ok := strings.CutPrefix(fn, prefix); ok {
			n, err := strconv.ParseFloat(rest, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// percentile returns the p-th percentile with linear interpolation
// between closest ranks.
func percentile(nums []float64, p float64) float64 {
	s := append([]float64(nil), nums...)
	sort.Float64s(s)
	if len(s) == 1 {
		return s[0]
	}
	rank := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	return s[lo] + (s[hi]-s[lo])*(rank-float64(lo))
}

func modeOf(values []string) []string {
	counts := map[string]int{}
	best, bestN := "", 0
	for _, v := range values {
		counts[v]++
		if counts[v] > bestN {
			best, bestN = v, counts[v]
		}
	}
	if bestN == 0 {
		return nil
	}
	return []string{best}
}

// aggInput extracts what one row contributes to an aggregation.
type aggInput struct {
	agg spl.Agg
	env *Env
}

func (in aggInput) values(r *event.Event) []string {
	a := in.agg
	switch {
	case a.Eval != nil:
		ctx := Ctx{Row: r, Env: in.env}
		v := ctx.Eval(a.Eval)
		if v.K == Bool {
			if v.B {
				return []string{"1"}
			}
			return nil
		}
		return v.Strings()
	case a.Field == "":
		return oneValue
	}
	return r.Values(a.Field)
}

var oneValue = []string{"1"}

// rowTime returns the row's _time as epoch seconds.
func rowTime(r *event.Event) (float64, bool) {
	v, ok := r.Value(event.TimeField)
	if !ok {
		return 0, false
	}
	return parseNumber(v)
}

// groupKeys expands a row's by-field values into group keys: a multivalue
// by-field splits the row into one contribution per value, and a null
// by-field drops the row.
func groupKeys(r *event.Event, by []string) [][]string {
	keys := [][]string{nil}
	for _, f := range by {
		values := r.Values(f)
		if len(values) == 0 {
			return nil
		}
		next := make([][]string, 0, len(keys)*len(values))
		for _, k := range keys {
			for _, v := range dedupStrings(values) {
				next = append(next, append(append([]string(nil), k...), v))
			}
		}
		keys = next
	}
	return keys
}

func dedupStrings(values []string) []string {
	if len(values) < 2 {
		return values
	}
	seen := make(map[string]bool, len(values))
	out := values[:0:0]
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func joinKey(k []string) string { return strings.Join(k, "\x00") }

// group is the state of one by-group.
type group struct {
	key  []string
	accs []accumulator
}

// groupTable holds groups in first-seen order.
type groupTable struct {
	inputs []aggInput
	by     []string
	index  map[string]*group
	order  []*group
}

func newGroupTable(aggs []spl.Agg, by []string, env *Env) *groupTable {
	t := &groupTable{by: by, index: map[string]*group{}}
	for _, a := range aggs {
		t.inputs = append(t.inputs, aggInput{agg: a, env: env})
	}
	return t
}

func (t *groupTable) groupFor(key []string) *group {
	k := joinKey(key)
	g := t.index[k]
	if g == nil {
		g = &group{key: key}
		for _, in := range t.inputs {
			g.accs = append(g.accs, newAccumulator(in.agg.Func))
		}
		t.index[k] = g
		t.order = append(t.order, g)
	}
	return g
}

// add feeds a row to its groups and returns them.
func (t *groupTable) add(r *event.Event) []*group {
	keys := groupKeys(r, t.by)
	if len(keys) == 0 {
		return nil
	}
	ts, hasTime := rowTime(r)
	inputs := make([][]string, len(t.inputs))
	for i, in := range t.inputs {
		inputs[i] = in.values(r)
	}
	groups := make([]*group, 0, len(keys))
	for _, key := range keys {
		g := t.groupFor(key)
		for i, acc := range g.accs {
			acc.add(inputs[i], ts, hasTime)
		}
		groups = append(groups, g)
	}
	return groups
}

// sortedGroups returns the groups ordered by their by-values (byte order,
// field by field). Without by-fields and rows it returns one empty group,
// because stats without by over no rows still returns one row.
func (t *groupTable) sortedGroups() []*group {
	if len(t.by) == 0 && len(t.order) == 0 {
		t.groupFor(nil)
	}
	groups := append([]*group(nil), t.order...)
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i].key, groups[j].key
		for k := range a {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	return groups
}

// setResults writes a group's aggregates onto a row.
func (t *groupTable) setResults(r *event.Event, g *group) {
	for i, in := range t.inputs {
		r.Set(in.agg.As, g.accs[i].result()...)
	}
}

func init() {
	registerStage("stats", buildStats)
	registerStage("eventstats", buildStats)
	registerStage("streamstats", buildStats)
}

func buildStats(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	s := cmd.(*spl.StatsCmd)
	for _, a := range s.Aggs {
		if a.Eval != nil {
			if err := c.checkExpr(a.Eval); err != nil {
				return nil, err
			}
		}
	}
	if len(s.Aggs) == 0 {
		return nil, c.x.Err(s.Start, s.End, "%s needs at least one function", s.Cmd)
	}
	table := newGroupTable(s.Aggs, s.By, c.env)
	switch s.Cmd {
	case "eventstats":
		return &eventstatsStage{table: table}, nil
	case "streamstats":
		return &streamstatsStage{table: table}, nil
	}
	return &statsStage{table: table}, nil
}

// statsStage replaces its input with one row per group, ordered by the
// by-field values (byte order, field by field).
type statsStage struct{ table *groupTable }

func (s *statsStage) Push(r *event.Event, _ Emit) error {
	s.table.add(r)
	return nil
}

func (s *statsStage) Flush(emit Emit) error {
	t := s.table
	groups := t.sortedGroups()
	for _, g := range groups {
		row := &event.Event{}
		for i, f := range t.by {
			row.Set(f, g.key[i])
		}
		t.setResults(row, g)
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// eventstatsStage adds each group's aggregates to every row of the group,
// keeping rows and their order.
type eventstatsStage struct {
	table *groupTable
	rows  []*event.Event
	of    [][]*group
}

func (s *eventstatsStage) mutates() bool { return true }

func (s *eventstatsStage) Push(r *event.Event, _ Emit) error {
	s.rows = append(s.rows, r)
	s.of = append(s.of, s.table.add(r))
	return nil
}

func (s *eventstatsStage) Flush(emit Emit) error {
	for i, r := range s.rows {
		if gs := s.of[i]; len(gs) > 0 {
			s.table.setResults(r, gs[0])
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// streamstatsStage writes running aggregates onto each row as it passes.
type streamstatsStage struct{ table *groupTable }

func (s *streamstatsStage) mutates() bool { return true }

func (s *streamstatsStage) Push(r *event.Event, emit Emit) error {
	if gs := s.table.add(r); len(gs) > 0 {
		s.table.setResults(r, gs[0])
	}
	return emit(r)
}

func (s *streamstatsStage) Flush(Emit) error { return nil }
