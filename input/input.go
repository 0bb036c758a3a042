// Package input walks files, folders and archives and decodes every
// Windows event in them: EVTX files, <Event> XML, NXLog and Winlogbeat JSON
// lines, and classic WinEventLog text, also inside .gz and .zip archives
// (nested ones too). Formats are recognised by content, never by file name.
//
// Events arrive in a deterministic order: paths in the order given, folder
// entries and zip members sorted by name, records in file order. Broken
// records and files are counted and described in the Summary, and the walk
// goes on; only an error from the caller's function stops it.
//
// The path "-" reads standard input. Pipes, character devices (such as
// /dev/stdin) and process substitutions named as paths are read as
// streams. Zip archives and EVTX files arriving on a stream are copied to
// memory or a temporary file first, because both need random access. Inside folders,
// only regular files and links to regular files are read.
//
// Input that ends early, such as a truncated gzip file, gives every record
// that arrived before the damage and one Unreadable entry with the offset
// where the data stopped.
//
// Archives are bounded: Options.MaxArchiveBytes caps the decompressed bytes
// of one top-level file, and Options.MaxExpansionRatio stops a decompressed
// stream, or the whole file, that grows more than that many times its
// compressed size once it has passed 100 MiB. Zip members whose data
// overlaps another member's are skipped. Each stop is reported in
// Summary.Unreadable with the archive and member.
package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/winevent"
)

// Options configures Walk. The zero value is ready to use.
type Options struct {
	// EVTXWorkers is the number of goroutines decoding EVTX chunks; 0 lets
	// the EVTX reader choose.
	EVTXWorkers int
	// MemoryLimit is the largest archive member or decompressed stream, in
	// bytes, held in memory when it needs random access (zip and EVTX
	// inside archives); larger ones go to a temporary file. 0 means 64 MiB.
	MemoryLimit int64
	// TempDir is where those temporary files go; "" means os.TempDir().
	TempDir string
	// MaxProblems is the number of skipped records, and separately of
	// warnings, whose details the Summary keeps; 0 means 100. Counts always
	// cover every one.
	MaxProblems int
	// MaxArchiveBytes caps the decompressed bytes produced from one
	// top-level file, adding up every gzip stream and zip member in it,
	// nested ones included. 0 means 64 GiB; a negative value means no cap.
	MaxArchiveBytes int64
	// MaxExpansionRatio is the largest ratio of decompressed to compressed
	// bytes allowed for one gzip stream or zip member, and for a whole
	// top-level file. It is checked once the stream or file has produced
	// 100 MiB. 0 means 1000; a negative value means no limit.
	MaxExpansionRatio int
}

const (
	defaultMemoryLimit = 64 << 20
	defaultMaxProblems = 100
	// maxNesting limits archives inside archives, which stops archives
	// that contain themselves.
	maxNesting = 8
)

// Problem describes a skipped record, a warning, or a file that could not
// be read.
type Problem struct {
	File   string // file path; archive members read "archive.zip!member"
	Line   int    // line of the record start, 0 when not known
	Offset int64  // byte offset of the record start, -1 when not known
	Reason string // category, also the key of Summary.Skipped or Summary.Warnings
	Err    error
}

func (p Problem) Error() string {
	switch {
	case p.Line > 0:
		return fmt.Sprintf("%s:%d (byte %d): %s: %v", p.File, p.Line, p.Offset, p.Reason, p.Err)
	case p.Offset >= 0:
		return fmt.Sprintf("%s (byte %d): %s: %v", p.File, p.Offset, p.Reason, p.Err)
	}
	return fmt.Sprintf("%s: %s: %v", p.File, p.Reason, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }

// Summary reports what a walk read. Skipped records are records lost:
// present in the input but not passed to the caller. Warnings are damage
// found in data whose records were still read, such as an EVTX checksum
// mismatch or a truncated EVTX chunk whose records all arrived.
type Summary struct {
	Files          int            // files and archive members decoded
	Archives       int            // gzip and zip archives opened
	Events         int            // events passed to the caller
	Skipped        map[string]int // skipped records by reason
	Unreadable     []Problem      // files that could not be opened, read to the end, or were stopped by a limit
	Unrecognized   []string       // files in no known format, skipped
	Problems       []Problem      // details of the first Options.MaxProblems skipped records
	ProblemCount   int            // all skipped records
	Warnings       map[string]int // warnings by reason
	WarningDetails []Problem      // details of the first Options.MaxProblems warnings
	WarningCount   int            // all warnings
}

// Reasons for file-level problems.
const (
	ReasonOpen      = "cannot open"
	ReasonRead      = "read failed"
	ReasonArchive   = "invalid archive"
	ReasonTooDeep   = "archives nested too deeply"
	ReasonEVTXError = "EVTX record"
	// ReasonEVTXDamage is the warning reason for EVTX damage that lost no
	// record: header and checksum mismatches, truncated or unreadable
	// chunk headers.
	ReasonEVTXDamage = "EVTX damage, records still read"
	ReasonTruncated  = "input ends early"
	ReasonLimit      = "archive expansion limit"
	ReasonOverlap    = "overlapping zip members"
)

// Walk decodes every event under paths and passes each to fn. Folders are
// read recursively; symbolic links to files are followed, links to folders
// are not. It returns fn's first error, which stops the walk; problems with
// the input never do.
func Walk(paths []string, opts Options, fn func(*event.Event) error) (Summary, error) {
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = defaultMemoryLimit
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = defaultMaxProblems
	}
	if opts.MaxArchiveBytes == 0 {
		opts.MaxArchiveBytes = defaultMaxArchiveBytes
	}
	if opts.MaxExpansionRatio == 0 {
		opts.MaxExpansionRatio = defaultMaxExpansionRatio
	}
	w := &walker{opts: opts, fn: fn}
	w.sum.Skipped = map[string]int{}
	w.sum.Warnings = map[string]int{}
	for _, p := range paths {
		if err := w.path(p); err != nil {
			return w.sum, err
		}
	}
	return w.sum, nil
}

type walker struct {
	opts   Options
	fn     func(*event.Event) error
	sum    Summary
	stop   error   // fn's error, once it failed
	budget *budget // expansion limits of the current top-level file
}

// errStopped tells decoders to stop after fn failed; Walk returns fn's own
// error instead.
var errStopped = errors.New("walk stopped")

func (w *walker) emit(ev *event.Event) error {
	if err := w.fn(ev); err != nil {
		w.stop = err
		return errStopped
	}
	w.sum.Events++
	return nil
}

func (w *walker) skipped(p Problem) {
	w.sum.Skipped[p.Reason]++
	w.sum.ProblemCount++
	if len(w.sum.Problems) < w.opts.MaxProblems {
		w.sum.Problems = append(w.sum.Problems, p)
	}
}

func (w *walker) warned(p Problem) {
	w.sum.Warnings[p.Reason]++
	w.sum.WarningCount++
	if len(w.sum.WarningDetails) < w.opts.MaxProblems {
		w.sum.WarningDetails = append(w.sum.WarningDetails, p)
	}
}

func (w *walker) unreadable(file, reason string, err error) {
	w.sum.Unreadable = append(w.sum.Unreadable, Problem{File: file, Offset: -1, Reason: reason, Err: err})
}

// result turns a decoder's error into the walk's: fn's error stops the
// walk, other errors mark the file unreadable.
func (w *walker) result(file string, err error) error {
	if w.stop != nil {
		return w.stop
	}
	if err != nil {
		w.unreadable(file, ReasonRead, err)
	}
	return nil
}

func (w *walker) path(p string) error {
	if p == "-" {
		return w.stdin()
	}
	info, err := os.Stat(p)
	if err != nil {
		w.unreadable(p, ReasonOpen, err)
		return nil
	}
	if !info.IsDir() {
		return w.file(p)
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			w.unreadable(path, ReasonOpen, err)
			if d != nil && d.IsDir() && path != p {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.Type().IsRegular():
			files = append(files, path)
		case d.Type()&fs.ModeSymlink != 0:
			if target, err := os.Stat(path); err == nil && target.Mode().IsRegular() {
				files = append(files, path)
			}
		}
		return nil
	})
	if err != nil {
		w.unreadable(p, ReasonOpen, err)
	}
	sort.Strings(files)
	for _, f := range files {
		if err := w.file(f); err != nil {
			return err
		}
	}
	return nil
}

// file reads one file from disk.
func (w *walker) file(path string) error {
	f, err := os.Open(path)
	if err != nil {
		w.unreadable(path, ReasonOpen, err)
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		w.unreadable(path, ReasonOpen, err)
		return nil
	}
	if !info.Mode().IsRegular() {
		return w.topStream(path, f)
	}
	size := info.Size()
	w.budget = &budget{inputSize: func() int64 { return size }}
	return w.random(path, f, size, 0)
}

// stdin reads standard input as a stream named "-".
func (w *walker) stdin() error {
	return w.topStream("-", os.Stdin)
}

// topStream reads a top-level file that has no random access, such as a
// pipe or a terminal.
func (w *walker) topStream(name string, r io.Reader) error {
	in := &countReader{r: r}
	w.budget = &budget{inputSize: func() int64 { return in.n }}
	return w.stream(name, in, 0)
}

// reporter returns a winevent report function that records problems
// against a file.
func (w *walker) reporter(file string) winevent.ReportFunc {
	return func(p winevent.Problem) {
		w.skipped(Problem{File: file, Line: p.Line, Offset: p.Offset, Reason: p.Reason, Err: p.Err})
	}
}
