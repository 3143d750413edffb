package platform

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Job is one request the Sender delivers: a POST (or other method) of a
// ready JSON body. The body is sent unchanged on every attempt, so an id in
// it makes retries idempotent. A Job with Run is delivered by Run instead,
// which does its own retries (see [Retry]): nil is a success, an error a
// failure.
type Job struct {
	Method, Path string
	Body         []byte
	Run          func(ctx context.Context) error
	// Size is the memory the job holds while queued, counted against
	// SenderConfig.MaxBytes.
	Size int64
}

// SenderConfig configures a Sender.
type SenderConfig struct {
	Client      *Client
	Kind        string // "scores": used in log lines
	QueueSize   int    // jobs waiting; more are dropped and counted
	MaxBytes    int64  // Job.Size of the jobs waiting or in flight; more are dropped and counted; 0: no bound
	Workers     int    // requests in flight at once
	MaxAttempts int    // per job, first attempt included
	Backoff     Backoff
	Log         *slog.Logger
	Debug       bool // log every failure at debug level, not only the first of a run
}

// Sender delivers Jobs asynchronously: Enqueue never blocks, the queue is
// bounded, failures are retried with backoff when retrying can help, and
// every job ends counted exactly once as sent, failed or dropped. Its
// goroutines start with the first job and are gone after Shutdown.
type Sender struct {
	cfg    SenderConfig
	queue  chan Job
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	started bool
	closed  bool
	pending int64         // queued or in flight; under mu
	bytes   int64         // their Job.Size; under mu
	idle    chan struct{} // closed when pending reaches 0; under mu
	lastErr string        // under mu

	sent, failed, dropped, queued atomic.Int64
	flushMark                     atomic.Int64 // failed count at the last Flush
	failing, dropping             atomic.Bool
}

// NewSender returns a Sender; nothing runs until the first Enqueue.
func NewSender(cfg SenderConfig) *Sender {
	cfg.QueueSize = max(cfg.QueueSize, 1)
	cfg.Workers = max(cfg.Workers, 1)
	cfg.MaxAttempts = max(cfg.MaxAttempts, 1)
	if cfg.Backoff.Initial <= 0 {
		cfg.Backoff = Backoff{Initial: 500 * time.Millisecond, Max: 10 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Sender{cfg: cfg, queue: make(chan Job, cfg.QueueSize), ctx: ctx, cancel: cancel}
}

// Counts are a Sender's job counts. Queued is what waits or is in flight now.
type Counts struct{ Sent, Failed, Dropped, Queued int64 }

// Counts returns the counts so far.
func (s *Sender) Counts() Counts {
	return Counts{s.sent.Load(), s.failed.Load(), s.dropped.Load(), s.queued.Load()}
}

// Enqueue queues j and reports whether it was accepted. When the queue is
// full or the Sender is shut down, j is dropped and counted; the first drop
// of a run is logged.
func (s *Sender) Enqueue(j Job) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.drop("the sender is shut down")
		return false
	}
	if s.cfg.MaxBytes > 0 && s.bytes+j.Size > s.cfg.MaxBytes {
		s.drop(fmt.Sprintf("%d bytes are waiting already, the bound is %d", s.bytes, s.cfg.MaxBytes))
		return false
	}
	select {
	case s.queue <- j:
	default:
		s.drop(fmt.Sprintf("the queue is full (%d waiting)", s.cfg.QueueSize))
		return false
	}
	s.pending++
	s.bytes += j.Size
	s.queued.Add(1)
	s.dropping.Store(false)
	if !s.started {
		s.started = true
		s.wg.Add(s.cfg.Workers)
		for range s.cfg.Workers {
			go s.work()
		}
	}
	return true
}

func (s *Sender) drop(why string) {
	s.dropped.Add(1)
	if s.dropping.CompareAndSwap(false, true) {
		s.cfg.Log.Warn("litefuse: dropping "+s.cfg.Kind+": "+why+"; further drops are counted in ReadStats", "kind", s.cfg.Kind)
	}
}

func (s *Sender) work() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case j := <-s.queue:
			s.deliver(j)
			s.done(j)
		}
	}
}

// done marks one job finished, waking Flush when none is left.
func (s *Sender) done(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending--
	s.bytes -= j.Size
	s.queued.Add(-1)
	if s.pending == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

func (s *Sender) deliver(j Job) {
	if s.ctx.Err() != nil { // shut down before the first attempt: never sent
		s.dropped.Add(1)
		return
	}
	var err, lastReal error // lastReal: the last failure not caused by the shutdown
	attempts := 0           // a Run counts its own
	if j.Run != nil {
		err = j.Run(s.ctx)
	} else {
		attempts, err = Retry(s.ctx, s.cfg.MaxAttempts, s.cfg.Backoff, func() error {
			err := s.cfg.Client.Do(s.ctx, j.Method, j.Path, j.Body, nil)
			if err != nil && s.ctx.Err() == nil {
				lastReal = err
			}
			return err
		}, s.retrying)
	}
	if err != nil {
		s.fail(err, lastReal, attempts)
		return
	}
	s.sent.Add(1)
	if s.failing.CompareAndSwap(true, false) {
		s.cfg.Log.Info("litefuse: "+s.cfg.Kind+" are being sent again", "kind", s.cfg.Kind)
	}
}

// retrying logs a retry at debug level (with LANGFUSE_DEBUG).
func (s *Sender) retrying(attempt int, err error) {
	if s.cfg.Debug {
		s.cfg.Log.Debug("litefuse: retrying "+s.cfg.Kind, "attempt", attempt, "error", Bound(err.Error(), 300))
	}
}

// Retry calls fn until it succeeds, fails in a way retrying cannot help
// (see [Retryable]), maxAttempts calls are made, or ctx is done, waiting
// b.Wait between calls. onRetry, when not nil, hears of each failure that
// is retried. It returns the number of calls made and fn's last error.
func Retry(ctx context.Context, maxAttempts int, b Backoff, fn func() error, onRetry func(attempt int, err error)) (int, error) {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return attempt, nil
		}
		retry := Retryable(err) && attempt < maxAttempts && ctx.Err() == nil
		if !retry || !Sleep(ctx, b.Wait(attempt, err)) {
			return attempt, err
		}
		if onRetry != nil {
			onRetry(attempt, err)
		}
	}
}

// fail counts a job that failed. When the shutdown cut it short, the
// message says so and, when earlier attempts failed on their own, the last
// of their errors (the real cause, which the shutdown would hide).
func (s *Sender) fail(err, lastReal error, attempts int) {
	s.failed.Add(1)
	msg := Bound(err.Error(), 300)
	if s.ctx.Err() != nil {
		msg = "shut down before the answer came"
		if lastReal != nil {
			msg = "shut down while retrying; the last attempt failed: " + Bound(lastReal.Error(), 300)
		}
	}
	s.mu.Lock()
	s.lastErr = msg
	s.mu.Unlock()
	args := []any{"error", msg}
	if attempts > 0 {
		args = append(args, "attempts", attempts)
	}
	switch {
	case s.failing.CompareAndSwap(false, true):
		s.cfg.Log.Warn("litefuse: sending "+s.cfg.Kind+" failed; further failures are counted in ReadStats until one succeeds", args...)
	case s.cfg.Debug:
		s.cfg.Log.Debug("litefuse: sending "+s.cfg.Kind+" failed", args...)
	}
}

// idleChan returns a channel closed once nothing is queued or in flight.
func (s *Sender) idleChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	return s.idle
}

// Flush waits until every job queued so far is sent or has failed, or until
// ctx is done. It returns ctx's error when it gave up waiting, an error
// naming the last failure when jobs failed since the previous Flush, else
// nil. Jobs keep going after a Flush that gave up.
func (s *Sender) Flush(ctx context.Context) error {
	select {
	case <-s.idleChan():
	case <-ctx.Done():
		return fmt.Errorf("litefuse: flushing %s: %d still queued: %w", s.cfg.Kind, s.queued.Load(), ctx.Err())
	}
	failed := s.failed.Load()
	if prev := s.flushMark.Swap(failed); failed > prev {
		s.mu.Lock()
		last := s.lastErr
		s.mu.Unlock()
		return fmt.Errorf("litefuse: %d %s failed since the last flush; last: %s", failed-prev, s.cfg.Kind, last)
	}
	return nil
}

// Shutdown stops taking jobs, waits for the queued ones within ctx, then
// stops every goroutine: jobs still queued at ctx's deadline are dropped,
// the ones in flight fail. Nothing of the Sender runs after it returns.
// Calling it again is safe.
func (s *Sender) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	var err error
	if werr := Await(ctx, s.idleChan()); werr != nil {
		err = fmt.Errorf("litefuse: shutting down %s: %d still queued: %w", s.cfg.Kind, s.queued.Load(), werr)
	}
	s.cancel()
	s.wg.Wait()
	for { // what no worker took: never sent
		select {
		case j := <-s.queue:
			s.dropped.Add(1)
			s.done(j)
			continue
		default:
		}
		break
	}
	return err
}
