package engine

import (
	"github.com/spelunk/spelunk/cim"
	"github.com/spelunk/spelunk/event"
	"github.com/spelunk/spelunk/spl"
)

func init() { registerStage("from", buildFrom) }

// buildFrom compiles `from datamodel:<Model.Dataset>`. The command
// generates rows from the pushed events: each event becomes the records
// the data-model dataset maps it to, with unprefixed field names
// (risk_object, not All_Risk.risk_object), as Splunk's from command
// returns them. Other dataset types (lookup, savedsearch) are rejected.
func buildFrom(c *compiler, cmd spl.Command, first bool) (Stage, error) {
	f := cmd.(*spl.FromCmd)
	if !first {
		return nil, c.x.Err(f.Start, f.End, "from must be the first command of a search")
	}
	if f.Kind != "datamodel" {
		return nil, c.x.Err(f.Start, f.End, "from %s is not supported, only from datamodel", f.Kind)
	}
	d := cim.Find(f.Dataset)
	if d == nil {
		return nil, c.x.Err(f.DatasetAt, f.DatasetAt+len(f.Dataset), "data model dataset %s is not supported", f.Dataset)
	}
	return &fromStage{dataset: d}, nil
}

// fromStage emits the dataset records of each pushed event.
type fromStage struct{ dataset *cim.Dataset }

func (s *fromStage) Push(e *event.Event, emit Emit) error {
	for _, r := range s.dataset.Map(e) {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

func (s *fromStage) Flush(Emit) error { return nil }
