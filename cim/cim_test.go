package cim

import (
	"reflect"
	"testing"

	"github.com/spelunk/spelunk/event"
)

func newEvent(fields map[string]string) *event.Event {
	e := &event.Event{}
	for k, v := range fields {
		e.Set(k, v)
	}
	return e
}

func TestFindPaths(t *testing.T) {
	cases := map[string]string{
		"Endpoint.Processes":      "Endpoint.Processes",
		"Endpoint.Registry":       "Endpoint.Registry",
		"Network_Traffic":         "Network_Traffic.All_Traffic",
		"Network_Resolution":      "Network_Resolution.DNS",
		"Authentication":          "Authentication.Authentication",
		"Change":                  "Change.All_Changes",
		"Alerts":                  "Alerts.Alerts",
		"Network_Traffic.Traffic": "",
		"Endpoint":                "", // several root datasets: a dataset must be named
		"endpoint.processes":      "",
	}
	for path, want := range cases {
		got := ""
		if d := Find(path); d != nil {
			got = d.Path()
		}
		if got != want {
			t.Errorf("Find(%q) = %q, expected %q", path, got, want)
		}
	}
}

func TestFindRegisteredElsewhere(t *testing.T) {
	d := &Dataset{Model: "Test_Risk", Name: "All_Test_Risk", Map: func(e *event.Event) []*event.Event { return []*event.Event{e} }}
	Register(d)
	if Find("Test_Risk.All_Test_Risk") != d {
		t.Error("Find by full path did not return the registered dataset")
	}
	if Find("Test_Risk") != d {
		t.Error("Find by model name did not return the model's only dataset")
	}
	replacement := &Dataset{Model: "Test_Risk", Name: "All_Test_Risk", Map: d.Map}
	Register(replacement)
	if Find("Test_Risk") != replacement {
		t.Error("a second registration of the same path did not replace the first")
	}
}

// recordFields returns a record's fields as a map of first values.
func recordFields(r *event.Event) map[string]string {
	out := map[string]string{}
	for _, f := range r.Fields {
		out[f.Name] = f.Values[0]
	}
	return out
}

func TestProcessesFromSysmonAnd4688(t *testing.T) {
	sysmon := newEvent(map[string]string{
		"_time": "1700000000", "host": "ws1", "Channel": sysmonChannel, "EventCode": "1",
		"Computer": "ws1", "User": `CORP\bob`, "Image": `C:\Windows\System32\whoami.exe`,
		"CommandLine": "whoami /all", "ParentImage": `C:\Windows\System32\cmd.exe`,
		"ParentCommandLine": "cmd.exe", "ProcessId": "100", "ParentProcessId": "99",
		"OriginalFileName": "-",
	})
	security := newEvent(map[string]string{
		"_time": "1700000000", "host": "ws1", "Channel": securityChannel, "EventCode": "4688",
		"Computer": "ws1", "SubjectUserName": "bob", "TargetUserName": "-",
		"NewProcessName": `C:\Windows\System32\whoami.exe`, "CommandLine": `"C:\Windows\System32\whoami.exe" /all`,
		"ParentProcessName": `C:\Windows\System32\cmd.exe`, "NewProcessId": "0x64", "ProcessId": "0x63",
	})
	d := Find("Endpoint.Processes")
	want := map[*event.Event]map[string]string{
		sysmon: {
			"dest": "ws1", "user": "bob", "process": "whoami /all", "process_name": "whoami.exe",
			"process_path": `C:\Windows\System32\whoami.exe`, "process_id": "100", "parent_process_id": "99",
			"parent_process": "cmd.exe", "parent_process_name": "cmd.exe", "original_file_name": "unknown",
		},
		security: {
			"dest": "ws1", "user": "bob", "process": `"C:\Windows\System32\whoami.exe" /all`, "process_name": "whoami.exe",
			"process_path": `C:\Windows\System32\whoami.exe`, "process_id": "0x64", "parent_process_id": "0x63",
			"parent_process": `C:\Windows\System32\cmd.exe`, "parent_process_name": "cmd.exe", "original_file_name": "unknown",
		},
	}
	for ev, fields := range want {
		recs := d.Map(ev)
		if len(recs) != 1 {
			t.Fatalf("event %s: %d records, expected 1", field(ev, "EventCode"), len(recs))
		}
		got := recordFields(recs[0])
		for k, v := range fields {
			if got[k] != v {
				t.Errorf("event %s: %s = %q, expected %q", field(ev, "EventCode"), k, got[k], v)
			}
		}
		for _, meta := range []string{"_time", "host"} {
			if got[meta] != field(ev, meta) {
				t.Errorf("event %s: %s = %q, expected it copied from the event", field(ev, "EventCode"), meta, got[meta])
			}
		}
	}
}

func TestProcessesIgnoresOtherEvents(t *testing.T) {
	d := Find("Endpoint.Processes")
	for _, ev := range []*event.Event{
		newEvent(map[string]string{"Channel": sysmonChannel, "EventCode": "3"}),
		newEvent(map[string]string{"Channel": securityChannel, "EventCode": "1"}),
		newEvent(map[string]string{"Channel": sysmonChannel}),
	} {
		if recs := d.Map(ev); len(recs) != 0 {
			t.Errorf("event %v gave %d records, expected none", ev.Fields, len(recs))
		}
	}
}

func TestChannelFromSource(t *testing.T) {
	ev := newEvent(map[string]string{"source": "XmlWinEventLog:" + sysmonChannel, "EventCode": "1", "Image": `C:\a.exe`})
	recs := Find("Endpoint.Processes").Map(ev)
	if len(recs) != 1 {
		t.Fatalf("%d records, expected 1 from the channel named in source", len(recs))
	}
}

func TestSplitDetails(t *testing.T) {
	cases := []struct{ in, typ, data string }{
		{"DWORD (0x00000001)", "DWORD", "0x00000001"},
		{"QWORD (0x01d776fd-0xd724b8c5)", "QWORD", "0x01d776fd-0xd724b8c5"},
		{"Binary Data", "", "Binary Data"},
		{`C:\Program Files (x86)\a.exe`, "", `C:\Program Files (x86)\a.exe`},
		{"(Empty)", "", "(Empty)"},
	}
	for _, c := range cases {
		typ, data := splitDetails(c.in)
		if typ != c.typ || data != c.data {
			t.Errorf("splitDetails(%q) = %q, %q; expected %q, %q", c.in, typ, data, c.typ, c.data)
		}
	}
}

func TestDNSAnswers(t *testing.T) {
	got := dnsAnswers("type:  5 edge.example.net;::ffff:93.184.216.34;2606:2800::1;")
	want := []string{"edge.example.net", "93.184.216.34", "2606:2800::1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dnsAnswers = %q, expected %q", got, want)
	}
	if got := dnsAnswers("-"); got != nil {
		t.Errorf("dnsAnswers(-) = %q, expected none", got)
	}
}

func TestSecurityProcessCommand(t *testing.T) {
	cases := []struct{ path, cmd, want string }{
		{`C:\Windows\System32\cmd.exe`, "cmd.exe /c whoami", `C:\Windows\System32\cmd.exe /c whoami`},
		{`C:\Program Files\X\a.exe`, "a.exe --ps2", `"C:\Program Files\X\a.exe" --ps2`},
		{`C:\X\a.exe`, `"C:\X\a.exe" --ps2`, `"C:\X\a.exe" --ps2`},
		{`C:\X\a.exe`, "a.exe", `C:\X\a.exe`},
	}
	for _, c := range cases {
		ev := newEvent(map[string]string{"NewProcessName": c.path, "CommandLine": c.cmd})
		if got := securityProcessCommand(ev); got != c.want {
			t.Errorf("process for %q, %q = %q, expected %q", c.path, c.cmd, got, c.want)
		}
	}
	ev := newEvent(map[string]string{"NewProcessName": `C:\X\a.exe`})
	if got := securityProcessCommand(ev); got != `C:\X\a.exe` {
		t.Errorf("process without command line = %q, expected the path", got)
	}
}

func BenchmarkProcessesMap(b *testing.B) {
	ev := newEvent(map[string]string{
		"_time": "1700000000", "host": "ws1", "source": "XmlWinEventLog:" + sysmonChannel, "Channel": sysmonChannel,
		"EventCode": "1", "Computer": "ws1", "User": `CORP\bob`, "Image": `C:\Windows\System32\whoami.exe`,
		"CommandLine": "whoami /all", "ParentImage": `C:\Windows\System32\cmd.exe`, "ParentCommandLine": "cmd.exe",
		"ProcessId": "100", "ParentProcessId": "99", "ProcessGuid": "{A}", "Hashes": "MD5=1", "IntegrityLevel": "High",
	})
	d := Find("Endpoint.Processes")
	b.ReportAllocs()
	for b.Loop() {
		if len(d.Map(ev)) != 1 {
			b.Fatal("no record")
		}
	}
}

func TestLogonApp(t *testing.T) {
	for logonType, want := range map[string]string{"2": "win:local", "3": "win:remote", "7": "win:local", "10": "win:remote", "11": "win:local", "": ""} {
		e := &event.Event{}
		if logonType != "" {
			e.Set("LogonType", logonType)
		}
		if got := logonApp(e); got != want {
			t.Errorf("LogonType %q: app %q, want %q", logonType, got, want)
		}
	}
}
