package engine

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// RegexCache compiles each pattern once; it is safe for concurrent use.
type RegexCache struct {
	mu sync.Mutex
	m  map[string]regexResult
}

type regexResult struct {
	re  *regexp.Regexp
	err error
}

// NewRegexCache returns an empty cache.
func NewRegexCache() *RegexCache { return &RegexCache{m: map[string]regexResult{}} }

// Compile translates a PCRE pattern to Go's RE2 syntax and compiles it.
func (c *RegexCache) Compile(pattern string) (*regexp.Regexp, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.m[pattern]; ok {
		return r.re, r.err
	}
	re, err := CompilePCRE(pattern)
	c.m[pattern] = regexResult{re, err}
	return re, err
}

// CompilePCRE compiles a PCRE pattern after rewriting the PCRE-only
// spellings that have an RE2 equivalent: named groups (?<name>...) and
// \x{HHHH}. Constructs RE2 lacks (look-around, back-references,
// possessive quantifiers) fail by name.
func CompilePCRE(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '\\' && i+1 < len(pattern) {
			next := pattern[i+1]
			if next >= '1' && next <= '9' {
				return nil, fmt.Errorf("regex %q: back-reference \\%c is not supported", pattern, next)
			}
			b.WriteByte(c)
			b.WriteByte(next)
			i++
			continue
		}
		if c == '(' && strings.HasPrefix(pattern[i:], "(?<") && i+3 < len(pattern) && pattern[i+3] != '=' && pattern[i+3] != '!' {
			b.WriteString("(?P<")
			i += 2
			continue
		}
		if c == '(' && (strings.HasPrefix(pattern[i:], "(?=") || strings.HasPrefix(pattern[i:], "(?!") ||
			strings.HasPrefix(pattern[i:], "(?<=") || strings.HasPrefix(pattern[i:], "(?<!")) {
			return nil, fmt.Errorf("regex %q: look-around is not supported", pattern)
		}
		b.WriteByte(c)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("invalid regex %q: %v", pattern, err)
	}
	return re, nil
}
