package export

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
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

// snippet is at most MaxBodyInError bytes of b, valid UTF-8 on one line,
// with secrets scrubbed.
func (c *Client) snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b[:min(len(b), MaxBodyInError)]), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if len(b) > MaxBodyInError {
		s += "…"
	}
	return c.scrubString(s)
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

func (c *Client) scrubString(s string) string {
	for _, secret := range c.cfg.Secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}
