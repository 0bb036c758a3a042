package engine

import (
	"strings"
	"testing"
)

func TestIndexFold(t *testing.T) {
	cases := []struct {
		s, pattern string
		want       int
	}{
		{"New-Object System.Threading.Mutex", "threading.mutex", 18},
		{"THREADING.MUTEX", "threading.mutex", 0},
		{"eeeeeE", "ee", 0},
		{"xxxE", "e", 3},
		{"abc", "abcd", -1},
		{"abc", "", 0},
		{"Ümlaut ümlaut", "ümlaut", 0},
		{"a\\Windows\\SYSTEM32", `\system32`, 9},
	}
	for _, c := range cases {
		if got := indexFold(c.s, c.pattern); got != c.want {
			t.Errorf("indexFold(%q, %q) = %d, want %d", c.s, c.pattern, got, c.want)
		}
	}
}

func TestGlobMatchFold(t *testing.T) {
	cases := []struct {
		s, pattern string
		want       bool
	}{
		{`C:\Windows\System32\CMD.exe`, `*\cmd.exe`, true},
		{`C:\Windows\System32\CMD.exe`, `c:\windows\*`, true},
		{`cmd.exe.bak`, `*cmd.exe`, false},
		{`abcabc`, `a*c*c`, true},
		{`ab`, `a*b*c`, false},
		{`aXbXc`, `*x*x*`, true},
	}
	for _, c := range cases {
		if got := globMatchFold(c.s, strings.Split(c.pattern, "*")); got != c.want {
			t.Errorf("globMatchFold(%q, %q) = %v, want %v", c.s, c.pattern, got, c.want)
		}
	}
}

func TestContainsGlob(t *testing.T) {
	cases := []struct {
		s, pattern string
		bounded    bool
		want       bool
	}{
		{"x mimikatz y", "*mimikatz*", false, true},
		{"x MIMIKATZ y", "mimikatz", true, true},
		{"xmimikatz y", "mimikatz", true, false},
		{"xmimikatz mimikatz", "mimikatz", true, true},
		{"a fooz foo", "*foo", true, true},
		{"a fooz fooy", "*foo", true, false},
		{"ab cd ef", "ab*ef", true, true},
		{"ab cd efg", "ab*ef", true, false},
		{"ab cd efg ef", "ab*ef", true, true},
		{"", "*", false, true},
	}
	for _, c := range cases {
		if got := containsGlob(c.s, strings.Split(c.pattern, "*"), c.bounded); got != c.want {
			t.Errorf("containsGlob(%q, %q, bounded=%v) = %v, want %v", c.s, c.pattern, c.bounded, got, c.want)
		}
	}
}

func TestLikeMatch(t *testing.T) {
	cases := []struct {
		s, pattern string
		want       bool
	}{
		{"E:", "%:", true},
		{`E:\x`, "%:", false},
		{"abc", "a_c", true},
		{"abc", "A_c", false},
		{"abcabc", "%b%c", true},
		{"100%", "100%", true},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%c", false},
		{"", "%", true},
		{"", "_", false},
		{"été", "_t_", true},
	}
	for _, c := range cases {
		if got := likeMatch(c.s, c.pattern); got != c.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", c.s, c.pattern, got, c.want)
		}
	}
}

func BenchmarkContainsGlobLongRaw(b *testing.B) {
	raw := strings.Repeat("<Data Name='CommandLine'>C:\\Windows\\system32\\cmd.exe /c whoami</Data>", 200)
	parts := strings.Split("*mimikatz*", "*")
	for b.Loop() {
		containsGlob(raw, parts, false)
	}
}
