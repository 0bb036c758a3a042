package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spelunk/spelunk/event"
)

// outputFormats lists the values of --format.
var outputFormats = []string{"table", "jsonl", "csv"}

func validFormat(f string) bool {
	for _, v := range outputFormats {
		if f == v {
			return true
		}
	}
	return false
}

// columns returns the union of the rows' field names in order of first
// appearance.
func columns(rows []*event.Event) []string {
	seen := map[string]bool{}
	var cols []string
	for _, r := range rows {
		r.Materialize()
		for _, f := range r.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				cols = append(cols, f.Name)
			}
		}
	}
	return cols
}

// fieldsJSON renders a row's fields as a JSON-ready map: a single value
// as a string, a multivalue field as a list.
func fieldsJSON(r *event.Event) map[string]any {
	r.Materialize()
	m := make(map[string]any, len(r.Fields))
	for _, f := range r.Fields {
		if len(f.Values) == 1 {
			m[f.Name] = f.Values[0]
		} else {
			m[f.Name] = f.Values
		}
	}
	return m
}

func writeJSONLine(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	_, err = w.Write(data)
	return err
}

// maxCell is the width at which table cells are cut; jsonl and csv keep
// whole values.
const maxCell = 100

func cellText(values []string) string {
	s := strings.Join(values, " | ")
	s = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		s = string(r[:maxCell-3]) + "..."
	}
	return s
}

// writeTable prints rows as an aligned text table.
func writeTable(w io.Writer, cols []string, rows []*event.Event) {
	widths := make([]int, len(cols))
	cells := make([][]string, len(rows))
	for i, c := range cols {
		widths[i] = utf8.RuneCountInString(c)
	}
	for r, row := range rows {
		cells[r] = make([]string, len(cols))
		for i, c := range cols {
			cells[r][i] = cellText(row.Values(c))
			widths[i] = max(widths[i], utf8.RuneCountInString(cells[r][i]))
		}
	}
	line := func(vals []string) {
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(v)
			if i < len(vals)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v)))
			}
		}
		fmt.Fprintln(w, b.String())
	}
	line(cols)
	sep := make([]string, len(cols))
	for i := range cols {
		sep[i] = strings.Repeat("-", widths[i])
	}
	line(sep)
	for _, c := range cells {
		line(c)
	}
}

// writeCSV prints a header and one record per row; multivalue fields are
// joined with newlines, as Splunk exports them.
func writeCSV(w io.Writer, prefix []string, cols []string, rows []*event.Event, prefixValues func(*event.Event) []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append(append([]string(nil), prefix...), cols...)); err != nil {
		return err
	}
	for _, r := range rows {
		rec := append([]string(nil), prefixValues(r)...)
		for _, c := range cols {
			rec = append(rec, strings.Join(r.Values(c), "\n"))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
