package cim

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Endpoint.Processes: process activity. Members are Sysmon 1 (process
// creation) and 5 (process terminated), which the Sysmon add-on tags
// process+report, and Security 4688, which the Windows add-on's
// windows_endpoint_processes eventtype tags the same way.
var processes = &mapping{
	sources: []*source{sysmonProcessCreate, sysmonProcessTerminate, securityProcessCreate},
	finish:  finishProcess,
	// Splunk_SA_CIM 5.0.1 Endpoint.json calculated fields for Processes.
	defaults: []string{"dest", "user", "process", "parent_process", "original_file_name", "process_name", "parent_process_name", "vendor_product"},
}

func init() { processes.register("Endpoint", "Processes") }

// sysmonProcessCreate maps Sysmon event 1. The pairs are the Sysmon
// add-on's: the field_mappings of the security content data source
// "Sysmon EventID 1", completed from that data source's list of fields
// recorded from add-on 4.0.2 output (process_exec, parent_process_path,
// user_id, action, ...).
var sysmonProcessCreate = &source{
	channel: sysmonChannel,
	codes:   []string{"1"},
	rules: []rule{
		copyOf("dest", "Computer"),
		calc("user", accountName("User")), // DOMAIN\name loses its domain, like 4688's user
		copyOf("user_id", "UserID"),
		copyOf("process", "CommandLine"),
		calc("process_name", baseName("Image")),
		copyOf("process_path", "Image"),
		calc("process_exec", baseName("Image")),
		copyOf("process_id", "ProcessId"), // decimal, as Sysmon writes it
		copyOf("process_guid", "ProcessGuid"),
		copyOf("process_current_directory", "CurrentDirectory"),
		calc("process_integrity_level", lowerOf("IntegrityLevel")), // the data model lower-cases it
		copyOf("process_hash", "Hashes"),                           // "MD5=...,SHA256=...,IMPHASH=..." as one value
		calc("original_file_name", present("OriginalFileName")),    // Sysmon writes "-" when the PE header has none
		copyOf("parent_process", "ParentCommandLine"),
		calc("parent_process_name", baseName("ParentImage")),
		copyOf("parent_process_path", "ParentImage"),
		calc("parent_process_exec", baseName("ParentImage")),
		copyOf("parent_process_id", "ParentProcessId"),
		copyOf("parent_process_guid", "ParentProcessGuid"),
		calc("action", fixed("allowed")),
		calc("os", fixed(windowsVendor)),
		copyOf("signature_id", "EventCode"),
		calc("signature", fixed("Process Create")),
		calc("vendor_product", fixed(sysmonVendor)),
	},
}

// sysmonProcessTerminate maps Sysmon event 5. Add-on output for a
// terminated process carries process and process_path as the image path,
// process_name as its base name, and the process id and GUID; there is no
// command line and no parent.
var sysmonProcessTerminate = &source{
	channel: sysmonChannel,
	codes:   []string{"5"},
	rules: []rule{
		copyOf("dest", "Computer"),
		calc("user", accountName("User")), // Sysmon 15 and later only
		copyOf("user_id", "UserID"),
		copyOf("process", "Image"),
		calc("process_name", baseName("Image")),
		copyOf("process_path", "Image"),
		calc("process_exec", baseName("Image")),
		copyOf("process_id", "ProcessId"),
		copyOf("process_guid", "ProcessGuid"),
		calc("os", fixed(windowsVendor)),
		copyOf("signature_id", "EventCode"),
		calc("signature", fixed("Process terminated")),
		calc("vendor_product", fixed(sysmonVendor)),
	},
}

// securityProcessCreate maps Security 4688 as the Windows add-on's
// [source::XmlWinEventLog:Security] stanza does (Splunk_TA_windows 8.4.0):
// ids stay hexadecimal ("0xf84"), the user is the target account or, when
// that is "-", the creator (subject) account, and the parent is known by
// path only.
var securityProcessCreate = &source{
	channel: securityChannel,
	codes:   []string{"4688"},
	rules: []rule{
		copyOf("dest", "Computer"),
		calc("user", securityProcessUser),
		calc("src_user", present("SubjectUserName")),
		calc("process", securityProcessCommand),
		calc("process_name", baseName("NewProcessName")),
		copyOf("process_path", "NewProcessName"),
		calc("process_exec", baseName("NewProcessName")),
		copyOf("process_id", "NewProcessId"),
		copyOf("parent_process", "ParentProcessName"),
		calc("parent_process_name", baseName("ParentProcessName")),
		copyOf("parent_process_path", "ParentProcessName"),
		copyOf("parent_process_id", "ProcessId"), // the creator process
		calc("process_integrity_level", integrityFromLabel),
		calc("action", auditAction),
		calc("os", fixed(windowsVendor)),
		copyOf("signature_id", "EventCode"),
		calc("signature", fixed("A new process has been created")),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// securityProcessUser is the add-on's 4688 user: TargetUserName, or
// SubjectUserName when the target is "-" or missing.
func securityProcessUser(e *event.Event) string {
	if u := field(e, "TargetUserName"); u != "" && u != "-" {
		return u
	}
	return stripDomain(field(e, "SubjectUserName"))
}

// securityProcessCommand is the add-on's 4688 process field: the command
// line when its first token holds a path; otherwise NewProcessName (quoted
// when it has white space) followed by the command line's arguments; the
// bare NewProcessName when there is no command line.
func securityProcessCommand(e *event.Event) string {
	path := field(e, "NewProcessName")
	cmd, ok := e.Value("CommandLine")
	if !ok {
		return path
	}
	s := strings.TrimLeft(cmd, " \t")
	end := strings.IndexAny(s, " \t")
	if strings.HasPrefix(s, `"`) {
		if q := strings.IndexByte(s[1:], '"'); q >= 0 {
			end = q + 2
		}
	}
	first, args := s, ""
	if end >= 0 && end < len(s) {
		first, args = s[:end], strings.TrimLeft(s[end:], " \t")
	}
	if strings.Contains(first, `\`) || path == "" {
		return cmd
	}
	if strings.ContainsAny(path, " \t") {
		path = `"` + path + `"`
	}
	if args == "" {
		return path
	}
	return path + " " + args
}

// integrityLevels maps the mandatory-label SIDs of 4688's MandatoryLabel
// to the lower-case level names Sysmon's IntegrityLevel gives.
var integrityLevels = map[string]string{
	"S-1-16-0":     "untrusted",
	"S-1-16-4096":  "low",
	"S-1-16-8192":  "medium",
	"S-1-16-8448":  "medium",
	"S-1-16-12288": "high",
	"S-1-16-16384": "system",
	"S-1-16-20480": "protected",
}

// integrityFromLabel reads MandatoryLabel as a SID or as its rendered
// name ("Mandatory Label\High Mandatory Level").
func integrityFromLabel(e *event.Event) string {
	label := field(e, "MandatoryLabel")
	if level, ok := integrityLevels[label]; ok {
		return level
	}
	name := strings.TrimSuffix(lastPathElement(label), " Mandatory Level")
	if name == label || name == "" {
		return ""
	}
	return strings.ToLower(name)
}

// auditAction is the Windows add-on's action for audit events: "allowed"
// for audit success (Keywords 0x8020000000000000), "blocked" for audit
// failure (0x8010000000000000).
func auditAction(e *event.Event) string {
	switch field(e, "Keywords") {
	case "0x8020000000000000":
		return "allowed"
	case "0x8010000000000000":
		return "blocked"
	}
	return ""
}

// lowerOf returns a calc yielding a raw field in lower case.
func lowerOf(from string) func(*event.Event) string {
	return func(e *event.Event) string { return strings.ToLower(field(e, from)) }
}

// finishProcess applies the Processes dataset's calculated fields:
// process_name falls back to the first token of process, and
// parent_process_name to the first token of parent_process.
func finishProcess(r *record, _ *event.Event) {
	if !r.has("process_name") {
		if p := r.value("process"); p != "" {
			r.set("process_name", firstToken(p))
		}
	}
	if !r.has("parent_process_name") {
		if p := r.value("parent_process"); p != "" {
			r.set("parent_process_name", firstToken(p))
		}
	}
}
