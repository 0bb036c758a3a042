package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spelunk/spelunk/winxml"
)

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// readAll decodes data and returns the records' XML and the stats.
func readAll(t *testing.T, data []byte, workers int) ([]string, Stats) {
	t.Helper()
	var xml []string
	st, err := Read(bytes.NewReader(data), int64(len(data)), Options{Workers: workers}, func(r *Record) error {
		xml = append(xml, r.Root.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return xml, st
}

// decodeValues instantiates the test template with vals and returns the
// single record's root.
func decodeValues(t *testing.T, vals []typedValue) *winxml.Node {
	t.Helper()
	data := templateFile(vals)
	var root *winxml.Node
	st, err := Read(bytes.NewReader(data), int64(len(data)), Options{Workers: 1}, func(r *Record) error {
		root = r.Root
		// The tree is only valid during the callback; render it to keep it.
		var b strings.Builder
		root.Render(&b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Problems) != 0 {
		t.Fatalf("unexpected problems: %v", st.Problems)
	}
	if st.Records != 1 {
		t.Fatalf("read %d records, expected 1", st.Records)
	}
	return root
}

func TestValueRendering(t *testing.T) {
	sid := []byte{1, 5, 0, 0, 0, 0, 0, 5}
	for _, sub := range []uint32{21, 1004336348, 1177238915, 682003330, 512} {
		sid = append(sid, le32(sub)...)
	}
	sid[1] = 5

	// FILETIME 2017-08-30T19:25:04.1743494Z.
	ft := uint64(time.Date(2017, 8, 30, 19, 25, 4, 174349400, time.UTC).Unix()+fileTimeEpochDelta)*1e7 + 1743494
	st := append(append(append(le16(2020), le16(2)...), le16(0)...), le16(29)...)
	st = append(append(append(append(st, le16(23)...), le16(59)...), le16(58)...), le16(999)...)
	cases := []struct {
		v    typedValue
		want []string
	}{
		{typedValue{"S", typeString, utf16LE("a&b<c>\"d'\x00")}, []string{`a&amp;b&lt;c&gt;"d'`}},
		{typedValue{"Surrogate", typeString, utf16LE("x\U0001F600y")}, []string{"x\U0001F600y"}},
		{typedValue{"Lone", typeString, []byte{0x00, 0xD8, 'a', 0}}, []string{"\uFFFDa"}},
		{typedValue{"Ansi", typeANSI, []byte{'o', 'k', 0x80, 0xE9, 0}}, []string{"ok€é"}},
		{typedValue{"I8", typeInt8, []byte{0xFF}}, []string{"-1"}},
		{typedValue{"U8", typeUint8, []byte{0xFF}}, []string{"255"}},
		{typedValue{"I16", typeInt16, le16(0x8000)}, []string{"-32768"}},
		{typedValue{"U32", typeUint32, le32(4000000000)}, []string{"4000000000"}},
		{typedValue{"I64", typeInt64, le64(1 << 63)}, []string{"-9223372036854775808"}},
		{typedValue{"U64", typeUint64, le64(1<<64 - 1)}, []string{"18446744073709551615"}},
		{typedValue{"Real64", typeReal64, le64(0x3FF8000000000000)}, []string{"1.5"}},
		{typedValue{"BoolTrue", typeBool, le32(2)}, []string{"true"}},
		{typedValue{"BoolFalse", typeBool, le32(0)}, []string{"false"}},
		{typedValue{"Binary", typeBinary, []byte{0x0A, 0xBC}}, []string{"0ABC"}},
		{typedValue{"GUID", typeGUID, []byte{0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xA5, 0xBA, 0x3E, 0x3B, 0x03, 0x28, 0xC3, 0x0D}},
			[]string{"{54849625-5478-4994-A5BA-3E3B0328C30D}"}},
		{typedValue{"SizeT", typeSizeT, le64(0x7FF6A000)}, []string{"0x7ff6a000"}},
		{typedValue{"FileTime", typeFileTime, le64(ft)}, []string{"2017-08-30T19:25:04.1743494Z"}},
		{typedValue{"SystemTime", typeSystemTime, st}, []string{"2020-02-29T23:59:58.9990000Z"}},
		{typedValue{"SID", typeSID, sid}, []string{"S-1-5-21-1004336348-1177238915-682003330-512"}},
		{typedValue{"Hex32", typeHexInt32, le32(0xC000006D)}, []string{"0xc000006d"}},
		{typedValue{"Hex64", typeHexInt64, le64(0x8020000000000000)}, []string{"0x8020000000000000"}},
		{typedValue{"StrArray", typeArray | typeString, utf16LE("one\x00\x00three\x00")}, []string{"one", "", "three"}},
		{typedValue{"U16Array", typeArray | typeUint16, append(le16(7), le16(9)...)}, []string{"7", "9"}},
		{typedValue{"Null", typeNull, []byte{1, 2, 3}}, nil},
		{typedValue{"EmptyString", typeString, nil}, nil},
	}

	vals := []typedValue{{"First", typeString, utf16LE("present")}}
	for _, c := range cases {
		vals = append(vals, c.v)
	}
	root := decodeValues(t, vals)
	if got, ok := root.Attr("Opt"); !ok || got != "present" {
		t.Errorf("optional attribute Opt = %q, %v; expected present", got, ok)
	}
	if root.Child("Dropped") == nil {
		t.Errorf("element Dropped missing although its dependency value is set")
	}
	for _, c := range cases {
		n := root.Child(c.v.name)
		if n == nil {
			t.Errorf("%s: element missing", c.v.name)
			continue
		}
		if strings.Join(n.Text, "|") != strings.Join(c.want, "|") || len(n.Text) != len(c.want) {
			t.Errorf("%s: text %q, expected %q", c.v.name, n.Text, c.want)
		}
	}
}

func TestOptionalAndDependencyDrop(t *testing.T) {
	root := decodeValues(t, []typedValue{{"First", typeNull, nil}})
	if v, ok := root.Attr("Opt"); ok {
		t.Errorf("attribute Opt = %q present; an optional NULL substitution must drop it", v)
	}
	if root.Child("Dropped") != nil {
		t.Errorf("element Dropped present; its dependency value is NULL")
	}
	if n := root.Child("First"); n == nil || len(n.Text) != 0 {
		t.Errorf("element First with a normal NULL substitution = %v, expected an empty element", n)
	}
}

func TestTemplatelessRecords(t *testing.T) {
	xml, st := readAll(t, templatelessFile(), 1)
	if len(st.Problems) != 0 {
		t.Fatalf("problems: %v", st.Problems)
	}
	if len(xml) != 3 {
		t.Fatalf("read %d records, expected 3", len(xml))
	}
	want := "<Computer>WIN-7 &amp; &lt;lab&gt;</Computer>"
	if !strings.Contains(xml[0], want) {
		t.Errorf("record 0 lacks %s: %s", want, xml[0])
	}
	if !strings.Contains(xml[2], "<EventRecordID>103</EventRecordID>") {
		t.Errorf("record 2 has the wrong EventRecordID: %s", xml[2])
	}
	if !strings.Contains(xml[1], "<Data Name='Refs'>a&#169;&amp;</Data>") {
		t.Errorf("record 1 renders references wrongly: %s", xml[1])
	}
}

func TestIsEVTX(t *testing.T) {
	if !IsEVTX([]byte("ElfFile\x00rest")) {
		t.Error("IsEVTX rejects the EVTX signature")
	}
	if IsEVTX([]byte("ElfChnk\x00")) || IsEVTX([]byte("Elf")) {
		t.Error("IsEVTX accepts a wrong or short signature")
	}
}

func TestNotEVTX(t *testing.T) {
	data := bytes.Repeat([]byte("<Event/>"), 100)
	_, err := Read(bytes.NewReader(data), int64(len(data)), Options{}, func(*Record) error { return nil })
	if !errors.Is(err, ErrNotEVTX) {
		t.Errorf("error %v, expected ErrNotEVTX", err)
	}
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing.evtx"), Options{}, func(*Record) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v for a missing file, expected os.ErrNotExist", err)
	}
}

// fixture reads a committed test file.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestCallbackErrorStops(t *testing.T) {
	data := fixture(t, "multichunk-5145-cut.evtx")
	stop := errors.New("stop")
	for _, workers := range []int{1, 3} {
		n := 0
		st, err := Read(bytes.NewReader(data), int64(len(data)), Options{Workers: workers}, func(*Record) error {
			n++
			if n == 150 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Errorf("workers=%d: error %v, expected the callback's", workers, err)
		}
		if n != 150 || st.Records != 149 {
			t.Errorf("workers=%d: %d callbacks and %d records counted, expected 150 and 149", workers, n, st.Records)
		}
	}
}

func TestParallelOrder(t *testing.T) {
	data := fixture(t, "multichunk-5145-cut.evtx")
	var ids []uint64
	st, err := Read(bytes.NewReader(data), int64(len(data)), Options{Workers: 4}, func(r *Record) error {
		ids = append(ids, r.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Chunks != 4 || st.ZeroChunks != 1 {
		t.Errorf("chunks %d and zero chunks %d, expected 4 and 1", st.Chunks, st.ZeroChunks)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("record %d has id %d after %d; records are out of order", i, ids[i], ids[i-1])
		}
	}
}

func TestDamagedChunkHeader(t *testing.T) {
	data := bytes.Clone(fixture(t, "multichunk-5145-cut.evtx"))
	_, clean := readAll(t, data, 1)
	// Overwrite the signature of chunk 1: the slot is scanned for records.
	copy(data[chunkOffset(1):], "XXXXXXXX")
	// Zero the second half of chunk 2, as an interrupted write would.
	clear(data[chunkOffset(2)+chunkSize/2 : chunkOffset(3)])
	_, st := readAll(t, data, 2)
	if len(st.Problems) < 2 {
		t.Fatalf("problems %v, expected the chunk signature and the checksum", st.Problems)
	}
	if st.Problems[0].Chunk != 1 || !strings.Contains(st.Problems[0].Error(), "chunk signature") {
		t.Errorf("first problem %v, expected the signature of chunk 1", st.Problems[0])
	}
	if st.Records >= clean.Records || st.Records < clean.Records*2/3 {
		t.Errorf("read %d of %d records; expected most but not all", st.Records, clean.Records)
	}
}

func TestTruncatedFile(t *testing.T) {
	data := fixture(t, "arrays-mssql-18456.evtx")
	cut := data[:fileHeaderSize+20000]
	xml, st := readAll(t, cut, 1)
	if len(xml) == 0 {
		t.Fatal("no records read from the truncated chunk")
	}
	var msgs []string
	for _, p := range st.Problems {
		msgs = append(msgs, p.Error())
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, "truncated") {
		t.Errorf("problems %q do not mention the truncation", joined)
	}
}

func TestProblemError(t *testing.T) {
	p := Problem{Chunk: 3, Offset: 0x1234, Err: errors.New("boom")}
	if got := p.Error(); got != "chunk 3 at offset 4660 (0x1234): boom" {
		t.Errorf("Error() = %q", got)
	}
}
