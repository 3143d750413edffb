package platform

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retryable reports whether a failed request may succeed if sent again:
// network errors, 408, 429 and 5xx other than 501 and 505. A cancelled or
// expired caller context is never retryable.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var perm interface{ Permanent() bool } // a redirect refused, say
	if errors.As(err, &perm) && perm.Permanent() {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch {
		case se.Code == http.StatusRequestTimeout, se.Code == http.StatusTooManyRequests:
			return true
		case se.Code == http.StatusNotImplemented, se.Code == http.StatusHTTPVersionNotSupported:
			return false
		}
		return se.Code >= 500 && se.Code <= 599
	}
	var ne *NetError
	return errors.As(err, &ne)
}

// Backoff is an exponential backoff with jitter.
type Backoff struct {
	Initial, Max  time.Duration
	MaxRetryAfter time.Duration // longest Retry-After obeyed; 0: 60 s
}

// Wait returns how long to wait before attempt n+1 after attempt n (n ≥ 1)
// failed with err: the server's Retry-After when it gave one (capped at
// MaxRetryAfter), else a jittered exponential delay.
func (b Backoff) Wait(n int, err error) time.Duration {
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		limit := b.MaxRetryAfter
		if limit <= 0 {
			limit = time.Minute
		}
		return min(se.RetryAfter, limit)
	}
	d := b.Initial
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	// Half fixed, half jitter: never zero, never in lockstep.
	return d/2 + rand.N(d/2+1)
}

// RetryAfter reads a Retry-After header: seconds or an HTTP date.
// It returns 0 when absent or unreadable.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, time.Hour)
		}
	}
	return 0
}

// Sleep waits d or until ctx is done, reporting whether it waited the full d.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
