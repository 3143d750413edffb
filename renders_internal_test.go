package litefuse

import (
	"sync"
	"testing"
	"time"
)

// fakeEnd is a queued call's end that records what the queue did with it.
type fakeEnd struct {
	r                 *renders
	mu                sync.Mutex
	finished, dropped int
}

func (f *fakeEnd) finishLater() {
	f.mu.Lock()
	f.finished++
	f.mu.Unlock()
	if f.r.ending() {
		f.r.done()
	}
}

func (f *fakeEnd) dropLater() {
	f.mu.Lock()
	f.dropped++
	f.mu.Unlock()
	f.r.ending()
}

// Calls still queued when Shutdown gives up (abandon) are counted Dropped
// and let go unread: the queue does not go on reading their answers and
// running the application's mask after Shutdown returned (review 39,
// finding 2).
func TestQueueLetsGoOfCallsShutdownGaveUpOn(t *testing.T) {
	r := new(renders)
	f := &fakeEnd{r: r}
	for range 5 {
		if !r.later(100, f) {
			t.Fatal("the queue refused a small call")
		}
	}
	if k := r.abandon(); k != 5 {
		t.Fatalf("abandon counted %d calls, want the 5 queued", k)
	}
	r.kick()
	deadline := time.Now().Add(2 * time.Second)
	for {
		r.mu.Lock()
		n := r.n
		r.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still counted after the queue ran", n)
		}
		time.Sleep(time.Millisecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.finished != 0 || f.dropped != 5 {
		t.Errorf("after Shutdown gave up the queue finished %d calls and let go of %d; want 0 and 5", f.finished, f.dropped)
	}
	if r.later(100, f) {
		t.Error("the queue took a call after Shutdown gave up")
	}
}

// The queue keeps its bounds: past laterMax calls, laterMaxBytes of
// answers, or an answer over laterMaxSize, the call ends on the caller.
func TestQueueBounds(t *testing.T) {
	r := new(renders)
	f := &fakeEnd{r: r}
	if r.later(laterMaxSize+1, f) {
		t.Error("the queue took an answer over laterMaxSize")
	}
	r.mu.Lock()
	r.running = true // nothing runs: the queue fills
	r.mu.Unlock()
	took := 0
	for range laterMax + 10 {
		if r.later(0, f) {
			took++
		}
	}
	if took != laterMax {
		t.Errorf("the queue took %d calls, want %d", took, laterMax)
	}
	r2 := new(renders)
	r2.mu.Lock()
	r2.running = true
	r2.mu.Unlock()
	bytes := 0
	for r2.later(laterMaxSize, f) {
		bytes += laterMaxSize
	}
	if bytes > laterMaxBytes || bytes < laterMaxBytes-laterMaxSize {
		t.Errorf("the queue held %d bytes of answers, want at most %d", bytes, laterMaxBytes)
	}
}
