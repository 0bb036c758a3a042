// Package evtx reads Windows XML Event Log (.evtx) files.
//
// A file is a 4096-byte header followed by 64 KiB chunks. Each chunk holds
// event records whose payload is binary XML: a token stream that usually
// instantiates a template defined earlier in the same chunk. The reader
// decodes every record into a winxml.Node tree shaped and escaped as Windows
// renders the event to XML, so field extraction works the same on EVTX and
// on XML input.
//
// Chunks decode in parallel, but the callback receives records in file
// order.
// Damage is contained: a chunk or record that fails validation is reported
// in Stats.Problems with its chunk and file offset, and reading goes on with
// the next intact record.
// Problem.Lost tells damage that cost records from warnings about data
// whose records were still read.
//
// Decisions where the published descriptions of the format disagree:
//
//   - The chunk count comes from the file size; the 16-bit count in the file
//     header is ignored because it is stale in files that were not closed.
//   - An element start carries a dependency identifier only inside a template
//     definition. A size and name-offset plausibility check decides when the
//     bytes say otherwise, so records written as plain elements without a
//     template decode too.
//   - Checksum mismatches are reported but the records are still read.
//   - Records after the chunk's free-space offset are read only while their
//     identifiers continue the chunk's sequence; older copies left in the
//     slack space are ignored.
//   - A string array substitution gives one Node.Text entry per item (a
//     multivalue field) instead of repeating the enclosing element.
//   - Record.ID is the identifier in the record header. The EventRecordID
//     element of the tree can differ in exported or filtered logs.
package evtx
