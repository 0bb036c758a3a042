package cim

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Authentication.Authentication: logons and Kerberos/NTLM credential
// checks from the Security channel.
//
// NOTE: app is set only for 4624 and 4625, from the logon type; the
// other events keep the data model default "unknown". The Windows
// add-on's own rule is not available here.
var authentication = &mapping{
	sources:  []*source{securityLogon, securityExplicitLogon, securityKerberos, securityNTLM},
	defaults: []string{"action", "app", "dest", "src", "src_user", "user", "vendor_product"},
}

func init() { authentication.register("Authentication", "Authentication") }

// authSignatures are the Security event titles, used as signature.
var authSignatures = map[string]string{
	"4624": "An account was successfully logged on",
	"4625": "An account failed to log on",
	"4648": "A logon was attempted using explicit credentials",
	"4768": "A Kerberos authentication ticket (TGT) was requested",
	"4769": "A Kerberos service ticket was requested",
	"4771": "Kerberos pre-authentication failed",
	"4776": "The computer attempted to validate the credentials for an account",
}

// securityLogon maps 4624 (success) and 4625 (failure): the target
// account logs on to this computer from IpAddress or WorkstationName.
var securityLogon = &source{
	channel: securityChannel,
	codes:   []string{"4624", "4625"},
	rules: []rule{
		calc("action", byCode(map[string]string{"4624": "success", "4625": "failure"})),
		copyOf("dest", "Computer"),
		calc("user", present("TargetUserName")),
		calc("user_id", present("TargetUserSid")),
		calc("src_user", present("SubjectUserName")),
		calc("src", loginSource),
		calc("src_ip", present("IpAddress")),
		calc("src_port", present("IpPort")),
		calc("authentication_method", present("AuthenticationPackageName")),
		copyOf("logon_type", "LogonType"),
		calc("app", logonApp),
		calc("reason", present("FailureReason")),
		calc("signature", byCode(authSignatures)),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// securityExplicitLogon maps 4648: the subject account used the target
// account's credentials against TargetServerName.
var securityExplicitLogon = &source{
	channel: securityChannel,
	codes:   []string{"4648"},
	rules: []rule{
		calc("action", fixed("success")),
		calc("dest", present("TargetServerName")),
		copyOf("dest", "Computer"),
		calc("user", present("TargetUserName")),
		calc("src_user", present("SubjectUserName")),
		// NOTE: IpAddress in 4648 is the target server's address, so src
		// and dest both name the target when it is present.
		calc("src", loginSource),
		copyOf("src", "Computer"),
		calc("src_ip", present("IpAddress")),
		calc("signature", byCode(authSignatures)),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// securityKerberos maps the domain controller's Kerberos events 4768,
// 4769 and 4771; Status 0x0 is success.
var securityKerberos = &source{
	channel: securityChannel,
	codes:   []string{"4768", "4769", "4771"},
	rules: []rule{
		calc("action", statusAction),
		copyOf("dest", "Computer"),
		calc("user", present("TargetUserName")),
		calc("src", loginSource),
		calc("src_ip", loginSource),
		calc("service", present("ServiceName")),
		calc("authentication_method", fixed("Kerberos")),
		calc("reason", present("Status")),
		calc("signature", byCode(authSignatures)),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// securityNTLM maps 4776: Workstation asked this computer to validate
// TargetUserName's credentials; Status 0x0 is success.
var securityNTLM = &source{
	channel: securityChannel,
	codes:   []string{"4776"},
	rules: []rule{
		calc("action", statusAction),
		copyOf("dest", "Computer"),
		calc("user", present("TargetUserName")),
		calc("src", present("Workstation")),
		calc("authentication_method", present("PackageName")),
		calc("reason", present("Status")),
		calc("signature", byCode(authSignatures)),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// loginSource is the client address without the IPv4-mapped prefix, or
// the workstation name when there is no address.
func loginSource(e *event.Event) string {
	ip := strings.TrimPrefix(field(e, "IpAddress"), "::ffff:")
	if ip != "" && ip != "-" {
		return ip
	}
	if ws := field(e, "WorkstationName"); ws != "-" {
		return ws
	}
	return ""
}

// statusAction is "success" for Status 0x0 and "failure" for any other
// status; 4771 always reports a failure.
func statusAction(e *event.Event) string {
	if field(e, "EventCode") == "4771" {
		return "failure"
	}
	switch field(e, "Status") {
	case "":
		return ""
	case "0x0", "0x00000000", "0":
		return "success"
	}
	return "failure"
}

// Change.All_Changes: account management from the Security channel.
var change = &mapping{
	sources:  []*source{securityAccountChange},
	defaults: []string{"action", "change_type", "dest", "object", "object_category", "result", "status", "user", "vendor_product"},
}

func init() { change.register("Change", "All_Changes") }

// accountChanges are the account management events: the event title is
// the result and the kind of change the action.
var accountChanges = map[string]struct{ action, result string }{
	"4720": {"created", "A user account was created"},
	"4722": {"modified", "A user account was enabled"},
	"4723": {"modified", "An attempt was made to change an account's password"},
	"4724": {"modified", "An attempt was made to reset an account's password"},
	"4725": {"modified", "A user account was disabled"},
	"4726": {"deleted", "A user account was deleted"},
	"4738": {"modified", "A user account was changed"},
	"4740": {"modified", "A user account was locked out"},
	"4767": {"modified", "A user account was unlocked"},
	"4781": {"modified", "The name of an account was changed"},
	"4794": {"modified", "An attempt was made to set the Directory Services Restore Mode administrator password"},
}

var securityAccountChange = &source{
	channel: securityChannel,
	codes:   []string{"4720", "4722", "4723", "4724", "4725", "4726", "4738", "4740", "4767", "4781", "4794"},
	rules: []rule{
		calc("action", func(e *event.Event) string { return accountChanges[field(e, "EventCode")].action }),
		calc("result", func(e *event.Event) string { return accountChanges[field(e, "EventCode")].result }),
		copyOf("result_id", "EventCode"),
		calc("change_type", fixed("AAA")),
		calc("object_category", fixed("user")),
		calc("object", present("TargetUserName")),
		calc("object_id", present("TargetSid")),
		calc("user", present("TargetUserName")),
		calc("src_user", present("SubjectUserName")),
		copyOf("dest", "Computer"),
		calc("src", present("Workstation")),
		calc("status", fixed("success")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// logonApp names the application of a 4624/4625 logon as the Windows
// add-on's output shows it: "win:remote" for network (3) and remote
// interactive (10) logons, "win:local" for the other logon types.
// Evidence: add-on output with LogonType 10 and app=win:remote, and
// third-party data generators that model the add-on this way.
func logonApp(e *event.Event) string {
	switch field(e, "LogonType") {
	case "":
		return ""
	case "3", "10":
		return "win:remote"
	}
	return "win:local"
}
