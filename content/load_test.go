package content

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const goodDetection = `name: Good Detection
id: 00000000-0000-0000-0000-000000000001
type: TTP
search: '` + "`sysmon`" + ` EventCode=1'
`

func TestLoadRecordsBrokenFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"detections/endpoint/good.yml":   {Data: []byte(goodDetection)},
		"detections/endpoint/broken.yml": {Data: []byte("name: [broken\n")},
		"detections/endpoint/empty.yml":  {Data: []byte("name: No Search\n")},
		"macros/sysmon.yml":              {Data: []byte("name: sysmon\ndefinition: source=sysmon\n")},
		"macros/backtick.yml":            {Data: []byte("name: backtick\ndefinition: `sysmon` EventCode=1\n")},
		"stories/broken.yml":             {Data: []byte("name: x\n  description: y\n")},
	}
	p, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Analytics) != 1 || p.Analytics[0].Name != "Good Detection" {
		t.Errorf("analytics = %v, want only Good Detection", p.Analytics)
	}
	if _, ok := p.Macros.Macro("sysmon", 0); !ok {
		t.Error("the valid macro sysmon was not loaded")
	}
	got := map[string]string{}
	for _, pr := range p.Problems {
		got[pr.Path] = pr.Err.Error()
	}
	want := map[string]string{
		"detections/endpoint/broken.yml": "invalid YAML: yaml: line 1: did not find expected ',' or ']'",
		"detections/endpoint/empty.yml":  "missing name or search",
		"macros/backtick.yml":            "invalid YAML: yaml: line 2: found character that cannot start any token",
		"stories/broken.yml":             "invalid YAML: yaml: line 2: mapping values are not allowed in this context",
	}
	for path, msg := range want {
		if got[path] != msg {
			t.Errorf("problem for %s = %q, want %q", path, got[path], msg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems = %v, want %d", got, len(want))
	}
}

func TestLoadWithoutDetectionsFolder(t *testing.T) {
	_, err := Load(fstest.MapFS{"macros/sysmon.yml": {Data: []byte("name: sysmon\n")}})
	if !errors.Is(err, ErrNoDetections) {
		t.Errorf("Load error = %v, want ErrNoDetections", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "detections"), []byte("a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDir(dir)
	if !errors.Is(err, ErrNoDetections) || !strings.Contains(err.Error(), dir) {
		t.Errorf("LoadDir error = %v, want ErrNoDetections naming %s", err, dir)
	}
}
