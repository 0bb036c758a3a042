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

// cellText renders a field's values as one table cell: line breaks as
// \n and \r, a tab as a space, other control characters and the
// invisible bidirectional controls as \uXXXX escapes, and the whole cut
// at maxCell characters.
func cellText(values []string) string {
	s := strings.Join(values, " | ")
	s = strings.NewReplacer("\r\n", `\n`, "\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
	s = escapeInvisible(s)
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		s = string(r[:maxCell-3]) + "..."
	}
	return s
}

// escapeInvisible writes C0 and C1 control characters, DEL and the
// bidirectional marks, embeddings, overrides and isolates as \uXXXX, so
// a value can neither move the terminal's cursor nor reorder the text
// that follows it on the line.
func escapeInvisible(s string) string {
	if strings.IndexFunc(s, invisible) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if invisible(r) {
			fmt.Fprintf(&b, `\u%04X`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func invisible(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// writeTable prints rows as an aligned text table.
func writeTable(w io.Writer, cols []string, rows []*event.Event) {
	widths := make([]int, len(cols))
	cells := make([][]string, len(rows))
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = escapeInvisible(c)
		widths[i] = utf8.RuneCountInString(header[i])
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
	line(header)
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
// joined with newlines, as Splunk exports them. The header names are
// unique: a row field whose name is taken by a prefix column is headed
// fields.NAME, as its key in jsonl.
func writeCSV(w io.Writer, prefix []string, cols []string, rows []*event.Event, prefixValues func(*event.Event) []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader(prefix, cols)); err != nil {
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

// csvHeader returns the prefix columns followed by the field columns. A
// field whose name a prefix column has is headed fields.NAME, with more
// "fields." while that name is taken too.
func csvHeader(prefix, cols []string) []string {
	taken := map[string]bool{}
	for _, c := range prefix {
		taken[c] = true
	}
	clash := make([]bool, len(cols))
	for i, c := range cols {
		clash[i] = taken[c]
	}
	for _, c := range cols {
		taken[c] = true
	}
	header := append([]string(nil), prefix...)
	for i, c := range cols {
		name := c
		if clash[i] {
			for name = "fields." + c; taken[name]; name = "fields." + name {
			}
			taken[name] = true
		}
		header = append(header, name)
	}
	return header
}
