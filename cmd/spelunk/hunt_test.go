package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns stdout, stderr
// and the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

func decodeHuntRows(t *testing.T, out string) []huntRow {
	t.Helper()
	var rows []huntRow
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r huntRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	return rows
}

var fixtures = filepath.Join("..", "..", "testdata", "powershell")

// Expected rows of the 2024 form, from testdata/powershell/EXPECTED.md.
const (
	mordorScript = `$m = [system.threading.mutex]::new($true, "Global\mordor"); $m.ReleaseMutex()`
	sec511Script = `$mtx = New-Object System.Threading.Mutex($false, 'Global\SpelunkMutex'); if (-not $mtx.WaitOne(0)) { exit }`
	escapedXML   = `if ($args.Count -lt 1) { $null = New-Object Threading.Mutex($false, "Local\&lt;spelunk&gt;") }; whoami 2&gt;&amp;1 | Out-Null`
	plainJSON    = `if ($args.Count -lt 1) { $null = New-Object Threading.Mutex($false, "Local\<spelunk>") }; whoami 2>&1 | Out-Null`
	sec511SID    = "S-1-5-21-1552841522-3835366585-4197357653-1001"
)

func expected2024(thirdScript string) []map[string]any {
	return []map[string]any{
		{"EventCode": "4104", "ScriptBlockText": mordorScript, "dest": "MORDORDC.theshire.local", "user": "S-1-5-18", "count": "1", "firstTime": "2020-09-22T07:45:15", "lastTime": "2020-09-22T07:45:15"},
		{"EventCode": "4104", "ScriptBlockText": sec511Script, "dest": "SEC511", "user": sec511SID, "count": "2", "firstTime": "2017-08-30T19:25:04", "lastTime": "2017-08-30T19:25:20"},
		{"EventCode": "4104", "ScriptBlockText": thirdScript, "dest": "MORDORDC.theshire.local", "user": "S-1-5-18", "count": "1", "firstTime": "2020-09-22T07:46:02", "lastTime": "2020-09-22T07:46:02"},
	}
}

func TestHuntThreadMutexEveryFormat(t *testing.T) {
	cases := map[string]string{
		"events.xml":             escapedXML,
		"events-wevtutil.xml":    escapedXML,
		"events.xml.gz":          escapedXML,
		"events-nxlog.json":      plainJSON,
		"events-nxlog.zip":       plainJSON,
		"events-winlogbeat.json": plainJSON,
	}
	for file, third := range cases {
		t.Run(file, func(t *testing.T) {
			out, errOut, code := runCLI(t, "hunt", "--analytic", "PowerShell Creating Thread Mutex", "--format", "jsonl", filepath.Join(fixtures, file))
			if code != exitOK {
				t.Fatalf("exit code %d, stderr:\n%s", code, errOut)
			}
			rows := decodeHuntRows(t, out)
			var fields []map[string]any
			for _, r := range rows {
				fields = append(fields, r.Fields)
			}
			if want := expected2024(third); !reflect.DeepEqual(fields, want) {
				t.Errorf("rows:\n got %v\nwant %v", fields, want)
			}
			if !strings.Contains(errOut, "read 1 file, 7 events") {
				t.Errorf("summary does not count 1 file and 7 events:\n%s", errOut)
			}
		})
	}
}

func TestHuntRowMetadata(t *testing.T) {
	out, errOut, code := runCLI(t, "hunt", "--format", "jsonl", "--analytic", "637557ec-ca08-11eb-bd0a-acde48001122", filepath.Join(fixtures, "events.xml"))
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, errOut)
	}
	rows := decodeHuntRows(t, out)
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	r := rows[1]
	if r.Analytic != "PowerShell Creating Thread Mutex" || r.AnalyticID != "637557ec-ca08-11eb-bd0a-acde48001122" {
		t.Errorf("analytic = %q %q", r.Analytic, r.AnalyticID)
	}
	wantRisk := `[{"object":"SEC511","object_type":"system","score":40,"field":"dest"},{"object":"` + sec511SID + `","object_type":"user","score":40,"field":"user"}]`
	if got, _ := json.Marshal(r.Risk); string(got) != wantRisk {
		t.Errorf("risk = %s\nwant %s", got, wantRisk)
	}
	if r.Message != "A suspicious powershell script contains Thread Mutex on host SEC511" {
		t.Errorf("message = %q", r.Message)
	}
	if !reflect.DeepEqual(r.MitreAttack, []string{"T1027", "T1027.005", "T1059.001"}) {
		t.Errorf("mitre_attack = %v", r.MitreAttack)
	}
	if !reflect.DeepEqual(r.Stories, []string{"Malicious PowerShell"}) {
		t.Errorf("stories = %v", r.Stories)
	}
}

func TestHunt2021FormOnClassicText(t *testing.T) {
	out, errOut, code := runCLI(t, "hunt", "--content", filepath.Join("testdata", "content2021"), "--format", "jsonl", filepath.Join(fixtures, "events-classic.txt"))
	if code != exitOK {
		t.Fatalf("exit code %d: %s", code, errOut)
	}
	rows := decodeHuntRows(t, out)
	msg := func(script, id string) string {
		return "Creating Scriptblock text (1 of 1):\r\n" + script + "\r\n\r\nScriptBlock ID: " + id + "\r\nPath: "
	}
	want := []map[string]any{
		{"EventCode": "4104", "Message": msg(mordorScript, "eb65ba93-f144-4228-988d-c608e1994bae"), "ComputerName": "MORDORDC.theshire.local", "User": `NT AUTHORITY\SYSTEM`, "count": "1", "firstTime": "09/22/2020 07:45:15", "lastTime": "09/22/2020 07:45:15"},
		{"EventCode": "4104", "Message": msg(sec511Script, "e60123ac-d637-4827-be60-3ed55801733d"), "ComputerName": "SEC511", "User": `SEC511\student`, "count": "2", "firstTime": "08/30/2017 19:25:04", "lastTime": "08/30/2017 19:25:20"},
		{"EventCode": "4104", "Message": msg(plainJSON, "d4b8cfb1-daa2-48dd-9fa2-f3f5ef361a13"), "ComputerName": "MORDORDC.theshire.local", "User": `NT AUTHORITY\SYSTEM`, "count": "1", "firstTime": "09/22/2020 07:46:02", "lastTime": "09/22/2020 07:46:02"},
	}
	var fields []map[string]any
	for _, r := range rows {
		fields = append(fields, r.Fields)
	}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("rows:\n got %q\nwant %q", fields, want)
	}
	if len(rows) == 3 && rows[0].Message != "A suspicious powershell script contains Thread Mutex on host MORDORDC.theshire.local" {
		t.Errorf("message = %q", rows[0].Message)
	}
}

func TestHunt2024FormIgnoresClassicText(t *testing.T) {
	out, errOut, code := runCLI(t, "hunt", "--format", "jsonl", "--analytic", "PowerShell Creating Thread Mutex", filepath.Join(fixtures, "events-classic.txt"))
	if code != exitOK || strings.TrimSpace(out) != "" {
		t.Errorf("want no rows and exit 0, got exit %d, stdout %q, stderr %s", code, out, errOut)
	}
}

func TestHuntFolderReadsEveryFormat(t *testing.T) {
	out, errOut, code := runCLI(t, "hunt", "--format", "jsonl", "--analytic", "PowerShell Creating Thread Mutex", fixtures)
	// EXPECTED.md is not a log file: the run reports it and goes on.
	if code != exitOK {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitOK, errOut)
	}
	if !strings.Contains(errOut, "no known format") || !strings.Contains(errOut, "EXPECTED.md") {
		t.Errorf("summary does not report EXPECTED.md as unrecognised:\n%s", errOut)
	}
	rows := decodeHuntRows(t, out)
	counts := map[string]int{}
	for _, r := range rows {
		n, err := strconv.Atoi(r.Fields["count"].(string))
		if err != nil {
			t.Fatalf("count %v: %v", r.Fields["count"], err)
		}
		counts[r.Fields["dest"].(string)] += n
	}
	// Six files with the 4104 events of the three matching scripts: per
	// file, SEC511 contributes 2 events and MORDORDC 2.
	if counts["SEC511"] != 12 || counts["MORDORDC.theshire.local"] != 12 {
		t.Errorf("event counts per host = %v, want 12 each", counts)
	}
}

func TestSearchCommandCSV(t *testing.T) {
	out, errOut, code := runCLI(t, "search", `EventCode=4104 | stats count by Computer Channel`, filepath.Join(fixtures, "events.xml"), "--format", "csv")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "Computer,Channel,count\n" +
		"MORDORDC.theshire.local,Microsoft-Windows-PowerShell/Operational,3\n" +
		"SEC511,Microsoft-Windows-PowerShell/Operational,2\n" +
		"SEC511,PowerShellCore/Operational,1\n"
	if out != want {
		t.Errorf("csv:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(errOut, "3 results") {
		t.Errorf("summary lacks the result count:\n%s", errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{"hunt"},
		{"hunt", "--format", "xml", "x"},
		{"hunt", "--analytic", "No Such Analytic", fixtures},
		{"search", "| frobnicate", fixtures},
		{"nosuchcommand"},
	}
	for _, args := range cases {
		_, errOut, code := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %s)", args, code, exitUsage, errOut)
		}
		if errOut == "" {
			t.Errorf("%v: no message on stderr", args)
		}
	}
	_, errOut, _ := runCLI(t, "search", "a=1 | frobnicate", fixtures)
	if !strings.Contains(errOut, "1:7: command frobnicate is not supported") || !strings.Contains(errOut, "      ^") {
		t.Errorf("query error lacks position or caret:\n%s", errOut)
	}
}
