package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/spelunk/spelunk/winxml"
)

const (
	chunkHeaderSize   = 512
	chunkSignature    = "ElfChnk\x00"
	recordHeaderSize  = 24
	minRecordSize     = recordHeaderSize + 4
	chunkFlagNoCRC    = 0x4
	initialTextBuffer = 64 << 10
	minTextBuffer     = 4 << 10
	maxTextBuffer     = 1 << 20
)

var recordSignature = []byte{0x2A, 0x2A, 0x00, 0x00}

// chunkOutput is one decoded chunk: its records with their trees, and the
// damage found in it.
type chunkOutput struct {
	records   []Record
	problems  []Problem
	recovered int
	zero      bool  // the slot is all zeros
	err       error // I/O error reading the chunk
	arena     arena
	text      []byte // rendered strings of this chunk's trees
}

func (o *chunkOutput) reset() {
	clear(o.records)
	o.records = o.records[:0]
	o.problems = nil
	o.recovered = 0
	o.zero = false
	o.err = nil
	o.arena.reset()
	// The strings of delivered records point into the old buffer, so a used
	// buffer is dropped, never reused. The new one is sized like the last.
	switch n := len(o.text); {
	case n > 0:
		o.text = make([]byte, 0, min(max(n+n/8, minTextBuffer), maxTextBuffer))
	case o.text == nil:
		o.text = make([]byte, 0, initialTextBuffer)
	}
}

// decoder decodes chunks. Each goroutine owns one; its name table, template
// cache and scratch buffers are reused from chunk to chunk.
type decoder struct {
	chunk       []byte
	names       map[uint32]string
	templates   map[uint32]*templateDef
	internTable map[string]string
	values      []value
	scratch     []byte
	ir          irArena
	b           builder
}

func newDecoder() *decoder {
	d := &decoder{
		chunk:       make([]byte, chunkSize),
		names:       make(map[uint32]string),
		templates:   make(map[uint32]*templateDef),
		internTable: make(map[string]string),
	}
	d.b.d = d
	return d
}

// valueBytes returns the bytes of a substitution value.
func (d *decoder) valueBytes(v value) []byte {
	return d.chunk[v.off : v.off+v.size]
}

// decodeChunk decodes chunk index from d.chunk, of which n bytes came from
// the file, into out.
func (d *decoder) decodeChunk(index, n int, out *chunkOutput) {
	clear(d.names)
	clear(d.templates)
	d.ir.reset()
	d.values = d.values[:0]
	d.b.out = out
	d.b.chunkWork = 0
	base := chunkOffset(index)
	b := d.chunk
	report := func(off int, err error) {
		out.problems = append(out.problems, Problem{Chunk: index, Offset: base + int64(off), Err: err})
	}
	reportLost := func(off int, err error) {
		out.problems = append(out.problems, Problem{Chunk: index, Offset: base + int64(off), Err: err, Lost: true})
	}

	if isZero(b[:n]) {
		out.zero = true
		if n < chunkSize {
			report(0, fmt.Errorf("chunk truncated to %d bytes", n))
		}
		return
	}
	if n < chunkSize {
		report(0, fmt.Errorf("chunk truncated to %d bytes", n))
	}

	free := chunkSize
	trusted := string(b[:8]) == chunkSignature
	if !trusted {
		report(0, errors.New("invalid chunk signature; scanning the slot for records"))
	} else {
		free = d.checkChunkHeader(report)
	}

	w := walker{d: d, out: out, index: index, base: base, warn: report, lose: reportLost,
		free: free, size: n, trusted: trusted}
	w.walk()
}

// checkChunkHeader reports checksum and offset damage in the chunk header
// and returns the free-space offset to walk records up to.
func (d *decoder) checkChunkHeader(report func(int, error)) int {
	b := d.chunk
	free := int(binary.LittleEndian.Uint32(b[48:]))
	if free < chunkHeaderSize || free > chunkSize {
		report(48, fmt.Errorf("free-space offset 0x%x outside the chunk; reading to the chunk end", free))
		free = chunkSize
	}
	if binary.LittleEndian.Uint32(b[120:])&chunkFlagNoCRC != 0 {
		return free
	}
	h := crc32.ChecksumIEEE(b[:120])
	h = crc32.Update(h, crc32.IEEETable, b[128:chunkHeaderSize])
	if want := binary.LittleEndian.Uint32(b[124:]); want != h {
		report(124, fmt.Errorf("chunk header checksum mismatch: stored 0x%08x, computed 0x%08x", want, h))
	}
	if want, got := binary.LittleEndian.Uint32(b[52:]), crc32.ChecksumIEEE(b[chunkHeaderSize:free]); want != got {
		report(52, fmt.Errorf("record data checksum mismatch: stored 0x%08x, computed 0x%08x", want, got))
	}
	return free
}

func isZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// walker walks the records of one chunk.
type walker struct {
	d     *decoder
	out   *chunkOutput
	index int
	base  int64
	warn  func(int, error) // reports damage that lost no record
	lose  func(int, error) // reports damage that lost records
	free  int              // free-space offset: end of the records the header vouches for
	size  int              // bytes of the chunk present in the file; the rest is zeros
	// trusted is set when the chunk signature is intact, so the header's
	// free-space offset marks the end of the records. Without it, damaged bytes
	// count as a lost record only when they contain a record signature.
	trusted bool

	lastID  uint64
	haveID  bool
	resumed bool // the walk skipped damage, so the next record is recovered
}

// validRecord returns the size of the record at off if its header and
// trailing size copy are consistent, or 0.
func (w *walker) validRecord(off int) int {
	b := w.d.chunk
	if off+minRecordSize > chunkSize || !bytes.Equal(b[off:off+4], recordSignature) {
		return 0
	}
	size := int(binary.LittleEndian.Uint32(b[off+4:]))
	if size < minRecordSize || size > chunkSize-off {
		return 0
	}
	if int(binary.LittleEndian.Uint32(b[off+size-4:])) != size {
		return 0
	}
	return size
}

// walk reads records from offset 512. Inside the area before the
// free-space offset, damage is skipped by scanning for the next valid
// record. Past it, records are read only while their identifiers continue
// the chunk's sequence: what follows is either records a dirty file did
// not account for, or stale copies in the slack space.
func (w *walker) walk() {
	b := w.d.chunk
	off := chunkHeaderSize
	for off+minRecordSize <= chunkSize {
		size := w.validRecord(off)
		if size > 0 && off >= w.free {
			id := binary.LittleEndian.Uint64(b[off+8:])
			if !w.haveID || id != w.lastID+1 {
				return
			}
			w.resumed = true
		}
		if size > 0 {
			w.record(off, size)
			off += size
			continue
		}
		if off >= w.free {
			return
		}
		if isZero(b[off:w.free]) {
			if off >= w.size && w.trusted {
				w.lose(off, fmt.Errorf("file ends inside the chunk; records up to the free-space offset 0x%x are lost", w.free))
			}
			return
		}
		next := w.scan(off+1, w.free)
		if next < 0 {
			w.damaged(off, w.free)(off, fmt.Errorf("invalid record; no intact record in the %d bytes up to the free-space offset", w.free-off))
			return
		}
		w.damaged(off, next)(off, fmt.Errorf("invalid record; skipped %d bytes to the next intact record", next-off))
		w.resumed = true
		off = next
	}
}

// damaged returns the report function for the damaged bytes [from, to):
// lose when they held at least one record, warn otherwise.
func (w *walker) damaged(from, to int) func(int, error) {
	if w.trusted || bytes.Contains(w.d.chunk[from:to], recordSignature) {
		return w.lose
	}
	return w.warn
}

// scan returns the offset of the first valid record in [from, limit), or -1.
func (w *walker) scan(from, limit int) int {
	b := w.d.chunk
	for from < limit {
		i := bytes.Index(b[from:limit], recordSignature)
		if i < 0 {
			return -1
		}
		if w.validRecord(from+i) > 0 {
			return from + i
		}
		from += i + 1
	}
	return -1
}

// record decodes the valid record at off.
func (w *walker) record(off, size int) {
	b := w.d.chunk
	id := binary.LittleEndian.Uint64(b[off+8:])
	w.lastID, w.haveID = id, true
	bld := &w.d.b
	bld.work = 0
	bld.textMark = len(w.out.text)
	c := &cursor{b: b, pos: off + recordHeaderSize, end: off + size - 4}
	var root *winxml.Node
	bld.buildFragment(c, 0, func(n *winxml.Node) {
		if root == nil {
			root = n
		}
	})
	w.d.values = w.d.values[:0]
	if c.err == nil && root == nil {
		c.err = errors.New("record contains no element")
	}

	if c.err != nil {
		bld.children, bld.attrs, bld.texts = bld.children[:0], bld.attrs[:0], bld.texts[:0]
		w.lose(off, fmt.Errorf("record %d: %w", id, c.err))
		return
	}
	if w.resumed {
		w.out.recovered++
		w.resumed = false
	}
	w.out.records = append(w.out.records, Record{
		ID:      id,
		Written: fileTime(binary.LittleEndian.Uint64(b[off+16:])),
		Root:    root,
		Chunk:   w.index,
		Offset:  w.base + int64(off),
	})
}
