package spl

import "testing"

func TestSearchValueWithParentheses(t *testing.T) {
	pl, _, err := Parse(`| tstats count from datamodel=Endpoint.Processes where (Processes.process_name="powershell.exe") (Processes.process=*WindowsIdentity* OR Processes.process=*GetCurrent()*) by Processes.dest`, MacroMap{})
	if err != nil {
		t.Fatal(err)
	}
	s := pl.Commands[0].(*StatsCmd)
	and, ok := s.Where.(*SearchAnd)
	if !ok || len(and.Terms) != 2 {
		t.Fatalf("where = %#v, expected two conjuncts", s.Where)
	}
	or, ok := and.Terms[1].(*SearchOr)
	if !ok || len(or.Terms) != 2 {
		t.Fatalf("second conjunct = %#v, expected an OR of two terms", and.Terms[1])
	}
	if c := or.Terms[1].(*SearchCompare); c.Value != "*GetCurrent()*" {
		t.Errorf("value = %q, expected *GetCurrent()*", c.Value)
	}
	if len(s.By) != 1 || s.By[0] != "Processes.dest" {
		t.Errorf("by = %q, expected [Processes.dest]", s.By)
	}
}

func TestSearchValueEndsAtGroupParenthesis(t *testing.T) {
	pl, _, err := Parse(`search (a=x OR b=y) c=z`, MacroMap{})
	if err != nil {
		t.Fatal(err)
	}
	and := pl.Commands[0].(*SearchCmd).Expr.(*SearchAnd)
	or := and.Terms[0].(*SearchOr)
	if c := or.Terms[1].(*SearchCompare); c.Value != "y" {
		t.Errorf("value = %q, expected y", c.Value)
	}
}
