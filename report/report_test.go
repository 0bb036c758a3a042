package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/report/attack"
	"github.com/spelunk/spelunk/spl"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func fixtureSite(t *testing.T) *Site {
	t.Helper()
	pack, err := content.LoadDir(filepath.Join("testdata", "content"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pack.Problems) > 0 {
		t.Fatalf("fixture content problems: %v", pack.Problems)
	}
	pack.Root = "testdata/content"
	table, err := attack.Enterprise()
	if err != nil {
		t.Fatal(err)
	}
	return NewSite(pack, table)
}

func findAnalytic(t *testing.T, pack *content.Pack, name string) *content.Analytic {
	t.Helper()
	found, missing := pack.Find([]string{name})
	if len(missing) > 0 {
		t.Fatalf("no analytic %q", name)
	}
	return found[0]
}

// golden compares text with testdata/golden/name, or rewrites the file
// when the test runs with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file; rerun with -update after checking the diff\n--- got ---\n%s", name, got)
	}
}

func TestAnalyticPageGolden(t *testing.T) {
	site := fixtureSite(t)
	a := findAnalytic(t, site.Pack, "Fixture Encoded PowerShell Download")
	golden(t, "fixture_encoded_powershell_download.md", site.AnalyticPage(a))
}

func TestStoryPageGolden(t *testing.T) {
	site := fixtureSite(t)
	golden(t, "malicious_powershell.md", site.StoryPage(site.Pack.Stories["Malicious PowerShell"]))
}

func TestIndexPageGolden(t *testing.T) {
	site := fixtureSite(t)
	golden(t, "index.md", site.IndexPage())
}

func TestNavigatorGolden(t *testing.T) {
	site := fixtureSite(t)
	var buf bytes.Buffer
	if err := WriteLayer(&buf, NavigatorLayer("fixture coverage", site.Pack.Analytics, site.Attack)); err != nil {
		t.Fatal(err)
	}
	golden(t, "navigator.json", buf.String())
}

func TestNavigatorScores(t *testing.T) {
	site := fixtureSite(t)
	layer := NavigatorLayer("fixture coverage", site.Pack.Analytics, site.Attack)
	scores := map[string]int{}
	for _, tech := range layer.Techniques {
		scores[tech.TechniqueID] = tech.Score
	}
	// The deprecated analytic's T1027.005 is left out, and the revoked
	// T1574.002 counts under T1574.001.
	want := map[string]int{"T1027": 1, "T1059.001": 2, "T1204.002": 1, "T1574.001": 1}
	if !reflect.DeepEqual(scores, want) {
		t.Errorf("scores %v, expected %v", scores, want)
	}
}

// layerKeys lists the properties that layer format 4.5 defines, by object.
var layerKeys = map[string][]string{
	"layer": {"versions", "name", "description", "domain", "customDataURL", "filters", "sorting", "layout", "hideDisabled",
		"techniques", "gradient", "legendItems", "showTacticRowBackground", "tacticRowBackground",
		"selectTechniquesAcrossTactics", "selectSubtechniquesWithParent", "selectVisibleTechniques", "metadata", "links"},
	"versions":  {"attack", "navigator", "layer"},
	"technique": {"techniqueID", "tactic", "comment", "enabled", "score", "color", "metadata", "links", "showSubtechniques"},
	"gradient":  {"colors", "minValue", "maxValue"},
	"legend":    {"label", "color"},
	"metadata":  {"name", "value", "divider"},
	"layout":    {"layout", "showID", "showName", "showAggregateScores", "countUnscored", "aggregateFunction", "expandedSubtechniques"},
}

func checkKeys(t *testing.T, object string, m map[string]any, required ...string) {
	t.Helper()
	allowed := map[string]bool{}
	for _, k := range layerKeys[object] {
		allowed[k] = true
	}
	for k := range m {
		if !allowed[k] {
			t.Errorf("%s: property %q is not in layer format 4.5", object, k)
		}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: required property %q missing", object, k)
		}
	}
}

// TestNavigatorLayerFormat checks the layer against the property tables
// of layer format 4.5: known properties only, required ones present,
// value types and constraints as the format states them.
func TestNavigatorLayerFormat(t *testing.T) {
	site := fixtureSite(t)
	var buf bytes.Buffer
	if err := WriteLayer(&buf, NavigatorLayer("fixture coverage", site.Pack.Analytics, site.Attack)); err != nil {
		t.Fatal(err)
	}
	var layer map[string]any
	if err := json.Unmarshal(buf.Bytes(), &layer); err != nil {
		t.Fatal(err)
	}
	checkKeys(t, "layer", layer, "name", "domain")
	if layer["domain"] != "enterprise-attack" {
		t.Errorf("domain %v", layer["domain"])
	}
	versions := layer["versions"].(map[string]any)
	checkKeys(t, "versions", versions, "navigator", "layer")
	if versions["layer"] != "4.5" {
		t.Errorf("versions.layer %v, expected 4.5", versions["layer"])
	}
	if v, _ := versions["navigator"].(string); !regexp.MustCompile(`^(4\.(9|\d\d)|[5-9])\.\d+(\.\d+)?$`).MatchString(v) {
		t.Errorf("versions.navigator %q, expected at least 4.9.0", v)
	}
	if versions["attack"] != "18" {
		t.Errorf("versions.attack %v, expected 18", versions["attack"])
	}
	checkKeys(t, "layout", layer["layout"].(map[string]any))
	idPattern := regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	for _, raw := range layer["techniques"].([]any) {
		tech := raw.(map[string]any)
		checkKeys(t, "technique", tech, "techniqueID")
		if id, _ := tech["techniqueID"].(string); !idPattern.MatchString(id) {
			t.Errorf("techniqueID %v is not T#### or T####.###", tech["techniqueID"])
		}
		if _, ok := tech["score"].(float64); !ok {
			t.Errorf("%v: score %v is not a number", tech["techniqueID"], tech["score"])
		}
		if _, ok := tech["comment"].(string); !ok {
			t.Errorf("%v: comment is not a string", tech["techniqueID"])
		}
	}
	gradient := layer["gradient"].(map[string]any)
	checkKeys(t, "gradient", gradient, "colors", "minValue", "maxValue")
	if colors := gradient["colors"].([]any); len(colors) < 2 {
		t.Errorf("gradient has %d colours, expected at least 2", len(colors))
	}
	if gradient["maxValue"].(float64) <= gradient["minValue"].(float64) {
		t.Errorf("gradient maxValue %v not above minValue %v", gradient["maxValue"], gradient["minValue"])
	}
	for _, raw := range layer["legendItems"].([]any) {
		checkKeys(t, "legend", raw.(map[string]any), "label", "color")
	}
	for _, raw := range layer["metadata"].([]any) {
		checkKeys(t, "metadata", raw.(map[string]any), "name", "value")
	}
}

func TestSiteWrite(t *testing.T) {
	site := fixtureSite(t)
	dir := t.TempDir()
	sum, err := site.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Analytics != 3 || sum.Stories != 2 {
		t.Errorf("wrote %d analytic and %d story pages, expected 3 and 2", sum.Analytics, sum.Stories)
	}
	if len(sum.UnknownTechniques) != 0 {
		t.Errorf("unknown techniques %v, expected none", sum.UnknownTechniques)
	}
	for _, name := range []string{
		"index.md",
		"detections/fixture_encoded_powershell_download.md",
		"detections/fixture_rba_process_launch.md",
		"detections/fixture_old_mutex.md",
		"stories/malicious_powershell.md",
		"stories/unused_story.md",
	} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing page: %v", err)
		}
	}
}

func TestAnalyticPageRBAv5(t *testing.T) {
	site := fixtureSite(t)
	page := site.AnalyticPage(findAnalytic(t, site.Pack, "Fixture RBA Process Launch"))
	for _, want := range []string{
		"> **Experimental.**",
		"| Risk score | 25 |",
		"| Message | Process $process_name$ launched on $dest$ |",
		"| `dest` | system | 25 |",
		"| `process_name` | process_name |",
		"- `security_content_summariesonly`: ``summariesonly=`summariesonly_config` allow_old_summaries=true``",
		"- `drop_dm_object_name(1)`: `rename \"$object$.*\" as *`",
		"```spl\n| tstats `security_content_summariesonly` count from datamodel=Endpoint.Processes by Processes.dest Processes.process_name\n| `drop_dm_object_name(Processes)`\n```",
		"The analytic has no tests.",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "| Impact |") {
		t.Error("v5 analytic shows an impact row; the rba block has none")
	}
}

func TestSearchLines(t *testing.T) {
	cases := []struct {
		search string
		want   []string
	}{
		{"a b | stats count by x |rename x as y",
			[]string{"a b", "| stats count by x", "| rename x as y"}},
		{"| tstats count from datamodel=A by B",
			[]string{"| tstats count from datamodel=A by B"}},
		{`search x="a|b" | eval y=if(z=="|", 1, 0)`,
			[]string{`search x="a|b"`, `| eval y=if(z=="|", 1, 0)`}},
		{"a [search b | head 1] | table c",
			[]string{"a [search b | head 1]", "| table c"}},
		{"a ```note | here``` | `m(x|y)` | table c",
			[]string{"a ```note | here```", "| `m(x|y)`", "| table c"}},
		{"a\n  b | stats\n   count", []string{"a b", "| stats count"}},
		{`a x="line1` + "\n" + `line2" | table x`, []string{`a x="line1` + "\n" + `line2"`, "| table x"}},
	}
	for _, c := range cases {
		if got := SearchLines(c.search); !reflect.DeepEqual(got, c.want) {
			t.Errorf("SearchLines(%q)\n got %q\nwant %q", c.search, got, c.want)
		}
	}
}

func TestMacroCalls(t *testing.T) {
	search := "`a` x=\"`not`\" ```c `d` ``` | `b(1, \"x,y\")` | `a` | `e(f(1,2), 3)`"
	got := MacroCalls(search)
	want := []MacroCall{{"a", 0}, {"b", 2}, {"e", 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MacroCalls = %v, expected %v", got, want)
	}
	if k := want[1].Key(); k != "b(2)" {
		t.Errorf("Key = %q, expected b(2)", k)
	}
}

func TestLookupNames(t *testing.T) {
	macros := spl.MacroMap{}
	macros.Add(&spl.Macro{Name: "enrich", Definition: "lookup update=true asset_lookup ip as src OUTPUT owner"})
	search := "| inputlookup seed_list | search x=1 | lookup local=true \"term_list\" term | `enrich` " +
		"| join x [| inputlookup nested_list | table x] | outputlookup out_list.csv"
	got := LookupNames(search, macros)
	want := []string{"asset_lookup", "nested_list", "out_list.csv", "seed_list", "term_list"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LookupNames = %v, expected %v", got, want)
	}
	// Without the macro the expansion fails and the search is read as written.
	got = LookupNames("`missing_macro` | lookup a_list x", spl.MacroMap{})
	if !reflect.DeepEqual(got, []string{"a_list"}) {
		t.Errorf("LookupNames without macros = %v, expected [a_list]", got)
	}
}

func TestSlug(t *testing.T) {
	cases := map[string]string{
		"Powershell Creating Thread Mutex":          "powershell_creating_thread_mutex",
		"O365 Add App Role Assignment - Grant User": "o365_add_app_role_assignment_grant_user",
		"  ": "untitled",
	}
	for in, want := range cases {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, expected %q", in, got, want)
		}
	}
}

// TestThreadMutexPageFromEscu builds the page of a public analytic and
// checks every section and the values it must show.
func TestThreadMutexPageFromEscu(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "escu")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no security content at ../shared/escu: the public content checkout is absent")
	}
	pack, err := content.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	table, err := attack.Enterprise()
	if err != nil {
		t.Fatal(err)
	}
	site := NewSite(pack, table)
	a := findAnalytic(t, pack, "Powershell Creating Thread Mutex")
	if got := site.AnalyticFile(a); got != "detections/powershell_creating_thread_mutex.md" {
		t.Errorf("page file %q", got)
	}
	page := site.AnalyticPage(a)

	sections := []string{
		"# Powershell Creating Thread Mutex\n",
		"## Description\n", "## ATT&CK\n", "## Kill Chain Phase\n", "## Search\n", "## Macros\n",
		"## Lookups\n", "## How To Implement\n", "## Required Fields\n", "## Known False Positives\n",
		"## Risk-Based Alerting (RBA)\n", "## References\n", "## Test Datasets\n", "## Version\n",
	}
	last := -1
	for _, s := range sections {
		i := strings.Index(page, s)
		if i < 0 {
			t.Errorf("page lacks section %q", strings.TrimSpace(s))
			continue
		}
		if i < last {
			t.Errorf("section %q is out of order", strings.TrimSpace(s))
		}
		last = i
	}

	values := []string{
		"| ID | `637557ec-ca08-11eb-bd0a-acde48001122` |",
		"| Type | TTP |",
		"| ATT&CK | T1027, T1027.005, T1059.001 |",
		"| Analytic stories | [Malicious PowerShell](../stories/malicious_powershell.md) |",
		"| [T1027](https://attack.mitre.org/techniques/T1027/) | Obfuscated Files or Information | Defense Evasion |",
		"| [T1027.005](https://attack.mitre.org/techniques/T1027/005/) | Indicator Removal from Tools | Defense Evasion |",
		"| [T1059.001](https://attack.mitre.org/techniques/T1059/001/) | PowerShell | Execution |",
		"- Exploitation\n- Installation\n",
		"```spl\n`powershell` EventCode=4104 ScriptBlockText = \"*Threading.Mutex*\"\n" +
			"| stats count min(_time) as firstTime max(_time) as lastTime by EventCode ScriptBlockText Computer UserID\n" +
			"| rename Computer as dest\n| rename UserID as user\n" +
			"| `security_content_ctime(firstTime)`\n| `security_content_ctime(lastTime)`\n" +
			"| `powershell_creating_thread_mutex_filter`\n```\n",
		"- `powershell`: `(source=WinEventLog:Microsoft-Windows-PowerShell/Operational OR source=\"XmlWinEventLog:Microsoft-Windows-PowerShell/Operational\")`",
		"- `powershell_creating_thread_mutex_filter`: empty by default",
		"The search uses no lookups.",
		"enable PowerShell Script Block Logging on some or all endpoints",
		"- `_time`\n- `EventCode`\n- `ScriptBlockText`\n- `Computer`\n- `UserID`\n",
		"powershell developer may used this function in their script for instance checking too.",
		"| Risk score | 40 |", "| Impact | 50 |", "| Confidence | 80 |",
		"| Message | A suspicious powershell script contains Thread Mutex on host $dest$ |",
		"| `dest` | system | 40 |", "| `user` | user | 40 |",
		"- https://isc.sans.edu/forums/diary/Some+Powershell+Malicious+Code/22988/",
		"[sbl_xml.log](https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/attack_techniques/T1059.001/powershell_script_block_logging/sbl_xml.log) | `XmlWinEventLog:Microsoft-Windows-PowerShell/Operational` | `xmlwineventlog` |",
		"Version 5, 2024-09-30. Source: `detections/endpoint/powershell_creating_thread_mutex.yml`.",
	}
	for _, v := range values {
		if !strings.Contains(page, v) {
			t.Errorf("page lacks %q", v)
		}
	}
	// The risk score is tags.risk_score, not impact x confidence / 100.
	if strings.Contains(page, "impact × confidence") {
		t.Error("page explains a computed risk score; the analytic states risk_score 40")
	}

	story := site.StoryPage(pack.Stories["Malicious PowerShell"])
	if !strings.Contains(story, "[Powershell Creating Thread Mutex](../detections/powershell_creating_thread_mutex.md)") {
		t.Error("the Malicious PowerShell story page does not link the analytic")
	}
}
