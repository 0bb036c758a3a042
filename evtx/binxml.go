package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unsafe"
)

// Binary XML token codes. Bit 0x40 on some tokens means "attributes follow"
// (element start) or "more data follows"; it is masked off before dispatch.
const (
	tokEOF              = 0x00
	tokOpenStart        = 0x01
	tokCloseStart       = 0x02
	tokCloseEmpty       = 0x03
	tokEndElement       = 0x04
	tokValue            = 0x05
	tokAttribute        = 0x06
	tokCDATA            = 0x07
	tokCharRef          = 0x08
	tokEntityRef        = 0x09
	tokPITarget         = 0x0A
	tokPIData           = 0x0B
	tokTemplateInstance = 0x0C
	tokNormalSub        = 0x0D
	tokOptionalSub      = 0x0E
	tokFragmentHeader   = 0x0F

	tokMoreFlag = 0x40
)

// maxDepth bounds element nesting plus nested binary XML values, so hostile
// input cannot exhaust the stack.
const maxDepth = 64

var errTruncated = errors.New("binary XML runs past the end of its data")

// cursor reads little-endian fields from a chunk between pos and end. The
// first failed read sets err and moves pos to end, so loops stop.
type cursor struct {
	b   []byte // the whole chunk; name and template offsets index into it
	pos int
	end int
	err error
}

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	c.pos = c.end
}

func (c *cursor) need(n int) bool {
	if c.err != nil {
		return false
	}
	if n < 0 || c.end-c.pos < n {
		c.fail(errTruncated)
		return false
	}
	return true
}

func (c *cursor) u8() byte {
	if !c.need(1) {
		return 0
	}
	v := c.b[c.pos]
	c.pos++
	return v
}

func (c *cursor) u16() uint16 {
	if !c.need(2) {
		return 0
	}
	v := binary.LittleEndian.Uint16(c.b[c.pos:])
	c.pos += 2
	return v
}

func (c *cursor) u32() uint32 {
	if !c.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(c.b[c.pos:])
	c.pos += 4
	return v
}

func (c *cursor) bytes(n int) []byte {
	if !c.need(n) {
		return nil
	}
	v := c.b[c.pos : c.pos+n]
	c.pos += n
	return v
}

func (c *cursor) peek() (byte, bool) {
	if c.err != nil || c.pos >= c.end {
		return 0, false
	}
	return c.b[c.pos], true
}

// partKind is the kind of one part of an element's content or attribute value.
type partKind uint8

const (
	partText partKind = iota // literal text, already escaped
	partSub                  // substitution of a template value
	partElem                 // child element (content only)
)

// part is one piece of an element's content or an attribute's value.
type part struct {
	kind     partKind
	optional bool   // optional substitution: an empty value emits nothing
	index    uint16 // substitution value index
	text     string
	elem     *elemDef
}

type attrDef struct {
	name  string
	parts []part
}

// elemDef is a parsed element: of a template definition, with substitution
// parts for the values of each instance, or of a record without a template.
type elemDef struct {
	name    string
	dep     int // dependency value index, -1 for none
	attrs   []attrDef
	content []part
}

// templateDef is a parsed template definition, cached per chunk by offset.
type templateDef struct {
	guid [16]byte
	root *elemDef
	err  error // parse error, cached so a damaged definition is parsed once
}

// readName reads a name offset at c.pos and returns the name. A name stored
// inline right after its offset field is skipped over.
func (d *decoder) readName(c *cursor) string {
	off := c.u32()
	if c.err != nil {
		return ""
	}
	if int(off) == c.pos {
		name, size, err := d.parseName(int(off), c.end)
		if err != nil {
			c.fail(err)
			return ""
		}
		c.pos += size
		return name
	}
	if name, ok := d.names[off]; ok {
		return name
	}
	name, _, err := d.parseName(int(off), chunkSize)
	if err != nil {
		c.fail(err)
		return ""
	}
	return name
}

// parseName decodes the name structure at chunk offset off, which must end
// by limit: next-name offset u32, hash u16, character count u16, UTF-16LE
// characters and a NUL. It returns the name and the structure's size.
func (d *decoder) parseName(off, limit int) (string, int, error) {
	if off < chunkHeaderSize || off+8 > limit {
		return "", 0, fmt.Errorf("name offset 0x%x outside the chunk's record area", off)
	}
	n := int(binary.LittleEndian.Uint16(d.chunk[off+6:]))
	size := 8 + 2*n + 2
	if off+size > limit {
		return "", 0, fmt.Errorf("name at 0x%x with %d characters runs past its data", off, n)
	}
	if name, ok := d.names[uint32(off)]; ok {
		return name, size, nil
	}
	d.scratch = appendUTF16(d.scratch[:0], d.chunk[off+8:off+8+2*n], escapeNone)
	name := d.intern(d.scratch)
	d.names[uint32(off)] = name
	return name, size, nil
}

// intern returns b as a string shared by every chunk the decoder reads.
func (d *decoder) intern(b []byte) string {
	if s, ok := d.internTable[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.internTable) < maxInterned {
		d.internTable[s] = s
	}
	return s
}

const maxInterned = 1 << 14

// plausibleName reports whether off, read from a name offset field ending at
// fieldEnd, can be a name: either stored inline right there, or earlier in
// the chunk's record area.
func (d *decoder) plausibleName(off uint32, fieldEnd, end int) bool {
	o := int(off)
	if o == fieldEnd {
		if o+8 > end {
			return false
		}
		n := int(binary.LittleEndian.Uint16(d.chunk[o+6:]))
		return o+8+2*n+2 <= end
	}
	return o >= chunkHeaderSize && o < fieldEnd && o+8 <= chunkSize
}

// hasDependencyID decides whether the element start at c.pos (after the
// token byte) carries a u16 dependency identifier before its data size.
// Template definitions normally have it and other contexts do not; the
// name offset that follows shows which layout the bytes really use.
func (d *decoder) hasDependencyID(c *cursor, inTemplate bool) bool {
	p := c.pos
	withOK, withoutOK := false, false
	if p+10 <= c.end {
		withOK = d.plausibleName(binary.LittleEndian.Uint32(d.chunk[p+6:]), p+10, c.end)
	}
	if p+8 <= c.end {
		withoutOK = d.plausibleName(binary.LittleEndian.Uint32(d.chunk[p+4:]), p+8, c.end)
	}
	if inTemplate {
		return withOK || !withoutOK
	}
	return withOK && !withoutOK
}

// irArena holds the parsed elements of one chunk's templates and
// template-less records. They live until the next chunk, so their memory
// is reused; literal text goes to a buffer of its own because the trees
// delivered to the callback refer to it.
type irArena struct {
	elems slab[elemDef]
	parts slab[part]
	attrs slab[attrDef]
	lits  []byte // append-only, fresh for each chunk that used it

	partStack []part // parts of the elements being parsed
	attrStack []attrDef
}

func (a *irArena) reset() {
	a.elems.reset()
	a.parts.reset()
	a.attrs.reset()
	if len(a.lits) > 0 || a.lits == nil {
		a.lits = make([]byte, 0, 4<<10)
	}
	a.partStack = a.partStack[:0]
	a.attrStack = a.attrStack[:0]
}

// literal returns lits[start:] as a string without copying; the buffer is
// append-only, so the bytes are never written again.
func (a *irArena) literal(start int) string {
	if start == len(a.lits) {
		return ""
	}
	return unsafe.String(&a.lits[start], len(a.lits)-start)
}

// popParts moves the part stack above mark into the arena.
func (a *irArena) popParts(mark int) []part {
	n := len(a.partStack) - mark
	if n == 0 {
		return nil
	}
	parts := a.parts.alloc(n)
	copy(parts, a.partStack[mark:])
	clear(a.partStack[mark:])
	a.partStack = a.partStack[:mark]
	return parts
}

// parseElement parses an element whose start token tok was just read.
func (d *decoder) parseElement(c *cursor, tok byte, inTemplate bool, depth int) *elemDef {
	if depth > maxDepth {
		c.fail(fmt.Errorf("elements nested deeper than %d", maxDepth))
		return nil
	}
	ir := &d.ir
	e := &ir.elems.alloc(1)[0]
	e.dep = -1
	if d.hasDependencyID(c, inTemplate) {
		if dep := c.u16(); dep != 0xFFFF {
			e.dep = int(dep)
		}
	}
	c.u32() // data size: not reliable enough to bound the element
	e.name = d.readName(c)

	if tok&tokMoreFlag != 0 {
		c.u32() // attribute list size
		attrMark := len(ir.attrStack)
		for {
			t, ok := c.peek()
			if !ok || t&^tokMoreFlag != tokAttribute {
				break
			}
			c.pos++
			name := d.readName(c)
			partMark := len(ir.partStack)
			d.parseValueParts(c)
			ir.attrStack = append(ir.attrStack, attrDef{name: name, parts: ir.popParts(partMark)})
		}
		if n := len(ir.attrStack) - attrMark; n > 0 {
			e.attrs = ir.attrs.alloc(n)
			copy(e.attrs, ir.attrStack[attrMark:])
			clear(ir.attrStack[attrMark:])
			ir.attrStack = ir.attrStack[:attrMark]
		}
	}

	switch t := c.u8(); t {
	case tokCloseEmpty:
		return e
	case tokCloseStart:
	default:
		if c.err == nil {
			c.fail(fmt.Errorf("unexpected token 0x%02x at 0x%x after start of element %q", t, c.pos-1, e.name))
		}
		return e
	}
	partMark := len(ir.partStack)
	d.parseContent(c, e, inTemplate, depth)
	e.content = ir.popParts(partMark)
	return e
}

// parseContent parses element content up to and including the end token,
// pushing its parts on the part stack.
func (d *decoder) parseContent(c *cursor, e *elemDef, inTemplate bool, depth int) {
	for c.err == nil {
		t := c.u8()
		switch t &^ tokMoreFlag {
		case tokEndElement:
			return
		case tokOpenStart:
			child := d.parseElement(c, t, inTemplate, depth+1)
			d.ir.partStack = append(d.ir.partStack, part{kind: partElem, elem: child})
		case tokValue, tokCDATA, tokCharRef, tokEntityRef, tokNormalSub, tokOptionalSub:
			c.pos--
			d.parseValueParts(c)
		case tokPITarget:
			d.readName(c)
		case tokPIData:
			n := int(c.u16())
			c.bytes(2 * n)
		default:
			if c.err == nil {
				c.fail(fmt.Errorf("unexpected token 0x%02x at 0x%x in element %q", t, c.pos-1, e.name))
			}
		}
	}
}

// parseValueParts parses consecutive text, reference and substitution
// tokens and pushes them on the part stack.
func (d *decoder) parseValueParts(c *cursor) {
	ir := &d.ir
	pushText := func(start int) {
		ir.partStack = append(ir.partStack, part{kind: partText, text: ir.literal(start)})
	}
	for c.err == nil {
		t, ok := c.peek()
		if !ok {
			return
		}
		start := len(ir.lits)
		switch t &^ tokMoreFlag {
		case tokValue:
			c.pos++
			c.u8() // value type, always string
			n := int(c.u16())
			ir.lits = appendUTF16(ir.lits, c.bytes(2*n), escapeText)
			pushText(start)
		case tokCDATA:
			c.pos++
			n := int(c.u16())
			ir.lits = append(ir.lits, "<![CDATA["...)
			ir.lits = appendUTF16(ir.lits, c.bytes(2*n), escapeNone)
			ir.lits = append(ir.lits, "]]>"...)
			pushText(start)
		case tokCharRef:
			c.pos++
			v := c.u16()
			ir.lits = append(ir.lits, "&#"...)
			ir.lits = strconv.AppendUint(ir.lits, uint64(v), 10)
			ir.lits = append(ir.lits, ';')
			pushText(start)
		case tokEntityRef:
			c.pos++
			name := d.readName(c)
			ir.lits = append(append(append(ir.lits, '&'), name...), ';')
			pushText(start)
		case tokNormalSub, tokOptionalSub:
			c.pos++
			idx := c.u16()
			c.u8() // declared type; the value descriptor's type is used
			ir.partStack = append(ir.partStack, part{kind: partSub, index: idx, optional: t == tokOptionalSub})
		default:
			return
		}
	}
}

// template returns the template definition at chunk offset off, parsing
// and caching it on first use.
func (d *decoder) template(off int) (*templateDef, int, error) {
	if off < chunkHeaderSize || off+24 > chunkSize {
		return nil, 0, fmt.Errorf("template definition offset 0x%x outside the chunk's record area", off)
	}
	size := int(binary.LittleEndian.Uint32(d.chunk[off+20:]))
	if size > chunkSize-off-24 {
		return nil, 0, fmt.Errorf("template definition at 0x%x: data size %d runs past the chunk", off, size)
	}
	if t, ok := d.templates[uint32(off)]; ok {
		return t, 24 + size, t.err
	}
	// Failures are cached too, so records referring to a damaged
	// definition do not parse it again.
	t := &templateDef{}
	copy(t.guid[:], d.chunk[off+4:off+20])
	c := &cursor{b: d.chunk, pos: off + 24, end: off + 24 + size}
	t.root = d.parseFragmentElement(c, true, 0)
	switch {
	case c.err != nil:
		t.err = fmt.Errorf("template definition %s at 0x%x: %w", formatGUID(t.guid[:]), off, c.err)
	case t.root == nil:
		t.err = fmt.Errorf("template definition %s at 0x%x has no element", formatGUID(t.guid[:]), off)
	}
	d.templates[uint32(off)] = t
	return t, 24 + size, t.err
}

// parseFragmentElement parses a fragment that must hold a plain element.
func (d *decoder) parseFragmentElement(c *cursor, inTemplate bool, depth int) *elemDef {
	for c.err == nil {
		t := c.u8()
		switch t &^ tokMoreFlag {
		case tokFragmentHeader:
			c.bytes(3)
		case tokPITarget:
			d.readName(c)
		case tokPIData:
			c.bytes(2 * int(c.u16()))
		case tokOpenStart:
			return d.parseElement(c, t, inTemplate, depth+1)
		case tokEOF:
			return nil
		default:
			if c.err == nil {
				c.fail(fmt.Errorf("unexpected token 0x%02x at 0x%x at fragment start", t, c.pos-1))
			}
		}
	}
	return nil
}

// value is one template substitution value: its type and where its bytes
// are in the chunk.
type value struct {
	typ  byte
	off  int
	size int
}

// parseInstance parses a template instance whose token was just read and
// returns its definition and values. The values are appended to d.values.
func (d *decoder) parseInstance(c *cursor) (*templateDef, []value) {
	c.u8() // unknown, 0x01
	c.u32()
	defOff := int(c.u32())
	if c.err != nil {
		return nil, nil
	}
	t, size, err := d.template(defOff)
	if err != nil {
		t = nil
		c.fail(err)
		return nil, nil
	}
	if defOff == c.pos {
		c.bytes(size) // definition stored inline
	}
	n := int(c.u32())
	if c.err != nil {
		return nil, nil
	}
	if n > (c.end-c.pos)/4 {
		c.fail(fmt.Errorf("template instance declares %d values, more than its data can hold", n))
		return nil, nil
	}

	mark := len(d.values)
	desc := c.bytes(4 * n)
	off := c.pos
	for i := range n {
		size := int(binary.LittleEndian.Uint16(desc[4*i:]))
		d.values = append(d.values, value{typ: desc[4*i+2], off: off, size: size})
		off += size
	}
	if off > c.end {
		d.values = d.values[:mark]
		c.fail(fmt.Errorf("template instance values need %d bytes, %d left", off-c.pos, c.end-c.pos))
		return nil, nil
	}

	c.pos = off
	return t, d.values[mark:len(d.values):len(d.values)]
}
