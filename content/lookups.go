package content

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/spelunk/spelunk/engine"
)

// LookupTables returns the pack's lookups as an engine.LookupSource. A
// lookup is found by its definition name or by its CSV file name; the
// CSV is read on first use and kept. KV store collections and machine
// learning models are reported as unsupported.
func (p *Pack) LookupTables() engine.LookupSource {
	return &lookupSource{pack: p, cache: map[string]lookupResult{}}
}

type lookupSource struct {
	pack  *Pack
	mu    sync.Mutex
	cache map[string]lookupResult
}

type lookupResult struct {
	table *engine.LookupTable
	err   error
}

// Lookup implements engine.LookupSource.
func (s *lookupSource) Lookup(name string) (*engine.LookupTable, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.cache[name]; ok {
		return r.table, r.err
	}
	t, err := s.load(name)
	s.cache[name] = lookupResult{t, err}
	return t, err
}

func (s *lookupSource) find(name string) *Lookup {
	if l, ok := s.pack.Lookups[name]; ok {
		return l
	}
	for _, l := range s.pack.Lookups {
		if l.Filename == name {
			return l
		}
	}
	return nil
}

func (s *lookupSource) load(name string) (*engine.LookupTable, error) {
	l := s.find(name)
	switch {
	case l == nil:
		return nil, fmt.Errorf("lookup %s: %w", name, engine.ErrLookupNotFound)
	case l.Collection != "":
		return nil, fmt.Errorf("lookup %s is a KV store collection and is not supported", name)
	case strings.HasSuffix(l.Filename, ".mlmodel"):
		return nil, fmt.Errorf("lookup %s is a machine learning model and is not supported", name)
	case l.Filename == "":
		return nil, fmt.Errorf("lookup %s has neither a filename nor a collection", name)
	case s.pack.files == nil:
		return nil, fmt.Errorf("lookup %s: the pack has no files to read %s from", name, l.Filename)
	}
	def, err := l.Definition()
	if err != nil {
		return nil, err
	}
	file := path.Join(l.Dir, l.Filename)
	data, err := fs.ReadFile(s.pack.files, file)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %v", name, err)
	}
	records, err := readCSV(data)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %s: %v", name, file, err)
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("lookup %s: %s has no header line", name, file)
	}
	return engine.NewLookupTable(def, records[0], records[1:])
}

// Definition returns the lookup's matching rules.
func (l *Lookup) Definition() (engine.LookupDefinition, error) {
	def := engine.LookupDefinition{Name: l.Name, CaseSensitive: true}
	set := func(key, value string) error {
		if err := def.SetOption(key, value); err != nil {
			return fmt.Errorf("lookup %s: %v", l.Name, err)
		}
		return nil
	}
	if l.CaseSensitiveMatch != "" {
		if err := set("case_sensitive_match", l.CaseSensitiveMatch); err != nil {
			return def, err
		}
	}
	if l.MatchType != "" {
		if err := set("match_type", l.MatchType); err != nil {
			return def, err
		}
	}
	if l.MinMatches > 0 {
		if err := set("min_matches", strconv.Itoa(l.MinMatches)); err != nil {
			return def, err
		}
	}
	if l.MaxMatches > 0 {
		if err := set("max_matches", strconv.Itoa(l.MaxMatches)); err != nil {
			return def, err
		}
	}
	def.DefaultMatch = l.DefaultMatch
	return def, nil
}

// readCSV reads a lookup file: a UTF-8 byte order mark is skipped, rows
// may differ in length, and quotes inside unquoted cells are kept.
func readCSV(data []byte) ([][]string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	return r.ReadAll()
}
