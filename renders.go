package litefuse

import (
	"context"
	"sync"
	"time"
)

// renders counts the calls of one pipeline whose recording is finished
// beside the caller (a large input or output, see asyncRecordBytes), so
// that Flush and Shutdown wait for them: what was recorded before they
// were called is sent, or counted when it cannot be.
type renders struct {
	mu        sync.Mutex
	n         int           // being rendered
	inEnd     int           // of n, ending their span now
	idle      chan struct{} // closed when n reaches 0
	closed    bool          // Shutdown gave up on them: they end uncounted by the SDK
	abandoned int64         // calls Shutdown gave up on, counted Ended and Dropped
}

// extRenders are the calls recorded with the application's own provider
// (WithTracerProvider): Flush and Shutdown wait for them too (their media).
var extRenders renders

func (r *renders) add() {
	r.mu.Lock()
	r.n++
	r.mu.Unlock()
}

// ending reports whether the render may end its span: false once Shutdown
// gave up on it (it is counted Dropped already). After true, call done
// once the span has ended.
func (r *renders) ending() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.n--
		r.notifyLocked()
		return false
	}
	r.inEnd++
	return true
}

func (r *renders) done() {
	r.mu.Lock()
	r.n--
	r.inEnd--
	r.notifyLocked()
	r.mu.Unlock()
}

func (r *renders) notifyLocked() {
	if r.n == 0 && r.idle != nil {
		close(r.idle)
		r.idle = nil
	}
}

// wait returns once no render is in flight, or with ctx's error.
func (r *renders) wait(ctx context.Context) error {
	r.mu.Lock()
	if r.n == 0 {
		r.mu.Unlock()
		return nil
	}
	if r.idle == nil {
		r.idle = make(chan struct{})
	}
	ch := r.idle
	r.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// abandon is Shutdown giving up at its deadline: the renders still in
// flight will not end their spans, and are counted (returned, and in
// abandoned). The ones ending their span already are waited for briefly:
// ending a span never blocks.
func (r *renders) abandon() int64 {
	r.mu.Lock()
	r.closed = true
	k := int64(r.n - r.inEnd)
	r.abandoned += k
	r.mu.Unlock()
	for range 100 {
		r.mu.Lock()
		e := r.inEnd
		r.mu.Unlock()
		if e == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	return k
}

func (r *renders) dropped() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.abandoned
}

// waitRenders waits for the renders of insts and of the application's
// provider, within ctx.
func waitRenders(ctx context.Context, insts []*instance) error {
	if err := extRenders.wait(ctx); err != nil {
		return err
	}
	for _, inst := range insts {
		if err := inst.renders.wait(ctx); err != nil {
			return err
		}
	}
	return nil
}
