package cim

import (
	"strconv"
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Endpoint.Filesystem: file activity from Sysmon 2 (creation time
// changed), 11 (file created), 23 (file deleted and archived) and 26 (file
// deletion logged), and Security 4663 on file objects.
var filesystem = &mapping{
	sources: []*source{sysmonFile, securityFileAccess},
	// Splunk_SA_CIM 5.0.1 Endpoint.json calculated fields for Filesystem.
	defaults: []string{"action", "dest", "file_hash", "file_name", "file_path", "file_acl", "user", "vendor_product"},
}

func init() { filesystem.register("Endpoint", "Filesystem") }

// sysmonFile maps the Sysmon file events. TargetFilename → file_path is
// the field_mappings pair of the security content data source "Sysmon
// EventID 11"; file_name, file_create_time, file_hash and the process
// fields come from the lists of add-on 4.0.2 output fields of events 11
// and 23.
var sysmonFile = &source{
	channel: sysmonChannel,
	codes:   []string{"2", "11", "23", "26"},
	rules: []rule{
		copyOf("dest", "Computer"),
		calc("action", sysmonFileAction),
		copyOf("file_path", "TargetFilename"),
		calc("file_name", baseName("TargetFilename")),
		copyOf("file_create_time", "CreationUtcTime"),
		copyOf("file_modify_time", "UtcTime"),
		copyOf("file_hash", "Hashes"),
		copyOf("process_guid", "ProcessGuid"),
		copyOf("process_id", "ProcessId"),
		copyOf("process_path", "Image"),
		calc("process_name", baseName("Image")),
		calc("process_exec", baseName("Image")),
		calc("user", accountName("User")), // events 23 and 26, and 11 from Sysmon 15 on
		copyOf("user_id", "UserID"),
		calc("object_category", fixed("file")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(sysmonVendor)),
	},
}

// sysmonFileAction: event 11 is "created" when the file's creation time
// equals the event time and "modified" when an existing file was
// overwritten (Sysmon then reports the original creation time); 2 is
// "modified"; 23 and 26 are "deleted".
func sysmonFileAction(e *event.Event) string {
	switch field(e, "EventCode") {
	case "11":
		if created := field(e, "CreationUtcTime"); created != "" && created != field(e, "UtcTime") {
			return "modified"
		}
		return "created"
	case "2":
		return "modified"
	case "23", "26":
		return "deleted"
	}
	return ""
}

// securityFileAccess maps Security 4663 (an attempt was made to access an
// object) when the object is a file: ObjectName is the path, the access
// mask gives the action.
var securityFileAccess = &source{
	channel: securityChannel,
	codes:   []string{"4663"},
	when:    func(e *event.Event) bool { return field(e, "ObjectType") == "File" },
	rules: []rule{
		copyOf("dest", "Computer"),
		calc("action", fileAccessAction),
		copyOf("file_path", "ObjectName"),
		calc("file_name", baseName("ObjectName")),
		copyOf("process_id", "ProcessId"), // hexadecimal
		copyOf("process_path", "ProcessName"),
		calc("process_name", baseName("ProcessName")),
		calc("user", present("SubjectUserName")),
		calc("object_category", fixed("file")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// fileAccessAction reads 4663's AccessMask: DELETE (0x10000) → deleted,
// WriteData, AppendData or WriteAttributes (0x2, 0x4, 0x100) → modified,
// ReadData (0x1) → read.
func fileAccessAction(e *event.Event) string {
	mask, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(field(e, "AccessMask")), "0x"), 16, 64)
	if err != nil {
		return ""
	}
	switch {
	case mask&0x10000 != 0:
		return "deleted"
	case mask&(0x2|0x4|0x100) != 0:
		return "modified"
	case mask&0x1 != 0:
		return "read"
	}
	return ""
}
