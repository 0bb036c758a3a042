package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerCommand("search", "run one ad-hoc SPL query over log files", runSearch)
}

func runSearch(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	contentDir := fs.String("content", "", "security content folder whose macros and lookups the query may use; default: the built-in pack")
	format := fs.String("format", "table", "output format: table, jsonl or csv")
	workers := fs.Int("workers", 0, "EVTX decoding goroutines (0: one per CPU)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spelunk search [--content DIR] [--format table|jsonl|csv] 'SPL' PATH...")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if !validFormat(*format) {
		fmt.Fprintf(stderr, "spelunk search: invalid --format %q, expected table, jsonl or csv\n", *format)
		return exitUsage
	}
	if !validWorkers(stderr, "search", *workers) {
		return exitUsage
	}
	if fs.NArg() < 2 {
		fmt.Fprintln(stderr, "spelunk search: expected a query and at least one PATH")
		fs.Usage()
		return exitUsage
	}
	query, paths := fs.Arg(0), fs.Args()[1:]
	if swappedArguments(query, paths[0]) {
		fmt.Fprintf(stderr, "spelunk search: %q is a file or folder and %q is not: the query comes first: spelunk search 'SPL' PATH...\n", query, paths[0])
		return exitUsage
	}
	pack, err := loadPack(*contentDir)
	if err != nil {
		fmt.Fprintf(stderr, "spelunk search: %v\n", err)
		return exitUsage
	}
	reportContentProblems(stderr, "spelunk search", pack)
	start := time.Now()
	q, err := engine.CompileQuery(query, pack.Macros, engine.Options{Now: start.UTC(), Lookups: packLookups(pack)})
	if err != nil {
		printQueryError(stderr, "spelunk search", err)
		return exitUsage
	}
	var runErr error
	summary, err := readInputs(paths, *workers, func(e *event.Event) error {
		if runErr == nil {
			runErr = q.Push(e)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "spelunk search: %v\n", err)
		return exitErrors
	}
	rows, err := q.Finish()
	if runErr == nil {
		runErr = err
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "spelunk search: query failed: %v\n", runErr)
		return exitErrors
	}
	if err := writeRows(stdout, *format, rows); err != nil {
		fmt.Fprintf(stderr, "spelunk search: writing results: %v\n", err)
		return exitErrors
	}
	fmt.Fprintf(stderr, "spelunk: %s; %s in %s\n", summary, plural(len(rows), "result"), time.Since(start).Round(time.Millisecond))
	for _, p := range summary.Problems {
		fmt.Fprintf(stderr, "spelunk: %s\n", p)
	}
	if summary.MoreProblems > 0 {
		fmt.Fprintf(stderr, "spelunk: ... and %d more input problems\n", summary.MoreProblems)
	}
	warnings := q.Warnings()
	for _, warning := range warnings {
		fmt.Fprintf(stderr, "spelunk: warning: %s\n", warning)
	}
	if summary.failed() || len(warnings) > 0 {
		return exitErrors
	}
	return exitOK
}

// swappedArguments reports whether the arguments of search look swapped:
// the query text names an existing file or folder and the first path
// names nothing.
func swappedArguments(query, firstPath string) bool {
	if _, err := os.Stat(query); err != nil {
		return false
	}
	_, err := os.Stat(firstPath)
	return errors.Is(err, os.ErrNotExist)
}

// printQueryError prints a query error with the query line and a caret.
func printQueryError(w io.Writer, prefix string, err error) {
	var se *spl.Error
	if errors.As(err, &se) {
		fmt.Fprintf(w, "%s: invalid query: %v\n%s\n", prefix, se, se.Snippet())
		return
	}
	fmt.Fprintf(w, "%s: invalid query: %v\n", prefix, err)
}

func writeRows(w io.Writer, format string, rows []*event.Event) error {
	switch format {
	case "jsonl":
		for _, r := range rows {
			if err := writeJSONLine(w, fieldsJSON(r)); err != nil {
				return err
			}
		}
	case "csv":
		return writeCSV(w, nil, columns(rows), rows, func(*event.Event) []string { return nil })
	default:
		if len(rows) > 0 {
			writeTable(w, columns(rows), rows)
		}
	}
	return nil
}

// packLookups returns the lookup tables of a content pack for the engine.
func packLookups(pack *content.Pack) engine.LookupSource { return pack.LookupTables() }
