package evtx

import (
	"bytes"
	"os"
	"runtime"
	"testing"
)

// loadCorpus reads every corpus file into memory so the benchmarks
// measure decoding, not the disk.
func loadCorpus(b *testing.B) [][]byte {
	b.Helper()
	var data [][]byte
	for _, p := range corpusFiles(b, corpusDir(b)) {
		buf, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, buf)
	}
	return data
}

// benchmarkRead decodes the whole corpus per iteration and reports bytes
// per second (SetBytes, from file sizes) and records per second.
func benchmarkRead(b *testing.B, workers int) {
	files := loadCorpus(b)
	var total int64
	for _, f := range files {
		total += int64(len(f))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		for _, f := range files {
			st, err := Read(bytes.NewReader(f), int64(len(f)), Options{Workers: workers}, func(*Record) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			records += st.Records
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReadOneWorker decodes the corpus on one goroutine.
func BenchmarkReadOneWorker(b *testing.B) { benchmarkRead(b, 1) }

// BenchmarkReadAllWorkers decodes each file's chunks on runtime.NumCPU()
// goroutines. Most corpus files have one chunk, so this mostly measures
// the larger files.
func BenchmarkReadAllWorkers(b *testing.B) { benchmarkRead(b, runtime.NumCPU()) }
