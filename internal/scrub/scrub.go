// Package scrub removes secrets from text quoted out of an answer's body
// (error messages, log lines). Text cut from a longer body is scrubbed
// before it is cut, and its cut end is trimmed of anything that could be
// the beginning of a secret: no part of a secret survives a bound.
package scrub

import "strings"

// Redacted replaces each secret found.
const Redacted = "[redacted]"

// String replaces every secret (empty ones are skipped) in s.
func String(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Redacted)
		}
	}
	return s
}

// Cut returns b, read from a body that may go on past it (more), as text
// safe to scrub with String: when more, an end of b that is the
// beginning of a secret (a secret straddling the read's bound) is left
// out, so that no part of it can reach a bounded quote.
func Cut(b []byte, more bool, secrets ...string) string {
	if !more {
		return string(b)
	}
	drop := 0
	for _, secret := range secrets {
		// The longest proper prefix of secret that ends b.
		for k := min(len(secret)-1, len(b)); k > drop; k-- {
			if string(b[len(b)-k:]) == secret[:k] {
				drop = k
				break
			}
		}
	}
	return string(b[:len(b)-drop])
}

// Bounded is the text of a body read up to limit bytes: b is what was read
// with a limit of limit+1, so that a longer body is known to go on. It
// returns the text cut to limit bytes with every secret removed (see Cut
// and String), and whether the body went on past it.
func Bounded(b []byte, limit int, secrets ...string) (string, bool) {
	more := len(b) > limit
	if more {
		b = b[:limit]
	}
	return String(Cut(b, more, secrets...), secrets...), more
}
