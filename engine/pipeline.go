// Package engine compiles parsed SPL pipelines into stages and runs them
// over events. One Query runs one search; a Hunt feeds the same events
// to many queries in one pass.
package engine

import (
	"fmt"
	"time"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

// Emit passes a row to the next stage.
type Emit func(*event.Event) error

// Stage is one compiled command. Push receives rows in order; Flush is
// called once at the end of input. Streaming stages emit from Push;
// blocking stages (stats, sort) keep state and emit from Flush.
type Stage interface {
	Push(row *event.Event, emit Emit) error
	Flush(emit Emit) error
}

// mutator marks stages that change the rows they receive, so the query
// clones shared input events before them.
type mutator interface{ mutates() bool }

// Options configure compilation.
type Options struct {
	// Now is the search start time, used by now() and relative times.
	Now time.Time
	// Lookups resolves lookup definitions; nil means none are available.
	Lookups LookupSource
	// MaxRows caps the rows a query keeps (0: no cap).
	MaxRows int
	// GeoIP resolves IP addresses for iplocation; nil makes iplocation
	// fail at compile time.
	GeoIP IPLocator
	// Macros expand macro calls in search text parsed after compilation
	// starts (map templates); CompileQuery sets it when nil.
	Macros spl.MacroSet
}

// LookupSource finds lookup tables by name.
type LookupSource interface {
	Lookup(name string) (*LookupTable, error)
}

// Query is a compiled search ready to receive events.
type Query struct {
	Pipeline *spl.Pipeline
	Expanded *spl.Expanded
	stages   []Stage
	entry    Emit
	results  []*event.Event
	flushed  bool
	// firstMutator is the index of the first stage that changes rows.
	firstMutator int
	// subsearches receive every input event before the main stages;
	// the stages that use their results read them at flush time.
	subsearches []*Query
	// env is shared with the subsearches; nil for queries built by a
	// stage at run time.
	env *Env
}

// Warnings returns what went wrong while the query ran without failing
// it, such as regex matches that ran out of time.
func (q *Query) Warnings() []string {
	if q.env == nil || q.env.Regexes == nil {
		return nil
	}
	return q.env.Regexes.Warnings()
}

// CompileQuery expands, parses and compiles a query string.
func CompileQuery(query string, macros spl.MacroSet, opts Options) (*Query, error) {
	pl, x, err := spl.Parse(query, macros)
	if err != nil {
		return nil, err
	}
	if opts.Macros == nil {
		opts.Macros = macros
	}
	return Compile(pl, x, opts)
}

// Compile builds the stages of a parsed pipeline.
func Compile(pl *spl.Pipeline, x *spl.Expanded, opts Options) (*Query, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC()
	}
	env := &Env{Now: opts.Now, Regexes: NewRegexCache()}
	c := &compiler{x: x, env: env, opts: opts}
	c.subsearches = &[]*Query{}
	q := &Query{Pipeline: pl, Expanded: x, env: env}
	for i, cmd := range pl.Commands {
		st, err := c.stage(cmd, i == 0)
		if err != nil {
			return nil, err
		}
		q.stages = append(q.stages, st)
	}
	q.subsearches = *c.subsearches
	q.chain()
	return q, nil
}

// chain links the stages; rows are cloned before the first stage that
// changes them, because raw events are shared by every query of a hunt.
func (q *Query) chain() {
	next := Emit(func(r *event.Event) error {
		q.results = append(q.results, r)
		return nil
	})
	q.firstMutator = len(q.stages)
	for i, st := range q.stages {
		if m, ok := st.(mutator); ok && m.mutates() {
			q.firstMutator = i
			break
		}
	}
	for i := len(q.stages) - 1; i >= 0; i-- {
		st, emit := q.stages[i], next
		if i == q.firstMutator {
			next = func(r *event.Event) error { return st.Push(r.Clone(), emit) }
		} else {
			next = func(r *event.Event) error { return st.Push(r, emit) }
		}
	}
	q.entry = next
}

// Push feeds one input event to the query.
func (q *Query) Push(e *event.Event) error {
	for _, sub := range q.subsearches {
		if err := sub.Push(e); err != nil {
			return err
		}
	}
	return q.entry(e)
}

// Finish flushes every stage in order and returns the result rows.
func (q *Query) Finish() ([]*event.Event, error) {
	if q.flushed {
		return q.results, nil
	}
	q.flushed = true
	for i, st := range q.stages {
		emit := q.emitAfter(i)
		if err := st.Flush(emit); err != nil {
			return nil, err
		}
	}
	return q.results, nil
}

// emitAfter returns the function that pushes into stage i+1 (or into
// the results after the last stage), cloning like chain does.
func (q *Query) emitAfter(i int) Emit {
	if i+1 >= len(q.stages) {
		return func(r *event.Event) error {
			q.results = append(q.results, r)
			return nil
		}
	}
	next := q.stages[i+1]
	after := q.emitAfter(i + 1)
	if i+1 == q.firstMutator {
		return func(r *event.Event) error { return next.Push(r.Clone(), after) }
	}
	return func(r *event.Event) error { return next.Push(r, after) }
}

// Run compiles a query, pushes every event from feed and returns the rows.
func Run(query string, macros spl.MacroSet, opts Options, events []*event.Event) ([]*event.Event, error) {
	q, err := CompileQuery(query, macros, opts)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if err := q.Push(e); err != nil {
			return nil, err
		}
	}
	return q.Finish()
}

// compiler turns commands into stages.
type compiler struct {
	x    *spl.Expanded
	env  *Env
	opts Options
	// subsearches collects the subsearches that read input events, for
	// the whole query including nested pipelines.
	subsearches *[]*Query
}

// StageBuilder compiles one command kind; commands register builders so
// each lives in its own file.
type StageBuilder func(c *compiler, cmd spl.Command, first bool) (Stage, error)

var builders = map[string]StageBuilder{}

func registerStage(name string, b StageBuilder) { builders[name] = b }

func (c *compiler) stage(cmd spl.Command, first bool) (Stage, error) {
	b, ok := builders[cmd.Name()]
	if !ok {
		start, end := cmd.Span()
		return nil, c.x.Err(start, end, "command %s is not supported", cmd.Name())
	}
	return b(c, cmd, first)
}

// checkExpr verifies function names and argument counts before any event
// is read.
func (c *compiler) checkExpr(e spl.Expr) error {
	switch e := e.(type) {
	case *spl.Call:
		fn, ok := Functions[e.Name]
		if !ok {
			return c.x.Err(e.At, e.At+len(e.Name), "function %s is not supported", e.Name)
		}
		if len(e.Args) < fn.MinArgs || fn.MaxArgs >= 0 && len(e.Args) > fn.MaxArgs {
			return c.x.Err(e.At, e.At+len(e.Name), "function %s takes %s, got %d", e.Name, arity(fn), len(e.Args))
		}
		if fn.Check != nil {
			if err := fn.Check(e.Args); err != nil {
				return c.x.Err(e.At, e.At+len(e.Name), "%s: %v", e.Name, err)
			}
		}
		for _, a := range e.Args {
			if err := c.checkExpr(a); err != nil {
				return err
			}
		}
	case *spl.Binary:
		if err := c.checkExpr(e.L); err != nil {
			return err
		}
		return c.checkExpr(e.R)
	case *spl.Unary:
		return c.checkExpr(e.X)
	case *spl.InExpr:
		if err := c.checkExpr(e.X); err != nil {
			return err
		}
		for _, a := range e.List {
			if err := c.checkExpr(a); err != nil {
				return err
			}
		}
	}
	return nil
}

func arity(fn *Function) string {
	switch {
	case fn.MaxArgs == fn.MinArgs:
		return fmt.Sprintf("%d arguments", fn.MinArgs)
	case fn.MaxArgs < 0:
		return fmt.Sprintf("at least %d arguments", fn.MinArgs)
	}
	return fmt.Sprintf("%d to %d arguments", fn.MinArgs, fn.MaxArgs)
}
