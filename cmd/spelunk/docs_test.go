package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runDocsArgs(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = runDocs(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDocsWritesPagesAndLayer(t *testing.T) {
	dir := t.TempDir()
	layerFile := filepath.Join(dir, "layer.json")
	code, _, errs := runDocsArgs("--content", testContent, "--out", filepath.Join(dir, "docs"), "--navigator", layerFile)
	if code != exitOK {
		t.Fatalf("exit %d, stderr %s", code, errs)
	}
	if !strings.Contains(errs, "wrote 15 analytic pages, 0 story pages and index.md") {
		t.Errorf("stderr %q, expected the page counts", errs)
	}
	page, err := os.ReadFile(filepath.Join(dir, "docs", "detections", "fixture_mutex_pass.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "| [T1059.001](https://attack.mitre.org/techniques/T1059/001/) | PowerShell | Execution |") {
		t.Errorf("page lacks the ATT&CK row:\n%s", page)
	}
	data, err := os.ReadFile(layerFile)
	if err != nil {
		t.Fatal(err)
	}
	var layer struct {
		Versions   struct{ Layer string }
		Techniques []struct {
			TechniqueID string
			Score       int
		}
	}
	if err := json.Unmarshal(data, &layer); err != nil {
		t.Fatal(err)
	}
	if layer.Versions.Layer != "4.5" {
		t.Errorf("layer version %q", layer.Versions.Layer)
	}
	// Thirteen fixture analytics name T1059.001 (the deprecated one is left
	// out) and one names T1033.
	if len(layer.Techniques) != 2 || layer.Techniques[0].TechniqueID != "T1033" || layer.Techniques[0].Score != 1 ||
		layer.Techniques[1].TechniqueID != "T1059.001" || layer.Techniques[1].Score != 13 {
		t.Errorf("techniques %+v, expected T1033 with score 1 and T1059.001 with score 13", layer.Techniques)
	}
}

func TestDocsNeedsOutput(t *testing.T) {
	code, _, errs := runDocsArgs("--content", testContent)
	if code != exitUsage || !strings.Contains(errs, "missing --out") {
		t.Errorf("exit %d, stderr %q; expected a usage error naming --out", code, errs)
	}
}
