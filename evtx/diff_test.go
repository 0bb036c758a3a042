package evtx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spelunk/spelunk/winxml"
)

// corpusDir returns the shared EVTX corpus, skipping the test where it is
// absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus", "evtx")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("EVTX corpus not found at %s: %v", dir, err)
	}
	return dir
}

func corpusFiles(t testing.TB, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(strings.ToLower(p), ".evtx") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no .evtx files under %s", dir)
	}
	return files
}

// summary is what the differential test compares for one record.
type summary struct {
	recordID, eventID, computer, channel, time string
	data                                       []string // Name=value per EventData item, in order
}

func (s summary) String() string {
	return fmt.Sprintf("id=%s event=%s computer=%s channel=%s time=%s data=%q",
		s.recordID, s.eventID, s.computer, s.channel, s.time, s.data)
}

var (
	guidPattern  = regexp.MustCompile(`^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$`)
	hexPattern   = regexp.MustCompile(`^0x[0-9A-Fa-f]+$`)
	time9Pattern = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7})00Z$`)
	floatPattern = regexp.MustCompile(`^-?\d+(\.\d+)?(e[+-]\d+)?$`)
)

// normalize removes the rendering differences between evtxexport 20181227
// and Windows that the reader follows: GUID letter case, zero padding of
// hexadecimal integers, nine fractional digits in times, exponent notation
// of floating-point numbers, and surrounding whitespace. Line ends become
// LF on both sides, as an XML parser reports them.
func normalize(v string) string {
	v = string(maskControls([]byte(v)))
	v = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n"))
	switch {
	case strings.ContainsAny(v, ".e") && floatPattern.MatchString(v):
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return strconv.FormatFloat(f, 'g', 7, 64)
		}
	case guidPattern.MatchString(v):
		return strings.ToUpper(v)
	case hexPattern.MatchString(v) && len(v) <= 18:
		n, err := strconv.ParseUint(v[2:], 16, 64)
		if err == nil {
			return "0x" + strconv.FormatUint(n, 16)
		}
	case time9Pattern.MatchString(v):
		return time9Pattern.ReplaceAllString(v, "${1}Z")
	}
	return v
}

// maskControls replaces the control characters that XML 1.0 forbids with
// U+FFFD, because Go's XML decoder rejects them and Security 4661 events
// carry such characters in their PrivilegeList.
func maskControls(b []byte) []byte {
	return bytes.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return utf8.RuneError
		}
		return r
	}, b)
}

// ourSummary extracts the compared fields from one of our trees, undoing
// the XML escaping that the reference side loses in its XML decoder.
func ourSummary(root *winxml.Node) summary {
	sys := root.Child("System")
	text := func(n *winxml.Node) string { return normalize(html.UnescapeString(n.JoinedText())) }
	s := summary{
		recordID: text(sys.Child("EventRecordID")),
		eventID:  text(sys.Child("EventID")),
		computer: text(sys.Child("Computer")),
		channel:  text(sys.Child("Channel")),
	}
	if tc := sys.Child("TimeCreated"); tc != nil {
		v, _ := tc.Attr("SystemTime")
		s.time = v
	}
	if ed := root.Child("EventData"); ed != nil {
		for _, c := range ed.Children {
			name, _ := c.Attr("Name")
			if len(c.Text) == 0 {
				s.data = append(s.data, c.Name+":"+name+"=")
			}
			for _, v := range c.Text {
				s.data = append(s.data, c.Name+":"+name+"="+normalize(html.UnescapeString(v)))
			}
		}
	}
	return s
}

// refNode is a generic element decoded from evtxexport's XML.
type refNode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []refNode  `xml:",any"`
}

func (n *refNode) child(name string) *refNode {
	if n == nil {
		return nil
	}
	for i := range n.Children {
		if n.Children[i].XMLName.Local == name {
			return &n.Children[i]
		}
	}
	return nil
}

func (n *refNode) text() string {
	if n == nil {
		return ""
	}
	return normalize(n.Text)
}

func (n *refNode) attr(name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func refSummary(n *refNode) summary {
	sys := n.child("System")
	s := summary{
		recordID: sys.child("EventRecordID").text(),
		eventID:  sys.child("EventID").text(),
		computer: sys.child("Computer").text(),
		channel:  sys.child("Channel").text(),
		time:     normalize(sys.child("TimeCreated").attr("SystemTime")),
	}
	if ed := n.child("EventData"); ed != nil {
		for _, c := range ed.Children {
			s.data = append(s.data, c.XMLName.Local+":"+c.attr("Name")+"="+normalize(c.Text))
		}
	}
	return s
}

// referenceRecords runs evtxexport on path and decodes its XML records.
// Records whose XML the Go decoder rejects are counted, not returned.
func referenceRecords(t *testing.T, path string) (recs []summary, unparsable int) {
	out, err := exec.Command("evtxexport", "-f", "xml", path).Output()
	if err != nil {
		t.Errorf("evtxexport %s: %v", path, err)
		return nil, 0
	}
	for {
		start := bytes.Index(out, []byte("<Event "))
		if start < 0 {
			break
		}
		end := bytes.Index(out[start:], []byte("</Event>"))
		if end < 0 {
			break
		}
		block := out[start : start+end+len("</Event>")]
		out = out[start+end:]
		var n refNode
		if err := xml.Unmarshal(maskControls(block), &n); err != nil {
			t.Logf("%s: evtxexport record not decodable: %v", path, err)
			unparsable++
			continue
		}
		recs = append(recs, refSummary(&n))
	}
	return recs, unparsable
}

// TestDifferentialEvtxexport compares every record of the shared corpus
// with Debian's evtxexport.
func TestDifferentialEvtxexport(t *testing.T) {
	dir := corpusDir(t)
	if _, err := exec.LookPath("evtxexport"); err != nil {
		t.Skip("evtxexport not installed (apt-get install libevtx-utils)")
	}
	var compared, onlyOurs, unparsable, problems, mismatched int
	for _, path := range corpusFiles(t, dir) {
		ref, bad := referenceRecords(t, path)
		unparsable += bad

		ours := map[string][]summary{}
		var order []string
		st, err := ReadFile(path, Options{Workers: runtime.NumCPU()}, func(r *Record) error {
			s := ourSummary(r.Root)
			if s.recordID == "" || s.eventID == "" || s.time == "" {
				t.Errorf("%s: record %d at %d lacks System fields: %v", path, r.ID, r.Offset, s)
			}
			ours[s.recordID] = append(ours[s.recordID], s)
			order = append(order, s.recordID)
			return nil
		})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		problems += len(st.Problems)

		for _, want := range ref {
			q := ours[want.recordID]
			if len(q) == 0 {
				t.Errorf("%s: evtxexport reads record %s, we do not", path, want.recordID)
				mismatched++
				continue
			}
			got := q[0]
			ours[want.recordID] = q[1:]
			compared++
			if got.String() != want.String() {
				mismatched++
				t.Errorf("%s: record %s differs\n ours: %v\n  ref: %v", path, want.recordID, got, want)
			}
		}
		for _, id := range order {
			onlyOurs += len(ours[id])
			ours[id] = nil
		}
	}
	t.Logf("records compared: %d, mismatched: %d, read only by us: %d, reference records not parsable as XML: %d, problems reported: %d",
		compared, mismatched, onlyOurs, unparsable, problems)
	if compared == 0 {
		t.Fatal("no records compared")
	}
	if unparsable != 0 {
		t.Errorf("%d evtxexport records could not be decoded for comparison", unparsable)
	}
}
