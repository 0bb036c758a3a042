package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/hunt"
	"github.com/spelunk/spelunk/risk"
)

func init() {
	registerCommand("hunt", "run analytics over log files and report their results", runHunt)
}

// huntRow is one line of `hunt --format jsonl`.
type huntRow struct {
	Analytic    string         `json:"analytic"`
	AnalyticID  string         `json:"analytic_id"`
	Fields      map[string]any `json:"fields"`
	Risk        []risk.Object  `json:"risk"`
	Message     string         `json:"message"`
	MitreAttack []string       `json:"mitre_attack"`
	Stories     []string       `json:"stories"`
}

func runHunt(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hunt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	contentDir := fs.String("content", "", "security content folder (detections/, macros/, lookups/); default: the built-in pack")
	format := fs.String("format", "table", "output format: table, jsonl or csv")
	workers := fs.Int("workers", 0, "EVTX decoding goroutines (0: one per CPU)")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write a Go heap profile, taken when the results are ready, to this file")
	riskOnly := fs.Bool("risk", false, "print the per-entity risk summary instead of the results")
	riskOut := fs.String("risk-out", "", "write the risk events to this file as JSON lines")
	var selected listFlag
	fs.Var(&selected, "analytic", "run only this analytic, by name or ID (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spelunk hunt [--content DIR] [--analytic NAME|ID]... [--format table|jsonl|csv] [--risk] [--risk-out FILE] PATH...")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if !validFormat(*format) {
		fmt.Fprintf(stderr, "spelunk hunt: invalid --format %q, expected table, jsonl or csv\n", *format)
		return exitUsage
	}
	if !validWorkers(stderr, "hunt", *workers) {
		return exitUsage
	}
	paths := fs.Args()
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "spelunk hunt: missing PATH: name at least one log file or folder")
		return exitUsage
	}
	pack, err := loadPack(*contentDir)
	if err != nil {
		fmt.Fprintf(stderr, "spelunk hunt: %v\n", err)
		return exitUsage
	}
	reportContentProblems(stderr, "spelunk hunt", pack)
	analytics, code := selectAnalytics(pack, selected, stderr)
	if code != exitOK {
		return code
	}
	if analytics, err = addRiskRules(pack, analytics, *contentDir, selected); err != nil {
		fmt.Fprintf(stderr, "spelunk hunt: %v\n", err)
		return exitUsage
	}

	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "spelunk hunt: %v\n", err)
			return exitUsage
		}
		defer stop()
	}
	// The risk event file is created before the input is read, so a bad
	// path fails at once rather than after the whole hunt.
	var riskFile *os.File
	if *riskOut != "" {
		if riskFile, err = os.Create(*riskOut); err != nil {
			fmt.Fprintf(stderr, "spelunk hunt: --risk-out: %v\n", err)
			return exitUsage
		}
		defer riskFile.Close()
	}
	var heapFile *os.File
	if *memProfile != "" {
		if heapFile, err = os.Create(*memProfile); err != nil {
			fmt.Fprintf(stderr, "spelunk hunt: --memprofile: %v\n", err)
			return exitUsage
		}
		defer heapFile.Close()
	}

	start := time.Now()
	h := hunt.New(analytics, pack.Macros, engine.Options{Now: start.UTC(), Lookups: packLookups(pack)})
	summary, err := readInputs(paths, *workers, func(e *event.Event) error {
		h.Push(e)
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "spelunk hunt: %v\n", err)
		return exitErrors
	}
	h.Finish()
	if heapFile != nil {
		if err := pprof.WriteHeapProfile(heapFile); err != nil {
			fmt.Fprintf(stderr, "spelunk hunt: heap profile: %v\n", err)
		}
	}

	if riskFile != nil {
		err := writeRiskEvents(riskFile, h.RiskEvents)
		if cerr := riskFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "spelunk hunt: writing risk events to %s: %v\n", *riskOut, err)
			return exitErrors
		}
	}
	if *riskOnly {
		err = writeRiskSummary(stdout, *format, h)
	} else {
		err = writeHuntResults(stdout, *format, h)
		if err == nil && *format == "table" {
			err = writeRiskSummary(stdout, *format, h)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "spelunk hunt: writing results: %v\n", err)
		return exitErrors
	}
	writeHuntSummary(stderr, pack, h, summary, time.Since(start))
	if summary.failed() || h.Counts().Failed > 0 || h.Counts().Warned > 0 || len(selected) > 0 && h.Counts().NotRunnable > 0 {
		return exitErrors
	}
	return exitOK
}

// selectAnalytics returns the non-deprecated analytics, or the ones
// named by --analytic.
func selectAnalytics(pack *content.Pack, selected []string, stderr io.Writer) ([]*content.Analytic, int) {
	if len(selected) > 0 {
		found, missing := pack.Find(selected)
		if len(missing) > 0 {
			fmt.Fprintf(stderr, "spelunk: no analytic named %s in %s\n", strings.Join(quoteAll(missing), ", "), pack.Root)
			return nil, exitUsage
		}
		return found, exitOK
	}
	var out []*content.Analytic
	for _, a := range pack.Analytics {
		if !a.Deprecated() {
			out = append(out, a)
		}
	}
	return out, exitOK
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// newHuntRow builds the jsonl line of one result row. Its risk list holds
// the risk objects of the risk events the row adds to the hunt: none for
// a correlation analytic, whose rows are alerts about entities that
// already carry risk, nor for an analytic type that generates no risk
// events.
func newHuntRow(a *hunt.Analytic, row *event.Event) huntRow {
	an := a.Analytic
	var objects []risk.Object
	if !a.Correlation && risk.Generates(an) {
		objects = risk.Objects(an, row)
	}
	return huntRow{
		Analytic:    an.Name,
		AnalyticID:  an.ID,
		Fields:      fieldsJSON(row),
		Risk:        nonNil(objects),
		Message:     risk.Message(an.Message(), row),
		MitreAttack: nonNil(an.Tags.MitreAttackID),
		Stories:     nonNil(an.Tags.AnalyticStory),
	}
}

// huntCSVPrefix names the columns that `hunt --format csv` writes before
// the fields of the rows. They are prefixed with analytic_ because rows,
// those of the risk rules in particular, have fields such as risk_score.
var huntCSVPrefix = []string{"analytic", "analytic_id", "analytic_risk_score", "analytic_message"}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func writeHuntResults(w io.Writer, format string, h *hunt.Hunt) error {
	switch format {
	case "jsonl":
		for _, a := range h.Analytics {
			for _, row := range a.Rows {
				if err := writeJSONLine(w, newHuntRow(a, row)); err != nil {
					return err
				}
			}
		}
	case "csv":
		var all []*event.Event
		owner := map[*event.Event]*hunt.Analytic{}
		for _, a := range h.Analytics {
			for _, row := range a.Rows {
				all = append(all, row)
				owner[row] = a
			}
		}
		return writeCSV(w, huntCSVPrefix, columns(all), all, func(r *event.Event) []string {
			an := owner[r].Analytic
			return []string{an.Name, an.ID, fmt.Sprint(an.Score()), risk.Message(an.Message(), r)}
		})
	default:
		for _, a := range h.Analytics {
			if len(a.Rows) == 0 {
				continue
			}
			an := a.Analytic
			fmt.Fprintf(w, "== %s (%s)\n", an.Name, an.ID)
			fmt.Fprintf(w, "   %s\n", analyticFacts(a))
			writeTable(w, columns(a.Rows), a.Rows)
			fmt.Fprintln(w)
		}
	}
	return nil
}

func writeHuntSummary(w io.Writer, pack *content.Pack, h *hunt.Hunt, in inputSummary, elapsed time.Duration) {
	c := h.Counts()
	fmt.Fprintln(w, "spelunk: "+in.String())
	for _, p := range in.Problems {
		fmt.Fprintf(w, "spelunk: %s\n", p)
	}
	if in.MoreProblems > 0 {
		fmt.Fprintf(w, "spelunk: ... and %d more input problems\n", in.MoreProblems)
	}
	fmt.Fprintf(w, "spelunk: content %s: %s ran, %d not runnable, %d failed while running; %d fired with %s in %s\n",
		pack.Root, plural(c.Runnable, "analytic"), c.NotRunnable, c.Failed, c.Fired, plural(c.Results, "result"), elapsed.Round(time.Millisecond))
	reasons := map[string]int{}
	for _, a := range h.Analytics {
		switch {
		case a.Err != nil:
			reasons[hunt.Reason(a.Err)]++
			if c.NotRunnable <= 10 {
				fmt.Fprintf(w, "spelunk: not runnable: %s: %v\n", a.Analytic.Name, a.Err)
			}
		case a.RunErr != nil:
			fmt.Fprintf(w, "spelunk: failed: %s: %v\n", a.Analytic.Name, a.RunErr)
		}
		for _, warning := range a.Warnings {
			fmt.Fprintf(w, "spelunk: warning: %s: %s\n", a.Analytic.Name, warning)
		}
	}
	if c.NotRunnable > 10 {
		type kv struct {
			reason string
			n      int
		}
		var list []kv
		for r, n := range reasons {
			list = append(list, kv{r, n})
		}
		sort.Slice(list, func(i, j int) bool {
			return list[i].n > list[j].n || list[i].n == list[j].n && list[i].reason < list[j].reason
		})
		for i, e := range list {
			if i == 15 {
				fmt.Fprintf(w, "spelunk:   ... %d more reasons (run spelunk validate for every analytic)\n", len(list)-15)
				break
			}
			fmt.Fprintf(w, "spelunk:   not runnable (%d): %s\n", e.n, e.reason)
		}
	}
}

// analyticFacts is the line under an analytic's name in table output: its
// result count, risk score, techniques and stories, leaving out what the
// analytic does not have.
func analyticFacts(a *hunt.Analytic) string {
	an := a.Analytic
	facts := []string{plural(len(a.Rows), "result")}
	if score := an.Score(); score > 0 {
		facts = append(facts, fmt.Sprintf("risk score %d", score))
	}
	if len(an.Tags.MitreAttackID) > 0 {
		facts = append(facts, "ATT&CK "+strings.Join(an.Tags.MitreAttackID, " "))
	}
	if len(an.Tags.AnalyticStory) > 0 {
		facts = append(facts, "stories: "+strings.Join(an.Tags.AnalyticStory, "; "))
	}
	return strings.Join(facts, ", ")
}
