package evtx

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden and the generated fixtures")

// render writes every record and problem of a read as text: a header line
// per record, its XML, then the problems and counters.
func render(t *testing.T, path string, workers int) string {
	t.Helper()
	var b strings.Builder
	st, err := ReadFile(path, Options{Workers: workers}, func(r *Record) error {
		fmt.Fprintf(&b, "record %d chunk %d offset %d written %s\n", r.ID, r.Chunk, r.Offset, r.Written.Format(time.RFC3339Nano))
		b.WriteString(r.Root.String())
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, p := range st.Problems {
		fmt.Fprintf(&b, "problem: %v\n", p)
	}
	fmt.Fprintf(&b, "chunks %d, zero chunks %d, records %d, recovered %d, problems %d\n",
		st.Chunks, st.ZeroChunks, st.Records, st.Recovered, len(st.Problems))
	return b.String()
}

// TestGenerateTemplatelessFixture keeps the generated template-less file in
// testdata identical to what the generator writes.
func TestGenerateTemplatelessFixture(t *testing.T) {
	path := filepath.Join("testdata", "templateless-synthetic.evtx")
	want := templatelessFile()
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generator's output; run go test -run TestGenerateTemplatelessFixture -update", path)
	}
}

// TestGolden decodes every fixture and compares the rendering with its
// golden file, with one worker and with several.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("found %d fixtures in testdata, expected at least 6", len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got := render(t, path, 1)
			golden := strings.TrimSuffix(path, ".evtx") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run go test -update after checking the change)\n%s", golden, firstDiff(got, string(want)))
			}
			if par := render(t, path, 4); par != got {
				t.Errorf("4 workers give different output than 1 worker\n%s", firstDiff(par, got))
			}
		})
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %.300s\nwant: %.300s", i+1, gl, wl)
		}
	}
	return "no difference"
}
