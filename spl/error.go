package spl

import (
	"fmt"
	"strings"
)

// Error is a query error at a byte range of the query text the user wrote
// (positions inside a macro expansion point at the macro call).
type Error struct {
	Start, End int    // byte offsets into Query
	Msg        string // lowercase, no final period
	Query      string // the text the offsets refer to
}

func (e *Error) Error() string {
	line, col := LineCol(e.Query, e.Start)
	return fmt.Sprintf("%d:%d: %s", line, col, e.Msg)
}

// Snippet renders the query line holding the error with a caret under
// the error's column, for terminal output.
func (e *Error) Snippet() string {
	lineStart := strings.LastIndexByte(e.Query[:clamp(e.Start, len(e.Query))], '\n') + 1
	lineEnd := strings.IndexByte(e.Query[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(e.Query)
	} else {
		lineEnd += lineStart
	}
	_, col := LineCol(e.Query, e.Start)
	return e.Query[lineStart:lineEnd] + "\n" + strings.Repeat(" ", col-1) + "^"
}

func clamp(i, n int) int {
	if i < 0 {
		return 0
	}
	if i > n {
		return n
	}
	return i
}

// LineCol converts a byte offset to 1-based line and column (in bytes).
func LineCol(text string, offset int) (line, col int) {
	offset = clamp(offset, len(text))
	line = 1 + strings.Count(text[:offset], "\n")
	col = offset - (strings.LastIndexByte(text[:offset], '\n') + 1) + 1
	return line, col
}
