package winevent

import (
	"strings"
	"testing"
)

// classic4688 is a process creation event in the classic layout, with
// LF line endings.
const classic4688 = `04/23/2024 08:48:30 AM
LogName=Security
EventCode=4688
EventType=0
ComputerName=ar-win-1.attackrange.local
SourceName=Microsoft Windows security auditing.
Type=Information
RecordNumber=432820
Keywords=Audit Success
TaskCategory=Process Creation
OpCode=Info
Message=A new process has been created.

Creator Subject:
	Security ID:		NT AUTHORITY\SYSTEM
	Account Name:		AR-WIN-1$
	Account Domain:		WORKGROUP
	Logon ID:		0x3E7

Target Subject:
	Security ID:		NULL SID
	Account Name:		-
	Account Domain:		-
	Logon ID:		0x0

Process Information:
	New Process ID:		0xf84
	New Process Name:	C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe
	Token Elevation Type:	%%1936
	Mandatory Label:		Mandatory Label\System Mandatory Level
	Creator Process ID:	0xb2c
	Creator Process Name:	C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe
	Process Command Line:	"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe" --ps2

Token Elevation Type indicates the type of token that was assigned to the new process in accordance with User Account Control policy.
`

func TestDecodeClassic4688(t *testing.T) {
	events, problems := decodeString(t, FormatClassic, classic4688+"\n"+classic4688)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2", len(events))
	}
	ev := events[0]
	want := map[string]string{
		"LogName": "Security", "EventCode": "4688", "EventType": "0",
		"ComputerName": "ar-win-1.attackrange.local", "SourceName": "Microsoft Windows security auditing.",
		"Type": "Information", "RecordNumber": "432820", "Keywords": "Audit Success",
		"TaskCategory": "Process Creation", "OpCode": "Info",
		"New_Process_ID":       "0xf84",
		"New_Process_Name":     `C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe`,
		"Token_Elevation_Type": "%%1936",
		"Mandatory_Label":      `Mandatory Label\System Mandatory Level`,
		"Creator_Process_ID":   "0xb2c",
		"Creator_Process_Name": `C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe`,
		"Process_Command_Line": `"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe" --ps2`,
		"source":               "WinEventLog:Security", "sourcetype": "WinEventLog",
		"host": "ar-win-1.attackrange.local", "dest": "ar-win-1.attackrange.local",
		"signature_id": "4688", "id": "432820", "category": "Process Creation",
		"vendor_product": "Microsoft Windows",
		"_time":          "1713862110",
	}
	for name, value := range want {
		wantField(t, ev, name, value)
	}
	// A label in two sections becomes multivalue, in order.
	wantField(t, ev, "Account_Name", "AR-WIN-1$", "-")
	wantField(t, ev, "Security_ID", `NT AUTHORITY\SYSTEM`, "NULL SID")
	wantField(t, ev, "Logon_ID", "0x3E7", "0x0")
	// Section headings have no value; the closing sentence has no label.
	wantNoField(t, ev, "Creator_Subject", "Process_Information", "Token_Elevation_Type_indicates")

	msg, _ := ev.Value("Message")
	wantMsg := classic4688[strings.Index(classic4688, "Message=")+len("Message="):]
	wantMsg = strings.TrimRight(wantMsg, "\n")
	if msg != wantMsg {
		t.Errorf("Message = %q\nwant %q", msg, wantMsg)
	}
	wantField(t, ev, "_raw", strings.TrimRight(classic4688, "\n"))
	wantField(t, events[1], "_raw", strings.TrimRight(classic4688, "\n"))
}

func TestDecodeClassicFixture(t *testing.T) {
	events, problems := decodeBytes(t, FormatClassic, readFixture(t, "events-classic.txt"))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(events) != 7 {
		t.Fatalf("got %d events, want 7", len(events))
	}
	e1 := events[0]
	wantField(t, e1, "Message", "Creating Scriptblock text (1 of 1):\r\n"+
		`$mtx = New-Object System.Threading.Mutex($false, 'Global\SpelunkMutex'); if (-not $mtx.WaitOne(0)) { exit }`+
		"\r\n\r\nScriptBlock ID: e60123ac-d637-4827-be60-3ed55801733d\r\nPath: ")
	wantField(t, e1, "ScriptBlock_ID", "e60123ac-d637-4827-be60-3ed55801733d")
	wantField(t, e1, "User", `SEC511\student`)
	wantField(t, e1, "ComputerName", "SEC511")
	wantField(t, e1, "LogName", "Microsoft-Windows-PowerShell/Operational")
	wantField(t, e1, "source", "WinEventLog:Microsoft-Windows-PowerShell/Operational")
	wantField(t, e1, "_time", "1504121104")
	wantNoField(t, e1, "Path", "ScriptBlockText")

	// The script text stays unescaped in the classic form.
	msg, _ := events[3].Value("Message")
	if !strings.Contains(msg, scriptWithEntities+"\r\n") {
		t.Errorf("Message of E4 = %q", msg)
	}
	wantField(t, events[5], "source", "WinEventLog:PowerShellCore/Operational")
}

func TestDecodeClassicTimestamps(t *testing.T) {
	tests := []struct{ line, want string }{
		{"08/30/2017 07:25:04 PM", "1504121104"},
		{"08/30/2017 12:05:04 AM", "1504051504"},
		{"8/30/2017 7:25:04 PM", "1504121104"},
		{"08/30/2017 19:25:04", "1504121104"},
		{"2017-08-30T19:25:04.1743494", "1504121104.1743494"},
		{"2017-08-30T21:25:04+02:00", "1504121104"},
		{"2017-08-30 19:25:04", "1504121104"},
	}
	for _, tc := range tests {
		events, _ := decodeString(t, FormatClassic, tc.line+"\nLogName=System\nEventCode=1\nMessage=x\n")
		if len(events) != 1 {
			t.Fatalf("%q: got %d events", tc.line, len(events))
		}
		wantField(t, events[0], "_time", tc.want)
	}
}

func TestDecodeClassicMessageTimestampLine(t *testing.T) {
	// A message line that starts with a 12-hour timestamp starts an event,
	// as Splunk breaks such text; a 24-hour timestamp line does not unless
	// a LogName= line follows it.
	text := "08/30/2017 07:25:04 PM\nLogName=System\nEventCode=1\nMessage=first line\n" +
		"08/30/2017 07:25:05 PM tail text\nlast line\n" +
		"08/30/2017 19:25:06\nmore message\n" +
		"08/30/2017 07:25:07 PM\nLogName=System\nEventCode=2\nMessage=second\n"
	events, problems := decodeString(t, FormatClassic, text)
	if len(problems) != 0 || len(events) != 3 {
		t.Fatalf("got %d events, %v", len(events), problems)
	}
	wantField(t, events[0], "Message", "first line")
	wantField(t, events[1], "_time", "1504121105")
	wantField(t, events[1], "_raw", "08/30/2017 07:25:05 PM tail text\nlast line\n08/30/2017 19:25:06\nmore message")
	if events[1].Has("EventCode") || events[1].Has("source") {
		t.Errorf("split-off event has header fields: %v", events[1].Fields)
	}
	wantField(t, events[2], "EventCode", "2")
}

func TestDecodeClassicDamagedRecordsKept(t *testing.T) {
	text := "08/30/2017 07:25:04 PM\nLogName=System\nEventCode=1\nMessage=good\n" +
		"13/45/2017 99:99:99 PM\nLogName=System\nEventCode=2\nMessage=bad date\n" +
		"08/30/2017 07:25:06 PM\nLogName=System\nMessage=no code\n" +
		"08/30/2017 07:25:07 PM\ngarbage line without equals\nLogName=System\nEventCode=4\nMessage=garbage first\n" +
		"08/30/2017 07:25:08 PM\n" +
		"08/30/2017 07:25:09 PM\nLogName=System\nEventCode=6\nMessage=last\n"
	events, problems := decodeString(t, FormatClassic, text)
	if len(problems) != 0 {
		t.Errorf("problems = %v, want none", problems)
	}
	if len(events) != 6 {
		t.Fatalf("got %d events, want 6", len(events))
	}
	for i, ev := range events {
		if msg, _ := ev.Value("Message"); strings.Contains(msg, "PM") {
			t.Errorf("event %d swallowed another record: Message %q", i, msg)
		}
	}
	if events[1].Has("_time") {
		t.Errorf("event with an invalid date has _time")
	}
	wantField(t, events[1], "EventCode", "2")
	if events[2].Has("EventCode") {
		t.Errorf("event without EventCode gained one")
	}
	wantField(t, events[2], "Message", "no code")
	wantField(t, events[3], "EventCode", "4")
	wantField(t, events[3], "source", "WinEventLog:System")
	wantField(t, events[4], "_raw", "08/30/2017 07:25:08 PM")
	wantField(t, events[4], "_time", "1504121108")
	wantField(t, events[5], "EventCode", "6")
}

func TestDecodeClassicStrayText(t *testing.T) {
	text := "junk before\nmore junk\n08/30/2017 07:25:04 PM\nLogName=System\nEventCode=1\nMessage=x\n"
	events, problems := decodeString(t, FormatClassic, text)
	if len(events) != 1 {
		t.Fatalf("got %d events", len(events))
	}
	if len(problems) != 1 || problems[0].Line != 1 || problems[0].Reason != ReasonStrayText {
		t.Errorf("problems = %v, want one stray-text problem at line 1", problems)
	}
}

func TestCleanKey(t *testing.T) {
	tests := map[string]string{
		"\tAccount Name":                     "Account_Name",
		"Subject ":                           "Subject_",
		"Creating Scriptblock text (1 of 1)": "Creating_Scriptblock_text__1_of_1_",
		"2nd try":                            "nd_try",
		"CommandInvocation(New-Object)":      "CommandInvocation_New_Object_",
		"___":                                "",
	}
	for in, want := range tests {
		if got := cleanKey(in); got != want {
			t.Errorf("cleanKey(%q) = %q, want %q", in, got, want)
		}
	}
}
