package export

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// hold holds every request back for d (capped at MaxRetryAfter).
func (c *Client) hold(d time.Duration) {
	until := time.Now().Add(min(d, MaxRetryAfter))
	c.mu.Lock()
	if until.After(c.holdUntil) {
		c.holdUntil = until
	}
	c.mu.Unlock()
}

// HoldUntil returns until when a Retry-After holds requests back (zero or
// past: none).
func (c *Client) HoldUntil() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.holdUntil
}

// waitHold waits out a Retry-After, or fails at once when ctx's deadline
// comes first.
func (c *Client) waitHold(ctx context.Context) error {
	c.mu.Lock()
	until := c.holdUntil
	c.mu.Unlock()
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(until) {
		return &ThrottledError{Until: until}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return &ThrottledError{Until: until}
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
