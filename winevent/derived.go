package winevent

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// alias copies source to target the way a Splunk FIELDALIAS with AS does:
// it overwrites an existing target and removes the target when source is
// missing.
func alias(ev *event.Event, target, source string) {
	v := ev.Values(source)
	if len(v) == 0 {
		ev.Remove(target)
		return
	}
	ev.Set(target, append([]string(nil), v...)...)
}

// addDerived adds the add-on's field aliases and calculated fields that
// follow from the extracted XML names. The order follows Splunk's
// search-time order: aliases first, then calculated fields, which all read
// the values as they were before any calculated field ran.
func addDerived(ev *event.Event) {
	alias(ev, "RecordNumber", "EventRecordID")
	alias(ev, "event_id", "RecordNumber")
	alias(ev, "id", "RecordNumber")
	alias(ev, "dvc", "Computer")
	alias(ev, "dest", "Computer")
	alias(ev, "dvc_nt_host", event.HostField)
	alias(ev, "category", "TaskCategory")
	alias(ev, "user_id", "UserID")
	alias(ev, "service", "ServiceName")
	alias(ev, "service_name", "ServiceName")
	alias(ev, "parent_process", "ParentProcessName")

	code, _ := ev.Value("EventCode")
	processName := "ProcessName"
	if code == "4688" {
		processName = "NewProcessName"
	}
	alias(ev, "process_name", processName)
	alias(ev, "signature_id", "EventCode")
	ev.Set("vendor_product", vendorProduct)

	if channel, _ := ev.Value("Channel"); channel == "Security" && code == "4688" {
		addProcessCreation(ev)
	}
}

// addProcessCreation adds the CIM Endpoint.Processes fields the add-on
// computes for Security 4688 (source XmlWinEventLog:Security).
func addProcessCreation(ev *event.Event) {
	subject, _ := ev.Value("SubjectUserName")
	if subject != "" && subject != "-" {
		ev.Set("src_user", subject)
	}
	user, ok := ev.Value("TargetUserName")
	if !ok || user == "-" {
		user = subject
	}
	if user != "" && user != "-" {
		ev.Set("user", user)
	}

	newProcess, hasNew := ev.Value("NewProcessName")
	if hasNew {
		base := lastPathElement(newProcess)
		ev.Set("new_process", newProcess)
		ev.Set("new_process_name", base)
		ev.Set("process_name", base)
		ev.Set("process_exec", base)
		ev.Set("process_path", newProcess)
	}
	cmd, hasCmd := ev.Value("CommandLine")
	if hasCmd {
		first, args := splitCommandLine(cmd)
		ev.Set("Process_Command_Line", cmd)
		ev.Set("process_command_line_process", first)
		if args != "" {
			ev.Set("process_command_line_arguments", args)
		}
		switch {
		case strings.Contains(first, `\`):
			ev.Set("process", cmd)
		case hasNew:
			exe := newProcess
			if strings.ContainsAny(exe, " \t") {
				exe = `"` + exe + `"`
			}
			if args != "" {
				exe += " " + args
			}
			ev.Set("process", exe)
		default:
			ev.Set("process", cmd)
		}
	} else if hasNew {
		ev.Set("process", newProcess)
	}
	alias(ev, "process_id", "NewProcessId")
	alias(ev, "parent_process_id", "ProcessId")
	if parent, ok := ev.Value("ParentProcessName"); ok {
		ev.Set("parent_process_name", lastPathElement(parent))
		ev.Set("parent_process_path", parent)
	}
	if kw, _ := ev.Value("Keywords"); kw == "0x8020000000000000" {
		ev.Set("action", "allowed")
	}
}

// splitCommandLine splits off the first token: a double-quoted string or a
// run of non-space characters. The arguments come back without the
// separating spaces.
func splitCommandLine(cmd string) (first, args string) {
	s := strings.TrimLeft(cmd, " \t")
	end := strings.IndexAny(s, " \t")
	if strings.HasPrefix(s, `"`) {
		if q := strings.IndexByte(s[1:], '"'); q >= 0 {
			end = q + 2
		}
	}
	if end < 0 || end >= len(s) {
		return s, ""
	}
	return s[:end], strings.TrimLeft(s[end:], " \t")
}

func lastPathElement(path string) string {
	if i := strings.LastIndexByte(path, '\\'); i >= 0 {
		return path[i+1:]
	}
	return path
}
