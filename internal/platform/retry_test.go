package platform

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&StatusError{Code: 400}, false},
		{&StatusError{Code: 401}, false},
		{&StatusError{Code: 404}, false},
		{&StatusError{Code: 408}, true},
		{&StatusError{Code: 429}, true},
		{&StatusError{Code: 500}, true},
		{&StatusError{Code: 501}, false},
		{&StatusError{Code: 503}, true},
		{&NetError{msg: "refused", err: errors.New("refused")}, true},
		{&NetError{msg: "cancelled", err: context.Canceled}, false},
		{fmt.Errorf("wrapped: %w", &StatusError{Code: 502}), true},
		{errors.New("other"), false},
		{nil, false},
	} {
		if got := Retryable(c.err); got != c.want {
			t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:00:10 GMT": 10 * time.Second,
		"Thu, 01 Jan 2025 00:00:10 GMT": 0,
	} {
		if got := RetryAfter(v, now); got != want {
			t.Errorf("RetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestBackoffWait(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for n := 1; n < 10; n++ {
		d := b.Wait(n, errors.New("x"))
		hi := min(b.Initial<<(n-1), b.Max)
		if d < hi/2 || d > hi {
			t.Errorf("Wait(%d) = %s, want in [%s, %s]", n, d, hi/2, hi)
		}
	}
	if d := b.Wait(1, &StatusError{Code: 429, RetryAfter: 2 * time.Second}); d != 2*time.Second {
		t.Errorf("Retry-After not honoured: %s", d)
	}
	if d := b.Wait(1, &StatusError{Code: 429, RetryAfter: time.Hour}); d != time.Minute {
		t.Errorf("Retry-After not capped: %s", d)
	}
}
