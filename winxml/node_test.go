package winxml

import "testing"

func TestRender(t *testing.T) {
	root := &Node{Name: "Event", Attrs: []Attr{{"xmlns", "http://schemas.microsoft.com/win/2004/08/events/event"}}, Children: []*Node{
		{Name: "System", Children: []*Node{{Name: "EventID", Text: []string{"4104"}}, {Name: "Correlation"}}},
		{Name: "EventData", Children: []*Node{
			{Name: "Data", Attrs: []Attr{{"Name", "ScriptBlockText"}}, Text: []string{"a &lt; b"}},
			{Name: "Data", Text: []string{"sa", " Reason: x"}},
		}},
	}}
	want := "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>4104</EventID><Correlation/></System>" +
		"<EventData><Data Name='ScriptBlockText'>a &lt; b</Data><Data>sa</Data><Data> Reason: x</Data></EventData></Event>"
	if got := root.String(); got != want {
		t.Errorf("render:\n got %s\nwant %s", got, want)
	}
}
