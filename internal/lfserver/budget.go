package lfserver

// The decode budget: decoding an OTLP body takes several times its size in
// memory (a JSON body far more: a tree, a re-encoding, then the message),
// so the request bytes being decoded at once are bounded. A request waits
// briefly for its share, then is answered 429 with Retry-After, which the
// library's exporter (and any OTLP exporter) retries.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
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

// A reservation is the share of the budget one request holds while its
// body is read, inflated and decoded: it is taken before the bytes are
// (Content-Length when the client gives it, else growing as they come),
// so the bodies held at once never exceed the budget.
type reservation struct {
	b    *budget
	ctx  context.Context
	wait time.Duration
	n    int64
}

func (s *Server) reserve(r *http.Request) *reservation {
	wait := s.DecodeWait
	if wait <= 0 {
		wait = DefaultDecodeWait
	}
	return &reservation{b: s.budget(), ctx: r.Context(), wait: wait}
}

// growTo makes the reservation n bytes (at most the whole budget: one
// request over it is let through alone). It reports whether it got them.
func (res *reservation) growTo(n int64) bool {
	n = min(n, res.b.capacity)
	if n <= res.n {
		return true
	}
	if !res.b.acquire(res.ctx, n-res.n, res.wait) {
		return false
	}
	res.n = n
	return true
}

// shrinkTo gives back what is over n bytes.
func (res *reservation) shrinkTo(n int64) {
	if n < res.n {
		res.b.release(res.n - n)
		res.n = n
	}
}

func (res *reservation) release() { res.shrinkTo(0) }

// busyError is the answer when the budget cannot be had in the wait.
func (res *reservation) busyError() error {
	return &BodyError{http.StatusTooManyRequests, fmt.Sprintf("busy with other requests' bodies (at most %d request bytes held at once): retry after 1 s", res.b.capacity)}
}

// readReserved reads rd to its end, at most limit bytes, growing res to
// held + the buffer's size before the buffer grows. size is the expected
// length (-1: unknown). what names the bytes in errors.
func readReserved(rd io.Reader, res *reservation, held, size, limit int64, what string) ([]byte, error) {
	if size > limit {
		return nil, &BodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("%s over %d bytes: send smaller batches", what, limit)}
	}
	var buf []byte
	next := int64(64 << 10)
	if size >= 0 {
		next = size + 1 // room to see the end without growing
	}
	for {
		if len(buf) == cap(buf) {
			c := min(max(next, 2*int64(cap(buf))), limit+1)
			if !res.growTo(held + c) {
				return nil, res.busyError()
			}
			nb := make([]byte, len(buf), c)
			copy(nb, buf)
			buf = nb
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, &BodyError{http.StatusRequestEntityTooLarge, fmt.Sprintf("%s over %d bytes: send smaller batches", what, limit)}
		}
		switch {
		case err == io.EOF:
			return buf, nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, &BodyError{http.StatusRequestTimeout, "reading the request body took too long: the body was not complete in time"}
		case err != nil:
			return nil, &BodyError{http.StatusBadRequest, "reading the " + what + ": " + err.Error()}
		}
	}
}

// readBody reads r's body under the budget; the caller releases res.
func (s *Server) readBody(r *http.Request, res *reservation, limit int64) ([]byte, error) {
	return readReserved(r.Body, res, 0, r.ContentLength, limit, "request body")
}

// replyBodyError answers err (a 429 with Retry-After).
func replyBodyError(w http.ResponseWriter, err error) {
	if be, ok := err.(*BodyError); ok && be.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	replyError(w, err)
}
