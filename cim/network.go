package cim

import (
	"strings"

	"github.com/spelunk/spelunk/event"
)

// Network_Traffic.All_Traffic: connections from Sysmon 3 (network
// connection), which the Sysmon add-on tags network+communicate.
var traffic = &mapping{
	sources: []*source{sysmonNetworkConnect},
	// NOTE: the "unknown" defaults follow the Network_Traffic model's
	// calculated fields as remembered, not read from Splunk_SA_CIM.
	defaults: []string{"action", "app", "dest", "dvc", "src", "transport", "user", "vendor_product"},
}

func init() { traffic.register("Network_Traffic", "All_Traffic") }

// sysmonNetworkConnect maps Sysmon 3 with the fields of the security
// content data source "Sysmon EventID 3" (add-on 4.0.2 output): app is the
// image path, dest and src prefer the host name over the address,
// direction comes from Initiated and transport from Protocol.
var sysmonNetworkConnect = &source{
	channel: sysmonChannel,
	codes:   []string{"3"},
	rules: []rule{
		calc("action", fixed("allowed")),
		copyOf("app", "Image"),
		calc("dest", present("DestinationHostname")),
		copyOf("dest", "DestinationIp"),
		copyOf("dest_ip", "DestinationIp"),
		copyOf("dest_port", "DestinationPort"),
		calc("direction", func(e *event.Event) string {
			switch field(e, "Initiated") {
			case "true":
				return "outbound"
			case "false":
				return "inbound"
			}
			return ""
		}),
		calc("src", present("SourceHostname")),
		copyOf("src", "SourceIp"),
		copyOf("src_ip", "SourceIp"),
		copyOf("src_port", "SourcePort"),
		copyOf("src_host", "SourceHostname"),
		copyOf("transport", "Protocol"),
		calc("protocol", fixed("ip")),
		copyOf("dvc", "Computer"),
		copyOf("process_id", "ProcessId"),
		copyOf("process_guid", "ProcessGuid"),
		calc("process_name", baseName("Image")),
		calc("user", accountName("User")),
		copyOf("user_id", "UserID"),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(sysmonVendor)),
	},
}

// Network_Resolution.DNS: name lookups from Sysmon 22 (DNS query), which
// the Sysmon add-on tags network+resolution+dns.
var resolution = &mapping{
	sources:  []*source{sysmonDNSQuery},
	finish:   finishDNS,
	defaults: []string{"answer", "dest", "message_type", "query", "record_type", "reply_code", "src", "vendor_product"},
}

func init() { resolution.register("Network_Resolution", "DNS") }

// sysmonDNSQuery maps Sysmon 22 with the fields of the security content
// data source "Sysmon EventID 22": src is the querying host, query the
// name, reply_code_id the QueryStatus.
var sysmonDNSQuery = &source{
	channel: sysmonChannel,
	codes:   []string{"22"},
	rules: []rule{
		copyOf("src", "Computer"),
		copyOf("query", "QueryName"),
		copyOf("reply_code_id", "QueryStatus"),
		calc("reply_code", func(e *event.Event) string { return dnsStatus[field(e, "QueryStatus")] }),
		calc("message_type", fixed("Query")),
		copyOf("process_id", "ProcessId"),
		copyOf("process_guid", "ProcessGuid"),
		copyOf("process_path", "Image"),
		calc("process_name", baseName("Image")),
		calc("user", accountName("User")),
		copyOf("signature_id", "EventCode"),
		calc("vendor_product", fixed(sysmonVendor)),
	},
}

// dnsStatus names the Windows DNS status codes Sysmon reports most.
var dnsStatus = map[string]string{
	"0":    "NoError",
	"9002": "ServFail",
	"9003": "NXDomain",
	"9004": "NotImp",
	"9005": "Refused",
	"1460": "Timeout",
	"9501": "NoRecords",
	"9701": "NoRecords",
}

// finishDNS adds answer: the values of Sysmon's QueryResults, entries
// separated by ";", each "type:  N value" (a CNAME or other record) or an
// address, IPv4 ones written as "::ffff:a.b.c.d".
func finishDNS(r *record, e *event.Event) {
	r.setAll("answer", dnsAnswers(field(e, "QueryResults")))
}

func dnsAnswers(results string) []string {
	if results == "" || results == "-" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(results, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(part, "type:"); ok {
			fields := strings.Fields(rest)
			if len(fields) >= 2 {
				out = append(out, fields[len(fields)-1])
			}
			continue
		}
		out = append(out, strings.TrimPrefix(part, "::ffff:"))
	}
	return out
}
