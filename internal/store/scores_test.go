package store

import (
	"fmt"
	"strings"
	"testing"
)

// Review of issue 19, finding 2: scores counted toward the bound but only
// traces were evicted, so large scores evicted every trace and then grew
// without bound. Scores are evicted too, oldest first, and counted.
func TestScoresEvictedAndCounted(t *testing.T) {
	s := New(1 << 20)
	big := strings.Repeat("a", 100<<10)
	for i := range 40 {
		s.PutScore(Score{ID: fmt.Sprint("sc", i), TraceID: "t", Name: "n", Comment: big})
		if st := s.Stats(); st.Bytes > st.MaxBytes {
			t.Fatalf("after %d scores: %d bytes held, bound %d", i+1, st.Bytes, st.MaxBytes)
		}
	}
	st := s.Stats()
	if st.EvictedScores == 0 || int64(st.Scores)+st.EvictedScores != 40 {
		t.Fatalf("stats after 40 large scores: %+v", st)
	}
	if got := s.Scores(); got[len(got)-1].ID != "sc39" || got[0].ID == "sc0" {
		t.Errorf("not oldest first: first %s, last %s", got[0].ID, got[len(got)-1].ID)
	}
	// New traces are still kept: the old scores go, not every new trace.
	for i := range 50 {
		id := fmt.Sprint("tr", i)
		s.PutObservations([]Observation{obs(id, "a", "", i)})
	}
	if st := s.Stats(); st.Traces != 50 || st.EvictedTraces != 0 {
		t.Errorf("traces after the score flood: %+v", st)
	}
}

// Dropping a trace drops its scores without scanning every score.
func TestTraceEvictionDropsItsScores(t *testing.T) {
	s := New(64 << 10)
	for i := range 500 {
		id := fmt.Sprint("t", i)
		s.PutObservations([]Observation{obs(id, "a", "", i)})
		s.PutScore(Score{ID: id, TraceID: id, Name: "q", Value: 1})
	}
	st := s.Stats()
	if st.EvictedTraces == 0 || st.Scores > st.Traces+1 {
		t.Fatalf("stats: %+v", st)
	}
	for _, sc := range s.Scores() {
		if _, _, _, ok := s.Trace(sc.TraceID); !ok && sc.TraceID != "t499" {
			t.Errorf("score %s kept for evicted trace", sc.ID)
		}
	}
	if _, _, sc, ok := s.Trace("t499"); !ok || len(sc) != 1 {
		t.Errorf("newest trace's score: %v %v", ok, sc)
	}
}
