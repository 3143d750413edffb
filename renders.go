package litefuse

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// renders counts the calls of one pipeline whose recording is finished
// beside the caller (a large input or output, see asyncRecordBytes; a
// JSON answer's reading, see later), so that Flush and Shutdown wait for
// them: what was recorded before they were called is sent, or counted
// when it cannot be.
type renders struct {
	mu        sync.Mutex
	n         int           // being rendered
	inEnd     int           // of n, ending their span now
	idle      chan struct{} // closed when n reaches 0
	closed    atomic.Bool   // Shutdown gave up on them: they end uncounted by the SDK (read by run without mu)
	abandoned int64         // calls Shutdown gave up on, counted Ended and Dropped

	// The calls' ends queued by later, run in batches by run.
	queue, spare []finisher
	queued       int         // bytes of answer the queue holds
	running      bool        // run is running (one at a time)
	timer        *time.Timer // runs a queue that has not filled a batch
}

// Bounds of the queue of later: a batch starts at laterBatch calls or
// after laterWait; past laterMax calls or laterMaxBytes of answers, and for
// an answer over laterMaxSize, a call ends on the caller's goroutine.
const (
	laterBatch    = 32
	laterWait     = 2 * time.Millisecond
	laterMax      = 1024
	laterMaxBytes = 8 << 20
	laterMaxSize  = 64 << 10
)

// later queues fn, a call's end (the answer's reading, its attributes,
// the span's end), to run beside the callers: the ends of the calls made
// near each other run in one batch on one goroutine, which on a machine
// with a core to spare takes them off the calls' time. It reports false,
// and fn must run now, when the queue is full, the answer is large, or
// Shutdown gave up. A queued fn counts as a render until it calls
// ending (and done), as every call's end does.
func (r *renders) later(size int, fn finisher) bool {
	if size > laterMaxSize {
		return false
	}
	r.mu.Lock()
	if r.closed.Load() || len(r.queue) >= laterMax || r.queued+size > laterMaxBytes {
		r.mu.Unlock()
		return false
	}
	r.n++
	r.queue = append(r.queue, fn)
	r.queued += size
	start := false
	switch {
	case r.running:
	case len(r.queue) >= laterBatch:
		r.running, start = true, true
		if r.timer != nil {
			r.timer.Stop() // the batch starts now: no wake-up for nothing
		}
	case len(r.queue) == 1:
		if r.timer == nil {
			r.timer = time.AfterFunc(laterWait, r.kick)
		} else {
			r.timer.Reset(laterWait)
		}
	}
	r.mu.Unlock()
	if start {
		go r.run()
	}
	return true
}

// kick runs what is queued now, unless it runs already.
func (r *renders) kick() {
	r.mu.Lock()
	if r.running || len(r.queue) == 0 {
		r.mu.Unlock()
		return
	}
	r.running = true
	r.mu.Unlock()
	go r.run()
}

// run runs the queue until it is empty.
func (r *renders) run() {
	for {
		r.mu.Lock()
		batch := r.queue
		if len(batch) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.queue, r.spare, r.queued = r.spare[:0], nil, 0
		r.mu.Unlock()
		for i, fn := range batch {
			if r.closed.Load() { // counted Dropped: nothing to read or render
				dropGuarded(fn)
			} else {
				finishGuarded(fn)
			}
			batch[i] = nil
		}
		r.mu.Lock()
		r.spare = batch[:0]
		r.mu.Unlock()
	}
}

// A finisher is a call whose end later queued: finishLater ends it;
// dropLater, once Shutdown gave up on it, lets it go unread.
type finisher interface {
	finishLater()
	dropLater()
}

func finishGuarded(fn finisher) {
	defer guard()
	fn.finishLater()
}

func dropGuarded(fn finisher) {
	defer guard()
	fn.dropLater()
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
	if r.closed.Load() {
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

// wait returns once no render is in flight, or with ctx's error. What
// later queued runs now.
func (r *renders) wait(ctx context.Context) error {
	r.kick()
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
	r.closed.Store(true)
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
