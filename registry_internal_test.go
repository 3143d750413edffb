package litefuse

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/litefuse/litefuse-go/internal/otlpreceiver"
)

// isolateRegistry gives the test an empty registry with the bound n, and
// puts the process's one back (shutting down the test's pipelines) after.
func isolateRegistry(t *testing.T, n int) {
	t.Helper()
	registry.mu.Lock()
	saved := registry.byKey
	savedList, savedTP, savedWarned := registry.list, registry.byTP, registry.warned
	registry.byKey, registry.list, registry.byTP, registry.warned = nil, nil, nil, false
	prev := maxClientPipelines
	maxClientPipelines = n
	registry.mu.Unlock()
	t.Cleanup(func() {
		registry.mu.Lock()
		list := registry.list
		registry.byKey, registry.list, registry.byTP, registry.warned = saved, savedList, savedTP, savedWarned
		maxClientPipelines = prev
		registry.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, inst := range list {
			_ = inst.shutdown(ctx)
		}
	})
}

// Clients with equal settings share one pipeline; different keys get
// their own; past the bound a client records nothing, with one warning.
func TestClientPipelinesSharedAndBounded(t *testing.T) {
	isolateRegistry(t, 2)
	recv := otlpreceiver.New()
	defer recv.Close()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	rec := func(pk string) *recorder {
		r := newRecorder([]Option{WithCredentials(pk, "sk-lf-secret"), WithBaseURL(recv.BaseURL()), WithLogger(log)})
		r.resolve()
		return r
	}
	a1, a2, b, c1, c2 := rec("pk-lf-a"), rec("pk-lf-a"), rec("pk-lf-b"), rec("pk-lf-c"), rec("pk-lf-c")
	if a1.inst == nil || a1.inst != a2.inst {
		t.Errorf("two clients with equal settings got different pipelines")
	}
	if b.inst == nil || b.inst == a1.inst {
		t.Errorf("a client with other keys shares a pipeline with another tenant")
	}
	if c1.inst != nil || !c1.off || !c2.off {
		t.Errorf("a client past the bound of 2 pipelines records")
	}
	if n := strings.Count(logs.String(), "client pipelines are in use already"); n != 1 {
		t.Errorf("%d warnings about the bound, want 1:\n%s", n, logs.String())
	}
	if _, insts := pipelines(); len(insts) < 2 {
		t.Errorf("Flush and Shutdown would not see the client pipelines: %d", len(insts))
	}
}

// A call still being recorded at Shutdown's deadline is counted Ended and
// Dropped, and does not end its span afterwards.
func TestRendersAbandonedAtShutdownAreCounted(t *testing.T) {
	var r renders
	r.add()
	r.add()
	if !r.ending() { // one ends its span as Shutdown gives up
		t.Fatal("ending before Shutdown gave up: false")
	}
	done := make(chan int64)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.wait(ctx); err == nil {
		t.Fatal("wait with renders in flight returned nil")
	}
	go func() { done <- r.abandon() }()
	time.Sleep(5 * time.Millisecond)
	r.done() // the span that was ending is ended: abandon waited for it
	if n := <-done; n != 1 || r.dropped() != 1 {
		t.Errorf("abandoned %d (dropped %d), want 1", n, r.dropped())
	}
	if r.ending() {
		t.Error("a render Shutdown gave up on may still end its span (it would be counted twice)")
	}
	if err := r.wait(context.Background()); err != nil {
		t.Errorf("wait after every render finished: %v", err)
	}
}
