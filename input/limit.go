package input

import (
	"errors"
	"fmt"
	"io"
)

const (
	defaultMaxArchiveBytes   = 64 << 30
	defaultMaxExpansionRatio = 1000
)

// ratioGrace is how many decompressed bytes a stream or a top-level file
// may produce before the expansion ratio is checked, so small members of
// highly repetitive text are never stopped. Tests lower it.
var ratioGrace int64 = 100 << 20

// countReader counts the bytes read from r and keeps the first error other
// than io.EOF, which every later read returns again. Decoders see the error
// only after all bytes that arrived before it.
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

// limitError stops a decompressed stream that passed one of the expansion
// limits.
type limitError struct {
	msg     string
	archive bool // the whole top-level file is stopped, not only this stream
}

func (e *limitError) Error() string { return e.msg }

// budget tracks the decompressed bytes produced from one top-level file.
type budget struct {
	inputSize func() int64 // size of the top-level file, or bytes read from it so far
	total     int64        // decompressed bytes from every archive in it
	stopped   error        // the limit error that stopped the whole file
}

// expansionReader counts the output of one decompressor and stops it when
// the output passes Options.MaxArchiveBytes or its ratio to the input
// passes Options.MaxExpansionRatio.
type expansionReader struct {
	w       *walker
	r       io.Reader
	inBytes func() int64 // compressed bytes behind the output so far
	out     int64
	err     error
}

// limited wraps the output of a decompressor whose compressed input size
// so far is given by inBytes.
func (w *walker) limited(r io.Reader, inBytes func() int64) io.Reader {
	return &expansionReader{w: w, r: r, inBytes: inBytes}
}

func (e *expansionReader) Read(p []byte) (int, error) {
	b := e.w.budget
	if e.err == nil && b.stopped != nil {
		e.err = b.stopped
	}
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.r.Read(p)
	// Bytes past MaxArchiveBytes are dropped, so the cap is exact.
	if maxBytes := e.w.opts.MaxArchiveBytes; maxBytes > 0 && b.total+int64(n) > maxBytes {
		n = int(max(maxBytes-b.total, 0))
		b.total = maxBytes + 1
	} else {
		b.total += int64(n)
	}
	e.out += int64(n)
	if lerr := e.w.checkLimits(e.out, e.inBytes()); lerr != nil {
		e.err = lerr
		return n, lerr
	}
	return n, err
}

// checkLimits returns a *limitError when the current stream (out
// decompressed bytes from in compressed ones) or the top-level file passed
// a limit. A file-wide limit is remembered, so every later stream of the
// same file stops at once.
func (w *walker) checkLimits(out, in int64) error {
	b := w.budget
	maxBytes, ratio := w.opts.MaxArchiveBytes, w.opts.MaxExpansionRatio
	if maxBytes > 0 && b.total > maxBytes {
		b.stopped = &limitError{archive: true, msg: fmt.Sprintf(
			"archive expanded past %d bytes (MaxArchiveBytes); the rest of it is skipped", maxBytes)}
		return b.stopped
	}
	if ratio <= 0 {
		return nil
	}
	if top := b.inputSize(); b.total > ratioGrace && b.total > int64(ratio)*max(top, 1) {
		b.stopped = &limitError{archive: true, msg: fmt.Sprintf(
			"archive of %d bytes expanded to %d bytes, more than %d:1 (MaxExpansionRatio); the rest of it is skipped",
			top, b.total, ratio)}
		return b.stopped
	}
	if out > ratioGrace && out > int64(ratio)*max(in, 1) {
		return &limitError{msg: fmt.Sprintf(
			"%d compressed bytes expanded to %d bytes, more than %d:1 (MaxExpansionRatio); the rest of this member is skipped",
			in, out, ratio)}
	}
	return nil
}
