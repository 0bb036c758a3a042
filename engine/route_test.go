package engine

import (
	"reflect"
	"testing"

	"github.com/spelunk/spelunk/spl"
)

func TestQueryRoute(t *testing.T) {
	macros := spl.MacroMap{}
	macros.Add(&spl.Macro{Name: "powershell", Definition: `(source=WinEventLog:Microsoft-Windows-PowerShell/Operational OR source="XmlWinEventLog:Microsoft-Windows-PowerShell/Operational")`})
	cases := []struct {
		query string
		want  Route
	}{
		{"`powershell` EventCode=4104 ScriptBlockText=\"*Mutex*\" | stats count", Route{
			{{"source", "wineventlog:microsoft-windows-powershell/operational"}, {"source", "xmlwineventlog:microsoft-windows-powershell/operational"}},
			{{"EventCode", "4104"}},
		}},
		{`EventCode IN (4624, 4625) user=*`, Route{{{"EventCode", "4624"}, {"EventCode", "4625"}}}},
		{`src=10.0.0.0/8 EventCode=3`, Route{{{"EventCode", "3"}}}},
		{`EventCode=1 OR Image="*x"`, nil},
		{`NOT EventCode=1`, nil},
		{`index=main EventCode=7`, Route{{{"EventCode", "7"}}}},
		{`| tstats count from datamodel=Endpoint.Processes`, nil},
	}
	for _, c := range cases {
		q, err := CompileQuery(c.query, macros, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got := q.Route(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.query, got, c.want)
		}
	}
}
