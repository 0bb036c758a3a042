package winevent

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/spelunk/spelunk/event"
)

func benchmarkDecode(b *testing.B, f Format, fixture string) {
	data := readFixtureB(b, fixture)
	var input []byte
	for len(input) < 4<<20 {
		input = append(input, data...)
	}
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for b.Loop() {
		err := Decode(bytes.NewReader(input), f, func(*event.Event) error { return nil }, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func readFixtureB(b *testing.B, name string) []byte {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "powershell", name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkDecodeXML(b *testing.B)     { benchmarkDecode(b, FormatXML, "events.xml") }
func BenchmarkDecodeNXLog(b *testing.B)   { benchmarkDecode(b, FormatJSON, "events-nxlog.json") }
func BenchmarkDecodeClassic(b *testing.B) { benchmarkDecode(b, FormatClassic, "events-classic.txt") }
