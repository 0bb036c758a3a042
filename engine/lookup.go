package engine

// LookupTable is a CSV lookup loaded into memory with its matching rules.
type LookupTable struct {
	Name   string
	Header []string
	Rows   [][]string
	// CaseSensitive matching (Splunk's default is true).
	CaseSensitive bool
	// Wildcard and CIDR list the columns matched by pattern or subnet.
	Wildcard []string
	CIDR     []string
	// MinMatches, MaxMatches and DefaultMatch follow transforms.conf.
	MinMatches   int
	MaxMatches   int
	DefaultMatch string
}
