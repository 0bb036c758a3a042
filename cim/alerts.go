package cim

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// defenderChannel is Microsoft Defender Antivirus's event log.
const defenderChannel = "Microsoft-Windows-Windows Defender/Operational"

// Alerts.Alerts: malware detections of Microsoft Defender Antivirus,
// events 1006 and 1116 (malware detected) and 1015 and 1117 (action
// taken).
var alerts = &mapping{
	sources:  []*source{defenderDetection},
	defaults: []string{"app", "dest", "description", "id", "severity", "signature", "type", "user", "vendor_product"},
}

func init() { alerts.register("Alerts", "Alerts") }

// defenderDetection reads the named Data fields of Defender's detection
// events ("Threat Name", "Severity Name", "Detection ID", ...).
var defenderDetection = &source{
	channel: defenderChannel,
	codes:   []string{"1006", "1015", "1116", "1117"},
	rules: []rule{
		calc("app", fixed("Microsoft Defender Antivirus")),
		copyOf("dest", "Computer"),
		copyOf("signature", "Threat Name"),
		copyOf("signature_id", "Threat ID"),
		copyOf("id", "Detection ID"),
		copyOf("description", "Category Name"),
		calc("severity", defenderSeverity),
		copyOf("file_path", "Path"),
		calc("user", accountName("Detection User")),
		calc("type", fixed("alert")),
		calc("vendor_product", fixed("Microsoft Defender Antivirus")),
	},
}

// defenderSeverity maps Defender's severity names to the CIM severity
// values: Severe → critical, High → high, Moderate → medium, Low → low.
func defenderSeverity(e *event.Event) string {
	switch strings.ToLower(field(e, "Severity Name")) {
	case "severe":
		return "critical"
	case "high":
		return "high"
	case "moderate":
		return "medium"
	case "low":
		return "low"
	}
	return ""
}
