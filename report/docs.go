// Package report writes what spelunk produces for people and other tools
// from security content: Markdown documentation pages for analytics and
// stories, and ATT&CK Navigator layers of the content's coverage.
package report

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/report/attack"
)

// Site is the documentation of one content pack: a page per analytic, a
// page per story and an index, with the file names that link them.
type Site struct {
	Pack   *content.Pack
	Attack *attack.Table

	analyticFile map[*content.Analytic]string // path below the output folder
	storyFile    map[string]string            // by story name
	storyNames   []string                     // sorted
	byStory      map[string][]*content.Analytic
}

// NewSite prepares the documentation of a pack. Page file names are the
// slugs of the titles; an analytic whose slug is taken gets the start of
// its ID appended.
func NewSite(pack *content.Pack, table *attack.Table) *Site {
	s := &Site{
		Pack:         pack,
		Attack:       table,
		analyticFile: map[*content.Analytic]string{},
		storyFile:    map[string]string{},
		byStory:      map[string][]*content.Analytic{},
	}
	taken := map[string]bool{}
	for _, a := range pack.Analytics {
		name := Slug(a.Name)
		if taken[name] {
			name += "_" + strings.SplitN(a.ID, "-", 2)[0]
		}
		for n := 2; taken[name]; n++ {
			name = Slug(a.Name) + "_" + strconv.Itoa(n)
		}
		taken[name] = true
		s.analyticFile[a] = "detections/" + name + ".md"
		for _, story := range a.Tags.AnalyticStory {
			s.byStory[story] = append(s.byStory[story], a)
		}
	}
	for name := range pack.Stories {
		s.storyNames = append(s.storyNames, name)
	}
	sort.Strings(s.storyNames)
	takenStory := map[string]bool{}
	for _, name := range s.storyNames {
		file := Slug(name)
		for n := 2; takenStory[file]; n++ {
			file = Slug(name) + "_" + strconv.Itoa(n)
		}
		takenStory[file] = true
		s.storyFile[name] = "stories/" + file + ".md"
	}
	for _, list := range s.byStory {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}
	return s
}

// AnalyticFile returns the page path of an analytic below the output
// folder, such as detections/powershell_creating_thread_mutex.md.
func (s *Site) AnalyticFile(a *content.Analytic) string { return s.analyticFile[a] }

// StoryFile returns the page path of a story, or "" when the pack has no
// story of that name.
func (s *Site) StoryFile(name string) string { return s.storyFile[name] }

// WriteSummary counts what Write wrote.
type WriteSummary struct {
	Analytics int
	Stories   int
	// UnknownTechniques lists technique IDs the content names that the
	// ATT&CK table lacks; their pages show the ID without a name.
	UnknownTechniques []string
}

// Write writes index.md, detections/*.md and stories/*.md under dir,
// creating the folders.
func (s *Site) Write(dir string) (WriteSummary, error) {
	var sum WriteSummary
	for _, sub := range []string{"detections", "stories"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return sum, err
		}
	}
	write := func(name, text string) error {
		return os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(text), 0o644)
	}
	for _, a := range s.Pack.Analytics {
		if err := write(s.analyticFile[a], s.AnalyticPage(a)); err != nil {
			return sum, err
		}
		sum.Analytics++
	}
	for _, name := range s.storyNames {
		if err := write(s.storyFile[name], s.StoryPage(s.Pack.Stories[name])); err != nil {
			return sum, err
		}
		sum.Stories++
	}
	if err := write("index.md", s.IndexPage()); err != nil {
		return sum, err
	}
	sum.UnknownTechniques = s.unknownTechniques()
	return sum, nil
}

func (s *Site) unknownTechniques() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range s.Pack.Analytics {
		for _, id := range a.Tags.MitreAttackID {
			if _, ok := s.Attack.Technique(id); !ok && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	sort.Strings(out)
	return out
}

// relative returns the link from one page to another, both given as paths
// below the output folder.
func relative(from, to string) string {
	rel, err := filepath.Rel(path.Dir(from), to)
	if err != nil {
		return to
	}
	return filepath.ToSlash(rel)
}

// techniqueURL returns the page of a technique on attack.mitre.org.
func techniqueURL(id string) string {
	return "https://attack.mitre.org/techniques/" + strings.ReplaceAll(strings.ToUpper(id), ".", "/") + "/"
}

// techniqueRow returns the ATT&CK table cells of a technique: linked ID,
// name and tactics, with the status of a revoked or deprecated technique.
func (s *Site) techniqueRow(id string) []string {
	tech, ok := s.Attack.Technique(id)
	if !ok {
		return []string{id, "(not in the ATT&CK " + s.Attack.Version + " table)", ""}
	}
	name := tech.Name
	if tech.Status != "" {
		name += " (" + tech.Status + ")"
	}
	return []string{link(tech.ID, techniqueURL(tech.ID)), name, strings.Join(tech.Tactics, ", ")}
}

// tactics returns the tactics of a list of techniques, each once, in
// order of first appearance.
func (s *Site) tactics(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		tech, _ := s.Attack.Technique(id)
		for _, t := range tech.Tactics {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// attribution is the notice the ATT&CK Terms of Use ask for.
func (s *Site) attribution() string {
	return fmt.Sprintf("Technique names and tactics: MITRE ATT&CK® Enterprise %s, from %s. "+
		"© The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.",
		s.Attack.Version, s.Attack.Source)
}
