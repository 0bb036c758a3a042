package evtx

import (
	"encoding/binary"
	"hash/crc32"
	"unicode/utf16"
)

// This file builds small EVTX files from scratch for tests: records written
// as plain elements without a template (the form some exported logs use),
// and records that instantiate a hand-made template with every value type.

// chunkWriter writes one chunk. Offsets in the binary XML are relative to
// the chunk, so the writer tracks absolute positions.
type chunkWriter struct {
	b     []byte
	names map[string]uint32 // name -> offset of its first, inline copy
}

func newChunkWriter() *chunkWriter {
	return &chunkWriter{b: make([]byte, chunkHeaderSize, chunkSize), names: map[string]uint32{}}
}

func (w *chunkWriter) u8(v byte)    { w.b = append(w.b, v) }
func (w *chunkWriter) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *chunkWriter) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *chunkWriter) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

func utf16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// name writes a name offset; the first use of a name stores it inline,
// later uses point back to it.
func (w *chunkWriter) name(s string) {
	if off, ok := w.names[s]; ok {
		w.u32(off)
		return
	}
	off := uint32(len(w.b) + 4)
	w.names[s] = off
	w.u32(off)
	w.u32(0) // next name in the bucket
	w.u16(0) // hash, not checked by readers
	w.u16(uint16(len(utf16.Encode([]rune(s)))))
	w.b = append(w.b, utf16LE(s)...)
	w.u16(0)
}

// startElement writes an element start and returns the position of its
// data size field for endElement to patch.
func (w *chunkWriter) startElement(name string, withAttrs, dependency bool) int {
	tok := byte(tokOpenStart)
	if withAttrs {
		tok |= tokMoreFlag
	}
	w.u8(tok)
	if dependency {
		w.u16(0xFFFF)
	}
	sizeAt := len(w.b)
	w.u32(0)
	w.name(name)
	if withAttrs {
		w.u32(0) // attribute list size, not used by the reader
	}
	return sizeAt
}

func (w *chunkWriter) endElement(sizeAt int) {
	w.u8(tokEndElement)
	binary.LittleEndian.PutUint32(w.b[sizeAt:], uint32(len(w.b)-sizeAt-4))
}

func (w *chunkWriter) text(s string) {
	u := utf16LE(s)
	w.u8(tokValue)
	w.u8(typeString)
	w.u16(uint16(len(u) / 2))
	w.b = append(w.b, u...)
}

func (w *chunkWriter) attr(name, value string) {
	w.u8(tokAttribute)
	w.name(name)
	w.text(value)
}

// record appends an event record whose payload the body function writes.
func (w *chunkWriter) record(id, written uint64, body func()) {
	start := len(w.b)
	w.b = append(w.b, recordSignature...)
	w.u32(0)
	w.u64(id)
	w.u64(written)
	body()
	size := uint32(len(w.b) - start + 4)
	w.u32(size)
	binary.LittleEndian.PutUint32(w.b[start+4:], size)
}

// finish fills the chunk header and checksums and returns the 64 KiB chunk.
func (w *chunkWriter) finish(firstID, lastID uint64, lastRecord int) []byte {
	free := len(w.b)
	c := make([]byte, chunkSize)
	copy(c, w.b)
	copy(c, chunkSignature)
	binary.LittleEndian.PutUint64(c[8:], firstID)
	binary.LittleEndian.PutUint64(c[16:], lastID)
	binary.LittleEndian.PutUint64(c[24:], firstID)
	binary.LittleEndian.PutUint64(c[32:], lastID)
	binary.LittleEndian.PutUint32(c[40:], 128)
	binary.LittleEndian.PutUint32(c[44:], uint32(lastRecord))
	binary.LittleEndian.PutUint32(c[48:], uint32(free))
	binary.LittleEndian.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:free]))
	h := crc32.ChecksumIEEE(c[:120])
	h = crc32.Update(h, crc32.IEEETable, c[128:chunkHeaderSize])
	binary.LittleEndian.PutUint32(c[124:], h)
	return c
}

// evtxFile wraps chunks in a file header.
func evtxFile(chunks ...[]byte) []byte {
	h := make([]byte, fileHeaderSize)
	copy(h, fileSignature)
	binary.LittleEndian.PutUint64(h[16:], uint64(max(len(chunks)-1, 0)))
	binary.LittleEndian.PutUint32(h[32:], 128)
	binary.LittleEndian.PutUint16(h[36:], 1)
	binary.LittleEndian.PutUint16(h[38:], 3)
	binary.LittleEndian.PutUint16(h[40:], fileHeaderSize)
	binary.LittleEndian.PutUint16(h[42:], uint16(len(chunks)))
	binary.LittleEndian.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	for _, c := range chunks {
		h = append(h, c...)
	}
	return h
}

// templatelessFile builds a file of records written as plain elements:
// no template, no dependency identifiers, values as text tokens, names
// reused by offset, and text that needs escaping, a surrogate pair, a
// character reference and an entity reference.
func templatelessFile() []byte {
	w := newChunkWriter()
	const written = 131000000000000000 // 2016-02-12T07:06:40Z as FILETIME
	lastRecord := 0
	for i := range 3 {
		lastRecord = len(w.b)
		id := uint64(101 + i)
		w.record(id, written+uint64(i)*12345678, func() {
			w.u8(tokFragmentHeader)
			w.u8(1)
			w.u8(1)
			w.u8(0)
			ev := w.startElement("Event", true, false)
			w.attr("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event")
			w.u8(tokCloseStart)
			sys := w.startElement("System", false, false)
			w.u8(tokCloseStart)
			p := w.startElement("Provider", true, false)
			w.attr("Name", "Microsoft-Windows-Windows Defender")
			w.u8(tokCloseEmpty)
			_ = p
			for _, f := range [][2]string{
				{"EventID", "1151"},
				{"EventRecordID", []string{"101", "102", "103"}[i]},
				{"Channel", "Microsoft-Windows-Windows Defender/Operational"},
				{"Computer", "WIN-7 & <lab>"},
			} {
				e := w.startElement(f[0], false, false)
				w.u8(tokCloseStart)
				w.text(f[1])
				w.endElement(e)
			}
			tc := w.startElement("TimeCreated", true, false)
			w.attr("SystemTime", "2016-02-12T07:06:40.1234567Z")
			w.u8(tokCloseEmpty)
			_ = tc
			w.endElement(sys)
			ed := w.startElement("EventData", false, false)
			w.u8(tokCloseStart)
			for _, f := range [][2]string{
				{"Product Name", "Windows Defender \U0001F6E1"},
				{"Path", `C:\a "b" 'c'`},
			} {
				d := w.startElement("Data", true, false)
				w.attr("Name", f[0])
				w.u8(tokCloseStart)
				w.text(f[1])
				w.endElement(d)
			}
			d := w.startElement("Data", true, false)
			w.attr("Name", "Refs")
			w.u8(tokCloseStart)
			w.text("a")
			w.u8(tokCharRef)
			w.u16(169)
			w.u8(tokEntityRef)
			w.name("amp")
			w.endElement(d)
			w.endElement(ed)
			w.endElement(ev)
			w.u8(tokEOF)
		})
	}
	return evtxFile(w.finish(101, 103, lastRecord))
}

// typedValue is one substitution value for templateFile.
type typedValue struct {
	name string // element the value is substituted into
	typ  byte
	data []byte
}

// templateRecord writes a record instantiating an inline template:
// <Event Opt='%0?'><name_i>%i</name_i>...<Dropped>x</Dropped></Event>,
// where attribute Opt is an optional substitution of value 0 and element
// Dropped depends on value 0, so both vanish when value 0 is NULL.
func (w *chunkWriter) templateRecord(id uint64, vals []typedValue) {
	w.record(id, 0, func() {
		w.u8(tokFragmentHeader)
		w.u8(1)
		w.u8(1)
		w.u8(0)
		w.u8(tokTemplateInstance)
		w.u8(1)
		w.u32(0x12345678)
		w.u32(uint32(len(w.b) + 4)) // definition follows inline
		w.u32(0)                    // next definition
		w.b = append(w.b, []byte{0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}...)
		sizeAt := len(w.b)
		w.u32(0)
		start := len(w.b)
		w.u8(tokFragmentHeader)
		w.u8(1)
		w.u8(1)
		w.u8(0)
		ev := w.startElement("Event", true, true)
		w.u8(tokAttribute)
		w.name("Opt")
		w.u8(tokOptionalSub)
		w.u16(0)
		w.u8(typeString)
		w.u8(tokCloseStart)
		for i, v := range vals {
			e := w.startElement(v.name, false, true)
			w.u8(tokCloseStart)
			w.u8(tokNormalSub)
			w.u16(uint16(i))
			w.u8(v.typ)
			w.endElement(e)
		}
		w.u8(tokOpenStart)
		w.u16(0) // depends on value 0
		dropped := len(w.b)
		w.u32(0)
		w.name("Dropped")
		w.u8(tokCloseStart)
		w.text("x")
		w.endElement(dropped)
		w.endElement(ev)
		w.u8(tokEOF)
		binary.LittleEndian.PutUint32(w.b[sizeAt:], uint32(len(w.b)-start))

		w.u32(uint32(len(vals)))
		for _, v := range vals {
			w.u16(uint16(len(v.data)))
			w.u8(v.typ)
			w.u8(0)
		}
		for _, v := range vals {
			w.b = append(w.b, v.data...)
		}
	})
}

// templateFile builds a one-chunk file with one template record.
func templateFile(vals []typedValue) []byte {
	w := newChunkWriter()
	w.templateRecord(1, vals)
	return evtxFile(w.finish(1, 1, chunkHeaderSize))
}
