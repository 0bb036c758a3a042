// Package hunt runs many analytics over one stream of events in a single
// pass and collects their results with the analytics' metadata.
package hunt

import (
	"errors"
	"sort"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/risk"
	"github.com/spelunk/spelunk/spl"
)

// Analytic is one analytic in a hunt: compiled, or not runnable with the
// reason.
type Analytic struct {
	Analytic *content.Analytic
	Query    *engine.Query
	// Err is the reason the analytic cannot run (parse error, unsupported
	// command, unknown macro). It is set before any event is read.
	Err error
	// RunErr is an error raised while the analytic ran.
	RunErr error
	Rows   []*event.Event
	// Warnings are problems that did not stop the analytic but may have
	// changed its rows, such as regex matches that ran out of time.
	Warnings []string
	// Correlation marks a second-phase analytic: one that reads the Risk
	// data model. It sees only the risk events of the first phase, never
	// the input events.
	Correlation bool
}

// Runnable reports whether the analytic compiled.
func (a *Analytic) Runnable() bool { return a.Err == nil }

// Hunt is a set of compiled analytics fed from one event stream.
type Hunt struct {
	Analytics []*Analytic
	Events    int
	started   time.Time
	// router selects the analytics each event can reach.
	router *router
	// RiskOptions configure how Finish turns first-phase rows into risk
	// events; New sets Now to the search time of the engine options.
	RiskOptions risk.Options
	// RiskEvents are the risk events of the first phase, set by Finish.
	RiskEvents []*risk.Event
}

// New compiles the analytics; analytics that fail to compile are kept
// with their error and skipped during the run.
func New(analytics []*content.Analytic, macros spl.MacroSet, opts engine.Options) *Hunt {
	h := &Hunt{started: time.Now(), RiskOptions: risk.Options{Now: opts.Now}}
	sorted := append([]*content.Analytic(nil), analytics...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for _, a := range sorted {
		ha := &Analytic{Analytic: a}
		ha.Query, ha.Err = engine.CompileQuery(a.Search, macros, opts)
		ha.Correlation = ReadsRisk(a)
		h.Analytics = append(h.Analytics, ha)
	}
	return h
}

// Push feeds one event to every runnable analytic. An analytic that
// fails at run time stops receiving events; the others go on.
func (h *Hunt) Push(e *event.Event) {
	h.Events++
	if h.router == nil {
		h.router = newRouter(h.Analytics)
	}
	for _, i := range h.router.candidates(e) {
		a := h.Analytics[i]
		if a.Err != nil || a.RunErr != nil || a.Correlation {
			continue
		}
		if err := a.Query.Push(e); err != nil {
			a.RunErr = err
		}
	}
}

// Finish flushes the first-phase analytics and stores their rows, turns
// the rows into risk events (RiskEvents), and runs the correlation
// analytics over those risk events.
func (h *Hunt) Finish() {
	h.finishPhase(false)
	h.correlate()
	h.finishPhase(true)
}

// finishPhase flushes the runnable analytics of one phase.
func (h *Hunt) finishPhase(correlation bool) {
	for _, a := range h.Analytics {
		if a.Err != nil || a.RunErr != nil || a.Correlation != correlation {
			continue
		}
		rows, err := a.Query.Finish()
		a.Warnings = a.Query.Warnings()
		if err != nil {
			a.RunErr = err
			continue
		}
		a.Rows = rows
	}
}

// Counts summarises a finished hunt.
type Counts struct {
	Runnable, NotRunnable, Failed, Fired, Results int
	// Warned counts the analytics that ran with warnings.
	Warned int
}

// Counts returns the number of analytics by outcome and the result rows.
func (h *Hunt) Counts() Counts {
	var c Counts
	for _, a := range h.Analytics {
		switch {
		case a.Err != nil:
			c.NotRunnable++
		case a.RunErr != nil:
			c.Failed++
		default:
			c.Runnable++
			if len(a.Rows) > 0 {
				c.Fired++
			}
			c.Results += len(a.Rows)
			if len(a.Warnings) > 0 {
				c.Warned++
			}
		}
	}
	return c
}

// Reason returns a short reason for a compile error: the message without
// its position, for grouping in summaries.
func Reason(err error) string {
	var se *spl.Error
	if errors.As(err, &se) {
		return se.Msg
	}
	return err.Error()
}
