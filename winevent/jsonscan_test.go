package winevent

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spelunk/spelunk/event"
)

// The encoding/json implementation the scanner replaced, kept as the
// reference for the differential tests below.

// flattenJSON adds the fields of one JSON object to ev in document order.
func flattenJSONReference(ev *event.Event, data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("line is not a JSON object")
	}
	if err := referenceObject(ev, dec, "", 0); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("line ends inside a JSON value")
		}
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("unexpected data after the JSON object")
	}
	return nil
}

// flattenObject reads an object's members after its opening brace.
func referenceObject(ev *event.Event, dec *json.Decoder, prefix string, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		// Reserved top-level keys lose their scalar values but keep their
		// members: Winlogbeat's "host" object still gives host.name.
		reserved := prefix == "" && reservedJSONKeys[key]
		if err := referenceValue(ev, dec, prefix+key, reserved, depth); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

// flattenValue reads one value and adds it under name. Scalars of a
// reserved name are discarded.
func referenceValue(ev *event.Event, dec *json.Decoder, name string, reserved bool, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("JSON nested deeper than %d levels", maxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return referenceObject(ev, dec, name+".", depth+1)
		case '[':
			for dec.More() {
				if err := referenceValue(ev, dec, name, reserved, depth+1); err != nil {
					return err
				}
			}
			_, err := dec.Token() // ']'
			return err
		}
		return fmt.Errorf("unexpected %v", v)
	case string:
		if !reserved {
			addValue(ev, name, v)
		}
	case json.Number:
		if !reserved {
			addValue(ev, name, v.String())
		}
	case bool:
		if !reserved {
			addValue(ev, name, fmt.Sprint(v))
		}
	}
	return nil
}

// flattenBoth runs both implementations; it reports whether they agree on
// acceptance and on the fields produced.
func flattenBoth(line []byte) (fast, ref *event.Event, fastErr, refErr error) {
	fast, ref = &event.Event{}, &event.Event{}
	fastErr = flattenJSON(fast, line)
	refErr = flattenJSONReference(ref, line)
	return
}

func checkSame(t *testing.T, line []byte) {
	t.Helper()
	fast, ref, fastErr, refErr := flattenBoth(line)
	if (fastErr == nil) != (refErr == nil) {
		t.Fatalf("%q: scanner error %v, encoding/json error %v", line, fastErr, refErr)
	}
	if fastErr == nil && !reflect.DeepEqual(fast.Fields, ref.Fields) {
		t.Fatalf("%q:\nscanner  %v\nreference %v", line, fast.Fields, ref.Fields)
	}
}

func TestJSONScannerMatchesEncodingJSON(t *testing.T) {
	lines := []string{
		`{"a":"x","b":1,"c":-1.5e+3,"d":true,"e":false,"f":null,"g":""}`,
		`{"nested":{"x":{"y":"z"}},"list":["a",1,null,{"k":"v"}],"empty":{},"none":[]}`,
		`{"esc":"a\"b\\c\/d\b\f\n\r\t","u":"\u00e9\u20AC\ud83d\ude00","lone":"\ud83d x","lone2":"\ude00","pair-bad":"\ud83d\u0041"}`,
		"{\"bad\":\"\xff\xfe ok \xc3\"}",
		`{"host":"collector","host2":{"name":"x"},"@timestamp":"2020-01-01T00:00:00Z"}`,
		` { "spaced" : [ 1 , 2 ] } `,
		`{"a":1}x`, `{"a":}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":"x`, `{"a":tru}`, `{"a":nul`, `{"a" 1}`,
		`[1,2]`, `"str"`, `{"a":"\x"}`, "{\"a\":\"\t\"}", "{\"a\":\"ctl\u0001\"}", `{"a":1,}`, `{,}`, `{"a":[1,]}`,
		`{"a":1e5,"b":1E-2,"c":0.25,"d":-0}`,
	}
	for _, l := range lines {
		checkSame(t, []byte(l))
	}
}

func TestJSONScannerOnCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpus", "otrf")
	zips, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	if len(zips) == 0 {
		t.Skipf("OTRF corpus not found in %s", dir)
	}
	lines := 0
	for _, path := range zips {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, f := range zr.File {
			if filepath.Ext(f.Name) != ".json" || filepath.Base(f.Name)[0] == '.' {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("%s!%s: %v", path, f.Name, err)
			}
			sc := bufio.NewScanner(rc)
			sc.Buffer(make([]byte, 1<<20), 64<<20)
			for sc.Scan() {
				line := bytes.TrimRight(sc.Bytes(), "\r")
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				checkSame(t, line)
				lines++
			}
			rc.Close()
		}
		zr.Close()
	}
	t.Logf("%d corpus lines decode the same", lines)
}

func FuzzJSONScanner(f *testing.F) {
	f.Add([]byte(`{"a":"x","b":[1,{"c":null}],"d":"\u00e9"}`))
	f.Add([]byte(`{"EventID":4104,"Channel":"Microsoft-Windows-PowerShell/Operational"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		checkSame(t, line)
	})
}

func TestDecodeJSONObjects(t *testing.T) {
	input := `{"kind":"Event","user":{"username":"system:anonymous"},"requestReceivedTimestamp":"2023-01-02T03:04:05.123456Z","verb":"list"}
not json
{"user":"bob","action":"mfa"}
`
	var events []*event.Event
	var problems []Problem
	err := DecodeJSONObjects(bytes.NewReader([]byte(input)), func(e *event.Event) error {
		events = append(events, e)
		return nil
	}, func(p Problem) { problems = append(problems, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("got %d events, want 2", len(events))
	}
	if v, _ := events[0].Value("user.username"); v != "system:anonymous" {
		t.Errorf("user.username = %q", v)
	}
	if v, _ := events[0].Value("_time"); v != "1672628645.123456" {
		t.Errorf("_time = %q", v)
	}
	if events[1].Has("_time") || events[1].Has("source") {
		t.Errorf("an object without a time or source got %v", events[1].Fields)
	}
	if v, _ := events[1].Value("user"); v != "bob" {
		t.Errorf("user = %q", v)
	}
	if len(problems) != 1 || problems[0].Line != 2 || problems[0].Reason != ReasonInvalidJSON {
		t.Errorf("problems = %+v", problems)
	}
}
