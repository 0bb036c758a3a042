package spl

import "strings"

func init() { registerCommand("from", parseFrom) }

// FromCmd is the generating command `from <kind>:<name>`, such as
// `from datamodel:"Risk.All_Risk"` or `from datamodel Risk.All_Risk`.
type FromCmd struct {
	Base
	Kind      string // datamodel, lookup, inputlookup or savedsearch, lower-cased
	Dataset   string // Risk.All_Risk
	DatasetAt int    // offset of the dataset name
}

// parseFrom reads the dataset type and name, written with a colon
// (datamodel:Risk.All_Risk, datamodel:"Risk.All_Risk") or a space
// (datamodel Risk.All_Risk).
func parseFrom(p *parser, b Base) (Command, error) {
	w, _, start, err := p.word(func(c byte) bool { return c == ':' })
	if err != nil {
		return nil, err
	}
	if w == "" {
		return nil, p.errf(start, "expected dataset type in from, found %s", p.describe())
	}
	cmd := &FromCmd{Base: b, Kind: strings.ToLower(w)}
	switch cmd.Kind {
	case "datamodel", "lookup", "inputlookup", "savedsearch":
	default:
		return nil, p.x.Err(start, start+len(w), "unknown dataset type %q in from, expected datamodel, lookup, inputlookup or savedsearch", w)
	}
	p.skipSpace()
	if p.peek() == ':' {
		p.pos++
	}
	name, _, nameAt, err := p.word(func(c byte) bool { return false })
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, p.errf(nameAt, "expected dataset name after %s in from, found %s", w, p.describe())
	}
	cmd.Dataset, cmd.DatasetAt = name, nameAt
	p.skipSpace()
	if !p.eof() {
		return nil, p.errf(p.pos, "unexpected %s in from, expected end of command", p.describe())
	}
	return cmd, nil
}
