package report

import (
	"path"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/report/attack"
)

// AnalyticPage returns the Markdown page of an analytic.
func (s *Site) AnalyticPage(a *content.Analytic) string {
	var p page
	p.line("# %s", strings.TrimSpace(a.Name))
	s.statusNote(&p, a)
	p.blank()
	s.metadataTable(&p, a)

	p.section("Description")
	p.text(a.Description, "No description.")

	p.section("ATT&CK")
	s.attackSection(&p, a)

	p.section("Kill Chain Phase")
	phases := attack.KillChainPhases(s.tactics(a.Tags.MitreAttackID))
	if len(a.Tags.KillChainPhase) > 0 {
		phases = a.Tags.KillChainPhase
	}
	bullets(&p, phases, "None: the analytic names no ATT&CK tactic.")

	p.section("Search")
	p.codeBlock("spl", SearchLines(a.Search))

	p.section("Macros")
	s.macroSection(&p, a)

	p.section("Lookups")
	s.lookupSection(&p, a)

	p.section("How To Implement")
	p.text(a.HowToImplement, "Not stated.")

	p.section("Required Fields")
	var fields []string
	for _, f := range a.Tags.RequiredFields {
		fields = append(fields, code(f))
	}
	bullets(&p, fields, "Not stated.")

	p.section("Known False Positives")
	p.text(a.KnownFalsePositives, "Not stated.")

	p.section("Risk-Based Alerting (RBA)")
	rbaSection(&p, a)

	p.section("References")
	bullets(&p, a.References, "None.")

	p.section("Test Datasets")
	testSection(&p, a)

	p.section("Version")
	version := "Version " + strconv.Itoa(a.Version)
	if a.Date != "" {
		version += ", " + a.Date
	}
	p.line("%s. Source: %s.", version, code(a.Path))
	return p.String()
}

func (s *Site) statusNote(p *page, a *content.Analytic) {
	switch {
	case a.Deprecated():
		p.blank()
		p.line("> **Deprecated.** This analytic is retired and kept for reference; it is not tested or deployed.")
	case strings.EqualFold(a.Status, "experimental"):
		p.blank()
		p.line("> **Experimental.** This analytic has not been fully tested; expect false positives and changes.")
	}
}

func (s *Site) metadataTable(p *page, a *content.Analytic) {
	var stories []string
	for _, name := range a.Tags.AnalyticStory {
		if file := s.storyFile[name]; file != "" {
			stories = append(stories, link(name, relative(s.analyticFile[a], file)))
		} else {
			stories = append(stories, name)
		}
	}
	rows := [][]string{
		{"ID", code(a.ID)},
		{"Type", a.Type},
		{"Status", a.Status},
		{"Author", a.Author},
		{"Data source", strings.Join(a.DataSource, ", ")},
		{"Security domain", a.Tags.SecurityDomain},
		{"Asset type", a.Tags.AssetType},
		{"Product", strings.Join(a.Tags.Product, ", ")},
		{"ATT&CK", strings.Join(a.Tags.MitreAttackID, ", ")},
		{"Tactics", strings.Join(s.tactics(a.Tags.MitreAttackID), ", ")},
		{"Analytic stories", strings.Join(stories, ", ")},
	}
	if len(a.Tags.CVE) > 0 {
		rows = append(rows, []string{"CVE", strings.Join(a.Tags.CVE, ", ")})
	}
	var kept [][]string
	for _, r := range rows {
		if strings.TrimSpace(r[1]) != "" {
			kept = append(kept, r)
		}
	}
	p.table([]string{"Field", "Value"}, kept)
}

func (s *Site) attackSection(p *page, a *content.Analytic) {
	if len(a.Tags.MitreAttackID) == 0 {
		p.line("The analytic names no ATT&CK technique.")
		return
	}
	var rows [][]string
	for _, id := range a.Tags.MitreAttackID {
		rows = append(rows, s.techniqueRow(id))
	}
	p.table([]string{"ID", "Technique", "Tactic"}, rows)
	p.blank()
	p.line("%s", s.attribution())
}

func (s *Site) macroSection(p *page, a *content.Analytic) {
	calls := MacroCalls(a.Search)
	if len(calls) == 0 {
		p.line("The search uses no macros.")
		return
	}
	p.line("The search uses these macros; their definitions come from the content's macros folder.")
	p.blank()
	filter := a.FilterMacro()
	for _, call := range calls {
		mac, ok := packMacros(s.Pack).Macro(call.Name, call.Args)
		switch {
		case call.Name == filter && (!ok || strings.TrimSpace(mac.Definition) == "search *"):
			p.line("- %s: empty by default (%s). Edit it to filter out false positives without changing the search.",
				code(call.Key()), code("search *"))
		case !ok:
			p.line("- %s: not defined in this content.", code(call.Key()))
		default:
			p.line("- %s: %s", code(call.Key()), code(mac.Definition))
		}
	}
}

func (s *Site) lookupSection(p *page, a *content.Analytic) {
	names := LookupNames(a.Search, packMacros(s.Pack))
	if len(names) == 0 {
		p.line("The search uses no lookups.")
		return
	}
	var rows [][]string
	for _, name := range names {
		l := s.Pack.Lookups[name]
		if l == nil {
			rows = append(rows, []string{code(name), "not defined in this content", ""})
			continue
		}
		file := l.Filename
		if file == "" && l.Collection != "" {
			file = "KV store collection " + l.Collection
		}
		rows = append(rows, []string{code(name), l.Description, file})
	}
	p.table([]string{"Lookup", "Description", "File"}, rows)
}

func rbaSection(p *page, a *content.Analytic) {
	risk := a.RiskObjects()
	threat := a.ThreatObjects()
	if a.Score() == 0 && len(risk) == 0 && len(threat) == 0 && a.Message() == "" {
		p.line("The analytic creates no risk.")
		return
	}
	rows := [][]string{{"Risk score", strconv.Itoa(a.Score())}}
	if a.Tags.Impact > 0 {
		rows = append(rows, []string{"Impact", strconv.Itoa(a.Tags.Impact)})
	}
	if a.Tags.Confidence > 0 {
		rows = append(rows, []string{"Confidence", strconv.Itoa(a.Tags.Confidence)})
	}
	if msg := a.Message(); msg != "" {
		rows = append(rows, []string{"Message", msg})
	}
	p.table([]string{"Field", "Value"}, rows)
	if a.RBA == nil && a.Tags.Impact > 0 && a.Tags.Confidence > 0 && a.Tags.RiskScore == 0 {
		p.blank()
		p.line("The risk score is impact × confidence / 100.")
	}
	if len(risk) > 0 {
		p.blank()
		var rows [][]string
		for _, r := range risk {
			rows = append(rows, []string{code(r.Field), r.Type, strconv.Itoa(r.Score)})
		}
		p.table([]string{"Risk object", "Type", "Score"}, rows)
	}
	if len(threat) > 0 {
		p.blank()
		var rows [][]string
		for _, t := range threat {
			rows = append(rows, []string{code(t.Field), t.Type})
		}
		p.table([]string{"Threat object", "Type"}, rows)
	}
}

func testSection(p *page, a *content.Analytic) {
	if len(a.Tests) == 0 {
		p.line("The analytic has no tests.")
		return
	}
	for i, t := range a.Tests {
		if i > 0 {
			p.blank()
		}
		name := t.Name
		if name == "" {
			name = "Test " + strconv.Itoa(i+1)
		}
		p.line("%s:", name)
		p.blank()
		var rows [][]string
		for _, d := range t.AttackData {
			data := strings.TrimSpace(d.Data)
			if strings.HasPrefix(data, "http://") || strings.HasPrefix(data, "https://") {
				data = link(path.Base(data), data)
			} else {
				data = code(data)
			}
			rows = append(rows, []string{data, code(d.Source), code(d.Sourcetype)})
		}
		p.table([]string{"Dataset", "Source", "Sourcetype"}, rows)
	}
}

func bullets(p *page, items []string, placeholder string) {
	if len(items) == 0 {
		p.line("%s", placeholder)
		return
	}
	for _, it := range items {
		p.line("- %s", strings.TrimSpace(it))
	}
}

// StoryPage returns the Markdown page of an analytic story: its text, the
// analytics that name it and the techniques they cover.
func (s *Site) StoryPage(story *content.Story) string {
	var p page
	file := s.storyFile[story.Name]
	p.line("# %s", strings.TrimSpace(story.Name))
	p.blank()
	rows := [][]string{
		{"ID", code(story.ID)},
		{"Category", strings.Join(story.Tags.Category, ", ")},
		{"Use case", story.Tags.Usecase},
		{"Product", strings.Join(story.Tags.Product, ", ")},
	}
	var kept [][]string
	for _, r := range rows {
		if strings.Trim(r[1], "` ") != "" {
			kept = append(kept, r)
		}
	}
	p.table([]string{"Field", "Value"}, kept)

	p.section("Description")
	p.text(story.Description, "No description.")
	p.section("Narrative")
	p.text(story.Narrative, "No narrative.")

	analytics := s.byStory[story.Name]
	p.section("Detections")
	if len(analytics) == 0 {
		p.line("No analytic in this content names the story.")
	} else {
		var rows [][]string
		for _, a := range analytics {
			rows = append(rows, []string{link(a.Name, relative(file, s.analyticFile[a])), a.Type, a.Status, strings.Join(a.Tags.MitreAttackID, ", ")})
		}
		p.table([]string{"Analytic", "Type", "Status", "ATT&CK"}, rows)
	}

	p.section("ATT&CK")
	counts := map[string]int{}
	var ids []string
	for _, a := range analytics {
		for _, id := range a.Tags.MitreAttackID {
			if counts[id] == 0 {
				ids = append(ids, id)
			}
			counts[id]++
		}
	}
	if len(ids) == 0 {
		p.line("The story's analytics name no ATT&CK technique.")
	} else {
		sortTechniqueIDs(ids)
		var rows [][]string
		for _, id := range ids {
			rows = append(rows, append(s.techniqueRow(id), strconv.Itoa(counts[id])))
		}
		p.table([]string{"ID", "Technique", "Tactic", "Analytics"}, rows)
		p.blank()
		p.line("%s", s.attribution())
	}

	p.section("References")
	bullets(&p, story.References, "None.")
	return p.String()
}

// IndexPage returns the index: every analytic and every story.
func (s *Site) IndexPage() string {
	var p page
	p.line("# Security content: %s", s.Pack.Root)
	p.blank()
	p.line("%d analytics, %d stories.", len(s.Pack.Analytics), len(s.storyNames))
	p.blank()
	p.line("%s", s.attribution())

	p.section("Analytics")
	var rows [][]string
	for _, a := range sortedByName(s.Pack.Analytics) {
		rows = append(rows, []string{link(a.Name, s.analyticFile[a]), a.Type, a.Status, strings.Join(a.Tags.MitreAttackID, ", ")})
	}
	p.table([]string{"Analytic", "Type", "Status", "ATT&CK"}, rows)

	p.section("Stories")
	rows = nil
	for _, name := range s.storyNames {
		rows = append(rows, []string{link(name, s.storyFile[name]), strconv.Itoa(len(s.byStory[name]))})
	}
	if len(rows) == 0 {
		p.line("The content has no stories.")
	} else {
		p.table([]string{"Story", "Analytics"}, rows)
	}
	return p.String()
}
