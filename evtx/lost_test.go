package evtx

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// lostCount returns how many problems report lost records.
func lostCount(st Stats) int {
	n := 0
	for _, p := range st.Problems {
		if p.Lost {
			n++
		}
	}
	return n
}

func TestProblemLostOnlyForLostRecords(t *testing.T) {
	data := fixture(t, "slack-5145.evtx")
	_, full := readAll(t, data, 1)
	free := int(binary.LittleEndian.Uint32(data[fileHeaderSize+48:]))

	// Cut after the free-space offset: every record arrives, so the
	// partial chunk is only a warning.
	_, st := readAll(t, data[:fileHeaderSize+free+100], 1)
	if st.Records != full.Records {
		t.Errorf("records = %d, want %d", st.Records, full.Records)
	}
	if len(st.Problems) != 2 || lostCount(st) != 0 {
		t.Errorf("problems %v, want 2 warnings and no lost record", st.Problems)
	}

	// Cut inside the last record: that record is lost.
	_, st = readAll(t, data[:fileHeaderSize+free-200], 1)
	if st.Records != full.Records-1 {
		t.Errorf("records = %d, want %d", st.Records, full.Records-1)
	}
	if lostCount(st) != 1 {
		t.Errorf("problems %v, want one lost record", st.Problems)
	}

	// A flipped byte in an unused all-zero chunk slot holds no record.
	slot := make([]byte, chunkSize)
	slot[chunkSize/2] = 0x10
	withSlot := append(bytes.Clone(data), slot...)
	_, st = readAll(t, withSlot, 1)
	if st.Records != full.Records {
		t.Errorf("records = %d, want %d", st.Records, full.Records)
	}
	if len(st.Problems) == 0 || lostCount(st) != 0 {
		t.Errorf("problems %v, want warnings only", st.Problems)
	}
}

func TestProblemLostForDamagedRecord(t *testing.T) {
	data := bytes.Clone(fixture(t, "slack-5145.evtx"))
	_, full := readAll(t, data, 1)
	// Break the size copy at the end of the first record, so it fails
	// validation and the walk skips to the next one.
	first := fileHeaderSize + chunkHeaderSize
	size := int(binary.LittleEndian.Uint32(data[first+4:]))
	data[first+size-4] ^= 0xff
	_, st := readAll(t, data, 1)
	if st.Records != full.Records-1 {
		t.Errorf("records = %d, want %d", st.Records, full.Records-1)
	}
	if lostCount(st) != 1 {
		t.Errorf("problems %v, want one lost record", st.Problems)
	}
}
