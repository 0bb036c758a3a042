// Package winevent decodes Windows event logs in their text forms and
// extracts the fields Splunk's Windows add-on gives them, so analytics
// written for Splunk see the same field names and values.
//
// FromNode extracts fields from one event's element tree (from the XML
// decoder or the EVTX reader). DecodeXML, DecodeJSON and DecodeClassic read
// <Event> XML, NXLog and Winlogbeat JSON lines, and classic WinEventLog
// text; Decode picks one by Format and DetectFormat recognises the format
// from a file's first bytes. Whatever the input, Windows events get
// sourcetype XmlWinEventLog and source XmlWinEventLog:<Channel>, except
// classic text, which keeps WinEventLog as Splunk does.
//
// Values keep the form the input wrote them in: XML values stay escaped
// ("&lt;", "&amp;"), as the add-on extracts them from the raw XML, and JSON
// and classic values are taken as written. Decoders report each record
// they skip as a Problem and go on with the next one.
package winevent
