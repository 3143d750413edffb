package export

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/litefuse/litefuse-go/internal/scrub"
)

// StatusError is an HTTP answer other than 2xx, after retries.
type StatusError struct {
	Code int
	Body string // at most MaxBodyInError bytes, valid UTF-8, secrets scrubbed
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("Litefuse answered %d %s", e.Code, http.StatusText(e.Code))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// ThrottledError is returned, without sending, while a Retry-After holds
// requests back past the export's deadline.
type ThrottledError struct{ Until time.Time }

func (e *ThrottledError) Error() string {
	return "Litefuse asked to wait (Retry-After) until " + e.Until.UTC().Format(time.RFC3339) + "; spans not sent"
}

func (c *Client) statusError(code int, body []byte) error {
	return &StatusError{Code: code, Body: c.snippet(body)}
}

// snippetRead is how much of a body a snippet reads: enough past
// MaxBodyInError that collapsed spacing and replaced secrets still leave
// MaxBodyInError bytes to quote.
const snippetRead = 4 * MaxBodyInError

// snippet is at most MaxBodyInError bytes of b, valid UTF-8 on one line,
// with secrets scrubbed before it is cut, and no part of a secret left at
// a cut (a body read with a limit of snippetRead+1 is known to go on).
func (c *Client) snippet(b []byte) string {
	s, more := scrub.Bounded(b, snippetRead, c.cfg.Secrets...)
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > MaxBodyInError {
		cut := MaxBodyInError
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, more = s[:cut], true
	}
	if more {
		s += "…"
	}
	return s
}

func (c *Client) scrub(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if s := c.scrubString(msg); s != msg {
		return errors.New(s)
	}
	return err
}

func (c *Client) scrubString(s string) string { return scrub.String(s, c.cfg.Secrets...) }
