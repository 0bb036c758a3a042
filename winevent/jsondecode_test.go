package winevent

import (
	"archive/zip"
	"bufio"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spelunk/spelunk/event"
)

func TestDecodeNXLogFixture(t *testing.T) {
	data := readFixture(t, "events-nxlog.json")
	events, problems := decodeBytes(t, FormatJSON, data)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(events) != 7 {
		t.Fatalf("got %d events, want 7", len(events))
	}
	e4 := events[3]
	// JSON values are taken as written: no XML escaping.
	wantField(t, e4, "ScriptBlockText", scriptWithEntities)
	wantField(t, e4, "EventCode", "4104")
	wantField(t, e4, "EventID", "4104")
	wantField(t, e4, "Computer", "MORDORDC.theshire.local")
	wantField(t, e4, "host", "MORDORDC.theshire.local")
	wantField(t, e4, "dest", "MORDORDC.theshire.local")
	wantField(t, e4, "Channel", "Microsoft-Windows-PowerShell/Operational")
	wantField(t, e4, "source", "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational")
	wantField(t, e4, "sourcetype", "XmlWinEventLog")
	wantField(t, e4, "UserID", "S-1-5-18")
	wantField(t, e4, "user_id", "S-1-5-18")
	wantField(t, e4, "EventRecordID", "128901")
	wantField(t, e4, "RecordNumber", "128901")
	wantField(t, e4, "Name", "Microsoft-Windows-PowerShell")
	wantField(t, e4, "Guid", "{A0C1853B-5C40-4B15-8766-3CF1C58F985A}")
	wantField(t, e4, "ProcessID", "5524")
	wantField(t, e4, "ExecutionProcessID", "5524")
	wantField(t, e4, "tags", "mordorDataset")
	wantField(t, e4, "signature_id", "4104")
	// EventTime 03:46:02 local with EventReceivedTime 03:46:03 local and
	// @timestamp 07:46:03.412Z give UTC 07:46:02.
	wantField(t, e4, "_time", "1600760762")
	// "Path":null gives no field; the collector's "host" key is dropped.
	wantNoField(t, e4, "Path")
	if hosts := e4.Values("host"); len(hosts) != 1 {
		t.Errorf("host = %q, want only the computer", hosts)
	}
	line := strings.Split(string(data), "\n")[3]
	wantField(t, e4, "_raw", line)
}

func TestDecodeWinlogbeatFixture(t *testing.T) {
	events, problems := decodeBytes(t, FormatJSON, readFixture(t, "events-winlogbeat.json"))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(events) != 7 {
		t.Fatalf("got %d events, want 7", len(events))
	}
	e4 := events[3]
	wantField(t, e4, "ScriptBlockText", scriptWithEntities)
	wantField(t, e4, "ScriptBlockId", "d4b8cfb1-daa2-48dd-9fa2-f3f5ef361a13")
	wantField(t, e4, "EventCode", "4104")
	wantField(t, e4, "EventID", "4104")
	wantField(t, e4, "Computer", "MORDORDC.theshire.local")
	wantField(t, e4, "host", "MORDORDC.theshire.local")
	wantField(t, e4, "Channel", "Microsoft-Windows-PowerShell/Operational")
	wantField(t, e4, "source", "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational")
	wantField(t, e4, "EventRecordID", "128901")
	wantField(t, e4, "RecordNumber", "128901")
	wantField(t, e4, "event_id", "128901")
	wantField(t, e4, "UserID", "S-1-5-18")
	wantField(t, e4, "Name", "Microsoft-Windows-PowerShell")
	wantField(t, e4, "ProcessID", "5524")
	wantField(t, e4, "ThreadID", "2528")
	wantField(t, e4, "ActivityID", "{ACAAA2B5-6AED-0001-E51E-2B41058DD601}")
	wantField(t, e4, "_time", "1600760762.9876543")
	wantField(t, e4, "host.name", "mordordc.theshire.local")
	wantField(t, e4, "winlog.user.name", "SYSTEM")
	msg, _ := e4.Value("Message")
	if !strings.HasPrefix(msg, "Creating Scriptblock text (1 of 1):\r\nif ($args") {
		t.Errorf("Message = %.60q", msg)
	}
	wantNoField(t, e4, "Path", "winlog.event_data.ScriptBlockText")
}

func TestDecodeJSONValues(t *testing.T) {
	text := `{"winlog":{"event_id":4625,"channel":"Security","computer_name":"dc1",` +
		`"event_data":{"IpList":["10.0.0.1","10.0.0.2"],"Count":12.50,"Flag":true,"Empty":"","Nothing":null,` +
		`"Nested":{"Inner":"v"},"Quote":"a \"b\" <c> & d"}},"@timestamp":"2024-01-02T03:04:05.123456789Z"}`
	events, problems := decodeString(t, FormatJSON, text+"\n")
	if len(problems) != 0 || len(events) != 1 {
		t.Fatalf("got %d events, %v", len(events), problems)
	}
	ev := events[0]
	wantField(t, ev, "IpList", "10.0.0.1", "10.0.0.2")
	wantField(t, ev, "Count", "12.50")
	wantField(t, ev, "Flag", "true")
	wantField(t, ev, "Nested.Inner", "v")
	wantField(t, ev, "Quote", `a "b" <c> & d`)
	wantField(t, ev, "EventCode", "4625")
	wantField(t, ev, "_time", "1704164645.1234567")
	wantNoField(t, ev, "Empty", "Nothing")
}

func TestDecodeJSONProblems(t *testing.T) {
	text := `{"EventID":1,"Channel":"System","Hostname":"a"}` + "\n" + // line 1: good
		"\n" + // line 2: blank, skipped silently
		`{"EventID":2,"Channel":` + "\n" + // line 3: invalid JSON
		`{"message":"hello"}` + "\n" + // line 4: not a Windows event
		`[1,2]` + "\n" + // line 5: not an object
		`{"EventID":3,"Channel":"System"} trailing` + "\n" + // line 6: data after the object
		`{"EventID":4,"Channel":"System","Hostname":"b"}` // line 7: good, no final newline
	events, problems := decodeString(t, FormatJSON, text)
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2", len(events))
	}
	wantField(t, events[1], "host", "b")
	want := []struct {
		line   int
		reason string
	}{{3, ReasonInvalidJSON}, {4, ReasonNotWindowsJSON}, {5, ReasonInvalidJSON}, {6, ReasonInvalidJSON}}
	if len(problems) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(problems), len(want), problems)
	}
	for i, w := range want {
		if problems[i].Line != w.line || problems[i].Reason != w.reason {
			t.Errorf("problem %d = line %d %q, want line %d %q", i, problems[i].Line, problems[i].Reason, w.line, w.reason)
		}
	}
	if problems[0].Offset != int64(len(`{"EventID":1,"Channel":"System","Hostname":"a"}`)+2) {
		t.Errorf("problem 0 offset = %d", problems[0].Offset)
	}
}

func TestNXLogTimeRules(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"zoned TimeCreated", `{"EventID":1,"Channel":"S","TimeCreated":"2022-08-03T04:42:44.346Z","@timestamp":"2022-08-03T04:42:45.000Z"}`, "1659501764.346"},
		{"local EventTime with arrival pair", `{"EventID":1,"Channel":"S","EventTime":"2020-09-22 03:45:15","EventReceivedTime":"2020-09-22 03:45:16","@timestamp":"2020-09-22T07:45:16.508Z"}`, "1600760715"},
		{"positive offset", `{"EventID":1,"Channel":"S","EventTime":"2020-09-22 09:15:15","EventReceivedTime":"2020-09-22 09:15:17","@timestamp":"2020-09-22T03:45:16.9Z"}`, "1600746315"},
		{"local EventTime without EventReceivedTime", `{"EventID":1,"Channel":"S","EventTime":"2020-09-22 03:45:15","@timestamp":"2020-09-22T07:45:16.508Z"}`, "1600760716.508"},
		{"zoneless TimeCreated only", `{"EventID":1,"Channel":"S","TimeCreated":"2020-10-18 07:50:06.220"}`, "1603007406.22"},
		{"no time", `{"EventID":1,"Channel":"S"}`, ""},
	}
	for _, tc := range tests {
		events, problems := decodeString(t, FormatJSON, tc.line)
		if len(events) != 1 || len(problems) != 0 {
			t.Fatalf("%s: got %d events, %v", tc.name, len(events), problems)
		}
		if tc.want == "" {
			wantNoField(t, events[0], "_time")
			continue
		}
		if got, _ := events[0].Value("_time"); got != tc.want {
			t.Errorf("%s: _time = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestDecodeOTRFCorpus reads real NXLog exports of three generations.
func TestDecodeOTRFCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus", "otrf")
	files := []string{
		"discovery_host_empire_getsession_dcerpc_smb_srvsvc_NetSessEnum.zip",    // EventTime, @timestamp, Logstash keys
		"defense_evasion_host_psh_stop_event_logging_controlset_minint_key.zip", // TimeCreated with Z
		"credential_access_host_psh_lsass_memory_dump_comsvcs.zip",              // TimeCreated without zone
	}
	for _, name := range files {
		zr, err := zip.OpenReader(filepath.Join(dir, name))
		if err != nil {
			t.Skipf("OTRF corpus not available: %v", err)
		}
		for _, f := range zr.File {
			if !strings.HasSuffix(f.Name, ".json") || strings.HasPrefix(f.Name, "__MACOSX") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			n, withTime, bad := 0, 0, 0
			err = Decode(bufio.NewReader(rc), FormatJSON, func(ev *event.Event) error {
				n++
				if ev.Has("_time") {
					withTime++
				}
				if !ev.Has("EventCode") || !ev.Has("host") || !strings.HasPrefix(firstValue(ev, "source"), "XmlWinEventLog:") {
					bad++
				}
				return nil
			}, func(p Problem) { t.Errorf("%s: %v", name, p) })
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 || withTime != n || bad != 0 {
				t.Errorf("%s: %d events, %d with _time, %d without EventCode/host/source", name, n, withTime, bad)
			}
		}
		zr.Close()
	}
}

func firstValue(ev *event.Event, name string) string {
	v, _ := ev.Value(name)
	return v
}
