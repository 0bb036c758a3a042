package winevent

import (
	"slices"
	"strings"
	"testing"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/winxml"
)

// security4688 is the example_log of security_content's
// windows_event_log_security_4688 data source.
const security4688 = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4688</EventID><Version>2</Version><Level>0</Level><Task>13312</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2024-04-23T08:48:30.449376800Z'/><EventRecordID>432820</EventRecordID><Correlation/><Execution ProcessID='4' ThreadID='276'/><Channel>Security</Channel><Computer>ar-win-1</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>NT AUTHORITY\SYSTEM</Data><Data Name='SubjectUserName'>AR-WIN-1$</Data><Data Name='SubjectDomainName'>WORKGROUP</Data><Data Name='SubjectLogonId'>0x3e7</Data><Data Name='NewProcessId'>0xf84</Data><Data Name='NewProcessName'>C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe</Data><Data Name='TokenElevationType'>%%1936</Data><Data Name='ProcessId'>0xb2c</Data><Data Name='CommandLine'>"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe" --ps2</Data><Data Name='TargetUserSid'>NULL SID</Data><Data Name='TargetUserName'>-</Data><Data Name='TargetDomainName'>-</Data><Data Name='TargetLogonId'>0x0</Data><Data Name='ParentProcessName'>C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe</Data><Data Name='MandatoryLabel'>Mandatory Label\System Mandatory Level</Data></EventData></Event>`

// system7045 is shortened from security_content's
// windows_event_log_system_7045 example_log.
const system7045 = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7045</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2024-03-04T10:11:25.483986000Z'/><EventRecordID>168145</EventRecordID><Correlation/><Execution ProcessID='592' ThreadID='1712'/><Channel>System</Channel><Computer>ar-win-dc.attackrange.local</Computer><Security UserID='S-1-5-21-3344543075-1022232225-2459664213-500'/></System><EventData><Data Name='ServiceName'>KrbSCM</Data><Data Name='ImagePath'>powershell.exe -nop</Data><Data Name='ServiceType'>user mode service</Data><Data Name='StartType'>demand start</Data><Data Name='AccountName'>LocalSystem</Data></EventData></Event>`

// security1102 is security_content's windows_event_log_security_1102
// example_log.
const security1102 = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Eventlog' Guid='{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}'/><EventID>1102</EventID><Version>0</Version><Level>4</Level><Task>104</Task><Opcode>0</Opcode><Keywords>0x4020000000000000</Keywords><TimeCreated SystemTime='2024-03-05T09:18:29.313328400Z'/><EventRecordID>1826166</EventRecordID><Correlation/><Execution ProcessID='412' ThreadID='1072'/><Channel>Security</Channel><Computer>ar-win-dc.attackrange.local</Computer><Security/></System><UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'><SubjectUserSid>ATTACKRANGE\Administrator</SubjectUserSid><SubjectUserName>Administrator</SubjectUserName><SubjectDomainName>ATTACKRANGE</SubjectDomainName><SubjectLogonId>0x34a3a27</SubjectLogonId></LogFileCleared></UserData></Event>`

func mustParse(t *testing.T, xml string) *winxml.Node {
	t.Helper()
	root, err := ParseEvent([]byte(xml))
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}
	return root
}

func wantField(t *testing.T, ev *event.Event, name string, want ...string) {
	t.Helper()
	if got := ev.Values(name); !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", name, got, want)
	}
}

func wantNoField(t *testing.T, ev *event.Event, names ...string) {
	t.Helper()
	for _, name := range names {
		if got := ev.Values(name); got != nil {
			t.Errorf("%s = %q, want no field", name, got)
		}
	}
}

func TestFromNodeSecurity4688(t *testing.T) {
	ev := FromNode(mustParse(t, security4688))
	want := map[string]string{
		"EventCode": "4688", "EventID": "4688", "Version": "2", "Level": "0", "Task": "13312",
		"Opcode": "0", "Keywords": "0x8020000000000000", "EventRecordID": "432820",
		"RecordNumber": "432820", "event_id": "432820", "id": "432820",
		"Channel": "Security", "Computer": "ar-win-1", "dvc": "ar-win-1", "dest": "ar-win-1",
		"Name":       "Microsoft-Windows-Security-Auditing",
		"Guid":       "{54849625-5478-4994-A5BA-3E3B0328C30D}",
		"SystemTime": "2024-04-23T08:48:30.449376800Z", "ProcessID": "4", "ThreadID": "276",
		"SubjectUserSid": `NT AUTHORITY\SYSTEM`, "SubjectUserName": "AR-WIN-1$",
		"SubjectDomainName": "WORKGROUP", "SubjectLogonId": "0x3e7", "NewProcessId": "0xf84",
		"NewProcessName":     `C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe`,
		"TokenElevationType": "%%1936", "ProcessId": "0xb2c",
		"CommandLine":   `"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe" --ps2`,
		"TargetUserSid": "NULL SID", "TargetUserName": "-", "TargetDomainName": "-",
		"TargetLogonId":     "0x0",
		"ParentProcessName": `C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe`,
		"MandatoryLabel":    `Mandatory Label\System Mandatory Level`,
		"signature_id":      "4688", "vendor_product": "Microsoft Windows",
		"host": "ar-win-1", "dvc_nt_host": "ar-win-1",
		"source": "XmlWinEventLog:Security", "sourcetype": "XmlWinEventLog",
		"_time": "1713862110.4493768",
	}
	for name, value := range want {
		wantField(t, ev, name, value)
	}
	// <Security/> has no UserID and <Correlation/> no ActivityID.
	wantNoField(t, ev, "UserID", "user_id", "ActivityID", "Qualifiers", "Security", "Correlation")
}

func TestFromNodeSecurity4688ProcessFields(t *testing.T) {
	ev := FromNode(mustParse(t, security4688))
	want := map[string]string{
		"src_user":                       "AR-WIN-1$",
		"user":                           "AR-WIN-1$",
		"new_process":                    `C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe`,
		"new_process_name":               "splunk-powershell.exe",
		"process_name":                   "splunk-powershell.exe",
		"process_exec":                   "splunk-powershell.exe",
		"process_path":                   `C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe`,
		"Process_Command_Line":           `"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe" --ps2`,
		"process_command_line_process":   `"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe"`,
		"process_command_line_arguments": "--ps2",
		"process":                        `"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe" --ps2`,
		"process_id":                     "0xf84",
		"parent_process_id":              "0xb2c",
		"parent_process":                 `C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe`,
		"parent_process_name":            "splunkd.exe",
		"parent_process_path":            `C:\Program Files\SplunkUniversalForwarder\bin\splunkd.exe`,
		"action":                         "allowed",
	}
	for name, value := range want {
		wantField(t, ev, name, value)
	}
}

func TestProcessFromBareCommandLine(t *testing.T) {
	xml := strings.Replace(security4688,
		`"C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe" --ps2`, `cmd.exe /c whoami`, 1)
	xml = strings.Replace(xml, `C:\Program Files\SplunkUniversalForwarder\bin\splunk-powershell.exe`,
		`C:\Windows\System32\cmd.exe`, 1)
	ev := FromNode(mustParse(t, xml))
	wantField(t, ev, "process", `C:\Windows\System32\cmd.exe /c whoami`)
	wantField(t, ev, "process_command_line_process", "cmd.exe")
	wantField(t, ev, "process_command_line_arguments", "/c whoami")
}

func TestFromNodeQualifiersHideEventID(t *testing.T) {
	ev := FromNode(mustParse(t, system7045))
	wantNoField(t, ev, "EventID")
	wantField(t, ev, "EventCode", "7045")
	wantField(t, ev, "signature_id", "7045")
	wantField(t, ev, "Qualifiers", "16384")
	wantField(t, ev, "EventSourceName", "Service Control Manager")
	wantField(t, ev, "UserID", "S-1-5-21-3344543075-1022232225-2459664213-500")
	wantField(t, ev, "user_id", "S-1-5-21-3344543075-1022232225-2459664213-500")
	wantField(t, ev, "service", "KrbSCM")
	wantField(t, ev, "service_name", "KrbSCM")
	wantField(t, ev, "source", "XmlWinEventLog:System")
	// process_name aliases ProcessName outside 4688; there is none here.
	wantNoField(t, ev, "process_name", "process")
}

func TestFromNodeUserDataLeaves(t *testing.T) {
	ev := FromNode(mustParse(t, security1102))
	wantField(t, ev, "SubjectUserSid", `ATTACKRANGE\Administrator`)
	wantField(t, ev, "SubjectUserName", "Administrator")
	wantField(t, ev, "SubjectDomainName", "ATTACKRANGE")
	wantField(t, ev, "SubjectLogonId", "0x34a3a27")
	wantField(t, ev, "UserData_Xml", "<LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'>"+
		`<SubjectUserSid>ATTACKRANGE\Administrator</SubjectUserSid><SubjectUserName>Administrator</SubjectUserName>`+
		"<SubjectDomainName>ATTACKRANGE</SubjectDomainName><SubjectLogonId>0x34a3a27</SubjectLogonId></LogFileCleared>")
	wantNoField(t, ev, "LogFileCleared", "xmlns", "EventData_Xml")
}

func TestFromNodeBlocks(t *testing.T) {
	ev := FromNode(mustParse(t, security1102))
	sys, _ := ev.Value("System_Props_Xml")
	if !strings.HasPrefix(sys, "<Provider Name='Microsoft-Windows-Eventlog'") || !strings.HasSuffix(sys, "<Security/>") {
		t.Errorf("System_Props_Xml = %q", sys)
	}
	ev = FromNode(mustParse(t, security4688))
	data, _ := ev.Value("EventData_Xml")
	if !strings.HasPrefix(data, "<Data Name='SubjectUserSid'>") || !strings.HasSuffix(data, "Mandatory Level</Data>") {
		t.Errorf("EventData_Xml = %q", data)
	}
}

func TestFromNodeEscapingKept(t *testing.T) {
	xml := `<Event><System><EventID>4104</EventID><Channel>Microsoft-Windows-PowerShell/Operational</Channel></System>` +
		`<EventData><Data Name='ScriptBlockText'>if ($a -lt 1) { "x" 2&gt;&amp;1 &lt;y&gt; 'q' }</Data></EventData></Event>`
	ev := FromNode(mustParse(t, xml))
	wantField(t, ev, "ScriptBlockText", `if ($a -lt 1) { "x" 2&gt;&amp;1 &lt;y&gt; 'q' }`)
}

func TestFromNodeEmptyDataGivesNoField(t *testing.T) {
	xml := `<Event><System><EventID>4104</EventID></System><EventData>` +
		`<Data Name='Path'></Data><Data Name='Other'/><Data Name='Kept'> </Data><Data>unnamed</Data>` +
		`<Binary>00FF</Binary></EventData></Event>`
	ev := FromNode(mustParse(t, xml))
	wantNoField(t, ev, "Path", "Other", "Data", "Binary")
	wantField(t, ev, "Kept", " ")
}

func TestFromNodeMultivalue(t *testing.T) {
	xml := `<Event><System><EventID>4625</EventID></System><EventData>` +
		`<Data Name='Ip'>10.0.0.1</Data><Data Name='User'>a</Data><Data Name='Ip'>10.0.0.2</Data></EventData></Event>`
	ev := FromNode(mustParse(t, xml))
	wantField(t, ev, "Ip", "10.0.0.1", "10.0.0.2")
	wantField(t, ev, "User", "a")

	// An EVTX string array substitution gives several text entries.
	root := mustParse(t, `<Event><System><EventID>1</EventID></System><EventData><Data Name='List'>x</Data></EventData></Event>`)
	root.Child("EventData").Children[0].Text = []string{"one", "", "two"}
	ev = FromNode(root)
	wantField(t, ev, "List", "one", "two")
}

func TestFromNodeRenderingInfoMessage(t *testing.T) {
	xml := `<Event><System><EventID>4104</EventID></System><RenderingInfo Culture='en-US'>` +
		`<Message>Creating Scriptblock text (1 of 1):&#13;&#10;x &amp; y</Message><Level>Verbose</Level></RenderingInfo></Event>`
	ev := FromNode(mustParse(t, xml))
	wantField(t, ev, "Message", "Creating Scriptblock text (1 of 1):&#13;&#10;x &amp; y")
	wantField(t, ev, "Level") // RenderingInfo's Level is not the System Level.
	wantField(t, ev, "RenderingInfo_Xml", "<Message>Creating Scriptblock text (1 of 1):&#13;&#10;x &amp; y</Message><Level>Verbose</Level>")
}

func TestFromNodeTimePrecision(t *testing.T) {
	tests := []struct{ systemTime, want string }{
		{"2017-08-30T19:25:04.1743494Z", "1504121104.1743494"},
		{"2024-04-23T08:48:30.449376800Z", "1713862110.4493768"},
		{"2024-04-23T08:48:30Z", "1713862110"},
		{"2024-04-23T10:48:30.5+02:00", "1713862110.5"},
	}
	for _, tc := range tests {
		ev := FromNode(mustParse(t, `<Event><System><TimeCreated SystemTime='`+tc.systemTime+`'/></System></Event>`))
		wantField(t, ev, "_time", tc.want)
	}
	ev := FromNode(mustParse(t, `<Event><System><EventID>1</EventID></System></Event>`))
	wantNoField(t, ev, "_time")
	ev = FromNode(mustParse(t, `<Event><System><TimeCreated SystemTime='yesterday'/></System></Event>`))
	wantNoField(t, ev, "_time")
}

func TestFromNodeRawRendersTree(t *testing.T) {
	for _, xml := range []string{security4688, system7045, security1102} {
		root := mustParse(t, xml)
		want := root.String()
		ev := FromNode(root)
		// The tree may be reused once FromNode returns.
		root.Children = nil
		root.Name = "Changed"
		raw, _ := ev.Value(event.RawField)
		if raw != want {
			t.Errorf("_raw = %q\nwant %q", raw, want)
		}
		if raw != xml {
			t.Errorf("_raw differs from the Splunk-style input:\n%q\n%q", raw, xml)
		}
	}
}
