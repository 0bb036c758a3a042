package cim_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/hunt"
	"github.com/spelunk/spelunk/input"
)

// fromDatamodel finds the data model a tstats search reads.
var fromDatamodel = regexp.MustCompile(`(?i)\bfrom\s+datamodel\s*=\s*"?([A-Za-z_]+)(\.[A-Za-z_]+)?`)

// windowsFed reports whether a data source name is a Windows event log
// (Sysmon for Windows, the Windows channels, Defender).
func windowsFed(sources []string) bool {
	for _, s := range sources {
		if strings.Contains(s, "Linux") {
			continue
		}
		if strings.Contains(s, "Sysmon") || strings.Contains(s, "Windows") {
			return true
		}
	}
	return false
}

// windowsTstats returns the non-deprecated analytics whose search starts
// with tstats over the Endpoint model or over another model fed by
// Windows logs.
func windowsTstats(pack *content.Pack) []*content.Analytic {
	var out []*content.Analytic
	for _, a := range pack.Analytics {
		search := strings.TrimSpace(a.Search)
		if a.Deprecated() || !strings.HasPrefix(search, "|") ||
			!strings.HasPrefix(strings.TrimSpace(search[1:]), "tstats") {
			continue
		}
		m := fromDatamodel.FindStringSubmatch(search)
		if m == nil || m[1] != "Endpoint" && !windowsFed(a.DataSource) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// TestLibraryTstatsCompile compiles every non-deprecated analytic of the
// security content library whose search starts with tstats over the
// Endpoint model or over another model fed by Windows logs, and requires
// 95% of them to compile. Failures are logged grouped by reason.
func TestLibraryTstatsCompile(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "escu")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("security content library not available at %s: %v", dir, err)
	}
	pack, err := content.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := engine.Options{Now: time.Unix(1700000000, 0).UTC(), Lookups: pack.LookupTables()}
	total, ok := 0, 0
	reasons := map[string][]string{}
	for _, a := range windowsTstats(pack) {
		total++
		if _, err := engine.CompileQuery(a.Search, pack.Macros, opts); err != nil {
			r := hunt.Reason(err)
			reasons[r] = append(reasons[r], a.Name)
			continue
		}
		ok++
	}
	if total == 0 {
		t.Fatal("no tstats analytics found in the library")
	}
	var keys []string
	for r := range reasons {
		keys = append(keys, r)
	}
	sort.Slice(keys, func(i, j int) bool { return len(reasons[keys[i]]) > len(reasons[keys[j]]) })
	for _, r := range keys {
		t.Logf("%d not compiled: %s (%s)", len(reasons[r]), r, strings.Join(reasons[r], "; "))
	}
	t.Logf("compiled %d of %d tstats analytics over Endpoint or Windows-fed data models", ok, total)
	if ok*100 < total*95 {
		t.Errorf("compiled %d of %d (%.1f%%), expected at least 95%%", ok, total, float64(ok)*100/float64(total))
	}
}

// BenchmarkLibraryTstats pushes the events of one OTRF dataset through
// every compilable tstats analytic of the library, as a hunt does, and
// reports events per second.
func BenchmarkLibraryTstats(b *testing.B) {
	shared := filepath.Join("..", "..", "shared")
	data := filepath.Join(shared, "corpus", "otrf", "credential_access_host_empire_mimikatz_sam_access.zip")
	if _, err := os.Stat(data); err != nil {
		b.Skipf("corpus not available at %s: %v", data, err)
	}
	pack, err := content.LoadDir(filepath.Join(shared, "escu"))
	if err != nil {
		b.Fatal(err)
	}
	var events []*event.Event
	if _, err := input.Walk([]string{data}, input.Options{}, func(e *event.Event) error {
		events = append(events, e)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	opts := engine.Options{Now: time.Unix(1700000000, 0).UTC(), Lookups: pack.LookupTables()}
	analytics := windowsTstats(pack)
	b.ResetTimer()
	queries := 0
	for b.Loop() {
		var compiled []*engine.Query
		b.StopTimer()
		for _, a := range analytics {
			if q, err := engine.CompileQuery(a.Search, pack.Macros, opts); err == nil {
				compiled = append(compiled, q)
			}
		}
		queries = len(compiled)
		b.StartTimer()
		for _, e := range events {
			for _, q := range compiled {
				if err := q.Push(e); err != nil {
					b.Fatal(err)
				}
			}
		}
		for _, q := range compiled {
			if _, err := q.Finish(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(events)*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(queries), "analytics")
}
