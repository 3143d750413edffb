package lfserver

// The decode budget: decoding an OTLP body takes several times its size in
// memory (a JSON body far more: a tree, a re-encoding, then the message),
// so the request bytes being decoded at once are bounded. A request waits
// briefly for its share, then is answered 429 with Retry-After, which the
// library's exporter (and any OTLP exporter) retries.

import (
	"context"
	"sync"
	"time"
)

// DefaultDecodeWait is how long a request waits for its share of the
// decode budget before the server answers 429.
const DefaultDecodeWait = 5 * time.Second

// jsonWeight is what one byte of an OTLP/JSON body counts against the
// budget: decoding it holds about four times what a protobuf byte holds.
const jsonWeight = 4

type budget struct {
	mu             sync.Mutex
	capacity, used int64
	peak           int64
	wake           chan struct{} // closed at the next release
}

// acquire takes n bytes of the budget (at most its capacity), waiting up
// to wait. It reports whether it got them.
func (b *budget) acquire(ctx context.Context, n int64, wait time.Duration) bool {
	var timer <-chan time.Time
	for {
		b.mu.Lock()
		if b.used+n <= b.capacity {
			b.used += n
			b.peak = max(b.peak, b.used)
			b.mu.Unlock()
			return true
		}
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		wake := b.wake
		b.mu.Unlock()
		if timer == nil {
			if wait <= 0 {
				return false
			}
			t := time.NewTimer(wait)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-wake:
		case <-timer:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
}

// peakUsed is the most the budget ever held.
func (b *budget) peakUsed() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak
}

// budget returns the server's decode budget: DecodeBudgetBytes, else twice
// the body bound.
func (s *Server) budget() *budget {
	s.budgetOnce.Do(func() {
		c := s.DecodeBudgetBytes
		if c <= 0 {
			c = 2 * s.maxBody()
		}
		s.bud = &budget{capacity: c}
	})
	return s.bud
}

func (s *Server) maxBody() int64 {
	if s.MaxBodyBytes > 0 {
		return s.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}
