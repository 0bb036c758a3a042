package engine

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() {
	registerStage("spath", buildSpath)
	registerStage("xmlkv", buildXmlkv)
	registerStage("fromjson", buildFromjson)
}

// spathStage extracts JSON or XML values. Without a path it extracts
// every leaf, naming fields by their path: objects join keys with ".",
// JSON arrays add "{}", XML attributes are "{@name}"; repeated paths
// become multivalue. JSON array indexes in a path count from 0, XML ones
// from 1.
type spathStage struct {
	input, output, path string
}

func buildSpath(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	st := &spathStage{input: event.RawField, output: a.Options["output"], path: a.Options["path"]}
	if v, ok := a.Options["input"]; ok {
		st.input = v
	}
	for key := range a.Options {
		switch key {
		case "input", "output", "path":
		default:
			return nil, c.x.Err(a.OptionAt[key], a.OptionAt[key]+1, "unknown spath option %s", key)
		}
	}
	switch {
	case len(a.Args) == 1 && st.path == "":
		st.path = a.Args[0]
	case len(a.Args) > 0:
		return nil, c.x.Err(a.ArgAt[0], a.ArgAt[0]+1, "unexpected %q in spath", a.Args[0])
	}
	if st.output == "" {
		st.output = st.path
	}
	return st, nil
}

func (s *spathStage) mutates() bool { return true }

func (s *spathStage) Push(r *event.Event, emit Emit) error {
	text, ok := r.Value(s.input)
	if !ok {
		return emit(r)
	}
	if s.path != "" {
		if values := structuredPathValues(text, s.path); len(values) > 0 {
			r.Set(s.output, values...)
		}
		return emit(r)
	}
	fields := newFieldCollector()
	flattenStructured(text, fields.add)
	for _, name := range fields.order {
		r.Set(name, fields.values[name]...)
	}
	return emit(r)
}

func (s *spathStage) Flush(Emit) error { return nil }

// fieldCollector gathers extracted values by name in first-seen order.
type fieldCollector struct {
	order  []string
	values map[string][]string
}

func newFieldCollector() *fieldCollector {
	return &fieldCollector{values: map[string][]string{}}
}

func (f *fieldCollector) add(name, value string) {
	if _, ok := f.values[name]; !ok {
		f.order = append(f.order, name)
	}
	f.values[name] = append(f.values[name], value)
}

func isXMLText(text string) bool { return strings.HasPrefix(strings.TrimSpace(text), "<") }

// flattenStructured extracts every leaf of a JSON or XML document.
func flattenStructured(text string, add func(name, value string)) {
	if isXMLText(text) {
		flattenXML(text, add)
		return
	}
	v, ok := decodeJSON(text)
	if !ok {
		return
	}
	flattenJSON(v, "", add)
}

func structuredPathValues(text, path string) []string {
	if isXMLText(text) {
		return xmlPathValues(text, path)
	}
	return jsonPathValues(text, path)
}

func decodeJSON(text string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// jsonText renders a JSON leaf as field text: strings unquoted, numbers
// as written, objects and arrays as compact JSON.
func jsonText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	data, _ := json.Marshal(v)
	return string(data)
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func flattenJSON(v any, prefix string, add func(name, value string)) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flattenJSON(v[k], joinPath(prefix, k), add)
		}
	case []any:
		for _, item := range v {
			flattenJSON(item, prefix+"{}", add)
		}
	default:
		if prefix != "" {
			add(prefix, jsonText(v))
		}
	}
}

// pathStep is one step of an spath location path: a name with an
// optional index ("" none, "{}" every element, a number, or "@attr").
type pathStep struct {
	name  string
	index string
}

func parsePath(path string) []pathStep {
	var steps []pathStep
	for _, part := range splitPathSteps(path) {
		step := pathStep{name: part}
		if open := strings.IndexByte(part, '{'); open >= 0 && strings.HasSuffix(part, "}") {
			step.name, step.index = part[:open], part[open+1:len(part)-1]
			if step.index == "" {
				step.index = "{}"
			}
		}
		steps = append(steps, step)
	}
	return steps
}

// splitPathSteps splits on dots outside braces.
func splitPathSteps(path string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '{':
			depth++
		case '}':
			depth--
		case '.':
			if depth == 0 {
				parts = append(parts, path[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, path[start:])
}

// jsonPathValues returns the values at a path of a JSON document.
func jsonPathValues(text, path string) []string {
	v, ok := decodeJSON(text)
	if !ok {
		return nil
	}
	nodes := []any{v}
	for _, step := range parsePath(path) {
		var next []any
		for _, n := range nodes {
			obj, ok := n.(map[string]any)
			if step.name != "" {
				if !ok {
					continue
				}
				child, found := obj[step.name]
				if !found {
					continue
				}
				n = child
			}
			next = append(next, jsonIndex(n, step.index)...)
		}
		nodes = next
	}
	var out []string
	for _, n := range nodes {
		out = append(out, jsonText(n))
	}
	return out
}

func jsonIndex(n any, index string) []any {
	if index == "" {
		return []any{n}
	}
	arr, ok := n.([]any)
	if !ok {
		return nil
	}
	if index == "{}" {
		return arr
	}
	i, err := strconv.Atoi(index)
	if err != nil {
		return nil
	}
	if i < 0 {
		i += len(arr)
	}
	if i < 0 || i >= len(arr) {
		return nil
	}
	return []any{arr[i]}
}

// xmlNode is a parsed XML element.
type xmlNode struct {
	name     string
	attrs    []xml.Attr
	text     string
	children []*xmlNode
}

// parseXMLFragment parses one or more sibling elements; entities are
// decoded. A document that fails to parse yields what was read so far.
func parseXMLFragment(text string) []*xmlNode {
	dec := xml.NewDecoder(strings.NewReader(text))
	dec.Strict = false
	root := &xmlNode{}
	stack := []*xmlNode{root}
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			break
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local, attrs: t.Attr}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			top.text += string(bytes.TrimSpace(t))
		}
	}
	return root.children
}

func flattenXML(text string, add func(name, value string)) {
	var walk func(n *xmlNode, prefix string)
	walk = func(n *xmlNode, prefix string) {
		path := joinPath(prefix, n.name)
		for _, a := range n.attrs {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
				continue
			}
			add(path+"{@"+a.Name.Local+"}", a.Value)
		}
		if len(n.children) == 0 {
			add(path, n.text)
			return
		}
		for _, c := range n.children {
			walk(c, path)
		}
	}
	for _, n := range parseXMLFragment(text) {
		walk(n, "")
	}
}

// xmlPathValues returns the values at a path of an XML document; an
// element without children yields its text, one with children its inner
// text joined.
func xmlPathValues(text, path string) []string {
	nodes := parseXMLFragment(text)
	steps := parsePath(path)
	var out []string
	for i, step := range steps {
		var next []*xmlNode
		count := 0
		for _, n := range nodes {
			if n.name != step.name {
				continue
			}
			count++
			switch {
			case strings.HasPrefix(step.index, "@"):
				if i == len(steps)-1 {
					for _, a := range n.attrs {
						if a.Name.Local == step.index[1:] {
							out = append(out, a.Value)
						}
					}
				}
				continue
			case step.index != "" && step.index != "{}":
				if k, err := strconv.Atoi(step.index); err != nil || k != count {
					continue
				}
			}
			next = append(next, n)
		}
		if strings.HasPrefix(step.index, "@") {
			return out
		}
		if i == len(steps)-1 {
			for _, n := range next {
				out = append(out, xmlInnerText(n))
			}
			return out
		}
		nodes = nodes[:0:0]
		for _, n := range next {
			nodes = append(nodes, n.children...)
		}
	}
	return out
}

func xmlInnerText(n *xmlNode) string {
	if len(n.children) == 0 {
		return n.text
	}
	var parts []string
	for _, c := range n.children {
		parts = append(parts, xmlInnerText(c))
	}
	return strings.Join(parts, " ")
}

// xmlkvStage extracts <tag>text</tag> pairs (elements whose content is
// text only) as fields named after the tag; the text keeps its entity
// escaping.
type xmlkvStage struct{ field string }

func buildXmlkv(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	st := &xmlkvStage{field: event.RawField}
	if len(a.Args) > 1 {
		return nil, c.x.Err(a.ArgAt[1], a.ArgAt[1]+1, "xmlkv takes one field, found %q", a.Args[1])
	}
	if len(a.Args) == 1 {
		st.field = a.Args[0]
	}
	for key := range a.Options {
		if key != "maxinputs" {
			return nil, c.x.Err(a.OptionAt[key], a.OptionAt[key]+1, "unknown xmlkv option %s", key)
		}
	}
	return st, nil
}

func (s *xmlkvStage) mutates() bool { return true }

func (s *xmlkvStage) Push(r *event.Event, emit Emit) error {
	text, ok := r.Value(s.field)
	if !ok {
		return emit(r)
	}
	fields := newFieldCollector()
	xmlTextPairs(text, fields.add)
	for _, name := range fields.order {
		r.Set(name, fields.values[name]...)
	}
	return emit(r)
}

func (s *xmlkvStage) Flush(Emit) error { return nil }

// xmlTextPairs finds every <name attrs>text</name> with no element
// inside; it reads the text as written, without an XML parser, so it
// works on fragments and on XML embedded in free text.
func xmlTextPairs(text string, add func(name, value string)) {
	for i := 0; i < len(text); i++ {
		if text[i] != '<' || i+1 >= len(text) || !isXMLNameStart(text[i+1]) {
			continue
		}
		end := i + 1
		for end < len(text) && isXMLNameByte(text[end]) {
			end++
		}
		name := text[i+1 : end]
		gt := strings.IndexByte(text[end:], '>')
		if gt < 0 {
			return
		}
		contentStart := end + gt + 1
		if text[contentStart-2] == '/' {
			continue
		}
		lt := strings.IndexByte(text[contentStart:], '<')
		if lt < 0 {
			return
		}
		closing := "</" + name + ">"
		if strings.HasPrefix(text[contentStart+lt:], closing) {
			add(name, text[contentStart:contentStart+lt])
			i = contentStart + lt + len(closing) - 1
		}
	}
}

func isXMLNameStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isXMLNameByte(c byte) bool {
	return isXMLNameStart(c) || c >= '0' && c <= '9' || c == '-' || c == '.' || c == ':'
}

// fromjsonStage sets one field per top-level key of a JSON object;
// arrays become multivalue and nested objects stay JSON text.
type fromjsonStage struct {
	field, prefix string
}

func buildFromjson(c *compiler, cmd spl.Command, _ bool) (Stage, error) {
	a := cmd.(*spl.ArgsCmd)
	if len(a.Args) != 1 {
		return nil, c.x.Err(a.Start, a.End, "fromjson takes one field")
	}
	for key := range a.Options {
		if key != "prefix" {
			return nil, c.x.Err(a.OptionAt[key], a.OptionAt[key]+1, "unknown fromjson option %s", key)
		}
	}
	return &fromjsonStage{field: a.Args[0], prefix: a.Options["prefix"]}, nil
}

func (s *fromjsonStage) mutates() bool { return true }

func (s *fromjsonStage) Push(r *event.Event, emit Emit) error {
	text, ok := r.Value(s.field)
	if !ok {
		return emit(r)
	}
	v, ok := decodeJSON(text)
	obj, isObj := v.(map[string]any)
	if !ok || !isObj {
		return emit(r)
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var values []string
		if arr, isArr := obj[k].([]any); isArr {
			for _, item := range arr {
				values = append(values, jsonText(item))
			}
		} else {
			values = []string{jsonText(obj[k])}
		}
		r.Set(s.prefix+k, values...)
	}
	return emit(r)
}

func (s *fromjsonStage) Flush(Emit) error { return nil }
