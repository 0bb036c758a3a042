package input

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/spelunk/spelunk/winevent"
)

// headSize is how much of a file format detection reads.
const headSize = 8 << 10

type kind int

const (
	kindUnknown kind = iota
	kindText
	kindEVTX
	kindGzip
	kindZip
)

// detect recognises a file from its first bytes.
func detect(head []byte) (kind, winevent.Format) {
	switch {
	case isEVTX(head):
		return kindEVTX, winevent.FormatUnknown
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return kindGzip, winevent.FormatUnknown
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip, winevent.FormatUnknown
	}
	if f := winevent.DetectFormat(head); f != winevent.FormatUnknown {
		return kindText, f
	}
	return kindUnknown, winevent.FormatUnknown
}

// random reads input that supports random access: a file on disk or a
// buffered archive member.
func (w *walker) random(name string, r io.ReaderAt, size int64, depth int) error {
	head := make([]byte, min(size, headSize))
	n, err := r.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		w.unreadable(name, ReasonRead, err)
		return nil
	}
	k, _ := detect(head[:n])
	switch k {
	case kindEVTX:
		w.sum.Files++
		return w.result(name, w.decodeEVTX(name, r, size))
	case kindZip:
		return w.zip(name, r, size, depth)
	case kindUnknown:
		w.sum.Unrecognized = append(w.sum.Unrecognized, name)
		return nil
	}
	return w.stream(name, io.NewSectionReader(r, 0, size), depth)
}

// stream reads sequential input: a file, a gzip stream or a zip member.
// Zip archives and EVTX files found in a stream are buffered first,
// because both need random access. When the input fails part way, the
// records that arrived are decoded and the failure is reported once, by
// the innermost stream that saw it.
func (w *walker) stream(name string, r io.Reader, depth int) error {
	cr := &countReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	head, _ := br.Peek(headSize)
	if len(head) == 0 && cr.err != nil {
		return w.streamEnd(name, cr, nil)
	}
	k, format := detect(head)
	switch k {
	case kindText:
		w.sum.Files++
		err := winevent.Decode(br, format, w.emit, w.reporter(name))
		return w.streamEnd(name, cr, err)
	case kindGzip:
		return w.gzip(name, br, depth)
	case kindZip, kindEVTX:
		ra, size, cleanup, err := w.buffer(br)
		if ra == nil {
			w.unreadable(name, ReasonRead, err)
			return nil
		}
		defer cleanup()
		// A zip archive that ends early has lost its central directory,
		// while the EVTX chunks that arrived can still be read.
		if cr.err == nil || k == kindEVTX {
			if err := w.random(name, ra, size, depth); err != nil {
				return err
			}
		}
		return w.streamEnd(name, cr, err)
	}
	if cr.err != nil {
		return w.streamEnd(name, cr, nil)
	}
	w.sum.Unrecognized = append(w.sum.Unrecognized, name)
	return nil
}

// streamEnd reports how a stream ended: a failure of the input with the
// offset where it happened, or else the decoder's own error. It returns
// fn's error when fn stopped the walk.
func (w *walker) streamEnd(name string, cr *countReader, err error) error {
	if w.stop != nil {
		return w.stop
	}
	var limit *limitError
	switch {
	case errors.As(cr.err, &limit):
		w.sum.Unreadable = append(w.sum.Unreadable, Problem{File: name, Offset: cr.n, Reason: ReasonLimit, Err: cr.err})
	case errors.Is(cr.err, io.ErrUnexpectedEOF):
		w.sum.Unreadable = append(w.sum.Unreadable, Problem{File: name, Offset: cr.n, Reason: ReasonTruncated,
			Err: fmt.Errorf("data ends after %d bytes: %w", cr.n, cr.err)})
	case cr.err != nil:
		w.sum.Unreadable = append(w.sum.Unreadable, Problem{File: name, Offset: cr.n, Reason: ReasonRead, Err: cr.err})
	case err != nil:
		w.unreadable(name, ReasonRead, err)
	}
	return nil
}

func (w *walker) gzip(name string, r io.Reader, depth int) error {
	if depth >= maxNesting {
		w.unreadable(name, ReasonTooDeep, fmt.Errorf("more than %d archives inside each other", maxNesting))
		return nil
	}
	in := &countReader{r: r}
	gz, err := gzip.NewReader(in)
	if err != nil {
		w.unreadable(name, ReasonArchive, err)
		return nil
	}
	defer gz.Close()
	w.sum.Archives++
	return w.stream(name, w.limited(gz, func() int64 { return in.n }), depth+1)
}

func (w *walker) zip(name string, r io.ReaderAt, size int64, depth int) error {
	if depth >= maxNesting {
		w.unreadable(name, ReasonTooDeep, fmt.Errorf("more than %d archives inside each other", maxNesting))
		return nil
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		w.unreadable(name, ReasonArchive, err)
		return nil
	}
	w.sum.Archives++
	members := make([]*zip.File, 0, len(zr.File))
	for _, f := range zr.File {
		if !f.FileInfo().IsDir() {
			members = append(members, f)
		}
	}
	sort.SliceStable(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	members = w.dropOverlapping(name, members)
	for _, f := range members {
		if w.budget != nil && w.budget.stopped != nil {
			break
		}
		if err := w.member(name+"!"+f.Name, f, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// dropOverlapping removes members whose compressed data overlaps the data
// of another member, which no archiver writes but zip bombs use to expand
// the same bytes many times. They are reported once per archive.
func (w *walker) dropOverlapping(name string, members []*zip.File) []*zip.File {
	type span struct {
		start, end int64
		f          *zip.File
	}
	spans := make([]span, 0, len(members))
	for _, f := range members {
		off, err := f.DataOffset()
		if err != nil {
			continue // Open reports the broken member
		}
		spans = append(spans, span{off, off + int64(f.CompressedSize64), f})
	}
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })

	bad := map[*zip.File]bool{}
	var end int64
	var first *zip.File
	for _, s := range spans {
		if s.start < end && s.end > s.start {
			bad[s.f] = true
			if first == nil {
				first = s.f
			}
		}
		end = max(end, s.end)
	}
	if len(bad) == 0 {
		return members
	}

	w.sum.Unreadable = append(w.sum.Unreadable, Problem{File: name + "!" + first.Name, Offset: -1, Reason: ReasonOverlap,
		Err: fmt.Errorf("%d of %d members have data overlapping an earlier member's and are skipped", len(bad), len(members))})
	kept := make([]*zip.File, 0, len(members)-len(bad))
	for _, f := range members {
		if !bad[f] {
			kept = append(kept, f)
		}
	}
	return kept
}

func (w *walker) member(name string, f *zip.File, depth int) error {
	rc, err := f.Open()
	if err != nil {
		w.unreadable(name, ReasonArchive, err)
		return nil
	}
	defer rc.Close()
	compressed := int64(f.CompressedSize64)
	return w.stream(name, w.limited(rc, func() int64 { return compressed }), depth)
}

// buffer makes a stream randomly accessible: in memory up to MemoryLimit,
// in a temporary file beyond it. cleanup removes the temporary file. When
// reading r fails, ra holds the bytes that arrived and err the failure;
// ra is nil only when no temporary file could be written.
func (w *walker) buffer(r io.Reader) (ra io.ReaderAt, size int64, cleanup func(), err error) {
	var mem bytes.Buffer
	n, err := io.CopyN(&mem, r, w.opts.MemoryLimit+1)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if n <= w.opts.MemoryLimit || err != nil {
		return bytes.NewReader(mem.Bytes()), n, func() {}, err
	}
	tmp, err := os.CreateTemp(w.opts.TempDir, "spelunk-*")
	if err != nil {
		return nil, 0, nil, err
	}
	cleanup = func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}
	if _, err := tmp.Write(mem.Bytes()); err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	src := &countReader{r: r}
	rest, err := io.Copy(tmp, src)
	if err != nil && src.err == nil {
		cleanup()
		return nil, 0, nil, fmt.Errorf("write temporary file: %w", err)
	}
	return tmp, n + rest, cleanup, src.err
}
