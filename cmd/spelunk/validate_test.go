package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/content"
)

// sharedContent returns the security content checkout beside the
// repository, skipping the test when it is absent.
func sharedContent(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "escu")
	if _, err := os.Stat(filepath.Join(dir, "detections")); err != nil {
		t.Skipf("security content not available at %s: %v", dir, err)
	}
	return dir
}

// TestRawWindowsAnalyticsCompile compiles every non-deprecated analytic
// whose search starts with a Windows event log macro and requires at
// least 98% of them to compile.
func TestRawWindowsAnalyticsCompile(t *testing.T) {
	pack, err := content.LoadDir(sharedContent(t))
	if err != nil {
		t.Fatal(err)
	}
	total, ok := 0, 0
	for _, v := range validatePack(pack, false, time.Unix(1700000000, 0).UTC()) {
		if !v.rawWindows {
			continue
		}
		total++
		if v.Status == validOK {
			ok++
			continue
		}
		t.Logf("%s: %s: %s %s", v.Name, v.Status, v.Position, v.Reason)
	}
	if total < 300 {
		t.Fatalf("found %d raw-event Windows analytics, expected at least 300", total)
	}
	share := float64(ok) / float64(total)
	t.Logf("%d of %d raw-event Windows analytics compile (%.1f%%)", ok, total, 100*share)
	if share < 0.98 {
		t.Errorf("%.1f%% of raw-event Windows analytics compile, expected at least 98%%", 100*share)
	}
}

func TestValidateJSONLines(t *testing.T) {
	var out, errb bytes.Buffer
	code := runValidate([]string{"--content", sharedContent(t), "--format", "json"}, &out, &errb)
	if code != exitOK && code != exitErrors {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 1000 {
		t.Fatalf("%d lines, expected one per analytic", len(lines))
	}
	statuses := map[string]int{}
	for _, line := range lines {
		var v map[string]string
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		if v["id"] == "" || v["name"] == "" {
			t.Errorf("line without id or name: %s", line)
		}
		statuses[v["status"]]++
		if v["status"] != validOK && v["reason"] == "" {
			t.Errorf("%s: status %s without a reason", v["name"], v["status"])
		}
	}
	if statuses[validOK] == 0 || statuses[validUnsupported] == 0 {
		t.Errorf("statuses %v, expected both ok and unsupported analytics", statuses)
	}
}

func TestValidateBuiltinTable(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runValidate(nil, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "analytics checked:") {
		t.Errorf("no summary line in:\n%s", out.String())
	}
}

func TestClassifyCompileError(t *testing.T) {
	cases := []struct{ msg, status string }{
		{"command map is not supported", validUnsupported},
		{"lookup x not found", validUnsupported},
		{"unknown macro foo", validUnsupported},
		{"lookup x is a KV store collection and is not supported", validUnsupported},
		{"unexpected \"(\" in eval", validError},
	}
	for _, c := range cases {
		if got, _, _ := classifyCompileError(errString(c.msg)); got != c.status {
			t.Errorf("%q classified %s, expected %s", c.msg, got, c.status)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestRawWindowsSearch(t *testing.T) {
	pack, err := content.LoadDir(sharedContent(t))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"`sysmon` EventCode=1":                true,
		"```comment``` `powershell` x":        true,
		"`capi2_operational` EventCode=70":    true,
		"| tstats count from datamodel=x":     false,
		"`cloudtrail` eventName=x":            false,
		"`wineventlog_security` EventCode=1 ": true,
	}
	for search, want := range cases {
		if got := rawWindowsSearch(search, pack.Macros); got != want {
			t.Errorf("rawWindowsSearch(%q) = %v, expected %v", search, got, want)
		}
	}
}
