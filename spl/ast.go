package spl

// Pipeline is a parsed search: commands separated by pipes.
type Pipeline struct {
	Commands []Command
	Start    int
	End      int
}

// Command is one pipeline stage. Each command type is a struct below;
// the engine maps each to an implementation.
type Command interface {
	Name() string
	Span() (start, end int)
}

// Base carries a command's name and byte range.
type Base struct {
	Cmd        string
	Start, End int
}

// Name returns the command name as written (lower-cased).
func (b *Base) Name() string { return b.Cmd }

// Span returns the command's byte range in the expanded query.
func (b *Base) Span() (int, int) { return b.Start, b.End }

// ---- search language ----

// SearchExpr is a node of the search-command language (also tstats WHERE).
type SearchExpr interface{ searchExpr() }

// SearchAnd is a conjunction (explicit AND or adjacency).
type SearchAnd struct{ Terms []SearchExpr }

// SearchOr is a disjunction.
type SearchOr struct{ Terms []SearchExpr }

// SearchNot negates one term or group.
type SearchNot struct{ X SearchExpr }

// SearchCompare is `field op value`, op one of = != < <= > >=.
type SearchCompare struct {
	Field  string
	Op     string
	Value  string
	Quoted bool
	Start  int
}

// SearchIn is `field IN (v1, v2, ...)`; values may hold `*` wildcards.
type SearchIn struct {
	Field  string
	Values []string
	Start  int
}

// SearchTerm is a bare word or quoted phrase matched against _raw.
type SearchTerm struct {
	Text   string
	Quoted bool
	Start  int
}

// SearchSubsearch is `[ ... ]` used as a filter: its result rows become
// field=value conjunctions joined by OR.
type SearchSubsearch struct {
	Pipeline *Pipeline
	Start    int
}

// SearchAll matches every event (`*`, or an empty search).
type SearchAll struct{}

func (*SearchAnd) searchExpr()       {}
func (*SearchOr) searchExpr()        {}
func (*SearchNot) searchExpr()       {}
func (*SearchCompare) searchExpr()   {}
func (*SearchIn) searchExpr()        {}
func (*SearchTerm) searchExpr()      {}
func (*SearchSubsearch) searchExpr() {}
func (*SearchAll) searchExpr()       {}

// ---- eval language ----

// Expr is a node of the eval/where expression language.
type Expr interface{ Pos() int }

// NumberLit is a numeric literal, kept as written.
type NumberLit struct {
	Text  string
	Value float64
	At    int
}

// StringLit is a double-quoted string literal after SPL unescaping.
type StringLit struct {
	Value string
	At    int
}

// FieldRef names a field (bare word or single-quoted).
type FieldRef struct {
	Name string
	At   int
}

// Call is a function call; Name is lower-cased.
type Call struct {
	Name string
	Args []Expr
	At   int
}

// Binary is a binary operator: + - * / % . = == != < <= > >= AND OR XOR LIKE.
type Binary struct {
	Op   string
	L, R Expr
	At   int
}

// Unary is NOT or unary minus.
type Unary struct {
	Op string
	X  Expr
	At int
}

// InExpr is `x IN (a, b, ...)` in eval/where.
type InExpr struct {
	X    Expr
	List []Expr
	At   int
}

// Pos returns the node's offset in the expanded query.
func (e *NumberLit) Pos() int { return e.At }

// Pos returns the node's offset in the expanded query.
func (e *StringLit) Pos() int { return e.At }

// Pos returns the node's offset in the expanded query.
func (e *FieldRef) Pos() int { return e.At }

// Pos returns the node's offset in the expanded query.
func (e *Call) Pos() int { return e.At }

// Pos returns the node's offset in the expanded query.
func (e *Binary) Pos() int { return e.At }

// Pos returns the node's offset in the expanded query.
func (e *Unary) Pos() int { return e.At }

// Pos returns the node's offset in the expanded query.
func (e *InExpr) Pos() int { return e.At }

// ---- commands ----

// SearchCmd is the implicit or explicit search command, or `where` in
// search syntax inside tstats.
type SearchCmd struct {
	Base
	Expr SearchExpr
}

// WhereCmd filters rows on an eval expression.
type WhereCmd struct {
	Base
	Expr Expr
}

// Assignment is one `field = expr` of eval.
type Assignment struct {
	Field string
	Expr  Expr
}

// EvalCmd assigns fields from expressions, left to right.
type EvalCmd struct {
	Base
	Assignments []Assignment
}

// Agg is one aggregation of stats-family commands.
type Agg struct {
	Func  string // lower-cased function name, e.g. count, values, perc95
	Field string // argument field; empty for bare count
	Eval  Expr   // set for func(eval(...))
	As    string // output column
	Start int
}

// StatsCmd covers stats, eventstats, streamstats and tstats.
type StatsCmd struct {
	Base
	Aggs    []Agg
	By      []string
	Options map[string]string
	// tstats only
	From      string     // datamodel=Model.Dataset
	Where     SearchExpr // nil when absent
	TimeSpan  string     // by _time span=...
	SpanField string
}

// RenamePair is one `from AS to` (either may hold `*`).
type RenamePair struct{ From, To string }

// RenameCmd renames fields.
type RenameCmd struct {
	Base
	Pairs []RenamePair
}

// ConvertFunc is one `func(field) [AS name]` of convert.
type ConvertFunc struct {
	Func, Field, As string
}

// ConvertCmd converts field values (ctime, mktime, num ...).
type ConvertCmd struct {
	Base
	TimeFormat string
	Funcs      []ConvertFunc
}

// FieldsCmd is table or fields.
type FieldsCmd struct {
	Base
	Remove bool // fields - a b
	Fields []string
}

// HeadCmd is head or tail.
type HeadCmd struct {
	Base
	Limit int
}

// GenericCmd is a parsed command with options and positional arguments
// that the engine interprets itself.
type GenericCmd struct {
	Base
	Options map[string]string
	Args    []string
	Sub     *Pipeline // a [subsearch] argument, when present
}
