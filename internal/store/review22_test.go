package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Review 22b, finding 2: a trace's user, session, name and release are
// the latest arrival's carrying one, whatever the map iteration order.
func TestTraceAttributesLatestArrival(t *testing.T) {
	s := New(0)
	for i := range 50 {
		tr := fmt.Sprint("t", i)
		a := obs(tr, "a", "", 5)
		a.UserID, a.SessionID, a.TraceName, a.Release = "u1", "s1", "n1", "r1"
		b := obs(tr, "b", "a", 3)
		b.UserID, b.SessionID, b.TraceName, b.Release = "u2", "s2", "n2", "r2"
		c := obs(tr, "c", "a", 1)
		c.UserID, c.SessionID, c.TraceName, c.Release = "", "", "", ""
		for _, o := range []Observation{a, b, c} {
			s.PutObservations([]Observation{o})
		}
		sum, _, _, _ := s.Trace(tr)
		if sum.UserID != "u2" || sum.SessionID != "s2" || sum.Name != "n2" || sum.Release != "r2" {
			t.Fatalf("trace %s: user %q session %q name %q release %q, want the latest arrival's (u2 s2 n2 r2)", tr, sum.UserID, sum.SessionID, sum.Name, sum.Release)
		}
	}
}

// Review 22b, finding 2b: under -data, the latest arrival stays the latest
// across restarts (the log is rewritten in arrival order, not start order).
func TestTraceAttributesSurviveRestarts(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := obs("t1", "a", "", 5) // starts last, arrives first
	a.UserID = "u1"
	b := obs("t1", "b", "a", 1) // starts first, arrives last
	b.UserID = "u2"
	s.PutObservations([]Observation{a})
	s.PutObservations([]Observation{b})
	for restart := range 3 {
		if sum, _, _, _ := s.Trace("t1"); sum.UserID != "u2" {
			t.Errorf("after %d restarts: user %q, want u2 (the latest arrival's)", restart, sum.UserID)
		}
		s.Close()
		if s, err = Open(dir, 0); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
}

// Review 22b, finding 4: content JSON spells longer than the store's
// estimate ('<' is escaped to six bytes by default) must not make every
// append rewrite the whole log (a full rewrite and fsync, lock held).
func TestLogNotRewrittenPerAppend(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := filepath.Join(dir, LogName)
	put := func(i int, content string) {
		o := obs(fmt.Sprint("t", i), "a", "", i)
		o.Input = content
		s.PutObservations([]Observation{o})
	}
	for _, content := range []string{strings.Repeat("<", 10<<10), strings.Repeat("\x01", 10<<10)} {
		for i := range 200 {
			put(i, content)
		}
		before, _ := os.Stat(path)
		rewrites := 0
		for i := range 100 {
			put(1000+i, content)
			now, _ := os.Stat(path)
			if !os.SameFile(before, now) {
				rewrites++
			}
			before = now
		}
		if rewrites > 10 {
			t.Errorf("content %q…: %d rewrites of the log in 100 appends", content[:1], rewrites)
		}
	}
}
