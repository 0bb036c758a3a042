package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"unicode/utf8"

	"github.com/spelunk/spelunk/evtx"
	"github.com/spelunk/spelunk/winxml"
)

const dumpUsage = `usage: spelunk dump [--format jsonl|xml] PATH...

PATH is an EVTX file, a folder (its EVTX files are read, recursively, in
name order; other files are skipped), or - for an EVTX file on standard
input. Prints every record, one per line: a JSON object with
EventRecordID, EventCode, Computer, Channel, SystemTime, UserID and the
EventData fields by name (jsonl, the default), or the event as Windows
renders it to XML (xml). Values keep Windows' XML escaping.

Exit status: 0 when every record was read, 1 when a file or record could
not be read (reported on stderr), 2 on a usage error.
`

// runDump implements "spelunk dump".
func runDump(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, dumpUsage)
		fs.PrintDefaults()
	}
	format := fs.String("format", "jsonl", "output format: jsonl or xml")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *format != "jsonl" && *format != "xml" {
		fmt.Fprintf(stderr, "spelunk dump: invalid --format %q: expected jsonl or xml\n", *format)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "spelunk dump: missing PATH")
		fs.Usage()
		return 2
	}

	out := bufio.NewWriterSize(stdout, 256<<10)
	status := 0
	var line []byte
	files, err := dumpFiles(fs.Args(), stderr)
	if err != nil {
		status = 1
	}
	for _, path := range files {
		st, err := readEVTX(path, func(r *evtx.Record) error {
			if *format == "xml" {
				line = append(line[:0], r.Root.String()...)
			} else {
				line = appendRecordJSON(line[:0], r)
			}
			line = append(line, '\n')
			_, err := out.Write(line)
			return err
		})
		for _, p := range st.Problems {
			fmt.Fprintf(stderr, "spelunk dump: %s: %v\n", path, p)
			status = 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "spelunk dump: %v\n", err)
			status = 1
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(stderr, "spelunk dump: write output: %v\n", err)
		return 1
	}
	return status
}

// field is one output field; more than one value prints as a JSON list.
type field struct {
	name   string
	values []string
}

// recordFields lists the fields of one record in output order: the System
// fields, then each EventData Data element under its Name attribute.
// Unnamed Data elements share the field "Data". UserData leaf elements
// appear under their element names.
func recordFields(r *evtx.Record) []field {
	root := r.Root
	sys := root.Child("System")
	var fields []field
	add := func(name string, values ...string) {
		for i := range fields {
			if fields[i].name == name {
				fields[i].values = append(fields[i].values, values...)
				return
			}
		}
		fields = append(fields, field{name, values})
	}
	addText := func(name string, n *winxml.Node) {
		if n != nil {
			add(name, n.JoinedText())
		}
	}
	addAttr := func(name string, n *winxml.Node, attr string) {
		if n == nil {
			return
		}
		if v, ok := n.Attr(attr); ok {
			add(name, v)
		}
	}
	addText("EventRecordID", sys.Child("EventRecordID"))
	addText("EventCode", sys.Child("EventID"))
	addText("Computer", sys.Child("Computer"))
	addText("Channel", sys.Child("Channel"))
	addAttr("SystemTime", sys.Child("TimeCreated"), "SystemTime")
	addAttr("UserID", sys.Child("Security"), "UserID")

	if ed := root.Child("EventData"); ed != nil {
		for _, c := range ed.Children {
			name, ok := c.Attr("Name")
			if !ok || c.Name != "Data" {
				name = c.Name
			}
			if len(c.Text) == 0 {
				add(name, "")
				continue
			}
			add(name, c.Text...)
		}
	}
	if ud := root.Child("UserData"); ud != nil {
		var walk func(n *winxml.Node)
		walk = func(n *winxml.Node) {
			if len(n.Children) == 0 {
				add(n.Name, n.JoinedText())
				return
			}
			for _, c := range n.Children {
				walk(c)
			}
		}
		for _, c := range ud.Children {
			walk(c)
		}
	}
	return fields
}

// appendRecordJSON appends one record as a JSON object.
func appendRecordJSON(b []byte, r *evtx.Record) []byte {
	b = append(b, '{')
	for i, f := range recordFields(r) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.name)
		b = append(b, ':')
		if len(f.values) == 1 {
			b = appendJSONString(b, f.values[0])
			continue
		}
		b = append(b, '[')
		for j, v := range f.values {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Unlike encoding/json it
// leaves <, > and & alone, so escaped XML values stay readable; invalid
// UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

func init() {
	registerCommand("dump", "print every EVTX record as JSON lines or Windows XML", runDump)
}

// dumpFiles expands the PATH arguments of dump: files and "-" as given,
// folders to the EVTX files below them in name order. It reports paths
// that cannot be read and returns an error when there were any.
func dumpFiles(paths []string, stderr io.Writer) ([]string, error) {
	var files []string
	var failed error
	for _, path := range paths {
		info, err := os.Stat(path)
		if path == "-" || err == nil && !info.IsDir() {
			files = append(files, path)
			continue
		}
		if err != nil {
			fmt.Fprintf(stderr, "spelunk dump: %v\n", err)
			failed = err
			continue
		}
		err = filepath.WalkDir(path, func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				fmt.Fprintf(stderr, "spelunk dump: %v\n", err)
				failed = err
				return nil
			}
			if d.Type().IsRegular() && isEVTXFile(name) {
				files = append(files, name)
			}
			return nil
		})
		if err != nil {
			failed = err
		}
	}
	return files, failed
}

// isEVTXFile reports whether a file starts with the EVTX signature.
func isEVTXFile(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	return evtx.IsEVTX(head[:n])
}

// readEVTX reads one EVTX file, or standard input for "-" (held in memory,
// because chunks are read out of order).
func readEVTX(path string, fn func(*evtx.Record) error) (evtx.Stats, error) {
	opts := evtx.Options{Workers: runtime.NumCPU()}
	if path != "-" {
		return evtx.ReadFile(path, opts, fn)
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return evtx.Stats{}, fmt.Errorf("read standard input: %w", err)
	}
	return evtx.Read(bytes.NewReader(data), int64(len(data)), opts, fn)
}
