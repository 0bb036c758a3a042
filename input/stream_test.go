package input

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// feedFIFO creates a named pipe in dir and writes data to it from a
// goroutine once a reader opens it.
func feedFIFO(t *testing.T, dir string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.Write(data)
	}()
	return path
}

func TestWalkReadsFIFO(t *testing.T) {
	evtxData, err := os.ReadFile(filepath.Join("..", "evtx", "testdata", "slack-5145.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	plain := writeFile(t, t.TempDir(), "plain.evtx", evtxData)
	_, want := collect(t, []string{plain}, Options{})

	tests := []struct {
		name   string
		data   []byte
		events int
	}{
		{"xml", readFixture(t, "events.xml"), 7},
		{"gzip", readFixture(t, "events.xml.gz"), 7},
		{"zip", readFixture(t, "events-nxlog.zip"), 7},
		{"evtx", evtxData, want.Events},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := feedFIFO(t, dir, tc.data)
			// A memory limit of 100 bytes sends zip and EVTX data to a
			// temporary file.
			_, sum := collect(t, []string{path}, Options{MemoryLimit: 100, TempDir: dir})
			if sum.Events != tc.events {
				t.Errorf("events = %d, want %d", sum.Events, tc.events)
			}
			if len(sum.Unreadable) != 0 {
				t.Errorf("unreadable = %v", sum.Unreadable)
			}
			for _, u := range sum.Unrecognized {
				if u == path {
					t.Errorf("the pipe itself was reported as in no known format")
				}
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 1 {
				t.Errorf("files left in the temporary folder: %v", left)
			}
		})
	}
}

func TestWalkReadsStdinDash(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = r
	t.Cleanup(func() {
		os.Stdin = saved
		r.Close()
	})
	data := readFixture(t, "events-nxlog.json")
	go func() {
		_, _ = w.Write(data)
		w.Close()
	}()
	got, sum := collect(t, []string{"-"}, Options{})
	if sum.Events != 7 || len(got) != 7 {
		t.Errorf("events = %d, want 7", sum.Events)
	}
	if sum.Files != 1 || len(sum.Unrecognized) != 0 || len(sum.Unreadable) != 0 {
		t.Errorf("files %d, unrecognized %v, unreadable %v", sum.Files, sum.Unrecognized, sum.Unreadable)
	}
}

func TestWalkTruncatedGzipKeepsRecords(t *testing.T) {
	gz := readFixture(t, "events.xml.gz")
	dir := t.TempDir()
	// Without its 8-byte trailer the data is all there, but the gzip
	// stream still ends early.
	path := writeFile(t, dir, "cut.xml.gz", gz[:len(gz)-6])
	_, sum := collect(t, []string{path}, Options{})
	if sum.Events != 7 {
		t.Errorf("events = %d, want all 7", sum.Events)
	}
	if sum.ProblemCount != 0 {
		t.Errorf("skipped records %v; the truncation is reported once, as unreadable", sum.Problems)
	}
	if len(sum.Unreadable) != 1 {
		t.Fatalf("unreadable = %v, want one truncation", sum.Unreadable)
	}
	p := sum.Unreadable[0]
	if p.File != path || p.Reason != ReasonTruncated || p.Offset != int64(len(readFixture(t, "events.xml"))) {
		t.Errorf("truncation = %+v, want %s, reason %q at the decompressed size", p, path, ReasonTruncated)
	}

	half := writeFile(t, dir, "half.xml.gz", gz[:len(gz)/2])
	_, sum = collect(t, []string{half}, Options{})
	if sum.Events == 0 || sum.Events >= 7 {
		t.Errorf("half file: events = %d, want the records before the cut", sum.Events)
	}
	if sum.ProblemCount != 0 || len(sum.Unreadable) != 1 || sum.Unreadable[0].Reason != ReasonTruncated {
		t.Errorf("half file: skipped %v, unreadable %v", sum.Problems, sum.Unreadable)
	}
}

func TestWalkEVTXWarningsAreNotSkips(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "evtx", "testdata", "slack-5145.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, full := collect(t, []string{writeFile(t, dir, "full.evtx", data)}, Options{})

	// Cut the only chunk past its free-space offset: every record arrives.
	free := int(binary.LittleEndian.Uint32(data[4096+48:]))
	cut := writeFile(t, dir, "cut.evtx", data[:4096+free+100])
	_, sum := collect(t, []string{cut}, Options{})
	if sum.Events != full.Events {
		t.Errorf("events = %d, want all %d", sum.Events, full.Events)
	}
	if sum.ProblemCount != 0 {
		t.Errorf("skipped records %v, want none", sum.Problems)
	}
	// The file header's partial last chunk and the short chunk.
	if sum.WarningCount != 2 || sum.Warnings[ReasonEVTXDamage] != 2 || len(sum.WarningDetails) != 2 {
		t.Errorf("warnings %d %v, want 2", sum.WarningCount, sum.Warnings)
	}

	// Cut inside the records: the cut record is lost.
	lost := writeFile(t, dir, "lost.evtx", data[:4096+free-200])
	_, sum = collect(t, []string{lost}, Options{})
	if sum.Events >= full.Events {
		t.Errorf("events = %d, want fewer than %d", sum.Events, full.Events)
	}
	if sum.ProblemCount != 1 || sum.Skipped[ReasonEVTXError] != 1 {
		t.Errorf("skipped %v, want one lost record", sum.Skipped)
	}
	// The record data checksum no longer matches either.
	if sum.WarningCount != 3 {
		t.Errorf("warnings %v, want 3", sum.Warnings)
	}
}

// lowerRatioGrace makes the expansion ratio apply from the first byte.
func lowerRatioGrace(t *testing.T) {
	saved := ratioGrace
	ratioGrace = 0
	t.Cleanup(func() { ratioGrace = saved })
}

func TestWalkExpansionRatioLimit(t *testing.T) {
	lowerRatioGrace(t)
	xml := readFixture(t, "events.xml")
	padded := append(append([]byte{}, xml...), strings.Repeat(" ", 1<<20)...)
	path := writeFile(t, t.TempDir(), "bomb.xml.gz", gzipBytes(t, padded))
	_, sum := collect(t, []string{path}, Options{MaxExpansionRatio: 50})
	if len(sum.Unreadable) != 1 {
		t.Fatalf("unreadable = %v, want one limit stop", sum.Unreadable)
	}
	p := sum.Unreadable[0]
	if p.File != path || p.Reason != ReasonLimit || !strings.Contains(p.Error(), "50:1") {
		t.Errorf("limit problem = %v", p)
	}

	// The same data passes under the default ratio of 1000.
	_, sum = collect(t, []string{path}, Options{})
	if sum.Events != 7 || len(sum.Unreadable) != 0 {
		t.Errorf("default limits: events %d, unreadable %v", sum.Events, sum.Unreadable)
	}
}

func TestWalkArchiveByteLimit(t *testing.T) {
	json := readFixture(t, "events-nxlog.json")
	archive := zipBytes(t, map[string][]byte{"a.json": json, "b.json": json, "c.json": json})
	path := writeFile(t, t.TempDir(), "logs.zip", archive)
	limit := int64(len(json)) * 3 / 2
	got, sum := collect(t, []string{path}, Options{MaxArchiveBytes: limit})
	// a.json fits; b.json passes the cap part way; c.json is not opened.
	if len(got) < 7 || len(got) >= 14 {
		t.Errorf("events = %d, want a.json's 7 and part of b.json", len(got))
	}
	if len(sum.Unreadable) != 1 {
		t.Fatalf("unreadable = %v, want one limit stop", sum.Unreadable)
	}
	p := sum.Unreadable[0]
	if p.File != path+"!b.json" || p.Reason != ReasonLimit || !strings.Contains(p.Error(), "MaxArchiveBytes") {
		t.Errorf("limit problem = %v, want %s!b.json", p, path)
	}
}

func TestWalkSkipsOverlappingZipMembers(t *testing.T) {
	archive := zipBytes(t, map[string][]byte{"a.xml": readFixture(t, "events.xml")})
	// Repeat the central directory entry, so two members share one data
	// range, as overlapping zip bombs do.
	cd := binary.LittleEndian.Uint32(archive[len(archive)-22+16:])
	cdSize := binary.LittleEndian.Uint32(archive[len(archive)-22+12:])
	entry := archive[cd : cd+cdSize]
	var bomb []byte
	bomb = append(bomb, archive[:cd+cdSize]...)
	bomb = append(bomb, entry...)
	end := append([]byte{}, archive[len(archive)-22:]...)
	binary.LittleEndian.PutUint16(end[8:], 2)
	binary.LittleEndian.PutUint16(end[10:], 2)
	binary.LittleEndian.PutUint32(end[12:], 2*cdSize)
	bomb = append(bomb, end...)
	path := writeFile(t, t.TempDir(), "bomb.zip", bomb)

	_, sum := collect(t, []string{path}, Options{})
	if sum.Events != 7 {
		t.Errorf("events = %d, want the 7 of one copy", sum.Events)
	}
	if len(sum.Unreadable) != 1 || sum.Unreadable[0].Reason != ReasonOverlap ||
		!strings.HasPrefix(sum.Unreadable[0].File, path+"!") {
		t.Errorf("unreadable = %v, want one overlap report", sum.Unreadable)
	}
}
