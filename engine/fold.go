package engine

import "strings"

// Case-insensitive string search without allocating lower-case copies.
// Patterns are lower-case already; a window of the subject the same byte
// length as the pattern is compared with strings.EqualFold, which covers
// the text of Windows events (ASCII, and letters whose cases have equal
// UTF-8 lengths).

// indexFold returns the index of the first match of the lower-case
// pattern in s, ignoring case, or -1.
func indexFold(s, pattern string) int {
	n := len(pattern)
	if n == 0 {
		return 0
	}
	first := pattern[0]
	if first >= 0x80 {
		return strings.Index(strings.ToLower(s), pattern)
	}
	other := first
	if first >= 'a' && first <= 'z' {
		other = first - 'a' + 'A'
	}
	last := len(s) - n
	for i := 0; i <= last; {
		j := indexEitherByte(s[i:last+1], first, other)
		if j < 0 {
			return -1
		}
		i += j
		if strings.EqualFold(s[i:i+n], pattern) {
			return i
		}
		i++
	}
	return -1
}

// indexEitherByte returns the first index of a or b in s, or -1.
func indexEitherByte(s string, a, b byte) int {
	i := strings.IndexByte(s, a)
	if a == b {
		return i
	}
	limit := s
	if i >= 0 {
		limit = s[:i]
	}
	if j := strings.IndexByte(limit, b); j >= 0 {
		return j
	}
	return i
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// globMatchFold matches s against lower-case pattern pieces that were
// separated by `*`, ignoring case.
func globMatchFold(s string, parts []string) bool {
	first, last := parts[0], parts[len(parts)-1]
	if !hasPrefixFold(s, first) {
		return false
	}
	s = s[len(first):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := indexFold(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return hasSuffixFold(s, last)
}
