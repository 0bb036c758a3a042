package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spelunk/spelunk/content"
)

func init() {
	registerCommand("test", "replay each analytic's attack datasets and check that it fires", runTest)
}

// testReport is the output of `spelunk test --format json`.
type testReport struct {
	Content    string       `json:"content"`
	AttackData string       `json:"attack_data"`
	Summary    testSummary  `json:"summary"`
	Results    []testResult `json:"results"`
}

// testSummary counts tests by status. Untested counts the selected
// analytics without a tests section, which have no result lines.
type testSummary struct {
	Tests       int     `json:"tests"`
	Pass        int     `json:"pass"`
	Fail        int     `json:"fail"`
	DataMissing int     `json:"data_missing"`
	Skipped     int     `json:"skipped"`
	Error       int     `json:"error"`
	Untested    int     `json:"untested"`
	DurationMS  float64 `json:"duration_ms"`
}

func (s *testSummary) add(r testResult) {
	s.Tests++
	switch r.Status {
	case statusPass:
		s.Pass++
	case statusFail:
		s.Fail++
	case statusDataMissing:
		s.DataMissing++
	case statusSkipped:
		s.Skipped++
	case statusError:
		s.Error++
	}
}

func runTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	contentDir := fs.String("content", "", "security content folder (detections/, macros/, lookups/); default: the built-in pack")
	attackData := fs.String("attack-data", "", "local checkout of the splunk/attack_data repository; attack_data URLs map to the same path below it")
	format := fs.String("format", "table", "output format: table (a line per test and a summary) or json (one report)")
	workers := fs.Int("workers", 0, "tests run at once (0: one per CPU)")
	var selected listFlag
	fs.Var(&selected, "analytic", "test only this analytic, by name or ID (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spelunk test [--content DIR] [--attack-data DIR] [--analytic NAME|ID]... [--format table|json]")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nStatuses: pass, fail, data missing, skipped, error. Exit status 1 when a test failed or had an error.")
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "spelunk test: invalid --format %q, expected table or json\n", *format)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spelunk test: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if !validWorkers(stderr, "test", *workers) {
		return exitUsage
	}
	if *attackData != "" {
		info, err := os.Stat(*attackData)
		if err == nil && !info.IsDir() {
			err = fmt.Errorf("%s is not a folder; give a checkout of the %s repository", *attackData, attackDataRepo)
		}
		if err != nil {
			fmt.Fprintf(stderr, "spelunk test: --attack-data: %v\n", err)
			return exitUsage
		}
	}
	pack, err := loadPack(*contentDir)
	if err != nil {
		fmt.Fprintf(stderr, "spelunk test: %v\n", err)
		return exitUsage
	}
	reportContentProblems(stderr, "spelunk test", pack)
	analytics := pack.Analytics
	if len(selected) > 0 {
		var missing []string
		analytics, missing = pack.Find(selected)
		if len(missing) > 0 {
			fmt.Fprintf(stderr, "spelunk test: no analytic named %s in %s\n", strings.Join(quoteAll(missing), ", "), pack.Root)
			return exitUsage
		}
	}

	start := time.Now()
	runner := &testRunner{pack: pack, attackData: *attackData, lookups: packLookups(pack)}
	report := testReport{Content: pack.Root, AttackData: *attackData, Results: []testResult{}}
	var jobs []testJob
	for _, a := range analytics {
		if len(a.Tests) == 0 {
			report.Summary.Untested++
			continue
		}
		for i := range a.Tests {
			jobs = append(jobs, testJob{a, i})
		}
	}
	runTests(runner, jobs, *workers, func(r testResult) {
		report.Results = append(report.Results, r)
		report.Summary.add(r)
		if *format == "table" {
			writeTestLine(stdout, r)
		}
	})
	report.Summary.DurationMS = float64(time.Since(start).Microseconds()) / 1000

	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			fmt.Fprintf(stderr, "spelunk test: writing the report: %v\n", err)
			return exitErrors
		}
		writeTestSummary(stderr, report)
	} else {
		writeTestSummary(stdout, report)
	}
	if report.Summary.Fail > 0 || report.Summary.Error > 0 {
		return exitErrors
	}
	return exitOK
}

// testJob is one test of one analytic.
type testJob struct {
	analytic *content.Analytic
	index    int
}

// runTests runs the jobs on a pool of goroutines and passes the results
// to done one at a time, in job order.
func runTests(r *testRunner, jobs []testJob, workers int, done func(testResult)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]chan testResult, len(jobs))
	for i := range results {
		results[i] = make(chan testResult, 1)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, max(len(jobs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] <- r.run(jobs[i].analytic, jobs[i].index)
			}
		}()
	}
	go func() {
		for i := range jobs {
			next <- i
		}
		close(next)
	}()
	for _, ch := range results {
		done(<-ch)
	}
	wg.Wait()
}

func writeTestLine(w io.Writer, r testResult) {
	rows := "-"
	if r.Status == statusPass || r.Status == statusFail {
		rows = fmt.Sprint(r.Rows)
	}
	line := fmt.Sprintf("%-12s %5s rows %8s  %s: %s", r.Status, rows, formatMS(r.DurationMS), r.Analytic, r.Test)
	if r.Reason != "" {
		line += " (" + r.Reason + ")"
	}
	fmt.Fprintln(w, line)
}

func formatMS(ms float64) string {
	if ms < 1000 {
		return fmt.Sprintf("%.2fms", ms)
	}
	return fmt.Sprintf("%.2fs", ms/1000)
}

func writeTestSummary(w io.Writer, rep testReport) {
	s := rep.Summary
	fmt.Fprintf(w, "spelunk test: %s: %d pass, %d fail, %d data missing, %d skipped, %d error in %s",
		plural(s.Tests, "test"), s.Pass, s.Fail, s.DataMissing, s.Skipped, s.Error, formatMS(s.DurationMS))
	if s.Untested > 0 {
		fmt.Fprintf(w, "; %d %s no tests", s.Untested, map[bool]string{true: "analytic has", false: "analytics have"}[s.Untested == 1])
	}
	fmt.Fprintln(w)
}
