package hunt

import (
	"reflect"
	"testing"
	"time"

	"github.com/spelunk/spelunk/content"
	"github.com/spelunk/spelunk/engine"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func TestRouterCandidates(t *testing.T) {
	analytics := []*content.Analytic{
		{Name: "a code", Search: `EventCode=4104 ScriptBlockText=*x*`},
		{Name: "b source", Search: `(source=XmlWinEventLog:System OR source=WinEventLog:System) EventCode IN (104, 7045)`},
		{Name: "c wildcard", Search: `Image="*\\cmd.exe"`},
	}
	h := New(analytics, spl.MacroMap{}, engine.Options{Now: time.Unix(0, 0)})
	r := newRouter(h.Analytics)
	cases := []struct {
		fields []string
		want   []int
	}{
		{[]string{"EventCode", "4104", "source", "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational"}, []int{2, 0}},
		{[]string{"EventCode", "7045", "source", "XmlWinEventLog:System"}, []int{2, 1}},
		{[]string{"EventCode", "104"}, []int{2, 1}},
		{[]string{"EventCode", "1", "Image", `C:\cmd.exe`}, []int{2}},
	}
	for _, c := range cases {
		e := &event.Event{}
		for i := 0; i < len(c.fields); i += 2 {
			e.Set(c.fields[i], c.fields[i+1])
		}
		if got := r.candidates(e); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: candidates %v, want %v", c.fields, got, c.want)
		}
	}
}
