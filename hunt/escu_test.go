package hunt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/spl"
)

// sharedContent returns the pinned security content library, or skips.
func sharedContent(t *testing.T) *content.Pack {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "escu")
	if _, err := os.Stat(filepath.Join(dir, "detections")); err != nil {
		t.Skipf("security content library not found at %s: %v", dir, err)
	}
	pack, err := content.LoadDir(dir)
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	return pack
}

func TestLibraryPowerShellAnalyticsParse(t *testing.T) {
	pack := sharedContent(t)
	parsed, compiled, total := 0, 0, 0
	reasons := map[string]int{}
	for _, a := range pack.Analytics {
		if a.Deprecated() || !strings.HasPrefix(strings.TrimSpace(a.Search), "`powershell`") {
			continue
		}
		total++
		pl, x, err := spl.Parse(a.Search, pack.Macros)
		if err != nil {
			t.Errorf("%s: %v", a.Name, err)
			continue
		}
		parsed++
		if _, err := engine.Compile(pl, x, engine.Options{Now: time.Now()}); err != nil {
			reasons[Reason(err)]++
			continue
		}
		compiled++
	}
	if total < 100 {
		t.Fatalf("found %d PowerShell analytics, expected over 100 in the library", total)
	}
	t.Logf("PowerShell analytics: %d, parse: %d, run: %d", total, parsed, compiled)
	for r, n := range reasons {
		t.Logf("not runnable (%d): %s", n, r)
	}
}
