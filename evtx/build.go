package evtx

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/spelunk/spelunk/winxml"
)

// Limits on what one record may cost. Templates are referenced by offset
// and values can nest binary XML, so a small hostile record could otherwise
// expand exponentially. Work counts elements, content parts, substitution
// values, array items and bytes of nested binary XML. The chunk limits also
// bound the memory of one chunk's trees, which wait for the callback.
const (
	maxRecordWork = 1 << 20
	maxRecordText = 4 << 20
	maxChunkWork  = 1 << 23
	maxChunkText  = 32 << 20
)

var errTooLarge = errors.New("record expands beyond the size limit")

// slab hands out slices of T from reusable blocks, so the nodes of a
// chunk's trees cost no allocation once the blocks exist.
type slab[T any] struct {
	blocks [][]T
	cur    int // index of the block being filled
}

const slabBlock = 1024

// alloc returns n zeroed elements. The slice's capacity is n, so an append
// by the caller cannot overwrite a neighbour.
func (s *slab[T]) alloc(n int) []T {
	if n > slabBlock {
		return make([]T, n)
	}
	for {
		if s.cur == len(s.blocks) {
			s.blocks = append(s.blocks, make([]T, 0, slabBlock))
		}
		b := s.blocks[s.cur]
		if len(b)+n <= cap(b) {
			s.blocks[s.cur] = b[:len(b)+n]
			return b[len(b) : len(b)+n : len(b)+n]
		}
		s.cur++
	}
}

// reset zeroes every handed-out element and makes the blocks reusable.
func (s *slab[T]) reset() {
	for i := range s.blocks {
		clear(s.blocks[i])
		s.blocks[i] = s.blocks[i][:0]
	}
	s.cur = 0
}

// arena holds the trees of one chunk's records until they are delivered.
type arena struct {
	nodes slab[winxml.Node]
	ptrs  slab[*winxml.Node]
	attrs slab[winxml.Attr]
	texts slab[string]
}

func (a *arena) reset() {
	a.nodes.reset()
	a.ptrs.reset()
	a.attrs.reset()
	a.texts.reset()
}

// builder turns parsed elements and substitution values into winxml trees.
// It keeps scratch stacks for the children, attributes and texts of the
// elements under construction. A completed element moves its own top of
// the stacks into the arena.
type builder struct {
	d         *decoder
	out       *chunkOutput
	children  []*winxml.Node
	attrs     []winxml.Attr
	texts     []string
	work      int // work spent on the current record
	chunkWork int // work spent on the whole chunk
	textMark  int // len(out.text) when the current record started
}

// str turns out.text[start:] into a string without copying. The text
// buffer is append-only and a fresh one is allocated for every chunk, so
// the bytes behind the string are never written again.
func (b *builder) str(start int) string {
	t := b.out.text
	if start == len(t) {
		return ""
	}
	return unsafe.String(&t[start], len(t)-start)
}

// spend adds n units of work and fails c when a limit is exceeded.
func (b *builder) spend(c *cursor, n int) bool {
	b.work += n
	b.chunkWork += n
	if b.work > maxRecordWork || len(b.out.text)-b.textMark > maxRecordText ||
		b.chunkWork > maxChunkWork || len(b.out.text) > maxChunkText {
		c.fail(errTooLarge)
		return false
	}
	return true
}

// isEmpty reports whether v renders as nothing, which drops an optional
// substitution.
func (b *builder) isEmpty(v value) bool {
	return v.typ == typeNull || v.size == 0
}

// build instantiates e with vals and returns the node, or nil when the
// element's dependency value is NULL and the element is left out.
func (b *builder) build(c *cursor, e *elemDef, vals []value, depth int) *winxml.Node {
	if !b.spend(c, 1+len(e.attrs)+len(e.content)) {
		return nil
	}
	if e.dep >= 0 && e.dep < len(vals) && vals[e.dep].typ == typeNull {
		return nil
	}
	if depth > maxDepth {
		c.fail(fmt.Errorf("elements nested deeper than %d", maxDepth))
		return nil
	}
	n := &b.out.arena.nodes.alloc(1)[0]
	n.Name = e.name

	attrMark := len(b.attrs)
	for i := range e.attrs {
		b.buildAttr(&e.attrs[i], vals)
	}
	if k := len(b.attrs) - attrMark; k > 0 {
		n.Attrs = b.out.arena.attrs.alloc(k)
		copy(n.Attrs, b.attrs[attrMark:])
		b.attrs = b.attrs[:attrMark]
	}

	childMark, textMark := len(b.children), len(b.texts)
	b.buildContent(c, e.content, vals, depth)
	if k := len(b.children) - childMark; k > 0 {
		n.Children = b.out.arena.ptrs.alloc(k)
		copy(n.Children, b.children[childMark:])
		clear(b.children[childMark:])
		b.children = b.children[:childMark]
	}
	if k := len(b.texts) - textMark; k > 0 {
		n.Text = b.out.arena.texts.alloc(k)
		copy(n.Text, b.texts[textMark:])
		b.texts = b.texts[:textMark]
	}
	return n
}

// buildAttr renders one attribute onto the attribute stack. An attribute
// made only of optional substitutions that are all empty is left out.
func (b *builder) buildAttr(a *attrDef, vals []value) {
	if len(a.parts) == 1 && a.parts[0].kind == partText {
		b.attrs = append(b.attrs, winxml.Attr{Name: a.name, Value: a.parts[0].text})
		return
	}
	start := len(b.out.text)
	kept := len(a.parts) == 0
	for _, p := range a.parts {
		switch p.kind {
		case partText:
			b.out.text = append(b.out.text, p.text...)
			kept = true
		case partSub:
			v := value{}
			if int(p.index) < len(vals) {
				v = vals[p.index]
			}
			if p.optional && b.isEmpty(v) {
				continue
			}
			kept = true
			b.appendValueJoined(v, escapeAttr)
		}
	}
	if kept {
		b.attrs = append(b.attrs, winxml.Attr{Name: a.name, Value: b.str(start)})
	}
}

// appendValueJoined renders v into the text buffer; array items are joined
// with a space because an attribute holds one string.
func (b *builder) appendValueJoined(v value, mode escapeMode) {
	data := b.d.valueBytes(v)
	if v.typ&typeArray == 0 {
		b.out.text = appendScalar(b.out.text, v.typ, data, mode)
		return
	}
	first := true
	forEachItem(v.typ&^typeArray, data, func(item []byte) {
		b.work++
		if !first {
			b.out.text = append(b.out.text, ' ')
		}
		first = false
		b.out.text = appendScalar(b.out.text, v.typ&^typeArray, item, mode)
	})
}

// buildContent builds the children and text entries of one element.
// Adjacent text parts join into one entry; each item of an array
// substitution starts a new entry.
func (b *builder) buildContent(c *cursor, content []part, vals []value, depth int) {
	if len(content) == 1 && content[0].kind == partText {
		b.texts = append(b.texts, content[0].text)
		return
	}
	start := len(b.out.text)
	open := false // whether out.text[start:] is a text entry in progress
	flush := func() {
		if open {
			b.texts = append(b.texts, b.str(start))
			open = false
		}
		start = len(b.out.text)
	}
	for _, p := range content {
		if c.err != nil {
			return
		}
		switch p.kind {
		case partText:
			b.out.text = append(b.out.text, p.text...)
			open = true
		case partElem:
			if child := b.build(c, p.elem, vals, depth+1); child != nil {
				b.children = append(b.children, child)
			}
		case partSub:
			v := value{}
			if int(p.index) < len(vals) {
				v = vals[p.index]
			}
			if p.optional && b.isEmpty(v) {
				continue
			}
			switch {
			case v.typ == typeBinXML:
				b.buildNested(c, v, depth)
			case v.typ&typeArray != 0:
				first := true
				forEachItem(v.typ&^typeArray, b.d.valueBytes(v), func(item []byte) {
					b.work++
					if !first {
						flush()
					}
					first = false
					b.out.text = appendScalar(b.out.text, v.typ&^typeArray, item, escapeText)
					open = true
				})
			default:
				before := len(b.out.text)
				b.out.text = appendScalar(b.out.text, v.typ, b.d.valueBytes(v), escapeText)
				open = open || len(b.out.text) > before
			}
		}
	}
	flush()
}

// buildNested decodes a binary XML value (a fragment with an element or a
// template instance of its own) and appends its elements as children.
func (b *builder) buildNested(c *cursor, v value, depth int) {
	if depth+1 > maxDepth {
		c.fail(fmt.Errorf("binary XML values nested deeper than %d", maxDepth))
		return
	}
	// Parsing costs time in proportion to the value's bytes, and a value
	// can be referenced many times.
	if !b.spend(c, 1+v.size/16) {
		return
	}
	nc := &cursor{b: c.b, pos: v.off, end: v.off + v.size}
	b.buildFragment(nc, depth+1, func(n *winxml.Node) {
		b.children = append(b.children, n)
	})
	if nc.err != nil {
		c.fail(fmt.Errorf("binary XML value at 0x%x: %w", v.off, nc.err))
	}
}

// buildFragment decodes a fragment and calls emit for each top-level
// element it holds.
func (b *builder) buildFragment(c *cursor, depth int, emit func(*winxml.Node)) {
	d := b.d
	for c.err == nil {
		t, ok := c.peek()
		if !ok {
			return
		}
		c.pos++
		switch t &^ tokMoreFlag {
		case tokEOF:
			return
		case tokFragmentHeader:
			c.bytes(3)
		case tokPITarget:
			d.readName(c)
		case tokPIData:
			c.bytes(2 * int(c.u16()))
		case tokTemplateInstance:
			mark := len(d.values)
			tmpl, vals := d.parseInstance(c)
			if tmpl != nil && b.spend(c, len(vals)) {
				if n := b.build(c, tmpl.root, vals, depth); n != nil {
					emit(n)
				}
			}
			d.values = d.values[:mark]
		case tokOpenStart:
			e := d.parseElement(c, t, false, depth)
			if c.err == nil && e != nil {
				if n := b.build(c, e, nil, depth); n != nil {
					emit(n)
				}
			}
		default:
			c.fail(fmt.Errorf("unexpected token 0x%02x at 0x%x at fragment start", t, c.pos-1))
		}
	}
}
