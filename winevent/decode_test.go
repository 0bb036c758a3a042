package winevent

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/spelunk/spelunk/event"
)

func decodeString(t *testing.T, f Format, text string) ([]*event.Event, []Problem) {
	t.Helper()
	return decodeBytes(t, f, []byte(text))
}

func decodeBytes(t *testing.T, f Format, data []byte) ([]*event.Event, []Problem) {
	t.Helper()
	var events []*event.Event
	var problems []Problem
	err := Decode(bytes.NewReader(data), f,
		func(ev *event.Event) error { events = append(events, ev); return nil },
		func(p Problem) { problems = append(problems, p) })
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return events, problems
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "powershell", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// scriptWithEntities is the fixture script whose XML form needs escaping.
const scriptWithEntities = `if ($args.Count -lt 1) { $null = New-Object Threading.Mutex($false, "Local\<spelunk>") }; whoami 2>&1 | Out-Null`

func TestDecodeXMLSplunkLines(t *testing.T) {
	data := readFixture(t, "events.xml")
	events, problems := decodeBytes(t, FormatXML, data)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(events) != 7 {
		t.Fatalf("got %d events, want 7", len(events))
	}
	e4 := events[3]
	wantField(t, e4, "ScriptBlockText", strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(scriptWithEntities))
	wantField(t, e4, "EventCode", "4104")
	wantField(t, e4, "Computer", "MORDORDC.theshire.local")
	wantField(t, e4, "UserID", "S-1-5-18")
	wantField(t, e4, "_time", "1600760762.9876543")
	wantNoField(t, e4, "Path")

	// _raw is the record as written, for every record.
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n<Event")
	for i, ev := range events {
		want := lines[i]
		if i > 0 {
			want = "<Event" + want
		}
		wantField(t, ev, event.RawField, want)
	}

	// The 4103 record continues over several lines; its values keep CRLF.
	e5 := events[4]
	wantField(t, e5, "EventCode", "4103")
	payload, _ := e5.Value("Payload")
	if !strings.Contains(payload, "\r\nParameterBinding(New-Object): name=\"TypeName\"; value=\"System.Threading.Mutex\"") {
		t.Errorf("Payload = %q", payload)
	}
	wantNoField(t, e5, "UserData") // <Data Name='UserData'></Data>
}

func TestDecodeXMLWevtutil(t *testing.T) {
	events, problems := decodeBytes(t, FormatXML, readFixture(t, "events-wevtutil.xml"))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(events) != 7 {
		t.Fatalf("got %d events, want 7", len(events))
	}
	e1 := events[0]
	wantField(t, e1, "ScriptBlockText", `$mtx = New-Object System.Threading.Mutex($false, 'Global\SpelunkMutex'); if (-not $mtx.WaitOne(0)) { exit }`)
	wantField(t, e1, "Name", "Microsoft-Windows-PowerShell")
	wantField(t, e1, "Level", "5") // from System, not RenderingInfo
	wantField(t, e1, "Message", "Creating Scriptblock text (1 of 1):\r\n"+
		`$mtx = New-Object System.Threading.Mutex($false, 'Global\SpelunkMutex'); if (-not $mtx.WaitOne(0)) { exit }`+
		"\r\n\r\nScriptBlock ID: e60123ac-d637-4827-be60-3ed55801733d\r\nPath: ")
	wantNoField(t, e1, "Path")
	// Indentation between elements is not text.
	sys, _ := e1.Value("System_Props_Xml")
	if strings.ContainsAny(sys, "\n") {
		t.Errorf("System_Props_Xml keeps indentation: %q", sys)
	}
	raw, _ := e1.Value(event.RawField)
	if !strings.HasPrefix(raw, "<Event xmlns=\"http") || !strings.Contains(raw, "\n  <System>\n") {
		t.Errorf("_raw is not the original text: %.80q", raw)
	}
	wantField(t, events[3], "ScriptBlockText", strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(scriptWithEntities))
}

func TestDecodeXMLConcatenated(t *testing.T) {
	text := `<Event><System><EventID>1</EventID></System></Event><Event><System><EventID>2</EventID></System></Event>`
	events, problems := decodeString(t, FormatXML, text)
	if len(problems) != 0 || len(events) != 2 {
		t.Fatalf("got %d events, %v", len(events), problems)
	}
	wantField(t, events[1], "EventCode", "2")
	wantField(t, events[1], event.RawField, `<Event><System><EventID>2</EventID></System></Event>`)
}

func TestDecodeXMLMalformedRecords(t *testing.T) {
	text := "<Event><System><EventID>1</EventID></System></Event>\n" + // line 1: good
		"<Event><System><EventID>2</EventId></System></Event>\n" + // line 2: mismatched end tag
		"<Event><System><EventID>3</EventID></System>\n" + // line 3: truncated, runs into line 4
		"<Event><System><EventID>4</EventID></System></Event>\n" + // line 4: good
		"garbage between records\n" + // line 5: stray text
		"<Event><System><EventID a=1>5</EventID></System></Event>\n" + // line 6: unquoted attribute
		"<Event><System><EventID>6</EventID></System></Event>\n" + // line 7: good
		"<Event><System><EventID>7</EventID>" // line 8: input ends inside the record
	events, problems := decodeString(t, FormatXML, text)
	var codes []string
	for _, ev := range events {
		v, _ := ev.Value("EventCode")
		codes = append(codes, v)
	}
	if strings.Join(codes, ",") != "1,4,6" {
		t.Errorf("decoded EventCodes %v, want 1,4,6", codes)
	}
	want := []struct {
		line   int
		reason string
	}{
		{2, ReasonMalformedXML},
		{3, ReasonTruncatedXML},
		{5, ReasonStrayText},
		{6, ReasonMalformedXML},
		{8, ReasonTruncatedXML},
	}
	if len(problems) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(problems), len(want), problems)
	}
	lineStart := func(n int) int64 {
		off := 0
		for i := 1; i < n; i++ {
			off += strings.IndexByte(text[off:], '\n') + 1
		}
		return int64(off)
	}
	for i, w := range want {
		p := problems[i]
		if p.Line != w.line || p.Reason != w.reason {
			t.Errorf("problem %d = line %d %q, want line %d %q (%v)", i, p.Line, p.Reason, w.line, w.reason, p.Err)
		}
		if p.Offset != lineStart(w.line) {
			t.Errorf("problem %d offset = %d, want %d", i, p.Offset, lineStart(w.line))
		}
	}
	var syn *SyntaxError
	if !errors.As(problems[0].Err, &syn) || !strings.Contains(syn.Msg, "</EventId>") {
		t.Errorf("problem 0 error = %v, want a SyntaxError naming </EventId>", problems[0].Err)
	}
}

func TestDecodeXMLDeclarationAndBOM(t *testing.T) {
	text := "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- export -->\r\n<Events>\r\n" +
		"<Event><System><EventID>4104</EventID><Computer>h</Computer></System></Event>\r\n</Events>\r\n"
	events, problems := decodeString(t, FormatXML, text)
	if len(problems) != 0 || len(events) != 1 {
		t.Fatalf("got %d events, %v", len(events), problems)
	}
	wantField(t, events[0], "host", "h")
}

func TestDecodeXMLUTF16(t *testing.T) {
	text := "<Events><Event><System><EventID>4104</EventID><Computer>Ünïcode-𝔥ost</Computer></System></Event></Events>"
	for _, bigEndian := range []bool{false, true} {
		units := utf16.Encode([]rune(text))
		data := []byte{0xFF, 0xFE}
		if bigEndian {
			data = []byte{0xFE, 0xFF}
		}
		for _, u := range units {
			if bigEndian {
				data = append(data, byte(u>>8), byte(u))
			} else {
				data = append(data, byte(u), byte(u>>8))
			}
		}
		if f := DetectFormat(data); f != FormatXML {
			t.Errorf("DetectFormat(UTF-16, big endian %v) = %v", bigEndian, f)
		}
		events, problems := decodeBytes(t, FormatXML, data)
		if len(problems) != 0 || len(events) != 1 {
			t.Fatalf("got %d events, %v", len(events), problems)
		}
		wantField(t, events[0], "Computer", "Ünïcode-𝔥ost")
	}
}

func TestDecodeXMLCDATA(t *testing.T) {
	text := `<Event><System><EventID>1</EventID></System><EventData><Data Name='S'><![CDATA[a < b & c]]> d</Data></EventData></Event>`
	events, _ := decodeString(t, FormatXML, text)
	if len(events) != 1 {
		t.Fatalf("got %d events", len(events))
	}
	wantField(t, events[0], "S", "a &lt; b &amp; c d")
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		head string
		want Format
	}{
		{"<Event xmlns='x'><System>", FormatXML},
		{"\n\n  <?xml version=\"1.0\"?>\n<Events>\n<Event>", FormatXML},
		{"\xEF\xBB\xBF<Event>", FormatXML},
		{"<html><body>", FormatUnknown},
		{`{"EventID":4104}`, FormatJSON},
		{"08/30/2017 07:25:04 PM\r\nLogName=Security\r\n", FormatClassic},
		{"2017-08-30 19:25:04\nLogName=Security\n", FormatClassic},
		{"08/30/2017 07:25:04 PM\nSomething=else\n", FormatUnknown},
		{"hello world", FormatUnknown},
		{"", FormatUnknown},
	}
	for _, tc := range tests {
		if got := DetectFormat([]byte(tc.head)); got != tc.want {
			t.Errorf("DetectFormat(%q) = %v, want %v", tc.head, got, tc.want)
		}
	}
}
