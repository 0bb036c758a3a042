package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spelunk/spelunk/content"
)

// maxShownContentProblems is how many unloadable content files a
// command names on stderr. Validate lists them all on stdout.
const maxShownContentProblems = 10

// loadPack loads the content folder dir, or the built-in pack when dir
// is empty.
func loadPack(dir string) (*content.Pack, error) {
	if dir == "" {
		return content.Builtin()
	}
	pack, err := content.LoadDir(dir)
	if errors.Is(err, content.ErrNoDetections) {
		if abs, aerr := filepath.Abs(dir); aerr == nil {
			dir = abs
		}
		return nil, fmt.Errorf("%s has no detections folder; --content expects a checkout of the security content repository", dir)
	}
	return pack, err
}

// problemFile returns the path of an unloadable content file as the user
// can open it: below the content folder, or inside the built-in pack.
func problemFile(pack *content.Pack, p content.Problem) string {
	if pack.Root == "built-in" {
		return "built-in:" + p.Path
	}
	return filepath.Join(pack.Root, filepath.FromSlash(p.Path))
}

// reportContentProblems prints the number of content files that could
// not be loaded and the first of them with their errors.
func reportContentProblems(w io.Writer, prefix string, pack *content.Pack) {
	if len(pack.Problems) == 0 {
		return
	}
	fmt.Fprintf(w, "%s: skipped %s of content %s that could not be loaded:\n", prefix, plural(len(pack.Problems), "file"), pack.Root)
	for i, p := range pack.Problems {
		if i == maxShownContentProblems {
			fmt.Fprintf(w, "%s:   ... and %d more (spelunk validate lists every one)\n", prefix, len(pack.Problems)-i)
			break
		}
		fmt.Fprintf(w, "%s:   %s: %v\n", prefix, problemFile(pack, p), p.Err)
	}
}
