package engine

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// Commands that reshape field values: fillnull, mvexpand, makemv,
// bin/bucket, replace, addtotals and iplocation.
func init() {
	registerStage("fillnull", buildFillnull)
	registerStage("mvexpand", buildMvexpand)
	registerStage("makemv", buildMakemv)
	registerStage("bin", buildBin)
	registerStage("bucket", buildBin)
	registerStage("replace", buildReplace)
	registerStage("addtotals", buildAddtotals)
	registerStage("iplocation", buildIplocation)
}

// IPLocator resolves an IP address to location fields (City, Country,
// Region, lat, lon); ok is false when the address is unknown.
type IPLocator interface {
	Locate(ip string) (fields map[string]string, ok bool)
}

// fillnullStage fills the listed fields when null. Without a field list
// it fills, in every row, each field that any row has, so it buffers
// the rows until the end of input.
type fillnullStage struct {
	value  string
	fields []string
	rows   []*event.Event
	seen   map[string]bool
	order  []string
}

func buildFillnull(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	f := cmd.(*spl.FillnullCmd)
	return &fillnullStage{value: f.Value, fields: f.Fields, seen: map[string]bool{}}, nil
}

func (s *fillnullStage) mutates() bool { return true }

func (s *fillnullStage) Push(r *event.Event, emit Emit) error {
	if len(s.fields) > 0 {
		for _, f := range s.fields {
			if !r.Has(f) {
				r.Set(f, s.value)
			}
		}
		return emit(r)
	}
	for _, f := range r.Fields {
		if !s.seen[f.Name] {
			s.seen[f.Name] = true
			s.order = append(s.order, f.Name)
		}
	}
	s.rows = append(s.rows, r)
	return nil
}

func (s *fillnullStage) Flush(emit Emit) error {
	for _, r := range s.rows {
		for _, name := range s.order {
			if !strings.HasPrefix(name, "_") && !r.Has(name) {
				r.Set(name, s.value)
			}
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// mvexpandStage emits one row per value of a field; rows without the
// field are dropped.
type mvexpandStage struct {
	field string
	limit int
}

func buildMvexpand(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if len(a.Args) != 1 {
		return nil, c.x.Err(a.Start, a.End, "mvexpand takes one field")
	}
	st := &mvexpandStage{field: a.Args[0]}
	for key, v := range a.Options {
		if key != "limit" {
			return nil, c.x.Err(a.OptionAt[key], a.OptionAt[key]+1, "unknown mvexpand option %s", key)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, c.x.Err(a.OptionAt[key], a.OptionAt[key]+1, "mvexpand limit expects a number, found %q", v)
		}
		st.limit = n
	}
	return st, nil
}

func (s *mvexpandStage) mutates() bool { return true }

func (s *mvexpandStage) Push(r *event.Event, emit Emit) error {
	values := r.Values(s.field)
	if s.limit > 0 && len(values) > s.limit {
		values = values[:s.limit]
	}
	for i, v := range values {
		row := r
		if i < len(values)-1 {
			row = r.Clone()
		}
		row.Set(s.field, v)
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

func (s *mvexpandStage) Flush(Emit) error { return nil }

// makemvStage splits each value of a field on a delimiter or collects
// the matches of a tokenizer regex.
type makemvStage struct {
	field      string
	delim      string
	tokenizer  *Regex
	allowEmpty bool
}

func buildMakemv(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if len(a.Args) != 1 {
		return nil, c.x.Err(a.Start, a.End, "makemv takes one field")
	}
	st := &makemvStage{field: a.Args[0], delim: " "}
	for key, v := range a.Options {
		at := a.OptionAt[key]
		switch key {
		case "delim":
			st.delim = v
		case "tokenizer":
			re, err := c.env.Regexes.Compile(v)
			if err != nil {
				return nil, c.x.Err(at, at+1, "%v", err)
			}
			st.tokenizer = re
		case "allowempty":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, c.x.Err(at, at+1, "makemv allowempty expects true or false, found %q", v)
			}
			st.allowEmpty = b
		case "setsv":
		default:
			return nil, c.x.Err(at, at+1, "unknown makemv option %s", key)
		}
	}
	return st, nil
}

func (s *makemvStage) mutates() bool { return true }

func (s *makemvStage) Push(r *event.Event, emit Emit) error {
	values := r.Values(s.field)
	if len(values) == 0 {
		return emit(r)
	}
	var out []string
	for _, v := range values {
		var parts []string
		if s.tokenizer != nil {
			for _, m := range s.tokenizer.FindAll(v, -1) {
				if len(m) > 1 && m[1].OK {
					parts = append(parts, m[1].Text)
				} else {
					parts = append(parts, m[0].Text)
				}
			}
		} else {
			parts = strings.Split(v, s.delim)
		}
		for _, p := range parts {
			if p != "" || s.allowEmpty {
				out = append(out, p)
			}
		}
	}
	r.Set(s.field, out...)
	return emit(r)
}

func (s *makemvStage) Flush(Emit) error { return nil }

// binStage floors a numeric field to the start of its span. Spans of
// seconds, minutes and hours align to multiples since the epoch; days
// align to midnight UTC, months and years to the first of the month or
// year. A plain number is a numeric span.
type binStage struct {
	field, as string
	span      float64
	months    int
}

var spanPattern = regexp.MustCompile(`^(\d+(?:\.\d+)?)?\s*([a-zA-Z]*)$`)

func buildBin(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	st := &binStage{}
	args := a.Args
	if len(args) >= 3 && strings.EqualFold(args[len(args)-2], "as") {
		st.as = args[len(args)-1]
		args = args[:len(args)-2]
	}
	if len(args) != 1 {
		return nil, c.x.Err(a.Start, a.End, "%s takes one field and span=", a.Cmd)
	}
	st.field = args[0]
	if st.as == "" {
		st.as = st.field
	}
	spanText, ok := a.Options["span"]
	if !ok {
		return nil, c.x.Err(a.Start, a.End, "%s without span= is not supported", a.Cmd)
	}
	for key := range a.Options {
		if key != "span" {
			return nil, c.x.Err(a.OptionAt[key], a.OptionAt[key]+1, "%s option %s is not supported", a.Cmd, key)
		}
	}
	if err := st.setSpan(spanText); err != nil {
		at := a.OptionAt["span"]
		return nil, c.x.Err(at, at+1, "invalid span %q: %v", spanText, err)
	}
	return st, nil
}

func (s *binStage) setSpan(text string) error {
	m := spanPattern.FindStringSubmatch(strings.TrimSpace(text))
	if m == nil {
		return fmt.Errorf("expected a number and a unit such as 5m")
	}
	n := 1.0
	if m[1] != "" {
		n, _ = strconv.ParseFloat(m[1], 64)
	}
	if n <= 0 {
		return fmt.Errorf("the span must be positive")
	}
	switch unit := strings.ToLower(m[2]); unit {
	case "", "s", "sec", "secs", "second", "seconds":
		s.span = n
	case "m", "min", "mins", "minute", "minutes":
		s.span = n * 60
	case "h", "hr", "hrs", "hour", "hours":
		s.span = n * 3600
	case "d", "day", "days":
		s.span = n * 86400
	case "w", "week", "weeks":
		s.span = n * 7 * 86400
	case "mon", "month", "months":
		s.months = int(n)
	case "y", "yr", "year", "years":
		s.months = int(n) * 12
	default:
		return fmt.Errorf("unknown unit %q", m[2])
	}
	return nil
}

func (s *binStage) mutates() bool { return true }

func (s *binStage) Push(r *event.Event, emit Emit) error {
	values := r.Values(s.field)
	if len(values) == 0 {
		return emit(r)
	}
	out := make([]string, 0, len(values))
	for _, v := range values {
		n, ok := parseNumber(v)
		if !ok {
			out = append(out, v)
			continue
		}
		out = append(out, FormatNumber(s.floor(n)))
	}
	r.Set(s.as, out...)
	return emit(r)
}

func (s *binStage) floor(n float64) float64 {
	if s.months > 0 {
		t := event.EpochTime(n)
		total := t.Year()*12 + int(t.Month()) - 1
		total -= total % s.months
		return float64(time.Date(total/12, time.Month(total%12+1), 1, 0, 0, 0, 0, time.UTC).Unix())
	}
	return math.Floor(n/s.span) * s.span
}

func (s *binStage) Flush(Emit) error { return nil }

// replaceStage rewrites whole field values that match a wildcard
// pattern (case-sensitive); the text matched by each `*` fills the
// corresponding `*` of the replacement.
type replaceStage struct {
	pairs  []spl.ReplacePair
	parts  [][]string
	fields []string
}

func buildReplace(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	rc := cmd.(*spl.ReplaceCmd)
	st := &replaceStage{pairs: rc.Pairs, fields: rc.Fields}
	for _, p := range rc.Pairs {
		st.parts = append(st.parts, strings.Split(p.From, "*"))
	}
	return st, nil
}

func (s *replaceStage) mutates() bool { return true }

func (s *replaceStage) Push(r *event.Event, emit Emit) error {
	for i := range r.Fields {
		f := &r.Fields[i]
		if !s.selected(f.Name) {
			continue
		}
		var out []string
		for j, v := range f.Values {
			if nv, ok := s.rewrite(v); ok {
				if out == nil {
					out = append([]string(nil), f.Values...)
				}
				out[j] = nv
			}
		}
		if out != nil {
			f.Values = out
		}
	}
	return emit(r)
}

func (s *replaceStage) selected(name string) bool {
	if len(s.fields) == 0 {
		return true
	}
	for _, f := range s.fields {
		if wildcardMatch(name, strings.Split(f, "*")) {
			return true
		}
	}
	return false
}

func (s *replaceStage) rewrite(v string) (string, bool) {
	for i, p := range s.pairs {
		if wildcardMatch(v, s.parts[i]) {
			return substituteWildcards(v, s.parts[i], p.To), true
		}
	}
	return "", false
}

func (s *replaceStage) Flush(Emit) error { return nil }

// addtotalsStage adds the numeric fields of each row into a total field
// (row=true, the default). col=true is not supported.
type addtotalsStage struct {
	name   string
	fields []string
}

func buildAddtotals(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	st := &addtotalsStage{name: "Total", fields: a.Args}
	for key, v := range a.Options {
		at := a.OptionAt[key]
		switch key {
		case "fieldname":
			st.name = v
		case "row":
			if b, err := strconv.ParseBool(v); err != nil || !b {
				return nil, c.x.Err(at, at+1, "addtotals row=%s is not supported", v)
			}
		case "col":
			if b, err := strconv.ParseBool(v); err != nil || b {
				return nil, c.x.Err(at, at+1, "addtotals col=%s is not supported", v)
			}
		default:
			return nil, c.x.Err(at, at+1, "addtotals option %s is not supported", key)
		}
	}
	return st, nil
}

func (s *addtotalsStage) mutates() bool { return true }

func (s *addtotalsStage) Push(r *event.Event, emit Emit) error {
	total, any := 0.0, false
	for _, f := range r.Fields {
		if strings.HasPrefix(f.Name, "_") || f.Name == s.name || len(f.Values) != 1 || !s.selected(f.Name) {
			continue
		}
		if n, ok := parseNumber(f.Values[0]); ok {
			total += n
			any = true
		}
	}
	if any {
		r.Set(s.name, FormatNumber(total))
	}
	return emit(r)
}

func (s *addtotalsStage) selected(name string) bool {
	if len(s.fields) == 0 {
		return true
	}
	for _, f := range s.fields {
		if wildcardMatch(name, strings.Split(f, "*")) {
			return true
		}
	}
	return false
}

func (s *addtotalsStage) Flush(Emit) error { return nil }

// iplocationStage adds location fields for an IP field from the
// configured GeoIP database.
type iplocationStage struct {
	field  string
	prefix string
	geo    IPLocator
}

func buildIplocation(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if c.opts.GeoIP == nil {
		return nil, c.x.Err(a.Start, a.Start+len(a.Cmd), "command iplocation needs a GeoIP database, and none is configured")
	}
	if len(a.Args) != 1 {
		return nil, c.x.Err(a.Start, a.End, "iplocation takes one field")
	}
	st := &iplocationStage{field: a.Args[0], prefix: a.Options["prefix"], geo: c.opts.GeoIP}
	for key := range a.Options {
		if key != "prefix" && key != "allfields" && key != "lang" {
			return nil, c.x.Err(a.OptionAt[key], a.OptionAt[key]+1, "unknown iplocation option %s", key)
		}
	}
	return st, nil
}

func (s *iplocationStage) mutates() bool { return true }

func (s *iplocationStage) Push(r *event.Event, emit Emit) error {
	if ip, ok := r.Value(s.field); ok {
		if fields, found := s.geo.Locate(ip); found {
			for _, name := range sortedKeys(fields) {
				r.Set(s.prefix+name, fields[name])
			}
		}
	}
	return emit(r)
}

func (s *iplocationStage) Flush(Emit) error { return nil }
