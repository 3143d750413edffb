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

// Review 22b, finding 5: spans older than the newest stored are merged in
// (one sort of the batch, one merge), and s.all stays in (start, seq)
// order whatever the order they come in.
func TestLateSpansMergedInOrder(t *testing.T) {
	s := New(0)
	put := func(ids ...int) {
		var batch []Observation
		for _, i := range ids {
			batch = append(batch, obs("t1", fmt.Sprint("o", i), "", i))
		}
		s.PutObservations(batch)
	}
	put(50, 60, 70)
	put(65, 10, 55, 75, 5, 70) // late, interleaved, a retry (70) and one at the end
	put(1)
	put(80, 2, 3)
	s.mu.Lock()
	defer s.mu.Unlock()
	var starts []int
	for _, e := range s.all {
		if !e.dead {
			starts = append(starts, int(e.o.StartTime.Sub(t0).Milliseconds()))
		}
	}
	want := []int{1, 2, 3, 5, 10, 50, 55, 60, 65, 70, 75, 80}
	if fmt.Sprint(starts) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", starts, want)
	}
	for i := 1; i < len(s.all); i++ {
		if !s.all[i-1].before(s.all[i].o.StartTime, s.all[i].seq) {
			t.Errorf("s.all out of (start, seq) order at %d", i)
		}
	}
}

// BenchmarkReverseBatch stores one batch of spans in reverse start order
// after a newer one (the review's repro: 100,000 spans took minutes of CPU
// with the store lock held, each copying the tail of s.all).
func BenchmarkReverseBatch(b *testing.B) {
	const n = 20000
	batch := make([]Observation, n)
	for i := range batch {
		o := obs("t1", fmt.Sprint("o", i), "", n-i)
		o.Input, o.Output, o.UsageDetails, o.CostDetails = nil, nil, nil, nil
		batch[i] = o
	}
	b.ReportAllocs()
	for b.Loop() {
		s := New(0)
		s.PutObservations([]Observation{obs("t0", "newest", "", 2*n)})
		s.PutObservations(batch)
	}
}
