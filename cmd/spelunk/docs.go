package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spelunk/spelunk/report"
	"github.com/spelunk/spelunk/report/attack"
)

func init() {
	registerCommand("docs", "write Markdown pages for analytics and stories, and an ATT&CK Navigator layer", runDocs)
}

func runDocs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	contentDir := fs.String("content", "", "security content folder (detections/, macros/, lookups/, stories/); default: the built-in pack")
	outDir := fs.String("out", "", "folder for index.md, detections/*.md and stories/*.md")
	navigator := fs.String("navigator", "", "also write an ATT&CK Navigator layer (format 4.5) of the coverage to this file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: spelunk docs [--content DIR] --out DIR [--navigator FILE]")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "spelunk docs: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *outDir == "" && *navigator == "" {
		fmt.Fprintln(stderr, "spelunk docs: missing --out: name the folder for the pages (or give --navigator FILE for the layer alone)")
		return exitUsage
	}
	pack, err := loadPack(*contentDir)
	if err != nil {
		fmt.Fprintf(stderr, "spelunk docs: %v\n", err)
		return exitUsage
	}
	table, err := attack.Enterprise()
	if err != nil {
		fmt.Fprintf(stderr, "spelunk docs: %v\n", err)
		return exitErrors
	}

	code := exitOK
	if len(pack.Problems) > 0 {
		reportContentProblems(stderr, "spelunk docs", pack)
		code = exitErrors
	}
	if *outDir != "" {
		site := report.NewSite(pack, table)
		sum, err := site.Write(*outDir)
		if err != nil {
			fmt.Fprintf(stderr, "spelunk docs: writing pages: %v\n", err)
			return exitErrors
		}
		fmt.Fprintf(stderr, "spelunk docs: wrote %d analytic pages, %d story pages and index.md to %s\n", sum.Analytics, sum.Stories, *outDir)
		if len(sum.UnknownTechniques) > 0 {
			fmt.Fprintf(stderr, "spelunk docs: %d technique IDs are not in the ATT&CK %s table and are shown without names: %v\n",
				len(sum.UnknownTechniques), table.Version, sum.UnknownTechniques)
		}
	}
	if *navigator != "" {
		layer := report.NavigatorLayer("spelunk coverage: "+filepath.Base(pack.Root), pack.Analytics, table)
		if err := writeLayerFile(*navigator, layer); err != nil {
			fmt.Fprintf(stderr, "spelunk docs: writing the Navigator layer: %v\n", err)
			return exitErrors
		}
		fmt.Fprintf(stderr, "spelunk docs: wrote the Navigator layer (%d techniques) to %s\n", len(layer.Techniques), *navigator)
	}
	return code
}

func writeLayerFile(name string, layer *report.Layer) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := report.WriteLayer(f, layer); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
