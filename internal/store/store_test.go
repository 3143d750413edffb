package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

func obs(trace, id, parent string, i int) Observation {
	return Observation{
		ID: id, TraceID: trace, ParentObservationID: parent, Type: "GENERATION", Name: "chat " + id,
		StartTime: t0.Add(time.Duration(i) * time.Millisecond), EndTime: t0.Add(time.Duration(i+5) * time.Millisecond),
		Input: []any{map[string]any{"role": "user", "content": "hi"}}, Output: map[string]any{"role": "assistant", "content": "hello"},
		UsageDetails: map[string]int64{"input": 3, "output": 5, "total": 8}, CostDetails: map[string]float64{"total": 0.5},
		UserID: "u1", SessionID: "s1", Tags: []string{"b", "a"}, TraceName: "",
	}
}

func TestTraceSummaryAndOrder(t *testing.T) {
	s := New(0)
	ch := s.Changed()
	s.PutObservations([]Observation{obs("t1", "a", "", 0), obs("t1", "b", "a", 1)})
	select {
	case <-ch:
	default:
		t.Fatal("Changed not closed after a put")
	}
	e := obs("t2", "c", "", 2)
	e.Level, e.TraceName = "ERROR", "named"
	s.PutObservations([]Observation{e})
	s.PutScore(Score{ID: "sc1", TraceID: "t1", Name: "q", Value: 1})
	list := s.Traces(TraceFilter{})
	if len(list) != 2 || list[0].ID != "t2" || list[1].ID != "t1" {
		t.Fatalf("newest first: %+v", list)
	}
	t1 := list[1]
	if t1.Name != "chat a" || t1.Observations != 2 || t1.Generations != 2 || t1.Usage["total"] != 16 ||
		t1.TotalCost != 1 || t1.Scores != 1 || t1.UserID != "u1" || t1.Environment != "default" ||
		fmt.Sprint(t1.Tags) != "[a b]" || t1.Input == nil {
		t.Errorf("summary: %+v", t1)
	}
	if list[0].Name != "named" || list[0].Errors != 1 {
		t.Errorf("t2: %+v", list[0])
	}
	if got := s.Traces(TraceFilter{ErrorsOnly: true}); len(got) != 1 || got[0].ID != "t2" {
		t.Errorf("errors only: %+v", got)
	}
	if got := s.Traces(TraceFilter{Name: "NAMED"}); len(got) != 1 {
		t.Errorf("by name: %+v", got)
	}
	if got := s.Traces(TraceFilter{Tag: "zz"}); len(got) != 0 {
		t.Errorf("by tag: %+v", got)
	}
	_, o, sc, ok := s.Trace("t1")
	if !ok || len(o) != 2 || o[0].ID != "a" || len(sc) != 1 || o[1].TraceName != "chat a" {
		t.Errorf("Trace: %v %v %v", ok, o, sc)
	}
	// A retried span replaces, not duplicates.
	s.PutObservations([]Observation{obs("t1", "a", "", 0)})
	if st := s.Stats(); st.Observations != 3 || st.Traces != 2 || st.Scores != 1 {
		t.Errorf("stats: %+v", st)
	}
}

// A score sent before its trace's spans arrive (the library's scores go at
// once, its spans in batches) still counts and shows with the trace.
func TestScoreBeforeTrace(t *testing.T) {
	s := New(0)
	s.PutScore(Score{ID: "early", TraceID: "t1", Name: "q", Value: 1})
	s.PutObservations([]Observation{obs("t1", "a", "", 0)})
	sum, _, scores, ok := s.Trace("t1")
	if !ok || sum.Scores != 1 || len(scores) != 1 {
		t.Errorf("trace %+v, scores %v", sum, scores)
	}
	if list := s.Traces(TraceFilter{}); len(list) != 1 || list[0].Scores != 1 {
		t.Errorf("list: %+v", list)
	}
}

func TestObservationsPages(t *testing.T) {
	s := New(0)
	for i := range 25 {
		s.PutObservations([]Observation{obs(fmt.Sprint("t", i%3), fmt.Sprint("o", i), "", i)})
	}
	seen := map[string]bool{}
	cursor, pages := "", 0
	for {
		page, next := s.Observations(ObservationFilter{Limit: 10, Cursor: cursor})
		pages++
		for _, o := range page {
			if seen[o.ID] {
				t.Fatalf("%s twice", o.ID)
			}
			seen[o.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 25 || pages != 3 {
		t.Errorf("%d observations in %d pages", len(seen), pages)
	}
	page, next := s.Observations(ObservationFilter{TraceID: "t1"})
	if len(page) != 8 || next != "" {
		t.Errorf("trace t1: %d %q", len(page), next)
	}
	if page, _ := s.Observations(ObservationFilter{Limit: 5000}); len(page) != 25 {
		t.Errorf("limit: %d", len(page))
	}
	if page, _ := s.Observations(ObservationFilter{Level: "error"}); len(page) != 0 {
		t.Errorf("level: %d", len(page))
	}
	if page, _ := s.Observations(ObservationFilter{UserID: "u1", Type: "generation"}); len(page) != 25 {
		t.Errorf("user: %d", len(page))
	}
}

func TestBoundEvictsOldestWhole(t *testing.T) {
	s := New(64 << 10)
	for i := range 2000 {
		id := fmt.Sprint("t", i)
		s.PutObservations([]Observation{obs(id, id+"a", "", i), obs(id, id+"b", id+"a", i)})
		if st := s.Stats(); st.Bytes > st.MaxBytes {
			t.Fatalf("after %d traces: %d bytes held, bound %d", i, st.Bytes, st.MaxBytes)
		}
	}
	st := s.Stats()
	if st.EvictedTraces == 0 || int64(st.Traces)+st.EvictedTraces != 2000 || st.Observations != 2*st.Traces {
		t.Fatalf("stats: %+v", st)
	}
	if _, _, _, ok := s.Trace("t0"); ok {
		t.Error("oldest trace still held")
	}
	if _, o, _, ok := s.Trace("t1999"); !ok || len(o) != 2 {
		t.Error("newest trace not held whole")
	}
	all, _ := s.Observations(ObservationFilter{Limit: 1000})
	if len(all) != st.Observations {
		t.Errorf("read API sees %d, stats %d", len(all), st.Observations)
	}
}

func TestMediaBounded(t *testing.T) {
	s := New(40 << 10) // media: 10 KiB
	for i := range 10 {
		s.PutMedia(fmt.Sprint("m", i), "image/png", make([]byte, 3<<10))
	}
	if _, _, ok := s.Media("m0"); ok {
		t.Error("oldest media kept past the bound")
	}
	if ct, b, ok := s.Media("m9"); !ok || ct != "image/png" || len(b) != 3<<10 {
		t.Error("newest media lost")
	}
	if st := s.Stats(); st.Bytes > 10<<10 {
		t.Errorf("media bytes %d", st.Bytes)
	}
}

func TestPersistAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	cs := t0.Add(time.Millisecond)
	o := obs("t1", "a", "", 0)
	o.CompletionStartTime = &cs
	o.PromptName, o.PromptVersion = "p", 2
	s.PutObservations([]Observation{o, obs("t1", "b", "a", 1)})
	s.PutScore(Score{ID: "sc", TraceID: "t1", Name: "q", Value: 0.5, CreatedAt: t0})
	s.PutMedia("m1", "text/plain", []byte("hello"))
	s.Close()

	// A crash mid-write leaves a partial last record.
	f, _ := os.OpenFile(filepath.Join(dir, LogName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"o":[{"ID":"half`)
	f.Close()

	s2, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	sum, got, scores, ok := s2.Trace("t1")
	if !ok || len(got) != 2 || len(scores) != 1 || sum.Usage["total"] != 16 {
		t.Fatalf("reopened: %v %+v %v", ok, got, scores)
	}
	if got[0].CompletionStartTime == nil || !got[0].CompletionStartTime.Equal(cs) || got[0].PromptVersion != 2 ||
		!got[0].StartTime.Equal(o.StartTime) || got[0].Output.(map[string]any)["content"] != "hello" {
		t.Errorf("reopened observation: %+v", got[0])
	}
	if _, b, ok := s2.Media("m1"); !ok || string(b) != "hello" {
		t.Error("media lost across reopen")
	}
	// The store goes on appending after a reopen.
	s2.PutObservations([]Observation{obs("t2", "c", "", 2)})
	s2.Close()
	s3, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if st := s3.Stats(); st.Traces != 2 || st.Observations != 3 || st.Scores != 1 {
		t.Errorf("third open: %+v", st)
	}
}

func TestPersistLogStaysBounded(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 32<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 3000 {
		s.PutObservations([]Observation{obs(fmt.Sprint("t", i), "a", "", i)})
	}
	st, _ := os.Stat(filepath.Join(dir, LogName))
	if st.Size() > 2*(32<<10)+1<<20 {
		t.Errorf("log holds %d bytes", st.Size())
	}
	if err := s.Err(); err != nil {
		t.Error(err)
	}
}

func TestConcurrent(t *testing.T) {
	s := New(256 << 10)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 500 {
				id := fmt.Sprint("w", w, "t", i)
				s.PutObservations([]Observation{obs(id, "a", "", i)})
				s.PutScore(Score{ID: id, TraceID: id, Name: "q"})
			}
		}()
		go func() {
			defer wg.Done()
			for range 200 {
				for _, tr := range s.Traces(TraceFilter{Limit: 10}) {
					s.Trace(tr.ID)
				}
				s.Observations(ObservationFilter{Limit: 20})
				s.Stats()
				select {
				case <-s.Changed():
				default:
				}
			}
		}()
	}
	wg.Wait()
}

func fill(n int) *Store {
	s := New(1 << 30)
	for i := range n {
		id := fmt.Sprint("t", i)
		s.PutObservations([]Observation{obs(id, id+"a", "", i), obs(id, id+"b", id+"a", i)})
	}
	return s
}

// BenchmarkTraceList is the UI's list page query with 10,000 traces stored.
func BenchmarkTraceList(b *testing.B) {
	s := fill(10000)
	b.ResetTimer()
	for b.Loop() {
		if len(s.Traces(TraceFilter{Limit: 50})) != 50 {
			b.Fatal("short list")
		}
	}
}

// BenchmarkTraceListFiltered scans all 10,000 traces (a filter nothing matches).
func BenchmarkTraceListFiltered(b *testing.B) {
	s := fill(10000)
	b.ResetTimer()
	for b.Loop() {
		s.Traces(TraceFilter{UserID: "nobody"})
	}
}

// BenchmarkObservationsPage is the read API's first page with 10,000 traces stored.
func BenchmarkObservationsPage(b *testing.B) {
	s := fill(10000)
	b.ResetTimer()
	for b.Loop() {
		s.Observations(ObservationFilter{Limit: 50, SessionID: "s1"})
	}
}

// BenchmarkTracePage is the UI's trace page query (one trace of 2
// observations, summary and scores) with 10,000 traces stored.
func BenchmarkTracePage(b *testing.B) {
	s := fill(10000)
	b.ResetTimer()
	for b.Loop() {
		if _, o, _, ok := s.Trace("t5000"); !ok || len(o) != 2 {
			b.Fatal("trace missing")
		}
	}
}

// A damaged record in the middle of the log is skipped and counted; the
// records after it are kept (it used to end the replay, and the rewrite at
// Open then deleted every later record).
func TestDamagedRecordSkippedNotTheRest(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.PutObservations([]Observation{obs("t1", "a", "", 0)})
	s.Close()
	f, _ := os.OpenFile(filepath.Join(dir, LogName), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{\"o\":[{damaged\n")
	f.Close()
	s, err = Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.PutObservations([]Observation{obs("t2", "b", "", 1)})
	s.Close()
	// Damage the first record too: only it may be lost.
	b, _ := os.ReadFile(filepath.Join(dir, LogName))
	b = append([]byte("not json\n"), b...)
	os.WriteFile(filepath.Join(dir, LogName), b, 0o644)

	s2, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, id := range []string{"t1", "t2"} {
		if _, _, _, ok := s2.Trace(id); !ok {
			t.Errorf("trace %s lost behind a damaged record", id)
		}
	}
	if s2.Skipped() != 1 {
		t.Errorf("Skipped = %d, want 1", s2.Skipped())
	}
}

// Review of issue 19, finding 10: "newest first" meant newest arrival; the
// list and the read API order by start time, stable for equal times.
func TestNewestFirstByStartTime(t *testing.T) {
	s := New(0)
	s.PutObservations([]Observation{obs("late", "a", "", 1000)})
	s.PutObservations([]Observation{obs("early", "b", "", 0)})
	s.PutObservations([]Observation{obs("same1", "c", "", 500), obs("same2", "d", "", 500)})
	var ids []string
	for _, tr := range s.Traces(TraceFilter{}) {
		ids = append(ids, tr.ID)
	}
	if got := strings.Join(ids, " "); got != "late same2 same1 early" {
		t.Errorf("trace list: %s", got)
	}
	ids = nil
	cursor := ""
	for {
		page, next := s.Observations(ObservationFilter{Limit: 1, Cursor: cursor})
		for _, o := range page {
			ids = append(ids, o.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if got := strings.Join(ids, " "); got != "a d c b" {
		t.Errorf("read API pages: %s", got)
	}
	// A span that changes its start time on a retried export moves.
	moved := obs("early", "b", "", 2000)
	s.PutObservations([]Observation{moved})
	if page, _ := s.Observations(ObservationFilter{Limit: 1}); len(page) != 1 || page[0].ID != "b" {
		t.Errorf("after the start time changed: %+v", page)
	}
	if st := s.Stats(); st.Observations != 4 {
		t.Errorf("stats: %+v", st)
	}
}

// Review of issue 19, finding 9: a cursor the store did not make is refused.
func TestValidCursor(t *testing.T) {
	s := New(0)
	for i := range 3 {
		s.PutObservations([]Observation{obs("t", fmt.Sprint(i), "", i)})
	}
	_, next := s.Observations(ObservationFilter{Limit: 1})
	if !ValidCursor(next) {
		t.Errorf("own cursor %q refused", next)
	}
	// A well-formed forged cursor (review 22b) is refused too.
	forged := strings.Join(strings.Split(next, ".")[:3], ".")
	for _, c := range []string{"\x00\x00\x00", `{"x":1}`, "none", "1.2", "0.0.1", forged, forged + ".00", forged + "." + strings.Repeat("0", 24)} {
		if ValidCursor(c) {
			t.Errorf("cursor %q accepted", c)
		}
	}
}

// Review of issue 19, finding 7: a child that arrives before its root gets
// the trace's user, session, tags and release in the read API.
func TestTraceAttributesWhateverTheArrivalOrder(t *testing.T) {
	s := New(0)
	child := Observation{ID: "c", TraceID: "t", ParentObservationID: "r", Name: "child", StartTime: t0.Add(time.Millisecond)}
	s.PutObservations([]Observation{child})
	root := Observation{ID: "r", TraceID: "t", Name: "root", StartTime: t0, UserID: "u", SessionID: "s", Tags: []string{"t1"}, Release: "r1"}
	s.PutObservations([]Observation{root})
	page, _ := s.Observations(ObservationFilter{TraceID: "t"})
	if len(page) != 2 {
		t.Fatalf("%d observations", len(page))
	}
	for _, o := range page {
		if o.UserID != "u" || o.SessionID != "s" || fmt.Sprint(o.Tags) != "[t1]" || o.Release != "r1" || o.TraceName != "root" {
			t.Errorf("%s: user %q session %q tags %v release %q trace name %q", o.Name, o.UserID, o.SessionID, o.Tags, o.Release, o.TraceName)
		}
	}
}

// A root name over 1000 characters is no trace name (Litefuse fails the
// trace event); the store must not invent one from it.
func TestLongRootNameIsNoTraceName(t *testing.T) {
	s := New(0)
	s.PutObservations([]Observation{{ID: "r", TraceID: "t", Name: strings.Repeat("x", 1001), StartTime: t0}})
	sum, o, _, _ := s.Trace("t")
	if sum.Name != "" || o[0].TraceName != "" {
		t.Errorf("trace name %d chars, observation's trace name %d chars", len(sum.Name), len(o[0].TraceName))
	}
}
