package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/input"
)

// maxShownProblems is how many skipped records the summary details.
const maxShownProblems = 20

// inputSummary is the input report of the hunt and search commands.
type inputSummary struct {
	Files        int
	Events       int
	Skipped      int
	Reasons      map[string]int
	Problems     []string
	MoreProblems int
	Unreadable   int
}

func (s inputSummary) failed() bool { return s.Skipped > 0 || s.Unreadable > 0 }

func (s inputSummary) skipReasons() string {
	keys := make([]string, 0, len(s.Reasons))
	for k := range s.Reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, s.Reasons[k])
	}
	return strings.Join(parts, ", ")
}

// readInputs walks the paths and passes every event to fn.
func readInputs(paths []string, workers int, fn func(*event.Event) error) (inputSummary, error) {
	sum, err := input.Walk(paths, input.Options{EVTXWorkers: workers, MaxProblems: maxShownProblems}, fn)
	out := inputSummary{Files: sum.Files, Events: sum.Events, Reasons: map[string]int{}}
	for reason, n := range sum.Skipped {
		out.Skipped += n
		out.Reasons[reason] += n
	}
	for _, p := range sum.Unreadable {
		out.Unreadable++
		out.Problems = append(out.Problems, "unreadable: "+p.Error())
	}
	for _, f := range sum.Unrecognized {
		out.Problems = append(out.Problems, "skipped file in no known format: "+f)
	}
	for _, p := range sum.Problems {
		out.Problems = append(out.Problems, "skipped record: "+p.Error())
	}
	if sum.ProblemCount > len(sum.Problems) {
		out.MoreProblems = sum.ProblemCount - len(sum.Problems)
	}
	return out, err
}
