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
// because both need random access.
func (w *walker) stream(name string, r io.Reader, depth int) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(headSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		w.unreadable(name, ReasonRead, err)
		return nil
	}
	k, format := detect(head)
	switch k {
	case kindText:
		w.sum.Files++
		err := winevent.Decode(br, format, w.emit, w.reporter(name))
		return w.result(name, err)
	case kindGzip:
		return w.gzip(name, br, depth)
	case kindZip, kindEVTX:
		ra, size, cleanup, err := w.buffer(br)
		if err != nil {
			w.unreadable(name, ReasonRead, err)
			return nil
		}
		defer cleanup()
		return w.random(name, ra, size, depth)
	}
	w.sum.Unrecognized = append(w.sum.Unrecognized, name)
	return nil
}

func (w *walker) gzip(name string, r io.Reader, depth int) error {
	if depth >= maxNesting {
		w.unreadable(name, ReasonTooDeep, fmt.Errorf("more than %d archives inside each other", maxNesting))
		return nil
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		w.unreadable(name, ReasonArchive, err)
		return nil
	}
	defer gz.Close()
	w.sum.Archives++
	return w.stream(name, gz, depth+1)
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
	for _, f := range members {
		if err := w.member(name+"!"+f.Name, f, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) member(name string, f *zip.File, depth int) error {
	rc, err := f.Open()
	if err != nil {
		w.unreadable(name, ReasonArchive, err)
		return nil
	}
	defer rc.Close()
	return w.stream(name, rc, depth)
}

// buffer makes a stream randomly accessible: in memory up to MemoryLimit,
// in a temporary file beyond it. cleanup removes the temporary file.
func (w *walker) buffer(r io.Reader) (ra io.ReaderAt, size int64, cleanup func(), err error) {
	var mem bytes.Buffer
	n, err := io.CopyN(&mem, r, w.opts.MemoryLimit+1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, nil, err
	}
	if n <= w.opts.MemoryLimit {
		return bytes.NewReader(mem.Bytes()), n, func() {}, nil
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
	rest, err := io.Copy(tmp, r)
	if err != nil {
		cleanup()
		return nil, 0, nil, err
	}
	return tmp, n + rest, cleanup, nil
}
