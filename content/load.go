package content

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/spelunk/spelunk/spl"
)

//go:embed builtin
var builtinFS embed.FS

// Builtin returns the pack embedded in the binary.
func Builtin() (*Pack, error) {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		return nil, err
	}
	p, err := Load(sub)
	if err != nil {
		return nil, err
	}
	p.Root = "built-in"
	return p, nil
}

// ErrNoDetections is the error of loading a folder that has no
// detections folder, so is not a security content checkout.
var ErrNoDetections = errors.New("no detections folder")

// LoadDir loads a content checkout from disk. Errors name dir.
func LoadDir(dir string) (*Pack, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("content folder: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("content folder %s is not a folder", dir)
	}
	p, err := Load(os.DirFS(dir))
	if err != nil {
		return nil, fmt.Errorf("content folder %s: %w", dir, err)
	}
	p.Root = dir
	return p, nil
}

// Load reads a pack from a file system laid out like the content
// repository. Files that fail to parse are recorded in Problems and the
// rest are loaded. A pack without a detections folder gives
// ErrNoDetections.
func Load(fsys fs.FS) (*Pack, error) {
	p := &Pack{Macros: spl.MacroMap{}, Lookups: map[string]*Lookup{}, Stories: map[string]*Story{}, files: fsys}
	info, err := fs.Stat(fsys, "detections")
	switch {
	case errors.Is(err, fs.ErrNotExist) || err == nil && !info.IsDir():
		return nil, ErrNoDetections
	case err != nil:
		return nil, err
	}
	err = fs.WalkDir(fsys, "detections", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			p.Problems = append(p.Problems, Problem{Path: name, Err: err})
			return nil
		}
		if d.IsDir() || !isYAML(name) {
			return nil
		}
		var a Analytic
		if err := readYAML(fsys, name, &a); err != nil {
			p.Problems = append(p.Problems, Problem{Path: name, Err: err})
			return nil
		}
		if a.Name == "" || a.Search == "" {
			p.Problems = append(p.Problems, Problem{Path: name, Err: fmt.Errorf("missing name or search")})
			return nil
		}
		a.Path = name
		p.Analytics = append(p.Analytics, &a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(p.Analytics, func(i, j int) bool { return p.Analytics[i].Path < p.Analytics[j].Path })
	p.loadMacros(fsys)
	p.loadLookups(fsys)
	p.loadStories(fsys)
	return p, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")
}

func readYAML(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("invalid YAML: %w", err)
	}
	return nil
}

// yamlFiles lists the YAML files of one folder, or nil when it is absent.
func yamlFiles(fsys fs.FS, dir string) []string {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && isYAML(e.Name()) {
			names = append(names, path.Join(dir, e.Name()))
		}
	}
	return names
}

func (p *Pack) loadMacros(fsys fs.FS) {
	for _, name := range yamlFiles(fsys, "macros") {
		var m Macro
		if err := readYAML(fsys, name, &m); err != nil {
			p.Problems = append(p.Problems, Problem{Path: name, Err: err})
			continue
		}
		p.Macros.Add(&spl.Macro{Name: m.Name, Args: m.Arguments, Definition: m.Definition})
	}
	// Macros that Splunk's Common Information Model app provides and the
	// content assumes.
	if _, ok := p.Macros.Macro("drop_dm_object_name", 1); !ok {
		p.Macros.Add(&spl.Macro{Name: "drop_dm_object_name", Args: []string{"object"}, Definition: `rename "$object$.*" as *`})
	}
}

func (p *Pack) loadLookups(fsys fs.FS) {
	for _, name := range yamlFiles(fsys, "lookups") {
		var l Lookup
		if err := readYAML(fsys, name, &l); err != nil {
			p.Problems = append(p.Problems, Problem{Path: name, Err: err})
			continue
		}
		l.Dir = "lookups"
		p.Lookups[l.Name] = &l
	}
}

func (p *Pack) loadStories(fsys fs.FS) {
	for _, name := range yamlFiles(fsys, "stories") {
		var s Story
		if err := readYAML(fsys, name, &s); err != nil {
			p.Problems = append(p.Problems, Problem{Path: name, Err: err})
			continue
		}
		p.Stories[s.Name] = &s
	}
}

// Find returns the analytics whose name (case-insensitive) or ID equals one
// of the selectors, and the selectors that matched nothing.
func (p *Pack) Find(selectors []string) (found []*Analytic, missing []string) {
	for _, sel := range selectors {
		hit := false
		for _, a := range p.Analytics {
			if strings.EqualFold(a.Name, sel) || strings.EqualFold(a.ID, sel) {
				found = append(found, a)
				hit = true
			}
		}
		if !hit {
			missing = append(missing, sel)
		}
	}
	return found, missing
}
