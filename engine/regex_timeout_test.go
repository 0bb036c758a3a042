package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func TestBacktrackingTimeoutsAreBoundedAndReported(t *testing.T) {
	long := strings.Repeat("a", 40) + "b"
	var events []*event.Event
	for i := 0; i < 20; i++ {
		events = append(events, ev("s", long))
	}
	q, err := CompileQuery(`| where match(s, "^(?=a)(a+)+$") | stats count`, spl.MacroMap{}, Options{Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, e := range events {
		if err := q.Push(e); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := q.Finish()
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if got, _ := rows[0].Value("count"); got != "0" {
		t.Errorf("count = %s, want 0", got)
	}
	// Three timeouts, then the pattern is skipped: far less than one
	// timeout per event.
	if limit := time.Duration(maxTimeouts+3) * BacktrackTimeout * backtrackAttempts; elapsed > limit {
		t.Errorf("20 events took %s, want under %s", elapsed, limit)
	}
	warnings := q.Warnings()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "3 matches ran longer than 250ms") || !strings.Contains(warnings[0], "skipped for the rest of the run") {
		t.Errorf("warnings = %q", warnings)
	}
}
