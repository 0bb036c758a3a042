package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/winevent"
)

// Test statuses.
const (
	statusPass        = "pass"
	statusFail        = "fail"
	statusDataMissing = "data missing"
	statusSkipped     = "skipped"
	statusError       = "error"
)

// testResult is the outcome of one entry of an analytic's tests section.
type testResult struct {
	Analytic       string          `json:"analytic"`
	AnalyticID     string          `json:"analytic_id"`
	File           string          `json:"file"`
	Test           string          `json:"test"`
	Status         string          `json:"status"`
	Reason         string          `json:"reason"`
	Rows           int             `json:"rows"`
	Events         int             `json:"events"`
	SkippedRecords int             `json:"skipped_records"`
	DurationMS     float64         `json:"duration_ms"`
	Datasets       []datasetResult `json:"datasets"`
}

// datasetResult describes one attack_data entry of a test.
type datasetResult struct {
	Data           string `json:"data"`
	Path           string `json:"path"` // local file read, "" when none
	Source         string `json:"source"`
	Sourcetype     string `json:"sourcetype"`
	Events         int    `json:"events"`
	SkippedRecords int    `json:"skipped_records"`
	Problem        string `json:"problem"` // the reason the data could not be read, or the first skipped record
}

// testRunner runs the tests of the analytics of one pack.
type testRunner struct {
	pack       *content.Pack
	attackData string // local checkout of the attack_data repository, or ""
	lookups    engine.LookupSource
}

// skipReason returns why an analytic's tests do not run, or "".
func skipReason(a *content.Analytic) string {
	switch {
	case a.Deprecated():
		return "deprecated analytic"
	case strings.EqualFold(a.Status, "experimental"):
		return "experimental analytic"
	case a.Status != "" && !strings.EqualFold(a.Status, "production"):
		return fmt.Sprintf("status %q is not production", a.Status)
	case strings.EqualFold(a.Type, "correlation"):
		return "correlation analytic: it searches the risk index that other analytics write"
	case strings.TrimSpace(a.Tags.ManualTest) != "":
		return "manual_test: " + strings.TrimSpace(a.Tags.ManualTest)
	}
	return ""
}

// run runs one test of an analytic.
func (r *testRunner) run(a *content.Analytic, index int) testResult {
	t := a.Tests[index]
	res := testResult{Analytic: a.Name, AnalyticID: a.ID, File: a.Path, Test: t.Name, Datasets: []datasetResult{}}
	if res.Test == "" {
		res.Test = fmt.Sprintf("test %d", index+1)
	}
	start := time.Now()
	r.execute(a, t, &res)
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return res
}

func (r *testRunner) execute(a *content.Analytic, t content.Test, res *testResult) {
	for _, d := range t.AttackData {
		res.Datasets = append(res.Datasets, datasetResult{Data: strings.TrimSpace(d.Data), Source: d.Source, Sourcetype: d.Sourcetype})
	}
	if reason := skipReason(a); reason != "" {
		res.Status, res.Reason = statusSkipped, reason
		return
	}
	if len(t.AttackData) == 0 {
		res.Status, res.Reason = statusDataMissing, "the test lists no attack_data"
		return
	}
	q, err := engine.CompileQuery(a.Search, r.pack.Macros, engine.Options{Now: time.Now().UTC(), Lookups: r.lookups})
	if err != nil {
		res.Status, res.Reason = statusError, "query not runnable: "+err.Error()
		return
	}

	// Every dataset must be decodable and present before any is read.
	formats := make([]winevent.Format, len(res.Datasets))
	for i := range res.Datasets {
		d := &res.Datasets[i]
		formats[i] = decoderFor(d.Sourcetype)
		if formats[i] == winevent.FormatUnknown {
			d.Problem = fmt.Sprintf("sourcetype %q is not supported", d.Sourcetype)
			res.Status, res.Reason = statusError, d.Problem
			return
		}
	}
	var missing []string
	for i := range res.Datasets {
		d := &res.Datasets[i]
		d.Path, d.Problem = r.resolve(a, d.Data)
		if d.Problem != "" {
			missing = append(missing, d.Problem)
		}
	}
	if len(missing) > 0 {
		res.Status, res.Reason = statusDataMissing, strings.Join(missing, "; ")
		return
	}

	var runErr error
	push := func(e *event.Event) error {
		res.Events++
		if err := q.Push(e); err != nil {
			runErr = err
			return err
		}
		return nil
	}
	for i := range res.Datasets {
		d := &res.Datasets[i]
		err := replayDataset(d, formats[i], push)
		res.SkippedRecords += d.SkippedRecords
		switch {
		case runErr != nil:
			res.Status, res.Reason = statusError, "query failed while running: "+runErr.Error()
			return
		case errors.Is(err, errLFSPointer):
			res.Status, res.Reason = statusDataMissing, d.Problem
			return
		case err != nil:
			res.Status, res.Reason = statusError, d.Problem
			return
		}
	}
	rows, err := q.Finish()
	if err != nil {
		res.Status, res.Reason = statusError, "query failed while running: "+err.Error()
		return
	}
	res.Rows = len(rows)
	res.Status, res.Reason = verdict(a, rows)
	if res.SkippedRecords > 0 {
		res.Reason = joinReason(res.Reason, fmt.Sprintf("%d records of the data were skipped", res.SkippedRecords))
	}
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// verdict decides pass or fail from the result rows. A test passes with
// at least one row when every risk-object field and every threat-object
// field is non-null in some row. A field whose values are all empty
// strings counts as null.
//
// NOTE: contentctl (Splunk's test tool) is stricter for risk objects: it
// fails when a risk-object field is null in any row it reads before the
// first fully populated row.
func verdict(a *content.Analytic, rows []*event.Event) (string, string) {
	if len(rows) == 0 {
		return statusFail, "no rows"
	}
	var problems []string
	for _, ro := range a.RiskObjects() {
		if !presentInSomeRow(rows, ro.Field) {
			problems = append(problems, fmt.Sprintf("risk object field %s is null in all %d rows", ro.Field, len(rows)))
		}
	}
	for _, to := range a.ThreatObjects() {
		if !presentInSomeRow(rows, to.Field) {
			problems = append(problems, fmt.Sprintf("threat object field %s is null in all %d rows", to.Field, len(rows)))
		}
	}
	if len(problems) > 0 {
		return statusFail, strings.Join(problems, "; ")
	}
	return statusPass, ""
}

func presentInSomeRow(rows []*event.Event, field string) bool {
	for _, row := range rows {
		for _, v := range row.Values(field) {
			if v != "" {
				return true
			}
		}
	}
	return false
}

// decoderFor returns the decoder of a sourcetype. XmlWinEventLog and
// XmlWinEventLog:<channel> are Windows XML, WinEventLog and
// WinEventLog:<channel> classic text, sysmon:linux is Sysmon for Linux
// (its XML event records inside syslog lines), and _json is JSON lines of
// any objects. Case is ignored because the content writes both
// xmlwineventlog and XmlWinEventLog for the same data. Other sourcetypes
// (cloud services, network devices, ...) have no decoder, and their tests
// end with status error.
func decoderFor(sourcetype string) winevent.Format {
	st := strings.ToLower(strings.TrimSpace(sourcetype))
	switch {
	case st == "xmlwineventlog" || strings.HasPrefix(st, "xmlwineventlog:") || st == "sysmon:linux":
		return winevent.FormatXML
	case st == "_json":
		return winevent.FormatJSONObjects
	case st == "wineventlog" || strings.HasPrefix(st, "wineventlog:"):
		return winevent.FormatClassic
	}
	return winevent.FormatUnknown
}

// attackDataRepo is the repository whose URLs map to --attack-data.
const attackDataRepo = "splunk/attack_data"

// resolve maps an attack_data entry to a local file. It returns the path,
// or a problem that explains why the data is missing. URLs of the
// attack_data repository map to the same relative path below the
// --attack-data checkout. A relative path is read from the folder of the
// analytic's file, or from the current folder for the built-in pack.
func (r *testRunner) resolve(a *content.Analytic, data string) (string, string) {
	if data == "" {
		return "", "empty data entry"
	}
	var local string
	if strings.HasPrefix(data, "http://") || strings.HasPrefix(data, "https://") {
		rel, ok := attackDataPath(data)
		switch {
		case !ok:
			return "", fmt.Sprintf("%s is not in the %s repository; spelunk does not download data", data, attackDataRepo)
		case r.attackData == "":
			return "", fmt.Sprintf("no --attack-data checkout given for %s", data)
		}
		local = filepath.Join(r.attackData, filepath.FromSlash(rel))
	} else {
		local = filepath.FromSlash(data)
		if !filepath.IsAbs(local) && r.pack.Root != "built-in" {
			local = filepath.Join(r.pack.Root, filepath.FromSlash(path.Dir(a.Path)), local)
		}
	}
	info, err := os.Stat(local)
	switch {
	case err != nil:
		return local, fmt.Sprintf("%s not found", local)
	case info.IsDir():
		return local, fmt.Sprintf("%s is a folder, not a data file", local)
	}
	return local, ""
}

// attackDataPath returns the path inside the attack_data repository that
// a URL names (datasets/...), for the forms
// media.githubusercontent.com/media/splunk/attack_data/<branch>/...,
// raw.githubusercontent.com/splunk/attack_data/<branch>/... and
// github.com/splunk/attack_data/{raw,blob}/<branch>/...; <branch> may be
// written refs/heads/<branch>.
func attackDataPath(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch strings.ToLower(u.Host) {
	case "media.githubusercontent.com":
		if len(parts) == 0 || parts[0] != "media" {
			return "", false
		}
		parts = parts[1:]
	case "raw.githubusercontent.com":
	case "github.com", "www.github.com":
		if len(parts) < 3 || (parts[2] != "raw" && parts[2] != "blob") {
			return "", false
		}
		parts = append(parts[:2:2], parts[3:]...)
	default:
		return "", false
	}
	if len(parts) < 4 || !strings.EqualFold(parts[0]+"/"+parts[1], attackDataRepo) {
		return "", false
	}
	rest := parts[2:] // branch, then the path
	if len(rest) > 3 && rest[0] == "refs" && rest[1] == "heads" {
		rest = rest[2:]
	}
	rel := path.Clean(strings.Join(rest[1:], "/"))
	if rel == "." || strings.HasPrefix(rel, "../") || rel == ".." {
		return "", false
	}
	return rel, true
}

// errLFSPointer reports a Git LFS pointer file in place of the data.
var errLFSPointer = errors.New("git LFS pointer")

const lfsPointerPrefix = "version https://git-lfs.github.com/spec/"

// replayDataset decodes one dataset file and passes its events to push
// with the entry's source and sourcetype set, as Splunk indexes a replay.
// Skipped records are counted in d; the first is described in d.Problem.
func replayDataset(d *datasetResult, format winevent.Format, push func(*event.Event) error) error {
	f, err := os.Open(d.Path)
	if err != nil {
		d.Problem = fmt.Sprintf("cannot open %s: %v", d.Path, err)
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(len(lfsPointerPrefix))
	if bytes.HasPrefix(head, []byte(lfsPointerPrefix)) {
		d.Problem = fmt.Sprintf("%s is a Git LFS pointer, not the data: run git lfs pull in the attack_data checkout", d.Path)
		return errLFSPointer
	}
	emit := func(e *event.Event) error {
		d.Events++
		if d.Source != "" {
			e.Set("source", d.Source)
		}
		if d.Sourcetype != "" {
			e.Set("sourcetype", d.Sourcetype)
		}
		return push(e)
	}
	syslog := strings.EqualFold(d.Sourcetype, "sysmon:linux")
	report := func(p winevent.Problem) {
		if syslog && p.Reason == winevent.ReasonStrayText {
			// The syslog header in front of each XML record is not a record.
			return
		}
		d.SkippedRecords++
		if d.Problem == "" {
			d.Problem = fmt.Sprintf("%s: %v", d.Path, p)
		}
	}
	err = winevent.Decode(br, format, emit, report)
	if err != nil && !errors.Is(err, io.EOF) {
		if d.Problem == "" || d.SkippedRecords > 0 {
			d.Problem = fmt.Sprintf("reading %s: %v", d.Path, err)
		}
		return err
	}
	return nil
}
