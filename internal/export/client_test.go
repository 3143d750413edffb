package export

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"5":    5 * time.Second,
		"0":    0,
		"3600": MaxRetryAfter,
		now.Add(10 * time.Second).Format(http.TimeFormat): 10 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		got, ok := parseRetryAfter(v, now)
		if !ok || got != want {
			t.Errorf("%q: %v %v, want %v", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "soon", "-3"} {
		if _, ok := parseRetryAfter(v, now); ok {
			t.Errorf("%q parsed", v)
		}
	}
}

func TestErrorTextBoundedAndScrubbed(t *testing.T) {
	c := NewClient(ClientConfig{Secrets: []string{"sk-secret", "cGs6c2s="}})
	body := []byte("Authorization: Basic cGs6c2s= key sk-secret\n" + strings.Repeat("<p>down</p>\n", 300000) + "\xff")
	err := c.statusError(502, body)
	msg := err.Error()
	if len(msg) > MaxBodyInError+64 || strings.Contains(msg, "sk-secret") || strings.Contains(msg, "cGs6c2s=") || strings.Contains(msg, "\n") {
		t.Errorf("error text %d bytes: %q", len(msg), msg)
	}
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 502 {
		t.Errorf("%T", err)
	}
}

func TestCutName(t *testing.T) {
	for in, want := range map[string]string{
		"short":                    "short",
		strings.Repeat("ab", 8):    "abababab",
		strings.Repeat("é", 9):     strings.Repeat("é", 8),
		"bad\xffname":              "bad\uFFFDname",
		"bad\xffname-that-is-long": "bad\uFFFDname",
	} {
		if got := CutName(in, 8); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
