// Package cim maps raw Windows events onto datasets of Splunk's Common
// Information Model (CIM), so that searches written against data models
// (`tstats ... from datamodel=Endpoint.Processes`) run on raw logs.
//
// A Dataset turns one raw event into zero or more records whose fields
// carry unprefixed CIM names (process_name, dest, ...) plus the event's
// _time, host, source and sourcetype. The caller adds the node prefix
// (Processes.process_name) where a search needs it.
//
// The Windows mappings are tables, one per event source: which raw field
// feeds which CIM field, and how. They follow what the Splunk Add-on for
// Microsoft Windows and the Splunk Add-on for Sysmon compute at search
// time, then the data model's own calculated fields (the "unknown"
// defaults of Splunk_SA_CIM 5.0.1).
package cim

import (
	"sort"
	"strings"
	"sync"

	"github.com/spelunk/spelunk/event"
)

// Dataset maps raw events to records of one data-model dataset.
type Dataset struct {
	Model string // "Endpoint"
	Name  string // "Processes": the node name used as field prefix ("Processes.process_name")
	// Map returns the dataset records an event yields (usually 0 or 1),
	// with unprefixed CIM field names. Records may share value slices with
	// the event, so neither may be changed afterwards.
	Map func(e *event.Event) []*event.Event
}

// Path returns "Model.Name".
func (d *Dataset) Path() string { return d.Model + "." + d.Name }

var (
	registryMu sync.RWMutex
	byPath     = map[string]*Dataset{}
	byModel    = map[string][]*Dataset{}
)

// Register adds a dataset; call it from the init function of the file
// that defines the dataset. A later registration of the same path
// replaces the earlier one.
func Register(d *Dataset) {
	registryMu.Lock()
	defer registryMu.Unlock()
	path := d.Path()
	if old := byPath[path]; old != nil {
		list := byModel[d.Model]
		for i, x := range list {
			if x == old {
				list[i] = d
			}
		}
	} else {
		byModel[d.Model] = append(byModel[d.Model], d)
	}
	byPath[path] = d
}

// Find returns the dataset a `datamodel=` argument names, or nil. The
// argument is "Model.Dataset" ("Endpoint.Processes") or a model name alone,
// which selects the model's root dataset: the dataset registered under
// the model's own name, else the model's only dataset
// ("Network_Traffic" finds All_Traffic). Names are case-sensitive, as
// data-model names are in Splunk.
func Find(path string) *Dataset {
	registryMu.RLock()
	defer registryMu.RUnlock()
	if d := byPath[path]; d != nil {
		return d
	}
	if strings.Contains(path, ".") {
		return nil
	}
	if d := byPath[path+"."+path]; d != nil {
		return d
	}
	if list := byModel[path]; len(list) == 1 {
		return list[0]
	}
	return nil
}

// Datasets returns every registered dataset ordered by path.
func Datasets() []*Dataset {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]*Dataset, 0, len(byPath))
	for _, d := range byPath {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path() < out[j].Path() })
	return out
}
