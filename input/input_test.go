package input

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spelunk/spelunk/event"
)

var fixtureDir = filepath.Join("..", "testdata", "powershell")

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipBytes(t *testing.T, members map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range members {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// collect walks paths and returns each event's EventCode and source.
func collect(t *testing.T, paths []string, opts Options) ([]string, Summary) {
	t.Helper()
	var got []string
	sum, err := Walk(paths, opts, func(ev *event.Event) error {
		code, _ := ev.Value("EventCode")
		src, _ := ev.Value("source")
		got = append(got, code+" "+src)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got, sum
}

func TestWalkFixtureFolder(t *testing.T) {
	got, sum := collect(t, []string{fixtureDir}, Options{})
	// Seven files hold the seven events each: classic, nxlog json, nxlog
	// zip, wevtutil xml, winlogbeat json, xml, xml.gz.
	if sum.Events != 49 || len(got) != 49 {
		t.Errorf("events = %d, want 49", sum.Events)
	}
	if sum.Files != 7 {
		t.Errorf("files = %d, want 7", sum.Files)
	}
	if sum.Archives != 2 {
		t.Errorf("archives = %d, want 2", sum.Archives)
	}
	wantUnrecognized := []string{
		filepath.Join(fixtureDir, "EXPECTED.md"),
		filepath.Join(fixtureDir, "events-nxlog.zip") + "!__MACOSX/._events-nxlog.json",
	}
	if !slices.Equal(sum.Unrecognized, wantUnrecognized) {
		t.Errorf("unrecognized = %q, want %q", sum.Unrecognized, wantUnrecognized)
	}
	if sum.ProblemCount != 0 || len(sum.Unreadable) != 0 {
		t.Errorf("problems %v, unreadable %v", sum.Problems, sum.Unreadable)
	}
	// Files come in name order: events-classic.txt first.
	if got[0] != "4104 WinEventLog:Microsoft-Windows-PowerShell/Operational" {
		t.Errorf("first event = %q", got[0])
	}
	if got[7] != "4104 XmlWinEventLog:Microsoft-Windows-PowerShell/Operational" {
		t.Errorf("eighth event = %q", got[7])
	}
}

func TestWalkDetectsByContent(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a-xml.json", readFixture(t, "events.xml"))
	writeFile(t, dir, "b-json.evtx", readFixture(t, "events-winlogbeat.json"))
	writeFile(t, dir, "c-classic.xml", readFixture(t, "events-classic.txt"))
	writeFile(t, dir, "d-gzip.zip", readFixture(t, "events.xml.gz"))
	writeFile(t, dir, "e-zip.gz", readFixture(t, "events-nxlog.zip"))
	writeFile(t, dir, "f-wevtutil.txt", readFixture(t, "events-wevtutil.xml"))
	writeFile(t, dir, "g-text.xml", []byte("just some notes\n"))
	got, sum := collect(t, []string{dir}, Options{})
	if sum.Events != 42 {
		t.Errorf("events = %d, want 42", sum.Events)
	}
	sources := map[string]int{}
	for _, g := range got {
		sources[strings.SplitN(g, " ", 2)[1]]++
	}
	if sources["WinEventLog:Microsoft-Windows-PowerShell/Operational"] != 6 {
		t.Errorf("classic events = %d, want 6 (%v)", sources["WinEventLog:Microsoft-Windows-PowerShell/Operational"], sources)
	}
	if len(sum.Unrecognized) != 2 || !strings.HasSuffix(sum.Unrecognized[1], "g-text.xml") {
		t.Errorf("unrecognized = %q", sum.Unrecognized)
	}
}

func TestWalkNestedArchives(t *testing.T) {
	xml := readFixture(t, "events.xml")
	inner := zipBytes(t, map[string][]byte{"deep/events.xml.gz": gzipBytes(t, xml)})
	outer := zipBytes(t, map[string][]byte{"inner.zip": inner, "b.json": readFixture(t, "events-nxlog.json")})
	dir := t.TempDir()
	path := writeFile(t, dir, "outer.zip.gz", gzipBytes(t, outer))

	for _, limit := range []int64{0, 100} { // 100 bytes forces temporary files
		got, sum := collect(t, []string{path}, Options{MemoryLimit: limit, TempDir: dir})
		if sum.Events != 14 || len(got) != 14 {
			t.Errorf("limit %d: events = %d, want 14", limit, sum.Events)
		}
		if sum.Archives != 4 {
			t.Errorf("limit %d: archives = %d, want 4", limit, sum.Archives)
		}
		if sum.Files != 2 {
			t.Errorf("limit %d: files = %d, want 2", limit, sum.Files)
		}
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 1 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

func TestWalkArchiveNestingLimit(t *testing.T) {
	data := readFixture(t, "events.xml")
	for range maxNesting + 1 {
		data = gzipBytes(t, data)
	}
	path := writeFile(t, t.TempDir(), "deep.gz", data)
	_, sum := collect(t, []string{path}, Options{})
	if sum.Events != 0 || len(sum.Unreadable) != 1 || sum.Unreadable[0].Reason != ReasonTooDeep {
		t.Errorf("events %d, unreadable %v", sum.Events, sum.Unreadable)
	}
}

func TestWalkBadFilesDoNotStop(t *testing.T) {
	dir := t.TempDir()
	gz := readFixture(t, "events.xml.gz")
	writeFile(t, dir, "a-truncated.gz", gz[:len(gz)/2])
	writeFile(t, dir, "b-corrupt.zip", []byte("PK\x03\x04 this is not a zip archive"))
	writeFile(t, dir, "c-good.json", readFixture(t, "events-nxlog.json"))
	missing := filepath.Join(dir, "missing.xml")
	got, sum := collect(t, []string{missing, dir}, Options{})
	// The truncated gzip keeps the two records before the cut.
	if len(got) != 9 {
		t.Errorf("events = %d, want the 7 of c-good.json and 2 of a-truncated.gz", len(got))
	}
	reasons := map[string]string{}
	for _, p := range sum.Unreadable {
		reasons[filepath.Base(p.File)] = p.Reason
		if p.Err == nil || !strings.Contains(p.Error(), filepath.Base(p.File)) {
			t.Errorf("unreadable %q has no useful message: %v", p.File, p)
		}
	}
	want := map[string]string{"missing.xml": ReasonOpen, "a-truncated.gz": ReasonTruncated, "b-corrupt.zip": ReasonArchive}
	for file, reason := range want {
		if reasons[file] != reason {
			t.Errorf("%s: reason %q, want %q (all: %v)", file, reasons[file], reason, sum.Unreadable)
		}
	}
}

func TestWalkCountsSkippedRecords(t *testing.T) {
	var text strings.Builder
	for i := range 5 {
		text.WriteString(`{"EventID":1,"Channel":"System","Hostname":"h"}` + "\n")
		text.WriteString(`{"EventID":` + "\n")
		if i%2 == 0 {
			text.WriteString(`{"message":"not windows"}` + "\n")
		}
	}
	path := writeFile(t, t.TempDir(), "mixed.json", []byte(text.String()))
	_, sum := collect(t, []string{path}, Options{MaxProblems: 2})
	if sum.Events != 5 {
		t.Errorf("events = %d, want 5", sum.Events)
	}
	if sum.ProblemCount != 8 || len(sum.Problems) != 2 {
		t.Errorf("problem count %d with %d details, want 8 with 2", sum.ProblemCount, len(sum.Problems))
	}
	if sum.Skipped["invalid JSON line"] != 5 || sum.Skipped["JSON line is not a Windows event"] != 3 {
		t.Errorf("skipped = %v", sum.Skipped)
	}
	p := sum.Problems[0]
	wantOffset := int64(len(`{"EventID":1,"Channel":"System","Hostname":"h"}`) + 1)
	if p.File != path || p.Line != 2 || p.Offset != wantOffset {
		t.Errorf("first problem = %v, want %s line 2 byte %d", p, path, wantOffset)
	}
	if !strings.Contains(p.Error(), "line ends inside a JSON value") {
		t.Errorf("problem message %q does not say what is wrong", p.Error())
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	stop := errors.New("enough")
	n := 0
	sum, err := Walk([]string{fixtureDir}, Options{}, func(*event.Event) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the callback's error", err)
	}
	if n != 3 || sum.Events != 2 {
		t.Errorf("callback ran %d times, %d events counted; want 3 and 2", n, sum.Events)
	}
}

func TestWalkEVTX(t *testing.T) {
	src := filepath.Join("..", "evtx", "testdata", "slack-5145.evtx")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain := writeFile(t, dir, "a.log", data)
	zipped := writeFile(t, dir, "b.zip", zipBytes(t, map[string][]byte{"x/slack.bin": data}))
	var direct []string
	sum, err := Walk([]string{plain}, Options{EVTXWorkers: 2}, func(ev *event.Event) error {
		raw, _ := ev.Value(event.RawField)
		if !strings.HasPrefix(raw, "<Event xmlns=") || !ev.Has(event.TimeField) {
			t.Errorf("event without _raw or _time: %.80q", raw)
		}
		code, _ := ev.Value("EventCode")
		rec, _ := ev.Value("EventRecordID")
		direct = append(direct, code+"/"+rec)
		return nil
	})
	if err != nil || sum.Events == 0 || sum.Files != 1 {
		t.Fatalf("EVTX walk: %d events, %v, %+v", sum.Events, err, sum)
	}
	for _, code := range direct {
		if !strings.HasPrefix(code, "5145/") {
			t.Errorf("event %s, want EventCode 5145", code)
		}
	}
	var fromZip []string
	sum, err = Walk([]string{zipped}, Options{EVTXWorkers: 1}, func(ev *event.Event) error {
		code, _ := ev.Value("EventCode")
		rec, _ := ev.Value("EventRecordID")
		fromZip = append(fromZip, code+"/"+rec)
		return nil
	})
	if err != nil || !slices.Equal(direct, fromZip) {
		t.Errorf("EVTX in zip gave %d events (%v), want the same %d as the plain file", len(fromZip), err, len(direct))
	}
}
