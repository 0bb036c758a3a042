package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerCommand("validate", "parse and check every analytic without reading events", runValidate)
}

// Validation statuses.
const (
	validOK          = "ok"
	validUnsupported = "unsupported" // a command, function, macro or lookup spelunk lacks
	validError       = "error"       // the query text is invalid
)

// validation is the outcome for one analytic; it is also the JSON line
// of `validate --format json`.
type validation struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Position string `json:"position,omitempty"` // line:column in the analytic's search
	// rawWindows marks a search that starts with a Windows event log macro.
	rawWindows bool
	// file marks a content file that could not be loaded. Name is then
	// its path and Reason the error.
	file bool
}

// unsupportedMessage matches the compile errors that name something
// spelunk does not support or cannot find, as opposed to invalid text.
var unsupportedMessage = regexp.MustCompile(`is not supported|not found|^unknown macro |is a KV store collection|machine learning model|needs a GeoIP database|has no column|is not defined|is not available`)

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	contentDir := fs.String("content", "", "security content folder (detections/, macros/, lookups/); default: the built-in pack")
	format := fs.String("format", "table", "output format: table or json (one JSON object per analytic and line)")
	withDeprecated := fs.Bool("deprecated", false, "also check deprecated analytics")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spelunk validate [--content DIR] [--format table|json] [--deprecated]")
		fmt.Fprintln(stderr, "Exit status 1 when some analytic's search is invalid; unsupported analytics do not change it.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "spelunk validate: invalid --format %q, expected table or json\n", *format)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spelunk validate: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	pack, err := loadPack(*contentDir)
	if err != nil {
		fmt.Fprintf(stderr, "spelunk validate: %v\n", err)
		return exitUsage
	}
	reportContentProblems(stderr, "spelunk validate", pack)
	results := append(problemValidations(pack), validatePack(pack, *withDeprecated, time.Now().UTC())...)
	if *format == "json" {
		for _, v := range results {
			if err := writeJSONLine(stdout, v); err != nil {
				fmt.Fprintf(stderr, "spelunk validate: writing results: %v\n", err)
				return exitErrors
			}
		}
	} else {
		writeValidationTable(stdout, pack, results)
	}
	for _, v := range results {
		if v.Status == validError {
			return exitErrors
		}
	}
	return exitOK
}

// validatePack compiles every analytic of the pack (deprecated ones only
// when asked) and classifies the outcome.
func validatePack(pack *content.Pack, withDeprecated bool, now time.Time) []validation {
	opts := engine.Options{Now: now, Lookups: packLookups(pack)}
	var out []validation
	for _, a := range pack.Analytics {
		if a.Deprecated() && !withDeprecated {
			continue
		}
		v := validation{ID: a.ID, Name: a.Name, Status: validOK, rawWindows: rawWindowsSearch(a.Search, pack.Macros)}
		if _, err := engine.CompileQuery(a.Search, pack.Macros, opts); err != nil {
			v.Status, v.Reason, v.Position = classifyCompileError(err)
		}
		out = append(out, v)
	}
	return out
}

// problemValidations returns an error validation for every content file
// that could not be loaded.
func problemValidations(pack *content.Pack) []validation {
	var out []validation
	for _, p := range pack.Problems {
		out = append(out, validation{Name: problemFile(pack, p), Status: validError, Reason: p.Err.Error(), file: true})
	}
	return out
}

// classifyCompileError returns the status, the message and the
// line:column of a compile error.
func classifyCompileError(err error) (status, reason, position string) {
	reason = err.Error()
	var se *spl.Error
	if errors.As(err, &se) {
		reason = se.Msg
		line, col := spl.LineCol(se.Query, se.Start)
		position = fmt.Sprintf("%d:%d", line, col)
	}
	status = validError
	if unsupportedMessage.MatchString(reason) {
		status = validUnsupported
	}
	return status, reason, position
}

// windowsLogMacros are the macros that select raw Windows event logs by
// name; any other macro whose definition names a WinEventLog source
// counts too.
var windowsLogMacros = map[string]bool{
	"powershell": true, "sysmon": true, "wineventlog_security": true,
	"wineventlog_system": true, "wineventlog_application": true,
}

var leadingMacro = regexp.MustCompile("^\\s*`([A-Za-z0-9_]+)`")

var tripleBacktickComment = regexp.MustCompile("(?s)```.*?```")

// rawWindowsSearch reports whether a search reads raw Windows events:
// after comments, it starts with a Windows event log macro.
func rawWindowsSearch(search string, macros spl.MacroSet) bool {
	m := leadingMacro.FindStringSubmatch(tripleBacktickComment.ReplaceAllString(search, ""))
	if m == nil {
		return false
	}
	if windowsLogMacros[m[1]] {
		return true
	}
	mac, ok := macros.Macro(m[1], 0)
	return ok && strings.Contains(strings.ToLower(mac.Definition), "wineventlog")
}

// validationCounts summarises validations.
type validationCounts struct {
	byStatus           map[string]int
	byReason           map[string]int
	windows, windowsOK int
	files              int // content files that could not be loaded
}

func countValidations(results []validation) validationCounts {
	c := validationCounts{byStatus: map[string]int{}, byReason: map[string]int{}}
	for _, v := range results {
		if v.file {
			c.files++
			continue
		}
		c.byStatus[v.Status]++
		if v.Status != validOK {
			c.byReason[v.Status+": "+v.Reason]++
		}
		if v.rawWindows {
			c.windows++
			if v.Status == validOK {
				c.windowsOK++
			}
		}
	}
	return c
}

func writeValidationTable(w io.Writer, pack *content.Pack, results []validation) {
	fmt.Fprintf(w, "%-70s %-11s %s\n", "ANALYTIC", "STATUS", "REASON")
	for _, v := range results {
		reason := v.Reason
		if v.Position != "" {
			reason = v.Position + ": " + reason
		}
		name := truncate(v.Name, 70)
		if v.file {
			name = truncateLeft(v.Name, 70)
		}
		fmt.Fprintf(w, "%-70s %-11s %s\n", name, v.Status, reason)
	}
	c := countValidations(results)
	fmt.Fprintf(w, "\ncontent %s: %s checked: %d ok, %d unsupported, %d error\n",
		pack.Root, plural(len(results)-c.files, "analytic"), c.byStatus[validOK], c.byStatus[validUnsupported], c.byStatus[validError])
	if c.files > 0 {
		fmt.Fprintf(w, "%s could not be loaded\n", plural(c.files, "content file"))
	}
	if c.windows > 0 {
		fmt.Fprintf(w, "raw-event Windows analytics: %d of %d ok (%.1f%%)\n", c.windowsOK, c.windows, 100*float64(c.windowsOK)/float64(c.windows))
	}
	reasons := make([]string, 0, len(c.byReason))
	for r := range c.byReason {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if c.byReason[reasons[i]] != c.byReason[reasons[j]] {
			return c.byReason[reasons[i]] > c.byReason[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	if len(reasons) > 0 {
		fmt.Fprintln(w, "not runnable, by reason:")
	}
	for _, r := range reasons {
		fmt.Fprintf(w, "%6d  %s\n", c.byReason[r], r)
	}
}

// truncateLeft cuts s to n bytes from the left, keeping its end: the
// file name of a path.
func truncateLeft(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n + 3
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return "..." + s[i:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
