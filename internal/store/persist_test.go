package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Review of issue 19, finding 4: when Open cannot rewrite the log (a full
// disk), it used to refuse to start; the store must start, keep the old log
// as it was, and say why it keeps new data in memory only.
func TestOpenKeepsOldLogWhenRewriteFails(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.PutObservations([]Observation{obs("t1", "a", "", 0)})
	s.Close()
	path := filepath.Join(dir, LogName)
	before, _ := os.ReadFile(path)
	// The rewrite's temporary file cannot be created.
	if err := os.Mkdir(path+".tmp", 0o700); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir, 0)
	if err != nil {
		t.Fatalf("Open refused to start: %v", err)
	}
	defer s2.Close()
	if _, _, _, ok := s2.Trace("t1"); !ok {
		t.Error("data not loaded")
	}
	if s2.Err() == nil || !strings.Contains(s2.Err().Error(), "memory") {
		t.Errorf("Err = %v, want the reason the store keeps new data in memory", s2.Err())
	}
	if st := s2.Stats(); st.WriteError == "" {
		t.Error("Stats.WriteError empty")
	}
	s2.PutObservations([]Observation{obs("t2", "b", "", 1)})
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("old log changed:\n%s\n->\n%s", before, after)
	}
	if _, _, _, ok := s2.Trace("t2"); !ok {
		t.Error("new data not served from memory")
	}
}

// A write error while serving is reported once (the command logs it, the UI
// shows it) and the store goes on in memory.
func TestWriteErrorReportedOnce(t *testing.T) {
	s, err := Open(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []error
	s.OnWriteError(func(err error) { got = append(got, err) })
	s.mu.Lock()
	s.log.f.Close() // every later write fails
	s.mu.Unlock()
	for i := range 3 {
		s.PutObservations([]Observation{obs("t", string(rune('a'+i)), "", i)})
	}
	if len(got) != 1 {
		t.Fatalf("reported %d times: %v", len(got), got)
	}
	if st := s.Stats(); st.WriteError == "" || st.Observations != 3 {
		t.Errorf("stats: %+v", st)
	}
}
