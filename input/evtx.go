package input

import (
	"io"

	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/evtx"
	"github.com/spelunk/spelunk/winevent"
)

func isEVTX(head []byte) bool { return evtx.IsEVTX(head) }

// decodeEVTX reads an EVTX file. _time falls back to the record's written
// time when the event has no SystemTime.
func (w *walker) decodeEVTX(name string, r io.ReaderAt, size int64) error {
	stats, err := evtx.Read(r, size, evtx.Options{Workers: w.opts.EVTXWorkers}, func(rec *evtx.Record) error {
		// FromNode copies what it needs, so the reader may reuse the tree.
		ev := winevent.FromNode(rec.Root)
		if !ev.Has(event.TimeField) && !rec.Written.IsZero() {
			ev.SetTime(rec.Written)
		}
		return w.emit(ev)
	})
	for _, p := range stats.Problems {
		if p.Lost {
			w.skipped(Problem{File: name, Offset: p.Offset, Reason: ReasonEVTXError, Err: p})
		} else {
			w.warned(Problem{File: name, Offset: p.Offset, Reason: ReasonEVTXDamage, Err: p})
		}
	}
	return err
}
