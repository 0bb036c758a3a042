package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixturePath(name string) string {
	return filepath.Join("..", "..", "evtx", "testdata", name)
}

func runDumpArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runDump(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDumpJSONL(t *testing.T) {
	code, out, errs := runDumpArgs(fixturePath("dirty-rds-gateway-302.evtx"))
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 16 {
		t.Fatalf("%d lines, expected 16 records", len(lines))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("line 1 is not JSON: %v\n%s", err, lines[0])
	}
	want := map[string]string{
		"EventCode": "303",
		"Channel":   "Microsoft-Windows-TerminalServices-Gateway/Operational",
	}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, expected %q", k, rec[k], v)
		}
	}
	for _, k := range []string{"EventRecordID", "Computer", "SystemTime", "UserID"} {
		if s, _ := rec[k].(string); s == "" {
			t.Errorf("field %s missing or empty in %s", k, lines[0])
		}
	}
	if !strings.HasPrefix(lines[0], `{"EventRecordID":`) {
		t.Errorf("fields out of order: %.80s", lines[0])
	}
}

func TestDumpArrayField(t *testing.T) {
	code, out, errs := runDumpArgs(fixturePath("arrays-mssql-18456.evtx"))
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	var rec map[string]any
	line, _, _ := strings.Cut(out, "\n")
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	data, ok := rec["Data"].([]any)
	if !ok || len(data) < 2 {
		t.Fatalf("Data = %#v, expected a list from the string array", rec["Data"])
	}
	if data[0] != "sa" {
		t.Errorf("Data[0] = %v, expected sa", data[0])
	}
}

func TestDumpXML(t *testing.T) {
	code, out, _ := runDumpArgs("--format", "xml", fixturePath("templateless-synthetic.evtx"))
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, expected 3", len(lines))
	}
	if !strings.HasPrefix(lines[0], "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>") {
		t.Errorf("unexpected XML: %.100s", lines[0])
	}
}

func TestDumpProblemsExitOne(t *testing.T) {
	code, out, errs := runDumpArgs(fixturePath("corrupt-disablestop.evtx"), fixturePath("slack-5145.evtx"))
	if code != 1 {
		t.Errorf("exit %d, expected 1", code)
	}
	if n := strings.Count(out, "\n"); n != 12 {
		t.Errorf("%d records printed, expected 11 + 1", n)
	}
	if !strings.Contains(errs, "corrupt-disablestop.evtx: chunk 0 at offset 7992") {
		t.Errorf("stderr does not name file, chunk and offset:\n%s", errs)
	}
}

func TestDumpUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--format", "csv", "x.evtx"}, {"--bogus"}} {
		if code, _, _ := runDumpArgs(args...); code != 2 {
			t.Errorf("args %q: exit %d, expected 2", args, code)
		}
	}
	code, _, errs := runDumpArgs(filepath.Join(t.TempDir(), "missing.evtx"))
	if code != 1 || !strings.Contains(errs, "missing.evtx") {
		t.Errorf("missing file: exit %d, stderr %q", code, errs)
	}
}

func TestDumpFolderReadsEVTXFilesOnly(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "samples", "DE_104_system_log_cleared.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"b.evtx", "sub/a.log"} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a log"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runDumpArgs(dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// Both copies are EVTX whatever their names; the text file is skipped.
	if lines := strings.Count(out, "\n"); lines != 2 {
		t.Errorf("got %d records, want 2:\n%s", lines, out)
	}
	if !strings.Contains(out, `"EventCode":"104"`) {
		t.Errorf("record lacks EventCode 104:\n%s", out)
	}
}

func TestDumpMissingPathFails(t *testing.T) {
	code, _, errs := runDumpArgs(filepath.Join(t.TempDir(), "missing.evtx"))
	if code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
