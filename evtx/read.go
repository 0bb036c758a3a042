package evtx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/spelunk/spelunk/winxml"
)

const (
	fileHeaderSize = 4096
	chunkSize      = 65536
	fileSignature  = "ElfFile\x00"
)

// Record is one decoded event record. It and its tree are valid only during
// the callback: the reader reuses the nodes for later chunks. Strings in the
// tree stay valid after the callback.
type Record struct {
	ID      uint64       // record identifier from the record header
	Written time.Time    // record header's written time (UTC)
	Root    *winxml.Node // the <Event> element, escaped as Windows renders XML
	Chunk   int          // chunk index
	Offset  int64        // byte offset of the record in the file
}

// Problem is damage found in one chunk or record. Chunk is -1 for the file
// header.
type Problem struct {
	Chunk  int
	Offset int64 // byte offset in the file
	Err    error
	// Lost is true when records were lost at this point: a record that
	// failed to decode, or bytes skipped or cut off where the chunk header
	// says records are. It is false for warnings about data whose records
	// were still read, such as checksum mismatches and a truncated chunk
	// whose records all arrived.
	Lost bool
}

func (p Problem) Error() string {
	if p.Chunk < 0 {
		return fmt.Sprintf("file header at offset %d: %v", p.Offset, p.Err)
	}
	return fmt.Sprintf("chunk %d at offset %d (0x%x): %v", p.Chunk, p.Offset, p.Offset, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }

// Stats summarises one read.
type Stats struct {
	Chunks     int // chunk slots holding a chunk (all-zero slots excluded)
	Records    int // records passed to the callback
	Problems   []Problem
	ZeroChunks int // all-zero chunk slots, skipped silently
	Recovered  int // records found by scanning past damage or read past the free-space offset
}

// Options tunes a read.
type Options struct {
	Workers int // goroutines decoding chunks; 0 means runtime.NumCPU()
}

// IsEVTX reports whether head, the first bytes of a file, starts with the
// EVTX file signature.
func IsEVTX(head []byte) bool {
	return bytes.HasPrefix(head, []byte(fileSignature))
}

// ErrNotEVTX is returned when a file does not start with the EVTX signature.
var ErrNotEVTX = errors.New("not an EVTX file: missing ElfFile signature")

// ReadFile reads the EVTX file at path; see Read.
func ReadFile(path string, opts Options, fn func(*Record) error) (Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return Stats{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Stats{}, err
	}
	st, err := Read(f, info.Size(), opts, fn)
	if err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

// Read decodes the EVTX file in r, size bytes long, and calls fn for every
// intact record in file order (chunk order, then record order), one call at a
// time. Chunks decode on opts.Workers goroutines. An error from fn stops the
// read and is returned. A file that is not EVTX or cannot be read gives an
// error; damaged chunks and records are listed in Stats.Problems and reading
// goes on.
func Read(r io.ReaderAt, size int64, opts Options, fn func(*Record) error) (Stats, error) {
	var st Stats
	head := make([]byte, 128)
	if size < int64(len(head)) {
		return st, fmt.Errorf("%w (file is %d bytes)", ErrNotEVTX, size)
	}
	if _, err := r.ReadAt(head, 0); err != nil {
		return st, fmt.Errorf("read file header: %w", err)
	}
	if !IsEVTX(head) {
		return st, ErrNotEVTX
	}
	st.Problems = append(st.Problems, checkFileHeader(head, size)...)

	chunks := 0
	if size > fileHeaderSize {
		chunks = int((size - fileHeaderSize + chunkSize - 1) / chunkSize)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, chunks)

	rd := &reader{r: r, size: size, fn: fn, st: &st}
	var err error
	if workers <= 1 {
		err = rd.readSequential(chunks)
	} else {
		err = rd.readParallel(chunks, workers)
	}
	return st, err
}

// checkFileHeader validates the soft parts of the file header: a damaged
// header is reported, and the chunks are read from the file size anyway.
func checkFileHeader(head []byte, size int64) []Problem {
	var probs []Problem
	add := func(format string, args ...any) {
		probs = append(probs, Problem{Chunk: -1, Err: fmt.Errorf(format, args...)})
	}
	if want, got := binary.LittleEndian.Uint32(head[124:]), crc32.ChecksumIEEE(head[:120]); want != got {
		add("header checksum mismatch: stored 0x%08x, computed 0x%08x", want, got)
	}
	if major := binary.LittleEndian.Uint16(head[38:]); major != 3 {
		add("unsupported major version %d, expected 3", major)
	}
	if size < fileHeaderSize {
		add("file truncated to %d bytes inside the 4096-byte header", size)
	} else if rest := (size - fileHeaderSize) % chunkSize; rest != 0 {
		add("file size %d leaves a partial last chunk of %d bytes", size, rest)
	}
	return probs
}

// reader carries one Read call's state.
type reader struct {
	r    io.ReaderAt
	size int64
	fn   func(*Record) error
	st   *Stats
}

// chunkOffset returns the file offset of chunk i.
func chunkOffset(i int) int64 { return fileHeaderSize + int64(i)*chunkSize }

// load reads chunk i into buf and returns how many bytes the file holds for
// it; the rest of buf is zeroed.
func (rd *reader) load(i int, buf []byte) (int, error) {
	off := chunkOffset(i)
	n := int(min(int64(chunkSize), rd.size-off))
	got, err := rd.r.ReadAt(buf[:n], off)
	if err != nil && !(errors.Is(err, io.EOF) && got == n) {
		return got, fmt.Errorf("read chunk %d at offset %d: %w", i, off, err)
	}
	clear(buf[n:])
	return n, nil
}

// deliver passes a decoded chunk's records to the callback and merges its
// counters into the stats.
func (rd *reader) deliver(out *chunkOutput) error {
	rd.st.Problems = append(rd.st.Problems, out.problems...)
	rd.st.Recovered += out.recovered
	if out.zero {
		rd.st.ZeroChunks++
		return nil
	}
	rd.st.Chunks++
	for i := range out.records {
		if err := rd.fn(&out.records[i]); err != nil {
			return err
		}
		rd.st.Records++
	}
	return nil
}

// Decoders and chunk outputs are reused across reads: each holds a 64 KiB
// chunk buffer and node slabs that would otherwise be allocated per file.
var (
	decoderPool = sync.Pool{New: func() any { return newDecoder() }}
	outputPool  = sync.Pool{New: func() any { return new(chunkOutput) }}
)

func (rd *reader) readSequential(chunks int) error {
	d := decoderPool.Get().(*decoder)
	defer decoderPool.Put(d)
	out := outputPool.Get().(*chunkOutput)
	defer outputPool.Put(out)
	for i := range chunks {
		n, err := rd.load(i, d.chunk)
		if err != nil {
			return err
		}
		out.reset()
		d.decodeChunk(i, n, out)
		if err := rd.deliver(out); err != nil {
			return err
		}
	}
	return nil
}

// readParallel decodes chunks on several goroutines and delivers them in
// order. At most 2×workers chunks are in flight, so memory does not grow
// with the file. Chunk i's result goes to ring slot i mod window. Chunk
// i+window is dispatched only after chunk i was delivered, so a slot is
// always empty when a worker sends to it.
func (rd *reader) readParallel(chunks, workers int) error {
	window := 2 * workers
	ring := make([]chan *chunkOutput, window)
	for i := range ring {
		ring[i] = make(chan *chunkOutput, 1)
	}
	tokens := make(chan struct{}, window)
	jobs := make(chan int)
	stop := make(chan struct{})

	// Dispatcher: hands out chunk indexes while the window has room.
	go func() {
		defer close(jobs)
		for i := range chunks {
			select {
			case tokens <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case jobs <- i:
			case <-stop:
				return
			}
		}
	}()

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := decoderPool.Get().(*decoder)
			defer decoderPool.Put(d)
			for i := range jobs {
				out := outputPool.Get().(*chunkOutput)
				out.reset()
				if n, err := rd.load(i, d.chunk); err != nil {
					out.err = err
				} else {
					d.decodeChunk(i, n, out)
				}
				ring[i%window] <- out
			}
		}()
	}

	var err error
	for i := range chunks {
		out := <-ring[i%window]
		err = out.err
		if err == nil {
			err = rd.deliver(out)
		}
		outputPool.Put(out)
		<-tokens
		if err != nil {
			break
		}
	}
	// On an early stop, workers finish the chunks in flight without
	// blocking, because each has an empty ring slot of its own.
	close(stop)
	wg.Wait()
	return err
}
