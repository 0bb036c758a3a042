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
