package scrub

import (
	"strings"
	"testing"
)

const secret = "sk-lf-0123456789abcdefghijklmnopqrstuv"

// leak reports the longest part of secret found in s.
func leak(s string) string {
	for n := len(secret); n >= 4; n-- {
		for i := 0; i+n <= len(secret); i++ {
			if strings.Contains(s, secret[i:i+n]) {
				return secret[i : i+n]
			}
		}
	}
	return ""
}

// TestBoundedNoPartialSecret puts the secret at every offset around the
// read bound: no part of it (4 characters or more) is left in the text.
func TestBoundedNoPartialSecret(t *testing.T) {
	const limit = 64
	for at := 0; at < limit+len(secret)+2; at++ {
		body := strings.Repeat(" ", at) + secret + strings.Repeat(" and more", 10)
		read := []byte(body)[:min(len(body), limit+1)]
		got, more := Bounded(read, limit, secret)
		if !more {
			t.Fatalf("offset %d: not marked as going on", at)
		}
		if l := leak(got); l != "" {
			t.Errorf("offset %d: %q left in %q", at, l, got)
		}
		if at+len(secret) <= limit && !strings.Contains(got, Redacted) {
			t.Errorf("offset %d: whole secret not marked: %q", at, got)
		}
	}
}

func TestCutKeepsTextThatIsNoSecret(t *testing.T) {
	if got := Cut([]byte("hello sk-x"), true, secret); got != "hello sk-x" {
		t.Errorf("Cut = %q", got)
	}
	if got := Cut([]byte("hello sk-lf-01"), true, secret); got != "hello " {
		t.Errorf("Cut = %q", got)
	}
	if got := Cut([]byte("hello sk-lf-01"), false, secret); got != "hello sk-lf-01" {
		t.Errorf("Cut of a whole body = %q", got)
	}
	if got := String("a "+secret+" b "+secret, "", secret); got != "a [redacted] b [redacted]" {
		t.Errorf("String = %q", got)
	}
}
