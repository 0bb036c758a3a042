//go:build ignore

// gen.go builds enterprise.csv: the ATT&CK Enterprise techniques that a
// security content checkout names in its detections, with their names and
// tactics, read from MITRE's STIX 2.1 data.
//
// The STIX input is a folder laid out like the enterprise-attack folder of
// github.com/mitre/cti (attack-pattern/, x-mitre-tactic/, x-mitre-matrix/,
// relationship/, one object per file) or a bundle file such as
// enterprise-attack.json. Run from this folder:
//
//	go run gen.go -stix /tmp/cti/enterprise-attack -attack-version 18.1 \
//	    -source 'github.com/mitre/cti enterprise-attack (STIX 2.1), commit 421deacb77' \
//	    -content ../../../shared/escu -content ../../content/builtin \
//	    -content ../testdata/content -content ../../cmd/spelunk/testdata/testcontent
package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

type stixObject struct {
	Type               string `json:"type"`
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Revoked            bool   `json:"revoked"`
	Deprecated         bool   `json:"x_mitre_deprecated"`
	ShortName          string `json:"x_mitre_shortname"`
	TacticRefs         []string
	RelationshipType   string `json:"relationship_type"`
	SourceRef          string `json:"source_ref"`
	TargetRef          string `json:"target_ref"`
	ExternalReferences []struct {
		SourceName string `json:"source_name"`
		ExternalID string `json:"external_id"`
	} `json:"external_references"`
	KillChainPhases []struct {
		KillChainName string `json:"kill_chain_name"`
		PhaseName     string `json:"phase_name"`
	} `json:"kill_chain_phases"`
}

func (o *stixObject) UnmarshalJSON(data []byte) error {
	type plain stixObject
	var aux struct {
		plain
		TacticRefs []string `json:"tactic_refs"`
	}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	*o = stixObject(aux.plain)
	o.TacticRefs = aux.TacticRefs
	return nil
}

func (o *stixObject) attackID() string {
	for _, r := range o.ExternalReferences {
		if r.SourceName == "mitre-attack" {
			return r.ExternalID
		}
	}
	return ""
}

type contentDirs []string

func (c *contentDirs) String() string     { return strings.Join(*c, ",") }
func (c *contentDirs) Set(v string) error { *c = append(*c, v); return nil }

var techniqueID = regexp.MustCompile(`\bT\d{4}(?:\.\d{3})?\b`)

func main() {
	stixPath := flag.String("stix", "", "enterprise-attack folder of mitre/cti, or a STIX bundle file")
	version := flag.String("attack-version", "", "ATT&CK release of the STIX data, such as 18.1")
	source := flag.String("source", "", "where the STIX data came from (repository and commit)")
	out := flag.String("out", "enterprise.csv", "output file")
	var dirs contentDirs
	flag.Var(&dirs, "content", "content folder whose detections name techniques (repeatable)")
	flag.Parse()
	if *stixPath == "" || *version == "" || *source == "" || len(dirs) == 0 {
		log.Fatal("usage: go run gen.go -stix PATH -attack-version V -source TEXT -content DIR... [-out FILE]")
	}

	objects, err := readSTIX(*stixPath)
	if err != nil {
		log.Fatal(err)
	}
	used, err := usedTechniques(dirs)
	if err != nil {
		log.Fatal(err)
	}
	if err := writeTable(*out, objects, used, *version, *source); err != nil {
		log.Fatal(err)
	}
}

// readSTIX reads every object of a bundle file or of the JSON files under
// a folder.
func readSTIX(path string) ([]stixObject, error) {
	var objects []stixObject
	readFile := func(name string) error {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		var bundle struct {
			Objects []stixObject `json:"objects"`
		}
		if err := json.Unmarshal(data, &bundle); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		objects = append(objects, bundle.Objects...)
		return nil
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return objects, readFile(path)
	}
	for _, sub := range []string{"attack-pattern", "x-mitre-tactic", "x-mitre-matrix", "relationship"} {
		err := filepath.WalkDir(filepath.Join(path, sub), func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(name, ".json") {
				return err
			}
			return readFile(name)
		})
		if err != nil {
			return nil, err
		}
	}
	return objects, nil
}

// usedTechniques collects the technique IDs named in mitre_attack_id lists
// of the detections under each content folder, with the parent technique
// of every sub-technique.
func usedTechniques(dirs []string) (map[string]bool, error) {
	used := map[string]bool{}
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(dir, "detections"), func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(name, ".yml") {
				return err
			}
			data, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			inList := false
			for _, line := range strings.Split(string(data), "\n") {
				trimmed := strings.TrimSpace(line)
				switch {
				case strings.HasPrefix(trimmed, "mitre_attack_id:"):
					inList = true
					for _, id := range techniqueID.FindAllString(trimmed, -1) {
						used[id] = true
					}
				case inList && strings.HasPrefix(trimmed, "- "):
					for _, id := range techniqueID.FindAllString(trimmed, -1) {
						used[id] = true
					}
				default:
					inList = false
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for id := range used {
		if parent, _, ok := strings.Cut(id, "."); ok {
			used[parent] = true
		}
	}
	return used, nil
}

func writeTable(out string, objects []stixObject, used map[string]bool, version, source string) error {
	byRef := map[string]*stixObject{}
	for i := range objects {
		byRef[objects[i].ID] = &objects[i]
	}

	// Tactic display names in matrix order.
	tacticName := map[string]string{}
	tacticOrder := map[string]int{}
	for _, o := range objects {
		if o.Type == "x-mitre-tactic" {
			tacticName[o.ShortName] = o.Name
		}
	}
	for _, o := range objects {
		if o.Type != "x-mitre-matrix" || o.Revoked || o.Deprecated {
			continue
		}
		for i, ref := range o.TacticRefs {
			if t := byRef[ref]; t != nil {
				tacticOrder[t.ShortName] = i
			}
		}
	}

	revokedBy := map[string]string{}
	for _, o := range objects {
		if o.Type == "relationship" && o.RelationshipType == "revoked-by" {
			if target := byRef[o.TargetRef]; target != nil {
				revokedBy[o.SourceRef] = target.attackID()
			}
		}
	}

	type row struct{ id, name, tactics, status string }
	var rows []row
	found := map[string]bool{}
	for _, o := range objects {
		id := o.attackID()
		if o.Type != "attack-pattern" || !used[id] {
			continue
		}
		var shortNames []string
		for _, p := range o.KillChainPhases {
			if p.KillChainName == "mitre-attack" {
				shortNames = append(shortNames, p.PhaseName)
			}
		}
		sort.Slice(shortNames, func(i, j int) bool { return tacticOrder[shortNames[i]] < tacticOrder[shortNames[j]] })
		var tactics []string
		for _, s := range shortNames {
			tactics = append(tactics, tacticName[s])
		}
		status := ""
		switch {
		case o.Revoked:
			status = "revoked"
			if by := revokedBy[o.ID]; by != "" {
				status = "revoked by " + by
			}
		case o.Deprecated:
			status = "deprecated"
		}
		rows = append(rows, row{id, o.Name, strings.Join(tactics, ";"), status})
		found[id] = true
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })

	var missing []string
	for id := range used {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)

	f, err := os.Create(out)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "# ATT&CK Enterprise techniques named by the security content, with their tactics.\n")
	fmt.Fprintf(f, "# attack-version: %s\n", version)
	fmt.Fprintf(f, "# source: %s\n", source)
	fmt.Fprintf(f, "# licence: ATT&CK Terms of Use, royalty-free; \"© The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation.\"\n")
	if len(missing) > 0 {
		fmt.Fprintf(f, "# not in this ATT&CK release: %s\n", strings.Join(missing, " "))
	}
	w := csv.NewWriter(f)
	w.Write([]string{"id", "name", "tactics", "status"})
	for _, r := range rows {
		w.Write([]string{r.id, r.name, r.tactics, r.status})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
