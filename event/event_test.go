package event

import (
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestSetAddRemoveRename(t *testing.T) {
	e := &Event{}
	e.Set("a", "1")
	e.Add("b", "x")
	e.Add("b", "y")
	if got := e.Values("b"); !reflect.DeepEqual(got, []string{"x", "y"}) {
		t.Errorf("multivalue b = %v", got)
	}
	e.Rename("a", "b")
	if got := e.Values("b"); !reflect.DeepEqual(got, []string{"1"}) {
		t.Errorf("rename onto an existing field: b = %v, want [1]", got)
	}
	if e.Has("a") {
		t.Error("a still exists after rename")
	}
	e.Rename("missing", "b")
	if got, _ := e.Value("b"); got != "1" {
		t.Errorf("renaming a missing field changed b to %q", got)
	}
	e.Set("b")
	if e.Has("b") {
		t.Error("Set with no values must remove the field")
	}
}

func TestLazyFieldComputedOnce(t *testing.T) {
	calls := 0
	e := &Event{}
	e.Set("x", "1")
	e.SetLazy(RawField, func() []string { calls++; return []string{"<Event/>"} })
	if calls != 0 {
		t.Fatal("lazy field computed before it was read")
	}
	for i := 0; i < 3; i++ {
		if got, _ := e.Value(RawField); got != "<Event/>" {
			t.Fatalf("_raw = %q", got)
		}
	}
	c := e.Clone()
	if got, _ := c.Value(RawField); got != "<Event/>" {
		t.Errorf("clone _raw = %q", got)
	}
	if calls != 1 {
		t.Errorf("computed %d times, want 1", calls)
	}
	c.Materialize()
	if len(c.Fields) != 2 || c.Fields[1].Name != RawField {
		t.Errorf("materialized fields = %v", c.Fields)
	}
	if len(e.Fields) != 1 {
		t.Errorf("materializing the clone changed the original: %v", e.Fields)
	}
	e.Set(RawField, "explicit")
	if got, _ := e.Value(RawField); got != "explicit" {
		t.Errorf("Set must replace a lazy field, got %q", got)
	}
}

func TestLazyFieldRename(t *testing.T) {
	e := &Event{}
	e.SetLazy("l", func() []string { return []string{"v"} })
	e.Rename("l", "m")
	if got, _ := e.Value("m"); got != "v" || e.Has("l") {
		t.Errorf("after rename: m=%q, l exists=%v", got, e.Has("l"))
	}
}

func TestLazyFieldConcurrentReads(t *testing.T) {
	e := &Event{}
	e.SetLazy(RawField, func() []string { return []string{"raw"} })
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, _ := e.Value(RawField); got != "raw" {
				t.Errorf("_raw = %q", got)
			}
			_ = e.Clone()
		}()
	}
	wg.Wait()
}

func TestEpochFormatting(t *testing.T) {
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2017, 8, 30, 19, 25, 4, 174349400, time.UTC), "1504121104.1743494"},
		{time.Unix(1700000000, 0), "1700000000"},
		{time.Unix(1700000000, 500000000), "1700000000.5"},
	}
	for _, c := range cases {
		if got := FormatEpoch(c.t); got != c.want {
			t.Errorf("FormatEpoch(%v) = %s, want %s", c.t, got, c.want)
		}
	}
	e := &Event{}
	e.SetTime(cases[0].t)
	got, ok := e.Time()
	if !ok || !got.Equal(cases[0].t) {
		t.Errorf("time round trip: %v, want %v", got, cases[0].t)
	}
}
