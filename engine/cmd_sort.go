package engine

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerStage("sort", buildSort)
	registerStage("dedup", buildDedup)
}

// sortStage orders rows by its keys and keeps the first limit rows.
type sortStage struct {
	keys  []spl.SortKey
	limit int
	rows  []*event.Event
}

func buildSort(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	s := cmd.(*spl.SortCmd)
	return &sortStage{keys: s.Keys, limit: s.Limit}, nil
}

func (s *sortStage) Push(r *event.Event, _ Emit) error {
	s.rows = append(s.rows, r)
	return nil
}

func (s *sortStage) Flush(emit Emit) error {
	sortRows(s.rows, s.keys)
	for i, r := range s.rows {
		if s.limit > 0 && i >= s.limit {
			break
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// sortRows sorts stably by the keys. Rows missing a key's field come
// after the others whatever the direction.
func sortRows(rows []*event.Event, keys []spl.SortKey) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, aok := rows[i].Value(k.Field)
			b, bok := rows[j].Value(k.Field)
			switch {
			case !aok && !bok:
				continue
			case !aok:
				return false
			case !bok:
				return true
			}
			c := compareSortValues(a, b, k.Mode)
			if c == 0 {
				continue
			}
			if k.Desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
}

// compareSortValues compares two values for sort: with mode "" numbers
// compare numerically and before text, IP addresses compare as
// addresses, and other text compares byte-wise.
func compareSortValues(a, b, mode string) int {
	switch mode {
	case "str":
		return strings.Compare(a, b)
	case "ip":
		return compareIPs(a, b)
	}
	an, aok := parseNumber(a)
	bn, bok := parseNumber(b)
	switch {
	case aok && bok:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case aok != bok && mode == "":
		if aok {
			return -1
		}
		return 1
	case mode == "num":
		// Non-numbers sort after numbers, then byte-wise.
		if aok != bok {
			if aok {
				return -1
			}
			return 1
		}
	}
	if mode == "" {
		if c, ok := compareIPsIfBoth(a, b); ok {
			return c
		}
	}
	return strings.Compare(a, b)
}

func compareIPsIfBoth(a, b string) (int, bool) {
	ia, errA := netip.ParseAddr(a)
	ib, errB := netip.ParseAddr(b)
	if errA != nil || errB != nil {
		return 0, false
	}
	return ia.Compare(ib), true
}

func compareIPs(a, b string) int {
	if c, ok := compareIPsIfBoth(a, b); ok {
		return c
	}
	return strings.Compare(a, b)
}

// dedupStage keeps the first Count rows of each combination of the
// fields' values (compared exactly). Rows missing any of the fields are
// dropped unless keepempty=true. With consecutive=true only runs of
// equal rows are reduced. With sortby the kept rows are sorted at the
// end of input.
type dedupStage struct {
	cmd    *spl.DedupCmd
	counts map[string]int
	last   string
	rows   []*event.Event
}

func buildDedup(_ *compiler, cmd spl.Command, _ bool) (Stage, error) {
	return &dedupStage{cmd: cmd.(*spl.DedupCmd), counts: map[string]int{}}, nil
}

func (s *dedupStage) Push(r *event.Event, emit Emit) error {
	var key strings.Builder
	for _, f := range s.cmd.Fields {
		values := r.Values(f)
		if len(values) == 0 {
			if s.cmd.KeepEmpty {
				return s.keep(r, emit)
			}
			return nil
		}
		key.WriteString(strings.Join(values, "\n"))
		key.WriteByte(0)
	}
	k := key.String()
	if s.cmd.Consecutive {
		if k == s.last {
			return nil
		}
		s.last = k
		return s.keep(r, emit)
	}
	if s.counts[k] >= s.cmd.Count {
		return nil
	}
	s.counts[k]++
	return s.keep(r, emit)
}

func (s *dedupStage) keep(r *event.Event, emit Emit) error {
	if len(s.cmd.SortBy) > 0 {
		s.rows = append(s.rows, r)
		return nil
	}
	return emit(r)
}

func (s *dedupStage) Flush(emit Emit) error {
	sortRows(s.rows, s.cmd.SortBy)
	for _, r := range s.rows {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
