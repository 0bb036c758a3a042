package winevent

import (
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/winxml"
)

// Sourcetypes and source prefixes the Windows add-on assigns.
const (
	XMLSourcetype     = "XmlWinEventLog"
	ClassicSourcetype = "WinEventLog"
	vendorProduct     = "Microsoft Windows"
)

// FromNode builds the event Splunk's Windows add-on (stanza
// [XmlWinEventLog]) extracts from one rendered Windows event:
//
//   - every leaf element of System without attributes, by element name
//     (EventID only when it has no Qualifiers attribute), and every System
//     attribute by attribute name (Name, Guid, SystemTime, ProcessID, ...);
//   - each EventData element with a Name attribute as that name; repeated
//     names and multi-entry text become multivalue fields;
//   - each UserData leaf element by element name;
//   - RenderingInfo's Message as Message;
//   - the blocks System_Props_Xml, EventData_Xml, UserData_Xml,
//     RenderingInfo_Xml and DebugData_Xml as their inner XML;
//   - the derived fields EventCode, RecordNumber, event_id, id, dvc, dest,
//     user_id, signature_id, vendor_product and the rest listed in
//     addDerived, and the CIM process fields for Security 4688;
//   - host (Computer), source (XmlWinEventLog:<Channel>), sourcetype
//     (XmlWinEventLog) and _time (SystemTime).
//
// Values stay escaped as rendered. Empty values create no field. _time is
// missing when the event has no parsable SystemTime; callers that know
// another time for the record (EVTX's written time) set it themselves.
// _raw renders lazily as single-line XML (winxml's rendering) from strings
// copied out of root, so root may be changed or reused once FromNode
// returns.
func FromNode(root *winxml.Node) *event.Event {
	ev := &event.Event{Fields: make([]event.Field, 0, 48)}
	system := root.Child("System")
	if tc := system.Child("TimeCreated"); tc != nil {
		if v, ok := tc.Attr("SystemTime"); ok {
			if t, ok := parseTime(v); ok {
				ev.SetTime(t)
			}
		}
	}
	setMetadata(ev, system.Child("Computer").JoinedText(), system.Child("Channel").JoinedText())
	if system != nil {
		extractSystem(ev, system)
	}
	for _, c := range root.Children {
		switch c.Name {
		case "EventData":
			extractEventData(ev, c)
		case "UserData":
			extractLeaves(ev, c)
		case "RenderingInfo":
			if m := c.Child("Message"); m != nil {
				addText(ev, "Message", m.Text)
			}
		}
	}
	raw := rawPieces(root)
	for i, c := range root.Children {
		if block := blockField(c.Name); block != "" && raw.inner[i] != "" {
			ev.Add(block, raw.inner[i])
		}
	}
	if code := system.Child("EventID").JoinedText(); code != "" {
		ev.Set("EventCode", code)
	}
	addDerived(ev)
	ev.SetLazy(event.RawField, func() []string { return []string{raw.render()} })
	return ev
}

// extractSystem applies the add-on's two System rules to every element
// below System: attributes become fields by attribute name, and elements
// without attributes or children become fields by element name.
func extractSystem(ev *event.Event, n *winxml.Node) {
	for _, c := range n.Children {
		for _, a := range c.Attrs {
			if a.Value != "" && !strings.HasPrefix(a.Name, "xmlns") {
				ev.Add(a.Name, a.Value)
			}
		}
		if len(c.Children) > 0 {
			extractSystem(ev, c)
			continue
		}
		if len(c.Attrs) == 0 {
			if t := c.JoinedText(); t != "" {
				ev.Add(c.Name, t)
			}
		}
	}
}

// extractEventData adds one field per element carrying a Name attribute.
// Unnamed <Data> and <Binary> elements give no field.
func extractEventData(ev *event.Event, n *winxml.Node) {
	for _, c := range n.Children {
		if len(c.Children) > 0 {
			continue
		}
		if name, ok := c.Attr("Name"); ok && name != "" {
			addText(ev, name, c.Text)
		}
	}
}

// extractLeaves adds every element without children below n by element
// name. Attributes inside UserData give no field.
func extractLeaves(ev *event.Event, n *winxml.Node) {
	for _, c := range n.Children {
		if len(c.Children) > 0 {
			extractLeaves(ev, c)
			continue
		}
		addText(ev, c.Name, c.Text)
	}
}

// addText adds each non-empty text entry as one value.
func addText(ev *event.Event, name string, text []string) {
	for _, t := range text {
		if t != "" {
			ev.Add(name, t)
		}
	}
}

func blockField(element string) string {
	switch element {
	case "System":
		return "System_Props_Xml"
	case "EventData", "UserData", "RenderingInfo", "DebugData":
		return element + "_Xml"
	}
	return ""
}

// rawXML holds the rendered parts of an <Event> element, so _raw can be
// put together later without the tree.
type rawXML struct {
	name  string   // root element name
	open  string   // root start tag without its closing '>'
	text  string   // root text
	tags  []string // each child's start tag without its closing '>'
	inner []string // inner XML of each child
	names []string // each child's name
	empty []bool   // children rendered as "<name/>"
}

func rawPieces(root *winxml.Node) *rawXML {
	r := &rawXML{
		inner: make([]string, len(root.Children)),
		tags:  make([]string, len(root.Children)),
		names: make([]string, len(root.Children)),
		empty: make([]bool, len(root.Children)),
		name:  root.Name,
		text:  strings.Join(root.Text, ""),
	}
	r.open = startTag(root)
	for i, c := range root.Children {
		r.tags[i] = startTag(c)
		r.names[i] = c.Name
		r.inner[i] = innerXML(c)
		r.empty[i] = len(c.Children) == 0 && len(c.Text) == 0
	}
	return r
}

// startTag renders "<name attr='value'..." without the closing '>'.
func startTag(n *winxml.Node) string {
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(n.Name)
	for _, a := range n.Attrs {
		b.WriteByte(' ')
		b.WriteString(a.Name)
		b.WriteString("='")
		b.WriteString(a.Value)
		b.WriteByte('\'')
	}
	return b.String()
}

// render produces the same text as winxml.Node.String on the original tree.
func (r *rawXML) render() string {
	var b strings.Builder
	b.WriteString(r.open)
	if len(r.tags) == 0 && r.text == "" {
		// winxml renders an element without children or text entries as
		// "<name/>"; a root from the XML parser has no empty text entries.
		b.WriteString("/>")
		return b.String()
	}
	b.WriteByte('>')
	b.WriteString(r.text)
	for i, tag := range r.tags {
		b.WriteString(tag)
		if r.empty[i] {
			b.WriteString("/>")
			continue
		}
		b.WriteByte('>')
		b.WriteString(r.inner[i])
		b.WriteString("</")
		b.WriteString(r.names[i])
		b.WriteByte('>')
	}
	b.WriteString("</")
	b.WriteString(r.name)
	b.WriteByte('>')
	return b.String()
}

// innerXML renders an element's content without its own tags.
func innerXML(n *winxml.Node) string {
	var b strings.Builder
	for _, t := range n.Text {
		b.WriteString(t)
	}
	for _, c := range n.Children {
		c.Render(&b)
	}
	return b.String()
}

// setMetadata sets host, source and sourcetype for an XmlWinEventLog event.
// The add-on rewrites source from the channel whatever the input was.
func setMetadata(ev *event.Event, computer, channel string) {
	if computer != "" {
		ev.Set(event.HostField, computer)
	}
	if channel != "" {
		ev.Set(event.SourceField, XMLSourcetype+":"+channel)
	}
	ev.Set(event.SourcetypeField, XMLSourcetype)
}
