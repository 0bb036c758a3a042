package evtx

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// fixtureChunks returns every non-empty chunk of the committed fixtures.
func fixtureChunks(f *testing.F) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.evtx"))
	if err != nil {
		f.Fatal(err)
	}
	var chunks [][]byte
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for off := fileHeaderSize; off+chunkSize <= len(data); off += chunkSize {
			if c := data[off : off+chunkSize]; !isZero(c) {
				chunks = append(chunks, c)
			}
		}
	}
	return chunks
}

// decodeChunkBytes decodes data as the first chunk of a file and checks
// the invariants every decode keeps.
func decodeChunkBytes(t *testing.T, data []byte) {
	d := newDecoder()
	n := copy(d.chunk, data)
	clear(d.chunk[n:])
	out := new(chunkOutput)
	out.reset()
	d.decodeChunk(0, n, out)
	for _, r := range out.records {
		if r.Root == nil {
			t.Fatalf("record %d at %d has no tree", r.ID, r.Offset)
		}
		_ = r.Root.String()
		if r.Offset < fileHeaderSize+chunkHeaderSize || r.Offset >= fileHeaderSize+chunkSize {
			t.Fatalf("record offset %d outside the chunk", r.Offset)
		}
	}
	if len(out.text) > maxChunkText+maxRecordText+chunkSize {
		t.Fatalf("chunk text grew to %d bytes", len(out.text))
	}
}

// FuzzChunk decodes arbitrary chunk bytes: no panic, no hang, bounded
// output.
func FuzzChunk(f *testing.F) {
	for _, c := range fixtureChunks(f) {
		f.Add(c)
	}
	f.Fuzz(decodeChunkBytes)
}

// FuzzRecord decodes arbitrary binary XML as the payload of the first
// record of a chunk with a valid header.
func FuzzRecord(f *testing.F) {
	for _, c := range fixtureChunks(f) {
		size := int(binary.LittleEndian.Uint32(c[chunkHeaderSize+4:]))
		if size >= minRecordSize && chunkHeaderSize+size <= chunkSize {
			f.Add(c[chunkHeaderSize+recordHeaderSize : chunkHeaderSize+size-4])
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > chunkSize-chunkHeaderSize-minRecordSize {
			return
		}
		w := newChunkWriter()
		w.record(1, 0, func() { w.b = append(w.b, payload...) })
		decodeChunkBytes(t, w.finish(1, 1, chunkHeaderSize))
	})
}
