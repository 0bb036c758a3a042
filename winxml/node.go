// Package winxml holds the element tree of one Windows event as Windows
// renders it to XML. Both the XML text decoder and the EVTX decoder build
// this tree, so field extraction runs on one shape whatever the input.
//
// Text and attribute values are kept in their rendered, escaped form
// ("&amp;", "&lt;", "&gt;" in text), because Splunk's Windows add-on
// extracts values from the raw XML without decoding entities and the
// security content matches that form.
package winxml

import "strings"

// Attr is one attribute; Value is escaped as Windows renders it.
type Attr struct {
	Name  string
	Value string
}

// Node is one element.
type Node struct {
	Name     string
	Attrs    []Attr
	Children []*Node
	// Text is the element's character data, escaped as rendered. An EVTX
	// string array substitution gives one entry per array item, which
	// becomes a multivalue field; XML text gives at most one entry.
	Text []string
}

// Attr returns the value of the named attribute.
func (n *Node) Attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// Child returns the first child element with the given name, or nil.
func (n *Node) Child(name string) *Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// JoinedText returns the element's text as one string.
func (n *Node) JoinedText() string {
	if n == nil {
		return ""
	}
	if len(n.Text) == 1 {
		return n.Text[0]
	}
	return strings.Join(n.Text, "")
}

// Render writes the element as single-line XML with single-quoted
// attributes, the form a Splunk forwarder stores for XmlWinEventLog. An
// element whose text has several entries (an EVTX string array) is
// written once per entry, as Windows renders array values.
func (n *Node) Render(b *strings.Builder) {
	if len(n.Text) > 1 && len(n.Children) == 0 {
		for _, t := range n.Text {
			one := Node{Name: n.Name, Attrs: n.Attrs, Text: []string{t}}
			one.Render(b)
		}
		return
	}
	b.WriteByte('<')
	b.WriteString(n.Name)
	for _, a := range n.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.Name)
		b.WriteString("='")
		b.WriteString(a.Value)
		b.WriteByte('\'')
	}
	if len(n.Children) == 0 && len(n.Text) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, t := range n.Text {
		b.WriteString(t)
	}
	for _, c := range n.Children {
		c.Render(b)
	}
	b.WriteString("</")
	b.WriteString(n.Name)
	b.WriteByte('>')
}

// String renders the element as XML.
func (n *Node) String() string {
	var b strings.Builder
	n.Render(&b)
	return b.String()
}
