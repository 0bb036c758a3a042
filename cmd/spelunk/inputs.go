package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/input"
)

// errStopped ends a walk whose consumer failed.
var errStopped = errors.New("stopped")

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
	// Warnings counts damage in data whose records were still read (EVTX
	// checksum mismatches, for example), by reason; it does not make the
	// run fail.
	Warnings     map[string]int
	WarningCount int
}

func (s inputSummary) failed() bool { return s.Skipped > 0 || s.Unreadable > 0 }

// String returns the counts of files, events and skipped records.
func (s inputSummary) String() string {
	out := fmt.Sprintf("read %s, %s", plural(s.Files, "file"), plural(s.Events, "event"))
	if s.Skipped > 0 {
		out += fmt.Sprintf(", skipped %s (%s)", plural(s.Skipped, "record"), countsByReason(s.Reasons))
	}
	if s.WarningCount > 0 {
		out += fmt.Sprintf(", %s on records that were read (%s)", plural(s.WarningCount, "warning"), countsByReason(s.Warnings))
	}
	return out
}

// countsByReason renders counts as "reason: n, ..." in reason order.
func countsByReason(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// readInputs walks the paths and passes every event to fn, in input
// order. Decoding runs on its own goroutine, one batch of events ahead of
// fn, so decoding and analytics use two cores.
func readInputs(paths []string, workers int, fn func(*event.Event) error) (inputSummary, error) {
	const batchSize = 256
	batches := make(chan []*event.Event, 4)
	stop := make(chan struct{})
	var sum input.Summary
	var walkErr error
	go func() {
		defer close(batches)
		batch := make([]*event.Event, 0, batchSize)
		sum, walkErr = input.Walk(paths, input.Options{EVTXWorkers: workers, MaxProblems: maxShownProblems}, func(e *event.Event) error {
			batch = append(batch, e)
			if len(batch) < batchSize {
				return nil
			}
			select {
			case batches <- batch:
			case <-stop:
				return errStopped
			}
			batch = make([]*event.Event, 0, batchSize)
			return nil
		})
		if len(batch) > 0 && walkErr == nil {
			select {
			case batches <- batch:
			case <-stop:
			}
		}
	}()
	var fnErr error
	for batch := range batches {
		if fnErr != nil {
			continue
		}
		for _, e := range batch {
			if fnErr = fn(e); fnErr != nil {
				close(stop)
				break
			}
		}
	}
	err := fnErr
	if err == nil && !errors.Is(walkErr, errStopped) {
		err = walkErr
	}
	out := inputSummary{Files: sum.Files, Events: sum.Events, Reasons: map[string]int{}, Warnings: sum.Warnings, WarningCount: sum.WarningCount}
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
	for _, p := range sum.WarningDetails {
		out.Problems = append(out.Problems, "warning: "+p.Error())
	}
	if sum.ProblemCount > len(sum.Problems) {
		out.MoreProblems = sum.ProblemCount - len(sum.Problems)
	}
	if sum.WarningCount > len(sum.WarningDetails) {
		out.MoreProblems += sum.WarningCount - len(sum.WarningDetails)
	}
	return out, err
}
