package cim

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Endpoint.Registry: registry changes from Sysmon 12 (key or value
// created or deleted), 13 (value set) and 14 (key or value renamed), which
// the Sysmon add-on tags endpoint+registry, and Security 4657 (registry
// value modified).
var registryModel = &mapping{
	sources: []*source{sysmonRegistry, securityRegistryValue},
	// Splunk_SA_CIM 5.0.1 Endpoint.json calculated fields for Registry.
	defaults: []string{"action", "dest", "registry_path", "registry_key_name", "registry_value_data",
		"registry_value_name", "registry_value_type", "user", "vendor_product"},
}

func init() { registryModel.register("Endpoint", "Registry") }

// sysmonRegistry maps Sysmon 12, 13 and 14. TargetObject → registry_path
// and Details → registry_value_data are the field_mappings of the security
// content data source "Sysmon EventID 13"; the other fields are those its
// list of add-on 4.0.2 output fields names (registry_key_name,
// registry_value_name, registry_value_type, registry_hive, action,
// process_*).
var sysmonRegistry = &source{
	channel: sysmonChannel,
	codes:   []string{"12", "13", "14"},
	rules: []rule{
		copyOf("dest", "Computer"),
		calc("action", registryAction),
		copyOf("registry_path", "TargetObject"),
		// The key name is the last component of TargetObject: analytics
		// compare it with value names such as Debugger, Load or BootExecute.
		calc("registry_key_name", baseName("TargetObject")),
		calc("registry_value_name", registryValueName),
		calc("registry_value_data", registryValueData),
		calc("registry_value_type", registryValueType),
		calc("registry_hive", registryHive),
		copyOf("process_guid", "ProcessGuid"),
		copyOf("process_id", "ProcessId"),
		copyOf("process_path", "Image"),
		calc("process_name", baseName("Image")),
		calc("process_exec", baseName("Image")),
		calc("user", accountName("User")), // Sysmon 15 and later only
		copyOf("user_id", "UserID"),
		calc("object_category", fixed("registry")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(sysmonVendor)),
	},
}

// registryAction maps Sysmon's EventType: CreateKey → created,
// DeleteKey and DeleteValue → deleted, SetValue → modified, and the
// renames of event 14 (RenameKey, RenameValue) → modified, because the
// object exists before and after.
func registryAction(e *event.Event) string {
	switch field(e, "EventType") {
	case "CreateKey", "CreateValue":
		return "created"
	case "DeleteKey", "DeleteValue":
		return "deleted"
	case "SetValue", "RenameKey", "RenameValue":
		return "modified"
	}
	return ""
}

// registryValueName is the last component of TargetObject for events
// about a value (13, and 12 or 14 on a value).
func registryValueName(e *event.Event) string {
	switch field(e, "EventType") {
	case "SetValue", "DeleteValue", "CreateValue", "RenameValue":
		return lastPathElement(field(e, "TargetObject"))
	}
	return ""
}

// splitDetails splits Sysmon's Details "TYPE (data)", such as
// "DWORD (0x00000001)" or "QWORD (0x01d776fd-0xd724b8c5)", into type and
// data. Other text ("Binary Data", strings) has no type.
func splitDetails(details string) (typ, data string) {
	open := strings.IndexByte(details, ' ')
	if open <= 0 || !strings.HasSuffix(details, ")") || open+1 >= len(details) || details[open+1] != '(' {
		return "", details
	}
	typ = details[:open]
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return "", details
		}
	}
	return typ, details[open+2 : len(details)-1]
}

// registryValueData is Details with its type prefix removed, so that
// "DWORD (0x00000001)" reads 0x00000001, the form analytics compare with.
func registryValueData(e *event.Event) string {
	_, data := splitDetails(field(e, "Details"))
	return data
}

func registryValueType(e *event.Event) string {
	typ, _ := splitDetails(field(e, "Details"))
	return typ
}

// hives maps the root of a Sysmon or Security registry path to the hive
// name.
var hives = map[string]string{
	"HKLM":                  "HKEY_LOCAL_MACHINE",
	"HKU":                   "HKEY_USERS",
	"HKCU":                  "HKEY_CURRENT_USER",
	"HKCR":                  "HKEY_CLASSES_ROOT",
	"HKEY_LOCAL_MACHINE":    "HKEY_LOCAL_MACHINE",
	"HKEY_USERS":            "HKEY_USERS",
	"HKEY_CURRENT_USER":     "HKEY_CURRENT_USER",
	"HKEY_CLASSES_ROOT":     "HKEY_CLASSES_ROOT",
	"HKEY_CURRENT_CONFIG":   "HKEY_CURRENT_CONFIG",
	"HKEY_PERFORMANCE_DATA": "HKEY_PERFORMANCE_DATA",
}

func registryHive(e *event.Event) string {
	root, _, _ := strings.Cut(field(e, "TargetObject"), `\`)
	return hives[strings.ToUpper(root)]
}

// securityRegistryValue maps Security 4657 (a registry value was
// modified). The object path is rewritten from the kernel form
// (\REGISTRY\MACHINE\..., \REGISTRY\USER\...) to Sysmon's (HKLM\...,
// HKU\...) and joined with the value name, so one analytic matches both
// sources.
var securityRegistryValue = &source{
	channel: securityChannel,
	codes:   []string{"4657"},
	rules: []rule{
		copyOf("dest", "Computer"),
		calc("action", securityRegistryAction),
		calc("registry_path", securityRegistryPath),
		calc("registry_key_name", present("ObjectValueName")),
		calc("registry_value_name", present("ObjectValueName")),
		calc("registry_value_data", present("NewValue")),
		calc("registry_hive", func(e *event.Event) string {
			root, _, _ := strings.Cut(kernelToHive(field(e, "ObjectName")), `\`)
			return hives[root]
		}),
		copyOf("process_id", "ProcessId"), // hexadecimal, as in 4688
		copyOf("process_path", "ProcessName"),
		calc("process_name", baseName("ProcessName")),
		calc("user", present("SubjectUserName")),
		calc("object_category", fixed("registry")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// securityRegistryAction maps 4657's OperationType: %%1904 (new value
// created), %%1905 (existing value modified), %%1906 (value deleted).
func securityRegistryAction(e *event.Event) string {
	switch field(e, "OperationType") {
	case "%%1904":
		return "created"
	case "%%1905":
		return "modified"
	case "%%1906":
		return "deleted"
	}
	return ""
}

func securityRegistryPath(e *event.Event) string {
	path := kernelToHive(field(e, "ObjectName"))
	if path == "" {
		return ""
	}
	if name := field(e, "ObjectValueName"); name != "" && name != "-" {
		return path + `\` + name
	}
	return path
}

// kernelToHive rewrites \REGISTRY\MACHINE and \REGISTRY\USER to HKLM and
// HKU.
func kernelToHive(path string) string {
	upper := strings.ToUpper(path)
	for _, p := range [...]struct{ kernel, hive string }{
		{`\REGISTRY\MACHINE`, "HKLM"},
		{`\REGISTRY\USER`, "HKU"},
	} {
		if strings.HasPrefix(upper, p.kernel) {
			return p.hive + path[len(p.kernel):]
		}
	}
	return path
}
