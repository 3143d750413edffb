package export

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ErrShutdown is returned by Flush after Shutdown.
var ErrShutdown = errors.New("litefuse: the export pipeline is shut down (Shutdown was called); nothing more is sent: Shutdown is final for the process, call it once at exit (use Flush to send what is queued, e.g. between tests)")

// ErrCutByShutdown is an export's error when Shutdown's deadline passed
// and cancelled it: Litefuse was not necessarily down.
type ErrCutByShutdown struct{ Err error }

func (e *ErrCutByShutdown) Error() string { return e.Err.Error() }
func (e *ErrCutByShutdown) Unwrap() error { return e.Err }

// ProcessorConfig configures a [Processor].
type ProcessorConfig struct {
	Exporter  sdktrace.SpanExporter
	BatchSize int           // spans per export
	Interval  time.Duration // longest a span waits before its batch is sent
	Timeout   time.Duration // bound on one export
	MaxSpans  int           // spans waiting, at most (a batch in flight is not counted)
	MaxBytes  int64         // estimated bytes waiting or in flight, at most (see Size)
	// MaxSpanName cuts every span name to this many characters, as valid
	// UTF-8, when the span starts; 0: no cut.
	MaxSpanName int
	// Hold, when set, tells until when the server asked for no requests
	// (Retry-After): the processor sends nothing before then, and spans
	// wait in the queue (within its bounds) instead of failing.
	Hold func() time.Time
	// Report is told the outcome of every export: n spans sent, accepted
	// of them taken, err the exporter's error (an [ErrCutByShutdown] when
	// Shutdown's deadline cancelled it). It runs on the export goroutine,
	// never under a lock.
	Report func(n, accepted int, partialMsg string, err error)
}

// Processor is a batch span processor that keeps the promises the SDK's
// BatchSpanProcessor does not:
//
//   - memory is bounded in spans and in bytes: a span that would pass
//     MaxSpans (waiting) or MaxBytes (waiting plus in flight) is dropped
//     and counted; OnEnd never blocks;
//   - Flush(ctx) returns by ctx's deadline and never cancels the exports
//     it asked for (they run under their own Timeout); a Flush that times
//     out leaves nothing behind (the SDK's leaves a marker in its queue,
//     costing a slot for good, and cancels its export);
//   - Shutdown(ctx) sends what it can until ctx's deadline, then cancels
//     the export in flight, counts what was left as Dropped, and returns
//     with its goroutine gone;
//   - every sampled span ends up Exported, Failed or Dropped, exactly:
//     Ended == Exported + Failed + Dropped + Queued at every instant
//     ([Processor.Counts] reads them under one lock), Queued counting the
//     spans in flight.
type Processor struct {
	cfg ProcessorConfig

	mu          sync.Mutex
	queue       []queued
	spare       []queued                // the last batch's array, emptied: the next queue's
	spans       []sdktrace.ReadOnlySpan // the export goroutine's, reused
	queueBytes  int64                   // queued and in flight
	inflight    int
	counts      Counts
	accepted    uint64 // spans ever queued
	finished    uint64 // of them, exported, failed or dropped at Shutdown
	taken       uint64 // of them, handed to the exporter
	flushTarget uint64 // take eagerly while taken < flushTarget
	due         bool   // the interval passed: send what is queued
	changed     chan struct{}
	lastErr     error
	stopping    bool // Shutdown called: send everything, accept nothing
	abandoned   bool // Shutdown's deadline passed: the worker's counts are void

	wake         chan struct{}
	stop         chan struct{}
	done         chan struct{}
	exportCtx    context.Context
	cancelExport context.CancelFunc
	shutdownOnce sync.Once
}

type queued struct {
	span sdktrace.ReadOnlySpan
	size int64
}

// Counts are a processor's span counts.
type Counts struct {
	Ended    int64 // sampled spans ended
	Exported int64 // accepted by the server
	Failed   int64 // sent and refused, or not sent after retries
	Dropped  int64 // never sent: over the budget, or left at Shutdown
	Queued   int64 // waiting or in flight now
}

// NewProcessor starts a processor and its export goroutine.
func NewProcessor(cfg ProcessorConfig) *Processor {
	p := &Processor{
		cfg:     cfg,
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	p.exportCtx, p.cancelExport = context.WithCancel(context.Background())
	go p.run()
	return p
}

// OnStart cuts an over-long or invalid UTF-8 span name.
func (p *Processor) OnStart(_ context.Context, s sdktrace.ReadWriteSpan) {
	if p.cfg.MaxSpanName > 0 {
		if name := s.Name(); len(name) > p.cfg.MaxSpanName || !validUTF8(name) {
			s.SetName(CutName(name, p.cfg.MaxSpanName))
		}
	}
}

// sampled reports whether s is to be exported: the sampler's decision
// where the span says it (the library's own span, whose flag is its
// parent's), else its sampled flag (the SDK's span).
func sampled(s sdktrace.ReadOnlySpan) bool {
	if d, ok := s.(interface{ Sampled() bool }); ok {
		return d.Sampled()
	}
	return s.SpanContext().IsSampled()
}

// OnEnd queues a sampled span, or drops and counts it; it never blocks.
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !sampled(s) {
		return
	}
	size := Size(s)
	p.mu.Lock()
	p.counts.Ended++
	if p.stopping || len(p.queue) >= p.cfg.MaxSpans || p.queueBytes+size > p.cfg.MaxBytes {
		p.counts.Dropped++
		p.mu.Unlock()
		return
	}
	p.queue = append(p.queue, queued{s, size})
	p.queueBytes += size
	p.accepted++
	n := len(p.queue)
	p.mu.Unlock()
	if n == 1 || n >= p.cfg.BatchSize {
		p.signal()
	}
}

func (p *Processor) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Counts returns the span counts, consistent with each other.
func (p *Processor) Counts() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.counts
	c.Queued = int64(len(p.queue) + p.inflight)
	return c
}

// ForceFlush is Flush.
func (p *Processor) ForceFlush(ctx context.Context) error { return p.Flush(ctx) }

// Flush asks for every span queued so far to be sent now and waits until
// they are exported or failed, or until ctx ends, whichever comes first.
// The exports go on after a timed-out Flush. It returns the last export
// error when a span of its window failed, ctx's error when it ran out, and
// [ErrShutdown] after Shutdown.
func (p *Processor) Flush(ctx context.Context) error {
	p.mu.Lock()
	if p.stopping {
		p.mu.Unlock()
		return ErrShutdown
	}
	target, failedBefore := p.accepted, p.counts.Failed
	p.flushTarget = max(p.flushTarget, target)
	p.mu.Unlock()
	p.signal()
	for {
		p.mu.Lock()
		if p.finished >= target {
			var err error
			if p.counts.Failed > failedBefore {
				err = p.lastErr
			}
			p.mu.Unlock()
			return err
		}
		ch := p.changed
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Shutdown sends what is queued until ctx's deadline, then cancels the
// export in flight and drops (counting) the rest. After it returns the
// export goroutine is gone. Calling it again returns nil.
func (p *Processor) Shutdown(ctx context.Context) error {
	first := false
	p.shutdownOnce.Do(func() { first = true })
	if !first {
		return nil
	}
	p.mu.Lock()
	p.stopping = true
	failedBefore := p.counts.Failed
	p.mu.Unlock()
	close(p.stop)
	var err error
	select {
	case <-p.done:
		p.mu.Lock()
		if p.counts.Failed > failedBefore {
			err = p.lastErr
		}
		p.mu.Unlock()
	case <-ctx.Done():
		err = ctx.Err()
		p.mu.Lock()
		p.dropQueueLocked()
		p.mu.Unlock()
		p.cancelExport()
		// A cancelled request returns at once; the grace only guards
		// against an exporter that ignores its context.
		t := time.NewTimer(time.Second)
		select {
		case <-p.done:
		case <-t.C:
			p.mu.Lock()
			p.abandoned = true
			p.counts.Dropped += int64(p.inflight)
			p.finished += uint64(p.inflight)
			p.inflight, p.queueBytes = 0, 0
			p.notifyLocked()
			p.mu.Unlock()
		}
		t.Stop()
	}
	p.cancelExport()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if e := p.cfg.Exporter.Shutdown(sctx); e != nil && err == nil {
		err = e
	}
	return err
}

func (p *Processor) dropQueueLocked() {
	n := len(p.queue)
	for _, q := range p.queue {
		p.queueBytes -= q.size
	}
	p.queue = nil
	p.counts.Dropped += int64(n)
	p.finished += uint64(n)
	p.taken += uint64(n)
	p.notifyLocked()
}

func (p *Processor) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// run is the export goroutine.
func (p *Processor) run() {
	defer close(p.done)
	var timer *time.Timer
	var timerC <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		p.waitHold()
		p.mu.Lock()
		batch := p.takeLocked()
		waiting, stopping := len(p.queue), p.stopping
		p.mu.Unlock()
		if batch != nil {
			p.export(batch)
			continue
		}
		if stopping && waiting == 0 {
			return
		}
		if waiting > 0 && timerC == nil {
			if timer == nil {
				timer = time.NewTimer(p.cfg.Interval)
			} else {
				timer.Reset(p.cfg.Interval)
			}
			timerC = timer.C
		}
		select {
		case <-p.wake:
		case <-p.stop:
		case <-timerC:
			timerC = nil
			p.mu.Lock()
			p.due = true
			p.mu.Unlock()
		}
	}
}

// waitHold waits while the server holds requests back, or until Shutdown's
// deadline.
func (p *Processor) waitHold() {
	if p.cfg.Hold == nil {
		return
	}
	d := time.Until(p.cfg.Hold())
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.exportCtx.Done():
	}
}

// takeLocked returns the next batch to send, or nil to wait.
func (p *Processor) takeLocked() []queued {
	n := len(p.queue)
	if n == 0 {
		p.due = false
		return nil
	}
	if n < p.cfg.BatchSize && !p.due && !p.stopping && p.taken >= p.flushTarget {
		return nil
	}
	k := min(n, p.cfg.BatchSize)
	var batch []queued
	if k == n {
		// The whole queue is the batch; the previous batch's array, if
		// any, takes the queue's place (no allocation while spans keep
		// coming at the same pace).
		batch, p.queue, p.spare = p.queue, p.spare, nil
		p.due = false
	} else {
		batch = make([]queued, k)
		copy(batch, p.queue)
		clear(p.queue[:k])
		p.queue = p.queue[k:]
	}
	p.inflight += k
	p.taken += uint64(k)
	return batch
}

func (p *Processor) export(batch []queued) {
	// An exporter keeps no reference to the slice it is given (the
	// SpanExporter contract the SDK's batch processor relies on too).
	spans := slices.Grow(p.spans[:0], len(batch))[:len(batch)]
	var size int64
	for i, q := range batch {
		spans[i] = q.span
		size += q.size
	}
	defer func() {
		clear(spans)
		if cap(spans) <= 2*p.cfg.BatchSize {
			p.spans = spans[:0]
		}
	}()
	ctx, cancel := context.WithTimeout(p.exportCtx, p.cfg.Timeout)
	res := &Result{}
	exportErr := p.cfg.Exporter.ExportSpans(WithResult(ctx, res), spans)
	cancel()
	if p.exportCtx.Err() != nil && errors.Is(exportErr, context.Canceled) {
		// Shutdown's deadline cut the request itself; an attempt that had
		// failed before (Litefuse down, refused) keeps its own error.
		exportErr = &ErrCutByShutdown{Err: exportErr}
	}
	n := len(spans)
	accepted, msg := res.Accepted(n, exportErr)
	err := exportErr
	if err == nil && accepted < n {
		err = errors.New("Litefuse rejected " + strconv.Itoa(n-accepted) + " of " + strconv.Itoa(n) + " spans: " + msg)
	}
	// Report first, so that a Flush waiting for these spans returns after
	// the lines about them.
	if p.cfg.Report != nil {
		p.cfg.Report(n, accepted, msg, exportErr)
	}
	p.mu.Lock()
	if !p.abandoned {
		p.counts.Exported += int64(accepted)
		p.counts.Failed += int64(n - accepted)
		p.inflight -= n
		p.queueBytes -= size
		p.finished += uint64(n)
		if err != nil {
			p.lastErr = err
		}
		p.notifyLocked()
	}
	// The batch's array is the next queue's once that one is taken,
	// unless it grew large in a burst: let that go.
	clear(batch)
	if cap(batch) <= 2*p.cfg.BatchSize {
		p.spare = batch[:0]
	}
	p.mu.Unlock()
}
