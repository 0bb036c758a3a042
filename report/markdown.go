package report

import (
	"fmt"
	"regexp"
	"strings"
)

// page builds a Markdown document.
type page struct {
	b strings.Builder
}

func (p *page) line(format string, args ...any) {
	fmt.Fprintf(&p.b, format, args...)
	p.b.WriteByte('\n')
}

func (p *page) blank() { p.b.WriteByte('\n') }

// section starts a level-two heading, preceded by a blank line.
func (p *page) section(title string) {
	p.blank()
	p.line("## %s", title)
	p.blank()
}

// text writes a paragraph of prose as the content states it, or the
// placeholder when the content leaves it empty.
func (p *page) text(s, placeholder string) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = placeholder
	}
	p.line("%s", s)
}

// table writes a Markdown table; cells are escaped for table context.
func (p *page) table(header []string, rows [][]string) {
	p.line("| %s |", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
	}
	p.line("|%s|", strings.Join(seps, "|"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = cell(c)
		}
		p.line("| %s |", strings.Join(cells, " | "))
	}
}

// codeBlock writes a fenced code block; the fence is longer than any run
// of backticks in the code, so ``` comments in SPL stay inside.
func (p *page) codeBlock(lang string, lines []string) {
	fence := strings.Repeat("`", max(3, longestRun(strings.Join(lines, "\n"), '`')+1))
	p.line("%s%s", fence, lang)
	for _, l := range lines {
		p.line("%s", l)
	}
	p.line("%s", fence)
}

func (p *page) String() string { return p.b.String() }

var spaceRun = regexp.MustCompile(`\s*\n\s*`)

// cell makes text safe inside a table cell: line breaks become spaces and
// pipes are escaped, which GitHub Flavored Markdown also requires inside
// code spans.
func cell(s string) string {
	s = spaceRun.ReplaceAllString(strings.TrimSpace(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// code returns s as an inline code span, with a fence longer than any
// backtick run inside it.
func code(s string) string {
	s = spaceRun.ReplaceAllString(strings.TrimSpace(s), " ")
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// link returns a Markdown link; the label's brackets are escaped.
func link(label, target string) string {
	label = strings.NewReplacer("[", `\[`, "]", `\]`).Replace(label)
	return "[" + label + "](" + strings.ReplaceAll(target, " ", "%20") + ")"
}

var slugInvalid = regexp.MustCompile(`[^a-z0-9]+`)

// Slug returns the file name stem for a title: lower case, every run of
// other characters than letters and digits replaced by "_".
func Slug(title string) string {
	s := strings.Trim(slugInvalid.ReplaceAllString(strings.ToLower(title), "_"), "_")
	if s == "" {
		return "untitled"
	}
	return s
}
