package cim

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Endpoint.Services: service installations from System 7045 (Service
// Control Manager) and Security 4697.
var services = &mapping{
	sources:  []*source{systemServiceInstall, securityServiceInstall},
	defaults: []string{"dest", "service", "service_name", "start_mode", "status", "user", "vendor_product"},
}

func init() { services.register("Endpoint", "Services") }

// systemServiceInstall maps System 7045 (a service was installed). The
// Windows add-on aliases ServiceName to service and service_name.
var systemServiceInstall = &source{
	channel: systemChannel,
	codes:   []string{"7045"},
	rules: []rule{
		copyOf("dest", "Computer"),
		copyOf("service", "ServiceName"),
		copyOf("service_name", "ServiceName"),
		copyOf("service_path", "ImagePath"),
		calc("start_mode", startMode("StartType")),
		copyOf("service_type", "ServiceType"),
		calc("user", present("AccountName")),
		copyOf("user_id", "UserID"),
		calc("status", fixed("created")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// securityServiceInstall maps Security 4697 (a service was installed in
// the system).
var securityServiceInstall = &source{
	channel: securityChannel,
	codes:   []string{"4697"},
	rules: []rule{
		copyOf("dest", "Computer"),
		copyOf("service", "ServiceName"),
		copyOf("service_name", "ServiceName"),
		copyOf("service_path", "ServiceFileName"),
		calc("start_mode", startMode("ServiceStartType")),
		copyOf("service_type", "ServiceType"),
		calc("user", present("ServiceAccount")),
		calc("src_user", present("SubjectUserName")),
		calc("status", fixed("created")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(windowsVendor)),
	},
}

// startModes maps the service start types, as numbers (4697) or as the
// words System 7045 renders, to the CIM start_mode values.
var startModes = map[string]string{
	"0": "boot", "1": "system", "2": "auto", "3": "manual", "4": "disabled",
	"boot start": "boot", "system start": "system", "auto start": "auto",
	"demand start": "manual", "disabled": "disabled",
}

func startMode(from string) func(*event.Event) string {
	return func(e *event.Event) string {
		v := field(e, from)
		if m, ok := startModes[strings.ToLower(v)]; ok {
			return m
		}
		return v
	}
}
